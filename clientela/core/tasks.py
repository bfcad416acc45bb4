"""The one background-work interface every app uses.

Jobs are django-tasks `@task` functions (Django's Tasks API). They are:

* **enqueued on commit** — `enqueue_on_commit(job, ...)` inside a service, so a job never runs for
  a change that was rolled back, and never before the change is visible to the worker;
* **thin** — they take ids, load records and call a service;
* **idempotent** — a job whose effect must happen once claims a key with `run_once`, in the same
  transaction as its effect; a retried or re-delivered job then does nothing;
* **durable** — `@durable_task` retries a failing job with exponential backoff (deferred with
  `run_after`, which both backends honour) and, after the last attempt, records a `FailedJob`
  that admins see and can retry; nothing is silently lost.

The embedded deployment runs them with the database-backed backend and the worker that
`clientela serve` starts beside the web server.

Faults of the queue itself:

* **Redis down** (scale-out deployment) — every enqueue path (`enqueue_on_commit`, `enqueue_now`,
  retries, the scheduler, and any `job.enqueue()` when the backend is `ResilientRQBackend`) keeps
  a job it cannot hand to Redis in the `TaskOutbox` table instead of failing the request;
  `outbox_drain` (run by every `clientela scheduler` tick) delivers the rows in order once Redis
  answers again, each under its own job id, so a row is delivered exactly once.
* **A worker killed mid-job** (database queue) — its job stays RUNNING; `stale_jobs_requeue` (also
  run by the scheduler) puts jobs RUNNING longer than `TASK_STALE_AFTER_SECONDS` back to READY.
  Jobs are idempotent (`run_once`), so the re-run does not double their effects.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_rq.backend import RQBackend

from clientela.core.models import CompletedJob, FailedJob, TaskOutbox

log = logging.getLogger(__name__)

# How long a database-queue job may stay RUNNING before it is taken for a dead worker's.
DEFAULT_STALE_AFTER_SECONDS = 3600


def queue_down_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the queue server cannot be reached" (not "the job is wrong")."""
    import redis.exceptions

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError)


def outbox_store(
    job: Any, args: Any, kwargs: dict[str, Any], *, error: BaseException | None = None
) -> TaskOutbox:
    """Keep a job the queue could not take, to be delivered by `outbox_drain`."""
    row = TaskOutbox.objects.create(
        job_id=get_random_id(),
        task_path=job.module_path,
        queue_name=job.queue_name,
        priority=job.priority,
        run_after=job.run_after,
        args=list(args),
        kwargs=dict(kwargs),
        last_error=str(error or "")[:2000],
    )
    log.warning(
        "Queue unavailable; job %s kept in the outbox as %s: %s", row.task_path, row.job_id, error or ""
    )
    return row


def _outbox_result(job: Any, row: TaskOutbox, args: Any, kwargs: dict[str, Any], alias: str) -> TaskResult:
    return TaskResult(
        task=job,
        id=row.job_id,
        status=TaskResultStatus.READY,
        enqueued_at=None,
        started_at=None,
        last_attempted_at=None,
        finished_at=None,
        args=list(args),
        kwargs=dict(kwargs),
        backend=alias,
        errors=[],
        worker_ids=[],
    )


# After a failed attempt, this process sends jobs straight to the outbox for a few seconds instead of
# making every request wait for Redis's connection timeout again.
QUEUE_DOWN_PAUSE_SECONDS = 5.0
_queue_down_until = 0.0


def _mark_queue_down() -> None:
    global _queue_down_until
    _queue_down_until = time.monotonic() + QUEUE_DOWN_PAUSE_SECONDS


def _mark_queue_up() -> None:
    global _queue_down_until
    _queue_down_until = 0.0


def _must_wait_in_outbox(backend: Any) -> bool:
    """Redis jobs wait in the outbox while Redis is known to be down, and while older jobs wait
    there (so jobs reach the queue in the order they were made)."""
    if not isinstance(backend, RQBackend):
        return False
    return time.monotonic() < _queue_down_until or TaskOutbox.objects.exists()


def enqueue_now(job: Any, *args: Any, **kwargs: Any) -> Any:
    """Enqueue `job` now; when the queue server is unreachable, keep it in the outbox instead."""
    from django_tasks import task_backends

    backend = task_backends[job.backend]
    if isinstance(backend, ResilientRQBackend):
        return job.enqueue(*args, **kwargs)  # the backend itself falls back to the outbox
    if _must_wait_in_outbox(backend):
        row = outbox_store(job, args, kwargs)
        return _outbox_result(job, row, args, kwargs, job.backend)
    try:
        return job.enqueue(*args, **kwargs)
    except queue_down_errors() as exc:
        _mark_queue_down()
        row = outbox_store(job, args, kwargs, error=exc)
        return _outbox_result(job, row, args, kwargs, job.backend)


