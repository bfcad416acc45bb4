"""Task reminders: a task with `reminder_at` tells its assignee once, at that moment.

The deferred job (`activities.tasks.send_task_reminder`, scheduled by `task.py`) calls
`task_remind`; a reminder moved since then has its own job, so the old one does nothing. The
periodic sweep (`reminders_sweep`) catches jobs that were lost or late. "Once" is `reminded_at`
plus a `run_once` key per task and moment. The text is written in the assignee's language.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.models import Task
from clientela.activities.services.task import task_url
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.tasks import run_once
from clientela.core.zones import format_moment


def task_remind(*, task_id: int, reminder_at: str | None = None, now: dt.datetime | None = None) -> bool:
    """Tell the assignee about a task whose reminder is due, once. Returns whether it was sent.

    `reminder_at` is the moment the deferred job was scheduled for: a job for a reminder that was
    since moved does nothing (the new moment has its own job).
    """
    moment = now or timezone.now()
    sent = False

    def effect() -> None:
        nonlocal sent
        task = (
            Task.objects.select_for_update(of=("self",)).select_related("assignee").filter(pk=task_id).first()
        )
        if (
            task is None
            or task.done_at is not None
            or task.reminded_at is not None
            or task.reminder_at is None
        ):
            return
        if task.reminder_at > moment:
            return
        if reminder_at is not None and task.reminder_at.isoformat() != reminder_at:
            return
        task.reminded_at = moment
        task.save(update_fields=["reminded_at"])
        # Written by a background job: in the language of the assignee who reads it.
        with in_language_of(task.assignee):
            text = _("Reminder: %(title)s (due %(due)s)") % {
                "title": task.shown_title,
                "due": format_moment(task.due_at, task.assignee),
            }
        notify(user=task.assignee, verb="task_reminder", text=text, url=task_url(task))
        sent = True

    with transaction.atomic():
        current = (
            Task.objects.select_for_update().filter(pk=task_id).values_list("reminder_at", flat=True).first()
        )
        # Not due yet, or a job for a moment since moved: do nothing and leave the key free.
        if (
            current is None
            or current > moment
            or (reminder_at is not None and current.isoformat() != reminder_at)
        ):
            return False
        run_once(f"activities.task_reminder:{task_id}:{current.isoformat()}", effect)
    return sent


def reminders_sweep(*, now: dt.datetime | None = None) -> int:
    """Send every due reminder a lost job missed. Returns how many were sent."""
    moment = now or timezone.now()
    due = Task.objects.filter(done_at__isnull=True, reminded_at__isnull=True, reminder_at__lte=moment)
    return sum(task_remind(task_id=pk, now=moment) for pk in due.values_list("pk", flat=True)[:1000])
