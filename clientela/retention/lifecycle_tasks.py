"""The status history sweep as a periodic job (hourly; `core.periodic.PERIODIC_JOBS`)."""

from __future__ import annotations

from clientela.core.tasks import durable_task
from clientela.retention import lifecycle


@durable_task()
def sync_status_history() -> int:
    """Record the transitions that happened by the passing of time or by a contact since the last
    sweep (and backfill clients without history). Idempotent: a second run adds nothing."""
    return lifecycle.sync_history()
