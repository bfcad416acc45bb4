"""Activities and tasks services: the next-step rule, promises, recurrence, clocks, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.activities.choices import ActivityKind, Direction, Outcome, Recurrence, TaskKind
from clientela.activities.models import Activity, Task
from clientela.activities.services.log import (
    Promise,
    _summary_text,
    activity_log,
    call_log,
    meeting_log,
    summary_compose_url,
)
from clientela.activities.services.next_step import NextStep
from clientela.activities.services.task import (
    next_due,
    task_complete,
    task_create,
    task_reassign,
    task_reopen,
    task_update,
)
from clientela.comms.models import ResponseClock
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.models import AuditEntry, Notification
from clientela.deals.board import services as deal_services
from clientela.deals.models import LostReason
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Lead

pytestmark = pytest.mark.django_db


def soon(hours: float = 24) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_activity_log_fills_client_team_and_audits(world, records):
    activity = activity_log(
        by=world.manager_north, kind=ActivityKind.NOTE, contact=records["ioana"], body="Prefers e-mail"
    )
    assert activity.client == records["north"]
    assert activity.team == world.north
    assert activity.owner == world.manager_north
    assert AuditEntry.objects.filter(object_id=str(activity.pk), action="create").exists()


def test_activity_needs_a_record_and_a_valid_kind(world):
    with pytest.raises(BusinessError) as exc:
        activity_log(by=world.manager_north, kind=ActivityKind.NOTE)
    assert "__all__" in exc.value.errors
    with pytest.raises(BusinessError) as exc:
        activity_log(by=world.manager_north, kind="fax", lead=None)
    assert "kind" in exc.value.errors


def test_activity_on_someone_elses_record_is_refused(world, records):
    with pytest.raises(PermissionDeniedError):
        activity_log(by=world.manager_north, kind=ActivityKind.NOTE, client=records["south"])
    with pytest.raises(PermissionDeniedError):
        activity_log(by=world.marketer_north, kind=ActivityKind.NOTE, client=records["north"])


def test_contact_of_another_client_is_a_field_error(world, records):
    with pytest.raises(BusinessError) as exc:
        activity_log(
            by=world.admin, kind=ActivityKind.NOTE, client=records["south"], contact=records["ioana"]
        )
    assert "contact" in exc.value.errors


def test_call_without_next_step_is_refused_with_field_errors(world, make_lead):
    lead = make_lead()
    with pytest.raises(BusinessError) as exc:
        call_log(by=world.manager_north, lead=lead, outcome=Outcome.REACHED)
    assert {"next_step_at", "next_step_subject", "no_next_step_reason"} <= set(exc.value.errors)
    assert exc.value.status == 422
    assert not Activity.objects.filter(lead=lead).exists(), "nothing is logged"


def test_call_with_next_step_creates_the_task(world, make_lead):
    lead = make_lead()
    logged = call_log(
        by=world.manager_north,
        lead=lead,
        outcome=Outcome.REACHED,
        duration_minutes=12,
        body="Wants a demo",
        next_step=NextStep(due_at=soon(48), subject="Demo of the reports"),
    )
    task = logged.next_step
    assert task is not None
    assert (task.kind, task.title, task.lead, task.assignee) == (
        TaskKind.NEXT_STEP,
        "Demo of the reports",
        lead,
        world.manager_north,
    )
    assert task.source_activity == logged.activity
    assert logged.activity.duration_minutes == 12
    assert logged.activity.details["next_step_task"] == task.pk


def test_next_step_in_the_past_is_refused(world, make_lead):
    lead = make_lead()
    with pytest.raises(BusinessError) as exc:
        call_log(
            by=world.manager_north,
            lead=lead,
            outcome=Outcome.REACHED,
            next_step=NextStep(due_at=timezone.now() - dt.timedelta(hours=1), subject="Call"),
        )
    assert "next_step_at" in exc.value.errors


def test_no_next_step_with_a_reason_is_accepted_and_kept(world, make_lead):
    lead = make_lead()
    logged = meeting_log(
        by=world.manager_north,
        lead=lead,
        outcome=Outcome.HELD,
        next_step=NextStep(no_next_step_reason="They decide in spring, they will call us"),
    )
    assert logged.next_step is None
    assert logged.activity.details["no_next_step_reason"].startswith("They decide")


def test_closed_records_are_exempt_from_the_next_step_rule(world, make_lead, records):
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.REFUSED)
    lead.refresh_from_db()
    assert call_log(by=world.manager_north, lead=lead, outcome=Outcome.REACHED).next_step is None
    deal = records["deal"]
    reason = LostReason.objects.first()
    deal_services.deal_lose(by=world.manager_north, deal=deal, reason=reason)
    deal.refresh_from_db()
    assert meeting_log(by=world.manager_north, deal=deal, outcome=Outcome.HELD).next_step is None


def test_open_deal_needs_a_next_step(world, records):
    with pytest.raises(BusinessError):
        meeting_log(by=world.manager_north, deal=records["deal"], outcome=Outcome.HELD)


def test_promises_become_tasks_with_their_deadlines(world, records):
    at = timezone.now() - dt.timedelta(minutes=5)
    logged = call_log(
        by=world.manager_north,
        contact=records["ioana"],
        deal=records["deal"],
        outcome=Outcome.REACHED,
        occurred_at=at,
        next_step=NextStep(due_at=soon(72), subject="Negotiate the price"),
        promises=[
            Promise(title="Call back with the stock", due_in_minutes=120),
            Promise(title="Send the price list", due_at=soon(5)),
        ],
    )
    stock, prices = sorted(logged.promises, key=lambda t: t.due_at)
    assert stock.kind == TaskKind.PROMISE and stock.due_at == at + dt.timedelta(hours=2)
    assert stock.deal == records["deal"] and stock.contact == records["ioana"]
    assert stock.source_activity == logged.activity
    assert prices.title == "Send the price list"


def test_a_promise_without_deadline_is_refused(world, records):
    with pytest.raises(BusinessError) as exc:
        call_log(
            by=world.manager_north,
            deal=records["deal"],
            outcome=Outcome.REACHED,
            next_step=NextStep(due_at=soon(), subject="x"),
            promises=[Promise(title="Send it")],
        )
    assert "promises.0.due_at" in exc.value.errors
    assert not Activity.objects.exists()


def test_first_reached_call_stops_the_leads_clock_but_no_answer_does_not(world, make_lead):
    lead = make_lead()
    assert ResponseClock.objects.filter(lead=lead, stopped_at__isnull=True).exists()
    call_log(
        by=world.manager_north,
        lead=lead,
        outcome=Outcome.NO_ANSWER,
        next_step=NextStep(due_at=soon(2), subject="Call again"),
    )
    assert ResponseClock.objects.filter(lead=lead, stopped_at__isnull=True).exists()
    call_log(
        by=world.manager_north,
        lead=lead,
        outcome=Outcome.REACHED,
        next_step=NextStep(due_at=soon(24), subject="Send offer"),
    )
    clock = ResponseClock.objects.get(lead=lead)
    assert clock.stopped_at is not None


def test_outbound_email_stops_the_clock_and_inbound_does_not(world, make_lead):
    lead = make_lead()
    activity_log(by=None, kind=ActivityKind.EMAIL, direction=Direction.IN, lead=lead)
    assert ResponseClock.objects.filter(lead=lead, stopped_at__isnull=True).exists()
    activity_log(by=None, kind=ActivityKind.EMAIL, direction=Direction.OUT, lead=lead)
    assert not ResponseClock.objects.filter(lead=lead, stopped_at__isnull=True).exists()


def test_contact_with_a_client_moves_its_last_contact_and_a_note_does_not(world, records):
    """A client's status (new / active / passive) follows the last time we were in touch: a call
    that reached someone, a meeting, an e-mail either way — not a note or an unanswered call."""
    from clientela.clients.models import Client

    client = records["north"]
    long_ago = timezone.now() - dt.timedelta(days=300)
    Client.objects.filter(pk=client.pk).update(last_contact_at=long_ago, last_activity_at=None)

    def last_contact():
        client.refresh_from_db()
        return client.last_contact_at

    activity_log(by=world.manager_north, kind=ActivityKind.NOTE, client=client, body="Budget in May")
    call_log(
        by=world.manager_north,
        contact=records["ioana"],
        outcome=Outcome.NO_ANSWER,
        next_step=NextStep(due_at=soon(2), subject="Call again"),
    )
    assert last_contact() == long_ago
    activity_log(by=None, kind=ActivityKind.EMAIL, direction=Direction.IN, contact=records["ioana"])
    assert timezone.now() - last_contact() < dt.timedelta(minutes=1)
    assert client.last_activity_at is not None


def test_task_create_defaults_and_validation(world, records):
    task = task_create(by=world.manager_north, title="Prepare offer", due_at=soon(), deal=records["deal"])
    assert task.assignee == world.manager_north and task.team == world.north
    assert task.client == records["north"]
    with pytest.raises(BusinessError) as exc:
        task_create(by=world.manager_north, title=" ", due_at=soon())
    assert "title" in exc.value.errors
    with pytest.raises(BusinessError) as exc:
        task_create(by=world.manager_north, title="x", due_at=soon(), assignee=world.manager_south)
    assert "assignee" in exc.value.errors


def test_completing_a_call_task_needs_a_next_step(world, make_lead):
    lead = make_lead()
    task = task_create(by=world.manager_north, title="Call", due_at=soon(), kind=TaskKind.CALL, lead=lead)
    with pytest.raises(BusinessError) as exc:
        task_complete(by=world.manager_north, task=task)
    assert "next_step_at" in exc.value.errors
    task.refresh_from_db()
    assert task.done_at is None
    done = task_complete(
        by=world.manager_north,
        task=task,
        next_step=NextStep(due_at=soon(30), subject="Meeting in the office"),
    )
    assert done.task.done_at is not None and done.task.done_by == world.manager_north
    assert done.next_step is not None and done.next_step.lead == lead
    with pytest.raises(BusinessError):
        task_complete(by=world.manager_north, task=task)


def test_plain_task_completes_without_next_step(world, records):
    task = task_create(by=world.manager_north, title="Print brochures", due_at=soon(), deal=records["deal"])
    assert task_complete(by=world.manager_north, task=task).next_step is None


def test_completing_a_recurring_task_creates_the_next_occurrence_once(world):
    due = timezone.make_aware(dt.datetime(2026, 1, 31, 9, 0))
    task = task_create(
        by=world.manager_north,
        title="Monthly report",
        due_at=due,
        reminder_at=due - dt.timedelta(hours=1),
        recurrence=Recurrence.MONTHLY,
        recurrence_until=dt.date(2026, 4, 30),
    )
    nxt = task_complete(by=world.manager_north, task=task).next_occurrence
    assert nxt is not None
    assert timezone.localtime(nxt.due_at).date() == dt.date(2026, 3, 31), "rrule skips February 31st"
    assert nxt.reminder_at == nxt.due_at - dt.timedelta(hours=1)
    assert nxt.previous == task and nxt.assignee == world.manager_north
    task_reopen(by=world.manager_north, task=task)
    task.refresh_from_db()
    assert task_complete(by=world.manager_north, task=task).next_occurrence is None, "only once"
    last = task_complete(by=world.manager_north, task=nxt).next_occurrence
    assert last is None, "April 31st does not exist and May is after the end"


def test_weekly_every_two_weeks(world):
    due = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    task = task_create(
        by=world.manager_north,
        title="Pipeline review",
        due_at=due,
        recurrence=Recurrence.WEEKLY,
        recurrence_interval=2,
    )
    assert next_due(task) == due + dt.timedelta(days=14)


def test_reassign_notifies_both(world):
    task = task_create(by=world.head_north, title="Visit", due_at=soon(), assignee=world.manager_north)
    task_reassign(by=world.head_north, task=task, assignee=world.manager_north2)
    task.refresh_from_db()
    assert task.assignee == world.manager_north2
    assert Notification.objects.filter(user=world.manager_north2, verb="task_assigned").exists()
    assert Notification.objects.filter(user=world.manager_north, verb="task_reassigned").exists()


def test_a_manager_cannot_touch_another_managers_task(world):
    task = task_create(by=world.manager_north2, title="Mine", due_at=soon())
    with pytest.raises(PermissionDeniedError):
        task_update(by=world.manager_north, task=task, data={"title": "Hijacked"})
    with pytest.raises(PermissionDeniedError):
        task_complete(by=world.manager_north, task=task)


def test_task_update_audits_and_rejects_unknown_fields(world):
    task = task_create(by=world.manager_north, title="Offer", due_at=soon())
    task_update(by=world.manager_north, task=task, data={"title": "Offer v2"})
    assert AuditEntry.objects.filter(object_id=str(task.pk), action="update").exists()
    with pytest.raises(BusinessError) as exc:
        task_update(by=world.manager_north, task=task, data={"assignee": world.admin})
    assert "assignee" in exc.value.errors


def test_summary_url_prefills_compose_or_is_empty(world, records):
    logged = call_log(
        by=world.manager_north,
        contact=records["ioana"],
        outcome=Outcome.REACHED,
        body="Agreed on 10 licences",
        next_step=NextStep(due_at=soon(), subject="Send contract"),
    )
    url = summary_compose_url(logged.activity)
    if url:  # the mail app's compose page is there
        assert "to=ioana%40stefan.example" in url and f"contact={records['ioana'].pk}" in url
    subject, body = _summary_text(logged.activity)
    assert subject
    assert "10 licences" in body and "Send contract" in body
    assert Task.objects.filter(kind=TaskKind.NEXT_STEP).count() == 1
