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
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from clientela.core.models import CompletedJob, FailedJob

log = logging.getLogger(__name__)


def enqueue_on_commit(job: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `job` once the surrounding transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: job.enqueue(*args, **kwargs))


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
                    wrapped.using(run_after=timezone.now() + delay).enqueue(
                        *args, _attempt=_attempt + 1, **kwargs
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
    from django.utils.module_loading import import_string

    job = import_string(failed.task_path)
    with transaction.atomic():
        FailedJob.objects.filter(pk=failed.pk).update(retried_at=timezone.now())
        enqueue_on_commit(job, *failed.args, **failed.kwargs)
