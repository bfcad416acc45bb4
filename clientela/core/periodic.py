"""Periodic jobs, declared in code, enqueued by the scheduler that `clientela serve` runs.

Time-based rules are scheduled as deferred jobs at their due time (`task.using(run_after=…)`);
these periodic sweeps are the safety net that catches anything a missed schedule left behind.
A job is enqueued at most once per interval across all scheduler processes (the row update
is conditional on the last run time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module

from django.db import IntegrityError, transaction
from django.utils import timezone

from clientela.core.models import PeriodicRun
from clientela.core.tasks import enqueue_now


@dataclass(frozen=True)
class Periodic:
    task_path: str  # "module.attribute" of a django-tasks @task
    every: dt.timedelta


PERIODIC_JOBS: list[Periodic] = [
    Periodic("clientela.leads.tasks.return_postponed_leads", dt.timedelta(minutes=30)),
    Periodic("clientela.comms.tasks.sweep_clocks", dt.timedelta(minutes=5)),
    Periodic("clientela.comms.tasks.send_notification_digests", dt.timedelta(minutes=10)),
    Periodic("clientela.leads.scoring.rescore_open_leads", dt.timedelta(hours=24)),
    Periodic("clientela.deals.tasks.notify_overdue_receivables", dt.timedelta(hours=24)),
    Periodic("clientela.mail.imap.poll_mailbox", import_module("clientela.mail.imap").POLL_EVERY),
    Periodic("clientela.activities.tasks.sweep_reminders", dt.timedelta(minutes=5)),
    Periodic("clientela.activities.tasks.sweep_keep_alive", dt.timedelta(hours=1)),
]


def _load(path: str):  # type: ignore[no-untyped-def]
    module, _, attribute = path.rpartition(".")
    return getattr(import_module(module), attribute)


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
            enqueue_now(_load(job.task_path))
            enqueued.append(job.task_path)
    return enqueued
