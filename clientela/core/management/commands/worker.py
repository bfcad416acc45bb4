"""`clientela worker`: run background jobs with the configured backend (any number, any machine)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

log = logging.getLogger(__name__)


class PatientWorker(Worker):
    """The database-queue worker, which waits out a database that is busy or briefly away
    (`database is locked` past the busy timeout on SQLite while an import commits a batch, a
    restarting PostgreSQL) instead of dying: it logs, backs off (1 s … 30 s) and goes on. A job
    it was running when the error came is requeued by the scheduler (`stale_jobs_requeue`)."""

    def run(self) -> None:
        pause = 1.0
        while self.running:
            try:
                super().run()
                return
            except DatabaseError as exc:
                if not self.running:
                    return
                log.warning("The worker met a database error, retrying in %.0f s: %s", pause, exc)
                for connection in connections.all(initialized_only=True):
                    connection.close()
                time.sleep(pause)
                pause = min(pause * 2, 30.0)


class Command(BaseCommand):
    help = "Run a background worker: RQ workers on Redis, or the database-queue worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues", default=",".join(settings.TASK_QUEUES), help="Comma-separated queue names."
        )
        parser.add_argument("--burst", action="store_true", help="Run the jobs waiting now, then exit.")

    def handle(self, *args, queues, burst, **options):
        names = [name.strip() for name in queues.split(",") if name.strip()]
        if settings.TASK_BACKEND == "redis":
            call_command("rqworker", *names, with_scheduler=True, burst=burst)
            return
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        worker = PatientWorker(
            queue_names=names,
            interval=1,
            batch=burst,
            backend_name="default",
            startup_delay=not burst,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
