"""`clientela retention …`: retention's jobs, run now (the scheduler runs them too).

    clientela retention sync-history             record the status transitions not yet in the
                                                 history (the first run backfills existing clients)
    clientela retention classify [--today DATE]  recompute every client's 12-month revenue, ABC
                                                 class, RFM scores and first purchases, and raise
                                                 the concentration alerts that are due

`classify` ends with `N clients with revenue, N changed, revenue TOTAL BASE`.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Retention jobs: sync-history (status history) and classify (ABC classes and RFM scores)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("sync-history", help="Record the missing status transitions (idempotent).")
        classify = commands.add_parser("classify", help="Recompute revenue, ABC classes and RFM scores now.")
        classify.add_argument("--today", help="The window's last day (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sync-history":
            self.sync_history()
        elif options["action"] == "classify":
            self.classify(options.get("today"))

    def sync_history(self) -> None:
        from clientela.retention import lifecycle

        started = time.monotonic()
        added = lifecycle.sync_history()
        self.stdout.write(f"{added} status changes recorded in {time.monotonic() - started:.1f} s.")

    def classify(self, today_text: str | None) -> None:
        from clientela.retention.value import value_classify

        today = None
        if today_text:
            try:
                today = dt.date.fromisoformat(today_text)
            except ValueError as exc:
                raise CommandError("--today must be a date like 2026-12-07.") from exc
        run = value_classify(by=None, today=today)
        for currency, amount in sorted(run.missing.items()):
            self.stdout.write(f"no exchange rate for {currency}: {amount} {currency} left out")
        self.stdout.write(
            f"{run.clients_with_revenue} clients with revenue, {run.clients_changed} changed, "
            f"revenue {run.revenue_total} {run.base_currency}"
        )
