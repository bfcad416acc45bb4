"""A lead's tasks through its lifecycle (registered on the `leads.hooks` from `ready()`): the
first task of a new or assigned lead, the re-contact task after a postponement, open tasks
following a new owner, done when the lead closes, moved when leads merge."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clientela.activities import texts
from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Task
from clientela.activities.services.task import TASK_AUDIT_FIELDS
from clientela.core.audit import audit_create
from clientela.core.texts import Message, stored
from clientela.leads.choices import Temperature
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import CALL_BACK_DUE, FIRST_CONTACT_DUE
from clientela.users.models import User


def lead_task_due(*, lead: Lead, kind: str, by: User | None = None) -> Task:
    """A task the rules create for a lead (first contact, call-back, re-contact): the lead's
    owner or, for a lead in the team queue, nobody yet; audited like every other task."""
    now = timezone.now()
    # The title is a message (core.texts): each reader sees it in their own language.
    if kind == TaskKind.RECONTACT:
        title = Message(texts.RECONTACT, name=lead)
        due, priority = now, Priority.HIGH
    elif kind == TaskKind.CALL_BACK:
        title = Message(texts.CALL_BACK, name=lead)
        due, priority = now + CALL_BACK_DUE, Priority.URGENT
    else:
        kind = TaskKind.FIRST_CONTACT
        title = Message(texts.FIRST_CONTACT, name=lead)
        hot = lead.temperature == Temperature.HOT
        due, priority = now + FIRST_CONTACT_DUE, Priority.HIGH if hot else Priority.NORMAL
    actor = by if getattr(by, "is_authenticated", False) else None
    plain, message = stored(title, 200)  # a lead's name may be 200 characters on its own
    task = Task.objects.create(
        created_by=actor,
        updated_by=actor,
        kind=kind,
        title=plain,
        title_message=message,
        due_at=due,
        priority=priority,
        assignee=lead.owner,
        team=lead.team,
        lead=lead,
    )
    audit_create(actor=actor, instance=task, fields=TASK_AUDIT_FIELDS)
    return task


def lead_tasks_follow_owner(*, lead: Lead) -> None:
    Task.objects.filter(lead=lead, done_at__isnull=True).update(assignee=lead.owner)


def lead_tasks_close(*, lead: Lead, done_by: User | None = None) -> None:
    changes: dict[str, Any] = {"done_at": timezone.now()}
    if done_by is not None:
        changes["done_by"] = done_by
    Task.objects.filter(lead=lead, done_at__isnull=True).update(**changes)


def lead_tasks_merge(*, other: Lead, target: Lead) -> None:
    Task.objects.filter(lead=other, done_at__isnull=True).update(lead=target, assignee=target.owner)
