"""Task reminders: a deferred job at the reminder moment, a sweep as the safety net, never twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.activities.models import Task
from clientela.activities.services.reminders import reminders_sweep, task_remind
from clientela.activities.services.task import task_complete, task_create, task_update
from clientela.core.models import Notification
from clientela.core.periodic import PERIODIC_JOBS


def run_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


def reminders(user) -> int:
    return Notification.objects.filter(user=user, verb="task_reminder").count()


@pytest.mark.django_db(transaction=True)
def test_the_deferred_job_reminds_once_at_its_moment(world):
    DBTaskResult.objects.all().delete()
    now = timezone.now()
    task = task_create(
        by=world.manager_north, title="Call Ioana", due_at=now + dt.timedelta(hours=1), reminder_at=now
    )
    job = DBTaskResult.objects.get(task_path="clientela.activities.tasks.send_task_reminder")
    assert job.run_after == task.reminder_at
    run_worker()
    task.refresh_from_db()
    assert task.reminded_at is not None
    assert reminders(world.manager_north) == 1
    # A re-delivered job and the sweep change nothing.
    assert task_remind(task_id=task.pk, reminder_at=task.reminder_at.isoformat()) is False
    assert reminders_sweep() == 0
    assert reminders(world.manager_north) == 1


@pytest.mark.django_db(transaction=True)
def test_a_future_reminder_waits(world):
    DBTaskResult.objects.all().delete()
    later = timezone.now() + dt.timedelta(days=2)
    task_create(by=world.manager_north, title="Later", due_at=later, reminder_at=later)
    run_worker()
    assert (
        DBTaskResult.objects.get(task_path="clientela.activities.tasks.send_task_reminder").status == "READY"
    )
    assert reminders(world.manager_north) == 0


@pytest.mark.django_db
def test_the_sweep_catches_a_lost_job_and_skips_done_tasks(world):
    past = timezone.now() - dt.timedelta(minutes=10)
    lost = task_create(by=world.manager_north, title="Lost job", due_at=timezone.now(), reminder_at=past)
    done = task_create(by=world.manager_north, title="Done", due_at=timezone.now(), reminder_at=past)
    task_complete(by=world.manager_north, task=done)
    assert reminders_sweep() == 1
    assert reminders_sweep() == 0
    lost.refresh_from_db()
    assert lost.reminded_at is not None
    assert reminders(world.manager_north) == 1


@pytest.mark.django_db
def test_moving_the_reminder_reminds_again_and_the_old_job_is_void(world):
    now = timezone.now()
    task = task_create(
        by=world.manager_north, title="Offer", due_at=now + dt.timedelta(days=1), reminder_at=now
    )
    old_moment = task.reminder_at.isoformat()
    assert task_remind(task_id=task.pk, reminder_at=old_moment)
    new_moment = now + dt.timedelta(minutes=1)
    task_update(by=world.manager_north, task=task, data={"reminder_at": new_moment})
    task.refresh_from_db()
    assert task.reminded_at is None
    assert not task_remind(task_id=task.pk, reminder_at=old_moment, now=now + dt.timedelta(minutes=2))
    assert task_remind(task_id=task.pk, reminder_at=new_moment.isoformat(), now=now + dt.timedelta(minutes=2))
    assert reminders(world.manager_north) == 2


def test_the_sweeps_are_periodic_jobs():
    paths = {job.task_path for job in PERIODIC_JOBS}
    assert {
        "clientela.activities.tasks.sweep_reminders",
        "clientela.activities.tasks.sweep_keep_alive",
    } <= paths


@pytest.mark.django_db
def test_overdue_tasks_are_listed_as_overdue(world, client):
    from clientela.conftest import login

    Task.objects.all().delete()
    task_create(by=world.manager_north, title="Late one", due_at=timezone.now() - dt.timedelta(hours=3))
    task_create(by=world.manager_north, title="Next week", due_at=timezone.now() + dt.timedelta(days=7))
    login(client, world.manager_north)
    page = client.get("/tasks/?status=overdue").content.decode()
    assert "Late one" in page and "Next week" not in page
