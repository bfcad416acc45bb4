"""Texts a background job writes for a person are in that person's language, not the job's:
breach and escalation notices and temperature reasons are written for their one reader; an
assignment reason is stored as a message and read in each reader's language (one test per
kind, with a Romanian reader; the English default stays for everyone else)."""

from __future__ import annotations

import pytest
from django.utils import translation

from clientela.comms import clocks
from clientela.comms.tests.conftest import local
from clientela.core.tests.languages import romanian, text
from clientela.core.texts import render
from clientela.leads.distribution import decide_owner
from clientela.leads.models import Lead, TemperatureRule
from clientela.leads.scoring import leads_rescore
from clientela.leads.temperature import evaluate_temperature

pytestmark = pytest.mark.django_db

MONDAY_10 = local(2025, 3, 3, 10, 0)


def test_breach_notice_is_in_the_owners_language(world, make_lead):
    romanian(world.manager_north)
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    with translation.override("en"):  # the job runs in the site's language
        clocks.clocks_sweep(now=local(2025, 3, 3, 12, 5))
    assert text(world.manager_north, "clock_breached").startswith("Primul răspuns depășit: ")
    assert str(clock.lead) in text(world.manager_north, "clock_breached")
    # The head reads English: the escalation (for the same clock) is in English.
    with translation.override("ro"):
        clocks.clocks_sweep(now=local(2025, 3, 3, 12, 35))
    assert "has not answered" in text(world.head_north, "clock_escalated")


def test_escalation_to_the_head_is_in_the_heads_language(world, make_lead):
    romanian(world.head_north)
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    lead.refresh_from_db()
    clocks.clock_start_first_response(lead=lead, at=MONDAY_10)
    with translation.override("en"):
        clocks.clocks_sweep(now=local(2025, 3, 3, 12, 5))
    assert text(world.head_north, "clock_escalated").startswith("Nimeni nu a răspuns la timp pentru ")


def test_promise_overdue_is_in_the_owners_language(world, make_lead):
    romanian(world.manager_north)
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    promise = clocks.clock_acknowledge(
        clock=clock,
        by=world.manager_north,
        promised_minutes=30,
        text="Oferta azi",
        at=local(2025, 3, 3, 10, 5),
    ).promise
    with translation.override("en"):
        clocks.clock_check(clock=promise, now=local(2025, 3, 3, 11, 0))
    assert text(world.manager_north, "clock_breached") == "Promisiune depășită: Oferta azi"


def test_queue_reason_is_stored_as_a_message_and_read_in_the_readers_language(world):
    romanian(world.head_north)
    for manager in (world.manager_north, world.manager_north2):
        manager.is_absent = True
        manager.save(update_fields=["is_absent"])
    lead = Lead(first_name="Ana", last_name="Pop", team=world.north)
    with translation.override("en"):  # e.g. a visitor's English form, or an import job
        decision = decide_owner(lead)
    assert decision.owner is None
    # Whatever language the job ran in, each reader reads the reason in their own.
    with translation.override("ro"):
        assert render(decision.reason).startswith("Nimeni nu l-a putut prelua ("), render(decision.reason)
    with translation.override("en"):
        assert not render(decision.reason).startswith("Nimeni"), render(decision.reason)


def test_assignment_reason_is_read_in_the_readers_language_whoever_was_chosen(world):
    romanian(world.manager_north, world.manager_north2)
    lead = Lead(first_name="Ana", last_name="Pop", team=world.north)
    with translation.override("en"):
        decision = decide_owner(lead)
    assert decision.owner in (world.manager_north, world.manager_north2)
    with translation.override("ro"):
        romanian_reason = render(decision.reason)
    assert "cel mai puțin încărcat" in romanian_reason or "round-robin" in romanian_reason, romanian_reason
    assert "least loaded" not in romanian_reason

    # An English reader of the same decision, made while the job ran in Romanian, reads English.
    with translation.override("ro"):
        again = decide_owner(Lead(first_name="Ion", last_name="Pop", team=world.north))
    with translation.override("en"):
        english_reason = render(again.reason)
    assert "least loaded" in english_reason or "round-robin" in english_reason, english_reason


def test_rescore_writes_temperature_reasons_in_the_owners_language(world, make_lead):
    romanian(world.manager_north)
    TemperatureRule.objects.create(name="Toate", temperature="cold", sources=["phone"], position=1)
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(source="phone", temperature="", temperature_reasons=[])
    with translation.override("en"):
        leads_rescore()
    lead.refresh_from_db()
    assert lead.temperature == "cold"
    assert lead.temperature_reasons[0] == "regulă de companie „Toate”", lead.temperature_reasons
    assert lead.temperature_reasons[1].startswith("sursa este ")

    # Evaluated for an English owner, the same rule reads in English.
    lead.owner = world.manager_north2
    with translation.override("ro"):
        _temperature, reasons = evaluate_temperature(lead)
    assert reasons[0] == "company rule “Toate”"
