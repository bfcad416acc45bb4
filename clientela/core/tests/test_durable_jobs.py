"""Retries with backoff and the failed-jobs list, on the database queue and on real Redis workers."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command

from clientela.core.models import CompletedJob, FailedJob
from clientela.core.tasks import enqueue_on_commit, failed_job_retry, retry_delay
from clientela.core.tests.jobs import flaky


def attempts(key: str) -> int:
    return CompletedJob.objects.filter(key__startswith=f"{key}:attempt").count()


def done(key: str) -> bool:
    return CompletedJob.objects.filter(key=f"{key}:done").exists()


def run_db_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


def test_backoff_doubles_and_is_capped(settings):
    settings.TASK_RETRY_BASE_SECONDS = 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30).total_seconds() == 6 * 3600


@pytest.mark.django_db(transaction=True)
def test_failing_job_is_retried_until_it_succeeds(settings):
    settings.TASK_RETRY_BASE_SECONDS = 0
    flaky.enqueue(key="a", failures=2)
    run_db_worker()
    assert attempts("a") == 3 and done("a")
    assert not FailedJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_retry_is_deferred_by_the_backoff(settings):
    settings.TASK_RETRY_BASE_SECONDS = 3600
    flaky.enqueue(key="b", failures=1)
    run_db_worker()
    assert attempts("b") == 1 and not done("b"), "the retry waits for its backoff"
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY").get()
    assert waiting.run_after is not None
    assert waiting.args_kwargs["kwargs"]["_attempt"] == 2


@pytest.mark.django_db(transaction=True)
def test_job_failing_every_attempt_lands_in_failed_jobs_and_can_be_retried(settings):
    settings.TASK_RETRY_BASE_SECONDS = 0
    flaky.enqueue(key="c", failures=10)
    run_db_worker()
    failed = FailedJob.objects.get()
    assert (failed.attempts, failed.kwargs) == (3, {"key": "c", "failures": 10})
    assert "temporary failure 3" in failed.error
    failed_job_retry(failed=failed)
    run_db_worker()
    assert attempts("c") == 6
    failed.refresh_from_db()
    assert failed.retried_at is not None


@pytest.fixture
def redis_backend(settings):
    url = os.environ.get("CLIENTELA_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CLIENTELA_TEST_REDIS_URL must point to the Redis server ./test starts")
        pytest.skip("no Redis server (./test starts one when redis-server is installed)")
    import django_rq

    # django-tasks resets its backends when the TASKS setting changes.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES}}
    settings.RQ_QUEUES = {name: {"URL": url} for name in settings.TASK_QUEUES}
    for name in settings.TASK_QUEUES:
        django_rq.get_queue(name).connection.flushdb()
    yield url
    for name in settings.TASK_QUEUES:
        django_rq.get_queue(name).connection.flushdb()


def run_rq_worker(rounds: int = 6) -> None:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.worker import SimpleWorker

    for _ in range(rounds):
        worker = django_rq.get_worker("default", "email", job_class=Job, worker_class=SimpleWorker)
        worker.work(burst=True, with_scheduler=True)


@pytest.mark.django_db(transaction=True)
def test_redis_worker_runs_jobs_enqueued_on_commit(redis_backend, settings):
    from django.db import transaction

    settings.TASK_RETRY_BASE_SECONDS = 0
    with transaction.atomic():
        enqueue_on_commit(flaky, key="r", failures=0)
    run_rq_worker(rounds=1)
    assert done("r") and attempts("r") == 1


@pytest.mark.django_db(transaction=True)
def test_redis_worker_retries_and_records_final_failure(redis_backend, settings):
    settings.TASK_RETRY_BASE_SECONDS = 0
    flaky.enqueue(key="s", failures=1)
    flaky.enqueue(key="t", failures=10)
    run_rq_worker()
    assert done("s") and attempts("s") == 2
    assert FailedJob.objects.get().kwargs["key"] == "t"
    assert attempts("t") == 3


def test_failed_jobs_page_is_for_admins_and_retries(client, world, settings):
    from clientela.conftest import login

    job = FailedJob.objects.create(
        task_path="clientela.core.tests.jobs.flaky",
        kwargs={"key": "p", "failures": 0},
        attempts=3,
        error="RuntimeError: boom",
    )
    assert login(client, world.manager_north).get("/settings/jobs/failed/").status_code == 403
    login(client, world.admin)
    assert "RuntimeError: boom" in client.get("/settings/jobs/failed/").content.decode()
    response = client.post("/settings/jobs/failed/", {"job": job.pk})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.retried_at is not None
