"""`clientela scheduler`: each tick, deliver jobs kept while Redis was down, requeue jobs a dead
worker left running (database queue), then enqueue the periodic jobs that are due."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from clientela.core.periodic import enqueue_due
from clientela.core.tasks import outbox_drain, queue_down_errors, stale_jobs_requeue

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (runs beside the workers; any number may run)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args, interval, once, **options):
        passing_outages: tuple[type[BaseException], ...] = (DatabaseError, *queue_down_errors())
        while True:
            try:
                self.tick()
            except passing_outages as exc:
                # A passing outage of the database or Redis must not stop the scheduler.
                log.warning("Scheduler tick failed, retrying next tick: %s", exc)
            if once:
                return
            time.sleep(interval)

    def tick(self) -> None:
        delivered = outbox_drain()
        if delivered:
            self.stdout.write(f"delivered {delivered} job(s) from the outbox")
        if settings.TASK_BACKEND == "database":
            requeued = stale_jobs_requeue()
            if requeued:
                self.stdout.write(f"requeued {requeued} stale job(s)")
        for name in enqueue_due():
            self.stdout.write(f"enqueued {name}")
