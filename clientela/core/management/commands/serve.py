"""`clientela serve`: migrate, then run the web server (gunicorn) and a background worker."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from clientela import config


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
        processes: list[subprocess.Popen] = []
        if not no_worker:
            processes.append(subprocess.Popen([sys.executable, "-m", "clientela.cli", "worker"]))
            processes.append(subprocess.Popen([sys.executable, "-m", "clientela.cli", "scheduler"]))
        processes.append(
            subprocess.Popen(
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
                ]
            )
        )
        self.stdout.write(f"Serving on http://{host}:{port}/ (worker: {'off' if no_worker else 'on'})")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        while not stopping:
            for proc in processes:
                code = proc.poll()
                if code is not None:
                    self.stderr.write(f"{' '.join(map(str, proc.args))} exited with {code}; stopping.")  # type: ignore[arg-type]
                    exit_code = code or 1
                    stopping = True
                    break
            time.sleep(0.5)
        for proc in processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.kill()
        if exit_code:
            sys.exit(exit_code)
