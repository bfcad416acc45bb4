"""A lead's tasks through its lifecycle (registered on the `leads.hooks` from `ready()`): the
first task of a new or assigned lead, the re-contact task after a postponement, open tasks
following a new owner, done when the lead closes, moved when leads merge."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Task
from clientela.activities.services.task import TASK_AUDIT_FIELDS
from clientela.core.audit import audit_create
from clientela.core.language import reader_language
from clientela.leads.choices import Temperature
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import CALL_BACK_DUE, FIRST_CONTACT_DUE
from clientela.users.models import User


def lead_task_due(*, lead: Lead, kind: str, by: User | None = None) -> Task:
    """A task the rules create for a lead (first contact, call-back, re-contact): the lead's
    owner or, for a lead in the team queue, nobody yet; audited like every other task."""
    now = timezone.now()
    if kind == TaskKind.RECONTACT:
        # Written by a job: the title in its reader's language (the owner, else the team's head).
        with translation.override(reader_language(lead.owner, lead.team)):
            title = _("Re-contact %(name)s") % {"name": lead}
        due, priority = now, Priority.HIGH
    elif kind == TaskKind.CALL_BACK:
        title = _("Call back %(name)s now") % {"name": lead}
        due, priority = now + CALL_BACK_DUE, Priority.URGENT
    else:
        kind = TaskKind.FIRST_CONTACT
        title = _("First contact with %(name)s") % {"name": lead}
        hot = lead.temperature == Temperature.HOT
        due, priority = now + FIRST_CONTACT_DUE, Priority.HIGH if hot else Priority.NORMAL
    actor = by if getattr(by, "is_authenticated", False) else None
    task = Task.objects.create(
        created_by=actor,
        updated_by=actor,
        kind=kind,
        title=title[:200],  # a lead's name may be 200 characters on its own
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
