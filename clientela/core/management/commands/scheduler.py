from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from clientela.core.periodic import enqueue_due


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (runs beside the workers; any number may run)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args, interval, once, **options):
        while True:
            for name in enqueue_due():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
