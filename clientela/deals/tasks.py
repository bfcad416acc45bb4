"""Background jobs of the deals app."""

from __future__ import annotations

from clientela.core.tasks import durable_task
from clientela.deals.payments import services


@durable_task()
def notify_overdue_receivables() -> int:
    """Periodic sweep: owners (and their heads) hear once about each payment that is overdue."""
    return services.receivables_notify_overdue()
