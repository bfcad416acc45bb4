"""Background jobs of activities: a task's deferred reminder, the reminder sweep and the keep-alive sweep."""

from __future__ import annotations

from django.utils import timezone

from clientela.activities import keepalive
from clientela.activities.services.reminders import reminders_sweep, task_remind
from clientela.core.tasks import durable_task


@durable_task()
def send_task_reminder(*, task_id: int, reminder_at: str | None = None) -> bool:
    """Deferred to the task's reminder moment; tells the assignee once."""
    return task_remind(task_id=task_id, reminder_at=reminder_at, now=timezone.now())


@durable_task()
def sweep_reminders() -> int:
    """Periodic safety net: reminders whose deferred job was lost or late."""
    return reminders_sweep(now=timezone.now())


@durable_task()
def sweep_keep_alive() -> int:
    """Periodic: remind deal owners of clients waiting on us too long (SPEC §7)."""
    return keepalive.keep_alive_sweep(now=timezone.now())
