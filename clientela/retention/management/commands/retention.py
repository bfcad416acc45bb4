"""`clientela retention sync-history`: record the status transitions not yet in the history
(every client; the first run backfills the history of existing clients)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clientela.retention import lifecycle


class Command(BaseCommand):
    help = "Retention: sync-history records the client status transitions missing from the history."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("sync-history", help="Record the missing status transitions (idempotent).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sync-history":
            started = time.monotonic()
            added = lifecycle.sync_history()
            self.stdout.write(f"{added} status changes recorded in {time.monotonic() - started:.1f} s.")
