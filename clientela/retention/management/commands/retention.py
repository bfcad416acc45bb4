"""`clientela retention classify`: recompute every client's 12-month revenue, ABC class, RFM
scores and first purchases now (the nightly sweep does the same), and raise the concentration
alerts that are due.

    clientela retention classify [--today 2026-12-07]

The last line on stdout is `N clients with revenue, N changed, revenue TOTAL BASE`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Retention jobs: `classify` recomputes the clients' ABC classes and RFM scores."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        classify = commands.add_parser("classify", help="Recompute revenue, ABC classes and RFM scores now.")
        classify.add_argument("--today", help="The window's last day (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "classify":
            self.classify(options.get("today"))

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
