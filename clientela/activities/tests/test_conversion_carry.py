"""What a converted lead leaves its client and deal: the agreed next step and the promises stay
open and move to the deal (the client when no deal started) with their due time and assignee,
the deal plans that next step, and the lead's calls show once on the deal's, the client's and the
contact's timelines while the lead keeps them on its own."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clientela.activities.choices import Outcome, TaskKind
from clientela.activities.models import Activity, Task
from clientela.activities.selectors import timeline_for
from clientela.activities.services.log import Promise, call_log
from clientela.activities.services.next_step import NextStep
from clientela.core.audit import history_for
from clientela.deals.models import Deal
from clientela.leads.services.convert import DealPlaceholder, lead_convert


def _worked_lead(world, make_lead):
    """A lead Mara called: she agreed a next step in three days and promised a price list."""
    lead = make_lead(company_name="Vektor SRL")
    due = (timezone.now() + dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    logged = call_log(
        by=world.manager_north,
        lead=lead,
        outcome=Outcome.REACHED,
        body="Wants the fleet offer",
        next_step=NextStep(due_at=due, subject="Send proposal and call back"),
        promises=[Promise(title="Price list by e-mail", due_in_minutes=120)],
    )
    return lead, logged, due


def test_conversion_with_a_deal_carries_the_next_step_promises_and_the_call(world, make_lead):
    lead, logged, due = _worked_lead(world, make_lead)
    first_contact = Task.objects.get(lead=lead, kind=TaskKind.FIRST_CONTACT)
    conversion = lead_convert(by=world.manager_north, lead=lead, deal=DealPlaceholder())
    deal = Deal.objects.get(pk=conversion.deal.pk)

    step = Task.objects.get(pk=logged.next_step.pk)
    promise = Task.objects.get(pk=logged.promises[0].pk)
    for task in (step, promise):
        assert task.done_at is None, "still to do after the conversion"
        assert (task.deal, task.client, task.contact) == (deal, conversion.client, conversion.contact)
        assert task.lead is None and task.assignee == world.manager_north
    assert step.due_at == due and step.kind == TaskKind.NEXT_STEP
    assert history_for(step).filter(event="carried_on_conversion").exists(), "audited"
    # Reaching the person was done by converting them.
    assert Task.objects.get(pk=first_contact.pk).done_at is not None

    # The deal plans the agreed next step (the board and the card read it).
    assert deal.next_step_date == timezone.localtime(due).date()
    assert deal.next_step_subject == "Send proposal and call back"

    viewer = world.manager_north
    for record in ({"deal": deal}, {"client": conversion.client}, {"contact": conversion.contact}):
        timeline = timeline_for(viewer=viewer, **record)
        assert [a.pk for a in timeline.activities] == [logged.activity.pk], record
    assert timeline_for(viewer=viewer, deal=deal).has_next_step
    assert {t.pk for t in timeline_for(viewer=viewer, client=conversion.client).open_tasks} == {
        step.pk,
        promise.pk,
    }
    # The lead keeps its history; the call was linked, not copied.
    assert [a.pk for a in timeline_for(viewer=viewer, lead=lead).activities] == [logged.activity.pk]
    assert Activity.objects.count() == 1


def test_conversion_without_a_deal_gives_the_tasks_to_the_client(world, make_lead):
    lead, logged, due = _worked_lead(world, make_lead)
    conversion = lead_convert(by=world.manager_north, lead=lead)
    step = Task.objects.get(pk=logged.next_step.pk)
    assert (step.client, step.deal, step.lead, step.done_at) == (conversion.client, None, None, None)
    assert (step.due_at, step.assignee) == (due, world.manager_north)
    activity = Activity.objects.get(pk=logged.activity.pk)
    assert (activity.lead, activity.client, activity.deal) == (lead, conversion.client, None)


def test_a_lead_converted_onto_a_known_client_links_its_calls_to_it(world, make_lead, records):
    lead, logged, _due = _worked_lead(world, make_lead)
    conversion = lead_convert(
        by=world.manager_north, lead=lead, client=records["north"], deal=DealPlaceholder()
    )
    assert conversion.client == records["north"]
    activity = Activity.objects.get(pk=logged.activity.pk)
    assert (activity.client, activity.deal) == (records["north"], conversion.deal)
    assert Task.objects.get(pk=logged.next_step.pk).deal == conversion.deal
