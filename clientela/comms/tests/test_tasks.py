"""The clock jobs run by a real worker: the deferred check and the periodic sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.comms import clocks, team_settings
from clientela.comms.models import ResponseClock
from clientela.core.models import Notification


def run_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_deferred_check_and_records_the_breach(world, make_lead):
    lead = make_lead()
    DBTaskResult.objects.all().delete()
    # A clock started a week ago (24/7 calendar so it is due whatever day the test runs).
    team_settings.business_calendar_update(
        by=world.admin,
        team=world.north,
        weekly_hours={day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    clock = clocks.clock_start_first_response(lead=lead, at=timezone.now() - dt.timedelta(days=7))
    job = DBTaskResult.objects.get(task_path="clientela.comms.tasks.check_clock")
    assert job.run_after == clock.due_at
    run_worker()
    clock.refresh_from_db()
    assert clock.breached_at == clock.due_at
    assert clock.escalated_at is not None, "long past the escalation delay too"
    assert Notification.objects.filter(user=world.manager_north, verb="clock_breached").count() == 1
    assert Notification.objects.filter(user=world.head_north, verb="clock_escalated").count() == 1
    assert DBTaskResult.objects.get(pk=job.pk).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_a_check_for_a_future_deadline_waits(world, make_lead):
    lead = make_lead()
    DBTaskResult.objects.all().delete()
    clock = clocks.clock_start_first_response(lead=lead, at=timezone.now() + dt.timedelta(days=30))
    run_worker()
    assert DBTaskResult.objects.get(task_path="clientela.comms.tasks.check_clock").status == "READY"
    clock.refresh_from_db()
    assert clock.breached_at is None


@pytest.mark.django_db(transaction=True)
def test_the_sweep_job_catches_clocks_whose_check_was_lost(world, make_lead):
    lead = make_lead()
    clock = clocks.clock_start_first_response(lead=lead, at=timezone.now() - dt.timedelta(days=10))
    DBTaskResult.objects.all().delete()  # the deferred check is lost
    from clientela.comms.tasks import sweep_clocks

    sweep_clocks.enqueue()
    run_worker()
    clock.refresh_from_db()
    assert clock.breached_at is not None and clock.escalated_at is not None
    assert ResponseClock.objects.filter(breached_at__isnull=False).count() == 1
