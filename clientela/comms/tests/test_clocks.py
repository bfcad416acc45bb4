"""Response clocks: start, breach, escalation, acknowledgement, stop and the sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from clientela.comms import clocks, team_settings
from clientela.comms.choices import ClockKind, StopReason
from clientela.comms.models import ResponseClock
from clientela.comms.tests.conftest import local
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.models import Notification
from clientela.leads.models import Lead

pytestmark = pytest.mark.django_db

MONDAY_10 = local(2025, 3, 3, 10, 0)


def notes(user, verb):
    return list(Notification.objects.filter(user=user, verb=verb).values_list("text", flat=True))


def test_default_lead_gets_two_business_hours_and_a_one_hour_target(world, make_lead):
    lead = make_lead()
    clock = clocks.clock_start_first_response(lead=lead, at=MONDAY_10)
    assert clock.kind == ClockKind.FIRST_RESPONSE
    assert (clock.owner, clock.team, clock.lead) == (world.manager_north, world.north, lead)
    assert clock.budget_minutes == 120
    assert clock.due_at == local(2025, 3, 3, 12, 0)
    assert clock.target_at == local(2025, 3, 3, 11, 0)
    assert history_for(clock).filter(action="create").exists()


def test_hot_lead_gets_fifteen_minutes(make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(temperature="hot"), at=MONDAY_10)
    assert clock.budget_minutes == 15
    assert clock.due_at == local(2025, 3, 3, 10, 15)
    assert clock.target_at == clock.due_at, "the target is never later than the budget"


def test_a_lead_arriving_after_hours_is_due_next_working_morning(make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=local(2025, 3, 7, 17, 30))  # Friday
    assert clock.due_at == local(2025, 3, 10, 10, 30)


def test_team_policy_and_calendar_drive_the_budget(world, make_lead):
    team_settings.response_policy_update(by=world.head_north, team=world.north, data={"warm_minutes": 45})
    team_settings.holiday_add(
        by=world.head_north, team=world.north, date=dt.date(2025, 3, 3), name="Founders' day"
    )
    clock = clocks.clock_start_first_response(lead=make_lead(temperature="warm"), at=MONDAY_10)
    assert clock.budget_minutes == 45
    assert clock.due_at == local(2025, 3, 4, 9, 45), "Monday is a holiday"


def test_starting_twice_returns_the_running_clock(make_lead):
    lead = make_lead()
    first = clocks.clock_start_first_response(lead=lead, at=MONDAY_10)
    again = clocks.clock_start_first_response(lead=lead, at=MONDAY_10 + dt.timedelta(minutes=5))
    assert again.pk == first.pk
    assert ResponseClock.objects.filter(lead=lead).count() == 1


def test_the_check_is_deferred_to_the_due_moment(make_lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    job = DBTaskResult.objects.get(task_path__endswith="check_clock", args_kwargs__kwargs__clock_id=clock.pk)
    assert job.run_after == clock.due_at
    assert job.args_kwargs["kwargs"] == {"clock_id": clock.pk}


def test_breach_then_escalation_each_exactly_once(world, make_lead, django_capture_on_commit_callbacks):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)

    assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 11, 59)) == clocks.CheckResult()
    assert notes(world.manager_north, "clock_breached") == []

    with django_capture_on_commit_callbacks(execute=True):
        result = clocks.clock_check(clock=clock, now=local(2025, 3, 3, 12, 0, 30))
    assert result == clocks.CheckResult(breached=True, escalated=False)
    clock.refresh_from_db()
    assert clock.breached_at == local(2025, 3, 3, 12, 0), "the breach is dated at the deadline"
    assert clock.escalated_at is None
    assert len(notes(world.manager_north, "clock_breached")) == 1
    escalation_job = DBTaskResult.objects.get(task_path__endswith="check_clock")
    assert escalation_job.run_after == local(2025, 3, 3, 12, 30), "escalation check deferred by 30 minutes"

    for minute in (5, 10, 29):  # repeated checks before the escalation delay: nothing new
        assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 12, minute)) == clocks.CheckResult()
    assert notes(world.head_north, "clock_escalated") == []

    assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 12, 30)).escalated
    for minute in (31, 45):
        assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 13, minute)) == clocks.CheckResult()
    clock.refresh_from_db()
    assert clock.escalated_at == local(2025, 3, 3, 12, 30)
    assert len(notes(world.manager_north, "clock_breached")) == 1
    escalations = notes(world.head_north, "clock_escalated")
    assert len(escalations) == 1 and "Mara" in escalations[0]
    events = list(history_for(clock).values_list("event", flat=True))
    assert events.count("clock_breached") == 1 and events.count("clock_escalated") == 1


def test_escalation_delay_counts_business_time(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(temperature="hot"), at=local(2025, 3, 3, 17, 30))
    assert clock.due_at == local(2025, 3, 3, 17, 45)
    assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 17, 50)).breached
    assert not clocks.clock_check(clock=clock, now=local(2025, 3, 3, 23, 0)).escalated, "closed at night"
    assert clocks.clock_check(clock=clock, now=local(2025, 3, 4, 9, 15)).escalated


def test_a_late_check_breaches_and_escalates_together(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    result = clocks.clock_check(clock=clock, now=local(2025, 3, 3, 15, 0))
    assert result == clocks.CheckResult(breached=True, escalated=True)
    assert len(notes(world.manager_north, "clock_breached")) == 1
    assert len(notes(world.head_north, "clock_escalated")) == 1


def test_an_unowned_lead_goes_straight_to_the_head(world, make_lead):
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    lead.refresh_from_db()
    clock = clocks.clock_start_first_response(lead=lead, at=MONDAY_10)
    assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 12, 1)) == clocks.CheckResult(
        breached=True, escalated=True
    )
    assert len(notes(world.head_north, "clock_escalated")) == 1
    assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 14, 0)) == clocks.CheckResult()
    assert len(notes(world.head_north, "clock_escalated")) == 1


def test_a_stopped_clock_is_never_breached(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    clocks.clock_stop(clock=clock, by=world.manager_north, at=local(2025, 3, 3, 11, 30))
    clock.refresh_from_db()
    assert (clock.stop_reason, clock.stopped_by, clock.minutes_taken) == (
        StopReason.RESPONDED,
        world.manager_north,
        90,
    )
    assert clocks.clock_check(clock=clock, now=local(2025, 3, 4, 12, 0)) == clocks.CheckResult()
    assert clock.breached_at is None and not Notification.objects.filter(verb="clock_breached").exists()
    with pytest.raises(ConflictError):
        clocks.clock_stop(clock=clock, by=world.manager_north)


def test_minutes_taken_are_business_minutes(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=local(2025, 3, 7, 17, 0))  # Friday
    clocks.clock_stop(clock=clock, by=world.manager_north, at=local(2025, 3, 10, 9, 30))  # Monday
    clock.refresh_from_db()
    assert clock.minutes_taken == 90


def test_only_people_who_work_the_lead_may_stop_its_clock(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    for outsider in (world.manager_south, world.manager_north2, world.marketer_north):
        with pytest.raises(PermissionDeniedError):
            clocks.clock_stop(clock=clock, by=outsider)
    clock.refresh_from_db()
    assert clock.stopped_at is None
    clocks.clock_stop(clock=clock, by=world.head_north, at=local(2025, 3, 3, 10, 5))
    with pytest.raises(BusinessError) as caught:
        clocks.clock_stop(clock=clock, by=None, reason="bored")
    assert "reason" in caught.value.errors


def test_acknowledgement_stops_the_clock_and_starts_a_promise(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    ack = clocks.clock_acknowledge(
        clock=clock,
        by=world.manager_north,
        promised_minutes=240,
        text="Received, detailed estimate within the day",
        at=local(2025, 3, 3, 10, 20),
    )
    clock.refresh_from_db()
    assert clock.stopped_at == local(2025, 3, 3, 10, 20)
    assert (clock.stop_reason, clock.minutes_taken) == (StopReason.ACKNOWLEDGED, 20)
    promise = ack.promise
    assert promise.kind == ClockKind.PROMISE and promise.previous == clock
    assert (promise.owner, promise.lead, promise.budget_minutes) == (world.manager_north, clock.lead, 240)
    assert promise.due_at == local(2025, 3, 3, 14, 20)
    assert promise.promised_text == "Received, detailed estimate within the day"
    assert clocks.clock_check(clock=clock, now=local(2025, 3, 3, 13, 0)) == clocks.CheckResult()

    # The promise itself breaches like any clock, with the promise in the owner's alert.
    assert clocks.clock_check(clock=promise, now=local(2025, 3, 3, 14, 21)).breached
    assert "estimate" in notes(world.manager_north, "clock_breached")[0]


def test_acknowledgement_with_a_promised_time(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    ack = clocks.clock_acknowledge(
        clock=clock,
        by=world.manager_north,
        promised_until=local(2025, 3, 4, 11, 0),
        text="By tomorrow 11:00",
        at=local(2025, 3, 3, 10, 30),
    )
    assert ack.promise.due_at == local(2025, 3, 4, 11, 0)
    assert ack.promise.budget_minutes == 7 * 60 + 30 + 2 * 60


def test_acknowledgement_input_errors_are_per_field_and_change_nothing(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    now = local(2025, 3, 3, 10, 30)
    cases = [
        ({}, "promised_minutes"),
        ({"promised_minutes": 60, "promised_until": local(2025, 3, 4, 11, 0)}, "promised_until"),
        ({"promised_minutes": 0}, "promised_minutes"),
        ({"promised_until": local(2025, 3, 3, 10, 0)}, "promised_until"),
        ({"promised_until": dt.datetime(2025, 3, 4, 11, 0)}, "promised_until"),
    ]
    for kwargs, field in cases:
        with pytest.raises(BusinessError) as caught:
            clocks.clock_acknowledge(clock=clock, by=world.manager_north, at=now, **kwargs)
        assert field in caught.value.errors, kwargs
    with pytest.raises(PermissionDeniedError):
        clocks.clock_acknowledge(clock=clock, by=world.manager_south, promised_minutes=60, at=now)
    clock.refresh_from_db()
    assert clock.stopped_at is None
    assert ResponseClock.objects.filter(kind=ClockKind.PROMISE).count() == 0

    ack = clocks.clock_acknowledge(clock=clock, by=world.manager_north, promised_minutes=60, at=now)
    with pytest.raises(ConflictError):
        clocks.clock_acknowledge(clock=clock, by=world.manager_north, promised_minutes=60, at=now)
    with pytest.raises(ConflictError):
        clocks.clock_acknowledge(clock=ack.promise, by=world.manager_north, promised_minutes=60, at=now)
    assert ResponseClock.objects.filter(kind=ClockKind.PROMISE).count() == 1


def test_sweep_catches_a_missed_schedule(world, make_lead):
    # No on-commit callbacks run in this test: the deferred checks were never enqueued ("lost").
    missed = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    not_due = clocks.clock_start_first_response(lead=make_lead(), at=local(2025, 3, 3, 12, 30))
    answered = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    clocks.clock_stop(clock=answered, by=world.manager_north, at=local(2025, 3, 3, 10, 10))
    assert not DBTaskResult.objects.exists()

    assert clocks.clocks_sweep(now=local(2025, 3, 3, 12, 5)) == 1
    assert clocks.clocks_sweep(now=local(2025, 3, 3, 12, 10)) == 0, "a second sweep does nothing"
    missed.refresh_from_db()
    not_due.refresh_from_db()
    answered.refresh_from_db()
    assert missed.breached_at is not None and missed.escalated_at is None
    assert not_due.breached_at is None and answered.breached_at is None
    assert clocks.clocks_sweep(now=local(2025, 3, 3, 12, 40)) == 1  # escalation of the missed one
    assert clocks.clocks_sweep(now=local(2025, 3, 3, 15, 0)) == 2  # not_due: breach and escalation
    assert clocks.clocks_sweep(now=local(2025, 3, 3, 16, 0)) == 0
    assert len(notes(world.manager_north, "clock_breached")) == 2
    assert len(notes(world.head_north, "clock_escalated")) == 2


def test_sweep_reads_each_team_calendar_and_policy_once(world, make_lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team_settings.business_calendar_update(
        by=world.head_north, team=world.north, time_zone="Europe/Bucharest"
    )
    team_settings.response_policy_update(
        by=world.head_north, team=world.north, data={"escalation_delay_minutes": 20}
    )
    for _ in range(6):
        clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    with CaptureQueriesContext(connection) as captured:
        assert clocks.clocks_sweep(now=local(2025, 3, 3, 15, 0)) == 12
    sql = [query["sql"] for query in captured.captured_queries]
    assert sum('FROM "comms_businesscalendar"' in q for q in sql) == 1
    assert sum('FROM "comms_responsepolicy"' in q for q in sql) == 1
    # Per clock: the check's writes and audit rows, plus two notifications (each reads the
    # recipient's preference for the event).
    assert len(sql) <= 1 + 6 * 12, "a bounded number of queries per clock"


def test_stop_for_lead_and_follow_owner(world, make_lead):
    lead = make_lead()
    clock = clocks.clock_start_first_response(lead=lead, at=MONDAY_10)
    Lead.objects.filter(pk=lead.pk).update(owner=world.manager_north2)
    lead.refresh_from_db()
    assert clocks.clocks_follow_owner(lead=lead, by=world.head_north) == 1
    clock.refresh_from_db()
    assert clock.owner == world.manager_north2 and clock.due_at == local(2025, 3, 3, 12, 0)
    assert (
        clocks.clocks_stop_for_lead(
            lead=lead, by=None, reason=StopReason.CANCELLED, at=local(2025, 3, 3, 10, 40)
        )
        == 1
    )
    assert clocks.clocks_stop_for_lead(lead=lead, by=None) == 0
    clock.refresh_from_db()
    assert clock.stop_reason == StopReason.CANCELLED and clock.minutes_taken == 40
