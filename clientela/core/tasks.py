"""The one background-work interface every app uses.

Jobs are django-tasks `@task` functions (Django's Tasks API). They are:

* **enqueued on commit** — `enqueue_on_commit(job, ...)` inside a service, so a job never runs for
  a change that was rolled back, and never before the change is visible to the worker;
* **thin** — they take ids, load records and call a service;
* **idempotent** — a job whose effect must happen once claims a key with `run_once`, in the same
  transaction as its effect; a retried or re-delivered job then does nothing.

The embedded deployment runs them with the database-backed backend and the worker that
`clientela serve` starts beside the web server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from clientela.core.models import CompletedJob


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
