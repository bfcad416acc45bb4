"""Every lead page renders in each of the five languages (SPEC §10), with the page in that
language and every action dialog on the card, for a head of sales who sees them all."""

from __future__ import annotations

import pytest
from django.conf import settings

from clientela.conftest import login
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import Interest
from clientela.leads.services.convert import DealPlaceholder, lead_convert
from clientela.leads.tests.test_views_helpers import make_lead

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.mark.parametrize("language", LANGUAGES)
def test_lead_pages_render_in_every_language(client, world, language):
    head = world.head_north
    head.language = language
    head.save(update_fields=["language"])
    lead = make_lead(owner=world.manager_north, team=world.north, product="Fleet tracking")
    converted = make_lead(owner=world.manager_north, team=world.north)
    lead_convert(by=head, lead=converted, deal=DealPlaceholder())
    ctx = IntakeContext(door="api", team=world.north)
    interest = Interest.objects.get(
        pk=intake_submit(raw=RawLead(company="Alpha", phone="0213004000"), ctx=ctx).id
    )
    login(client, head)
    pages = [
        "/leads/",
        "/leads/?view=hot",
        "/leads/?q=ion&status=open&sort=-score",
        f"/leads/{lead.pk}/",
        f"/leads/{converted.pk}/",
        "/leads/new/",
        "/interests/",
        f"/interests/{interest.pk}/upgrade/",
        *(
            f"/leads/{lead.pk}/{action}/"
            for action in ("edit", "qualify", "convert", "refuse", "postpone", "assign")
        ),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (language, url)
        body = response.content.decode()
        assert f'<html lang="{language}"' in body, (language, url)
        assert "{%" not in body and "{{" not in body, (language, url)
