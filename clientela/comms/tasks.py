"""Background jobs of comms: the deferred check at a clock's due moment, the periodic sweep that
catches any check a lost or late job missed, and the notification digests."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from clientela.comms import clocks
from clientela.comms.models import ResponseClock
from clientela.core.notifications import digests_send
from clientela.core.tasks import durable_task


@task()
def check_clock(*, clock_id: int) -> str:
    """Deferred to the clock's due moment (and again to its escalation moment)."""
    clock = ResponseClock.objects.filter(pk=clock_id).first()
    if clock is None:
        return "missing"
    result = clocks.clock_check(clock=clock, now=timezone.now())
    return ",".join(name for name in ("breached", "escalated") if getattr(result, name)) or "nothing"


@task()
def sweep_clocks() -> int:
    """Periodic safety net over every open clock that is due."""
    return clocks.clocks_sweep(now=timezone.now())


@durable_task(queue_name="email")
def send_notification_digests() -> int:
    """Periodic: e-mail each person who asked for a digest their unread notifications, once per period."""
    return digests_send(now=timezone.now())
