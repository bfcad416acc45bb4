"""Lead notices, the re-contact task a job writes and the temperature reasons of a new lead are in
their reader's language, whatever language the process writing them runs in (a job runs in the
site's; a public form in the visitor's)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from clientela.activities.models import Task
from clientela.core.tests.languages import in_ro, romanian, text
from clientela.leads.choices import LeadStatus, Source, Temperature
from clientela.leads.models import Lead, TemperatureRule
from clientela.leads.services.lifecycle import lead_assign, lead_create, lead_touch
from clientela.leads.services.refuse import leads_return_due

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)


def new_lead(world: Any, *, owner: Any = None, **fields: Any) -> Lead:
    n = next(_seq)
    values = {
        "first_name": "Ion",
        "last_name": f"Popescu{n}",
        "phone": f"+4072155{n:04d}",
        "team": world.north,
    }
    return lead_create(by=None, fields={**values, **fields}, owner=owner)


def test_assignment_notice_is_in_the_new_owners_language(world):
    romanian(world.manager_north2)
    lead = new_lead(world, owner=world.manager_north)
    with translation.override("en"):
        lead_assign(by=world.head_north, lead=lead, owner=world.manager_north2)
    assert text(world.manager_north2, "lead_assigned") == in_ro("New lead for you: %(lead)s", {"lead": lead})
    # The previous owner reads English.
    assert text(world.manager_north, "lead_reassigned") == f"{lead} was reassigned to {world.manager_north2}"


def test_reassignment_notice_is_in_the_previous_owners_language(world):
    romanian(world.manager_north)
    lead = new_lead(world, owner=world.manager_north)
    with translation.override("en"):
        lead_assign(by=world.head_north, lead=lead, owner=None)
    queue = in_ro("the team queue")
    assert text(world.manager_north, "lead_reassigned") == in_ro(
        "%(lead)s was reassigned to %(owner)s", {"lead": lead, "owner": queue}
    )


def test_queue_notice_is_in_the_heads_language(world):
    romanian(world.head_north)
    lead = new_lead(world, owner=world.manager_north)
    with translation.override("en"):
        lead_assign(by=world.admin, lead=lead, owner=None)
    assert text(world.head_north, "lead_unassigned") == in_ro(
        "A lead waits in the %(team)s queue: %(lead)s", {"team": world.north, "lead": lead}
    )


def test_a_lead_from_an_english_visitor_is_announced_in_the_owners_language(world):
    romanian(world.manager_north)
    with translation.override("en"):  # a public form in the visitor's language
        lead = new_lead(world, owner=world.manager_north)
    assert text(world.manager_north, "lead_assigned") == in_ro("New lead for you: %(lead)s", {"lead": lead})
    lead.refresh_from_db()
    with translation.override("ro"):  # the reason is shown in its reader's language
        assert lead.shown_assignment_reason == in_ro(
            "Assigned to %(name)s by hand.", {"name": world.manager_north}
        )


def postponed(lead: Lead) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=3)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.POSTPONED, postponed_until=day)
    return day


def test_return_from_postponement_writes_task_and_notice_in_the_owners_language(world):
    romanian(world.manager_north)
    lead = new_lead(world, owner=world.manager_north)
    day = postponed(lead)
    with translation.override("en"):  # the job runs in the site's language
        assert leads_return_due(today=day) == 1
    task = Task.objects.get(lead=lead, kind="recontact")
    with translation.override("ro"):  # the title is shown in its reader's language
        assert task.shown_title == in_ro("Re-contact %(name)s", {"name": lead})
    assert text(world.manager_north, "lead_returned") == in_ro(
        "%(lead)s is back on your list today", {"lead": lead}
    )


def test_return_of_a_queue_lead_titles_the_task_for_the_head(world):
    romanian(world.head_north)
    lead = new_lead(world, owner=world.manager_north)
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    day = postponed(lead)
    with translation.override("en"):
        leads_return_due(today=day)
    task = Task.objects.get(lead=lead, kind="recontact")
    assert task.assignee is None
    with translation.override("ro"):
        assert task.shown_title == in_ro("Re-contact %(name)s", {"name": lead})


def test_new_leads_reasons_are_in_the_owners_language_not_the_heads(world):
    TemperatureRule.objects.create(
        name="Call me", temperature=Temperature.HOT, position=1, sources=[Source.CALLBACK]
    )
    romanian(world.manager_north)
    with translation.override("en"):  # the head (English) reads the queue; the owner reads Romanian
        lead = new_lead(world, owner=world.manager_north, source=Source.CALLBACK)
    lead.refresh_from_db()
    assert lead.temperature == Temperature.HOT
    scope = in_ro("company rule")
    with translation.override("ro"):
        source = str(Source.CALLBACK.label)
    assert lead.temperature_reasons == [
        in_ro("%(scope)s “%(rule)s”", {"scope": scope, "rule": "Call me"}),
        in_ro("source is %(source)s", {"source": source}),
    ]


def test_reasons_given_at_intake_are_reworded_for_the_owner(world):
    romanian(world.manager_north)
    with translation.override("en"):
        lead = new_lead(world, owner=world.manager_north, temperature=Temperature.WARM)
    lead.refresh_from_db()
    assert lead.temperature == Temperature.WARM
    assert lead.temperature_reasons == [in_ro("given at intake")]


def test_rewording_costs_one_query_and_only_when_the_languages_differ(world):
    TemperatureRule.objects.create(
        name="Call me", temperature=Temperature.HOT, position=1, sources=[Source.CALLBACK]
    )
    romanian(world.manager_north2)
    new_lead(world, owner=world.manager_north, source=Source.CALLBACK)  # warm the caches
    counts = {}
    for owner in (world.manager_north, world.manager_north2):
        owner.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            lead = new_lead(world, owner=owner, source=Source.CALLBACK)
        counts[owner.username] = len(queries)
        assert Lead.objects.get(pk=lead.pk).temperature == Temperature.HOT
    assert counts[world.manager_north2.username] == counts[world.manager_north.username] + 1


def test_touch_and_new_client_owner_notices_are_in_their_readers_language(world):
    """A touch arriving through an English visitor's form, and a conversion done by an English
    user, reach a Romanian owner in Romanian."""
    from clientela.leads.services.convert import lead_convert

    romanian(world.manager_north, world.manager_north2)
    lead = new_lead(world, owner=world.manager_north)
    with translation.override("en"):
        lead_touch(lead=lead, by=None, source="web")
    assert text(world.manager_north, "lead_touch") == in_ro("%(lead)s got in touch again", {"lead": lead})
    with translation.override("en"):
        result = lead_convert(
            by=world.manager_north,
            lead=lead,
            client_name="Gamma SRL",
            client_owner=world.manager_north2,
        )
    assert text(world.manager_north2, "client_assigned") == in_ro(
        "You are the personal manager of %(client)s", {"client": result.client}
    )
