"""`clientela worker`: run background jobs with the configured backend (any number, any machine)."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


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
        else:
            extra = ["--batch"] if burst else []
            call_command("db_worker", "--queue-name", ",".join(names), "--no-reload", *extra)
