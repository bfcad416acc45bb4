"""Background jobs of the post-sale cadence: the daily sweeps (safety nets that are the rule here:
offers and renewals come due by the passing of time)."""

from __future__ import annotations

from clientela.core.tasks import durable_task
from clientela.retention import cadence, renewals


@durable_task()
def plan_due_offers() -> int:
    """Periodic sweep: an offer task for every client whose next offer is due."""
    return cadence.offer_sweep()


@durable_task()
def raise_due_renewals() -> int:
    """Periodic sweep: a renewal task for every agreement that ends within its notice."""
    return renewals.renewal_sweep()
