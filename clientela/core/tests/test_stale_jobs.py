"""A worker killed mid-job leaves it RUNNING: the reaper puts it back, and the idempotent job
does not double its effect when it runs again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.core.models import CompletedJob
from clientela.core.tasks import stale_jobs_requeue
from clientela.core.tests.jobs import record_once


def run_db_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


@pytest.mark.django_db(transaction=True)
def test_a_job_left_running_by_a_dead_worker_is_requeued_and_runs_its_effect_once():
    result = record_once.enqueue(key="stale")
    # The worker claimed the job, committed its effect, and was killed before marking it done.
    record_once.call(key="stale")
    started = timezone.now() - dt.timedelta(hours=2)
    DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", started_at=started)
    fresh = record_once.enqueue(key="fresh")
    DBTaskResult.objects.filter(pk=fresh.id).update(status="RUNNING", started_at=timezone.now())

    assert stale_jobs_requeue(older_than=dt.timedelta(hours=1)) == 1, (
        "a job running for a short while is left alone"
    )
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    run_db_worker()
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert CompletedJob.objects.filter(key="effect:stale").count() == 1
    assert CompletedJob.objects.filter(key="effect-count:stale:2").exists() is False, (
        "the effect did not run twice"
    )
    assert DBTaskResult.objects.get(pk=fresh.id).status == "RUNNING"


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_tick_requeues_stale_jobs(settings):
    settings.TASK_STALE_AFTER_SECONDS = 60
    result = record_once.enqueue(key="tick")
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    call_command("scheduler", "--once", verbosity=0)
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
