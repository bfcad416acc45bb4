"""Periodic jobs, declared in code, enqueued by the scheduler that `clientela serve` runs.

Each app registers its sweeps on `PERIODIC_JOBS` (a `core.hooks.Hook`) from its
`AppConfig.ready()`: `PERIODIC_JOBS.register(Periodic(sweep_clocks, dt.timedelta(minutes=5)))`.
Time-based rules are scheduled as deferred jobs at their due time (`task.using(run_after=…)`);
these periodic sweeps are the safety net that catches anything a missed schedule left behind.
A job is enqueued at most once per interval across all scheduler processes (the row update
is conditional on the last run time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clientela.core.hooks import Hook
from clientela.core.models import PeriodicRun
from clientela.core.tasks import enqueue_now


@dataclass(frozen=True)
class Periodic:
    task: Any  # a django-tasks @task
    every: dt.timedelta

    @property
    def task_path(self) -> str:
        """ "module.function" of the task: the name its last run is kept under."""
        return str(self.task.module_path)


PERIODIC_JOBS: Hook[Any] = Hook("core.periodic_jobs")


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose interval has passed. Returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in PERIODIC_JOBS:
        with transaction.atomic():
            run = PeriodicRun.objects.filter(name=job.task_path).first()
            if run is None:
                try:
                    with transaction.atomic():
                        PeriodicRun.objects.create(name=job.task_path, last_enqueued_at=now)
                except IntegrityError:
                    continue
            else:
                claimed = PeriodicRun.objects.filter(
                    pk=run.pk, last_enqueued_at=run.last_enqueued_at, last_enqueued_at__lte=now - job.every
                ).update(last_enqueued_at=now)
                if not claimed:
                    continue
            enqueue_now(job.task)
            enqueued.append(job.task_path)
    return enqueued
