"""Intake notices are in their reader's language: a public form runs in the visitor's language,
but the owner reads their own."""

from __future__ import annotations

import pytest
from django.utils import translation

from clientela.clients.models import Client, Contact
from clientela.core.tests.languages import in_ro, romanian, text
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import Source

pytestmark = pytest.mark.django_db


def test_a_client_getting_in_touch_through_a_form_is_told_in_the_owners_language(world):
    romanian(world.manager_north)
    client = Client.objects.create(
        name="Alpha", owner=world.manager_north, team=world.north, phone="+40215551234"
    )
    Contact.objects.create(client=client, first_name="Ana", email="ana@alpha.example")
    ctx = IntakeContext(door="api", team=world.north, default_source="web_form")
    with translation.override("en"):  # the visitor's English form
        intake_submit(raw=RawLead(name="Ana Alpha", email="ana@alpha.example"), ctx=ctx)
    contact = Contact.objects.get()
    with translation.override("ro"):
        source = str(Source.WEB_FORM.label)
    assert text(world.manager_north, "client_touch") == in_ro(
        "%(who)s got in touch again via %(source)s", {"who": contact, "source": source}
    )
