"""Reads of tasks: what a person (or a head's team) has to do."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from clientela.activities.models import Task


def open_tasks_for(*, viewer: Any, mine_only: bool = True) -> QuerySet[Task]:
    """Open tasks the viewer may see, most urgent first (overdue and high priority on top)."""
    tasks = Task.objects.visible_to(viewer).filter(done_at__isnull=True).select_related("lead", "assignee")
    if mine_only:
        tasks = tasks.filter(assignee=viewer)
    return tasks.order_by("due_at", "-priority", "id")
