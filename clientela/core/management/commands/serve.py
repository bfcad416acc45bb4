"""`clientela serve`: migrate, then run the web server (gunicorn) and, beside it, the background
worker and the scheduler — restarted when they die (see `core.supervisor`)."""

from __future__ import annotations

import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from clientela import config
from clientela.core.supervisor import Child, Supervisor


class Command(BaseCommand):
    help = "Apply migrations, then serve Clientela with gunicorn and a background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=config.env_str("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=config.env_int("PORT", 8000))
        parser.add_argument("--workers", type=int, default=config.env_int("WEB_WORKERS", 2))
        parser.add_argument("--threads", type=int, default=config.env_int("WEB_THREADS", 4))
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        python = [sys.executable, "-m", "clientela.cli"]
        children: list[Child] = []
        if not no_worker:
            children.append(Child("worker", [*python, "worker"]))
            children.append(Child("scheduler", [*python, "scheduler"]))
        children.append(
            Child(
                "web server",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "clientela.wsgi:application",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "20",
                    "--timeout",
                    "120",
                ],
                essential=True,
            )
        )
        self.stdout.write(f"Serving on http://{host}:{port}/ (worker: {'off' if no_worker else 'on'})")
        # The worker and the scheduler are restarted when they die; the web server's death (or
        # SIGTERM/SIGINT) stops everything.
        supervisor = Supervisor(children)
        supervisor.install_signals()
        exit_code = supervisor.run()
        if exit_code:
            sys.exit(exit_code)