def enqueue_on_commit(job: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `job` once the surrounding transaction commits (at once outside a transaction).

    Never fails the request because the queue is down: the job then waits in the outbox.
    """
    transaction.on_commit(lambda: enqueue_now(job, *args, **kwargs))


class ResilientRQBackend(RQBackend):
    """The RQ backend, except that a job Redis cannot take goes to the outbox instead of raising.

    Configure it as the Redis task backend so that *every* `job.enqueue()` is covered.
    """

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        if _must_wait_in_outbox(self):
            row = outbox_store(task, args, kwargs)
            return _outbox_result(task, row, args, kwargs, self.alias)
        try:
            return super().enqueue(task, args, kwargs)
        except queue_down_errors() as exc:
            _mark_queue_down()
            row = outbox_store(task, args, kwargs, error=exc)
            return _outbox_result(task, row, args, kwargs, self.alias)


def _deliver_to_rq(job: Any, row: TaskOutbox) -> None:
    """Hand one outbox row to RQ under the row's own job id (nothing when that id is there already)."""
    import django_rq
    from django_tasks_rq.backend import Callback, Job, failed_callback, success_callback
    from rq.job import JobStatus

    queue = django_rq.get_queue(row.queue_name, job_class=Job)
    if Job.exists(row.job_id, connection=queue.connection):
        return  # delivered before a crash kept the row: exactly once
    run_after = row.run_after if row.run_after and row.run_after > timezone.now() else None
    rq_job = queue.create_job(
        row.task_path,
        args=row.args,
        kwargs=row.kwargs,
        job_id=row.job_id,
        status=JobStatus.SCHEDULED if run_after else JobStatus.QUEUED,
        on_failure=Callback(failed_callback),
        on_success=Callback(success_callback),
        meta={"backend_name": job.backend},
    )
    if run_after is None:
        queue.enqueue_job(rq_job)
    else:
        queue.schedule_job(rq_job, run_after)


def outbox_drain(*, limit: int = 1000) -> int:
    """Deliver the jobs waiting in the outbox, oldest first; stop at the first sign Redis is still down.

    Safe to run from several processes: each row is locked while it is delivered and deleted in
    the same transaction, and delivery is keyed by the row's job id. Returns how many were delivered.
    """
    from django_tasks import task_backends

    delivered = 0
    for seq in list(TaskOutbox.objects.order_by("seq").values_list("seq", flat=True)[:limit]):
        with transaction.atomic():
            row = TaskOutbox.objects.select_for_update(skip_locked=True).filter(seq=seq).first()
            if row is None:
                continue
            job = import_string(row.task_path).using(queue_name=row.queue_name, priority=row.priority)
            try:
                if isinstance(task_backends[job.backend], RQBackend):
                    _deliver_to_rq(job, row)
                else:
                    job.using(run_after=row.run_after).enqueue(*row.args, **row.kwargs)
            except queue_down_errors() as exc:
                _mark_queue_down()
                TaskOutbox.objects.filter(seq=row.seq).update(
                    attempts=F("attempts") + 1, last_error=str(exc)[:2000]
                )
                return delivered
            row.delete()
            delivered += 1
    _mark_queue_up()
    if delivered:
        log.info("Delivered %s job(s) from the outbox", delivered)
    return delivered


def stale_jobs_requeue(*, now: dt.datetime | None = None, older_than: dt.timedelta | None = None) -> int:
    """Database queue: put jobs a dead worker left RUNNING (longer than the timeout) back to READY.

    Returns how many were requeued. Jobs must be idempotent: one may have partly run.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    timeout = older_than or dt.timedelta(
        seconds=getattr(settings, "TASK_STALE_AFTER_SECONDS", DEFAULT_STALE_AFTER_SECONDS)
    )
    requeued = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - timeout
    ).update(status=TaskResultStatus.READY, started_at=None)
    if requeued:
        log.warning("Requeued %s job(s) left running by a stopped worker", requeued)
    return requeued


def run_once(key: str, effect: Callable[[], Any]) -> bool:
    """Run `effect` unless a job with `key` already completed. Returns whether it ran.

    The key is claimed in the same transaction as the effect's database writes, so a crash
    before commit leaves the key free for the retry, and a duplicate run after commit is skipped.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                CompletedJob.objects.create(key=key)
        except IntegrityError:
            return False
        effect()
    return True


def retry_delay(attempt: int, base_seconds: int | None = None) -> dt.timedelta:
    """Backoff before attempt `attempt + 1`: base, 2×base, 4×base … capped at six hours."""
    base = settings.TASK_RETRY_BASE_SECONDS if base_seconds is None else base_seconds
    return dt.timedelta(seconds=min(base * 2 ** (attempt - 1), 6 * 3600))


def durable_task(
    *, queue_name: str = "default", retries: int | None = None
) -> Callable[[Callable[..., Any]], Any]:
    """Like django-tasks' `@task`, plus retries with backoff and a failed-jobs record.

    The job function must be idempotent (see `run_once`): a retry may follow a partial run.
    """

    def decorate(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def runner(*args: Any, _attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                limit = settings.TASK_RETRIES if retries is None else retries
                path = f"{func.__module__}.{func.__qualname__}"
                if _attempt < limit:
                    delay = retry_delay(_attempt)
                    log.warning(
                        "Job %s failed (attempt %s/%s), retrying in %s: %s", path, _attempt, limit, delay, exc
                    )
                    enqueue_now(
                        wrapped.using(run_after=timezone.now() + delay),
                        *args,
                        _attempt=_attempt + 1,
                        **kwargs,
                    )
                else:
                    log.error("Job %s failed for good after %s attempts: %s", path, _attempt, exc)
                    FailedJob.objects.create(
                        task_path=path,
                        args=list(args),
                        kwargs=kwargs,
                        attempts=_attempt,
                        error="".join(traceback.format_exception(exc))[-8000:],
                    )
                raise

        wrapped = task(queue_name=queue_name)(runner)
        return wrapped

    return decorate


def failed_job_retry(*, failed: FailedJob) -> None:
    """Enqueue a failed job again from its first attempt."""
    job = import_string(failed.task_path)
    with transaction.atomic():
        FailedJob.objects.filter(pk=failed.pk).update(retried_at=timezone.now())
        enqueue_on_commit(job, *failed.args, **failed.kwargs)
