"""A lead's tasks through its lifecycle (registered on the `leads.hooks` from `ready()`): the
first task of a new or assigned lead, the re-contact task after a postponement, open tasks
following a new owner, carried to the client and deal on conversion with the lead's activities,
done when the lead closes, moved when leads merge."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from clientela.activities import texts
from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Activity, Task
from clientela.activities.services.task import TASK_AUDIT_FIELDS
from clientela.core.audit import audit_create, audit_event
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


# Tasks about reaching the person the lead is: converting it means that happened, so they close
# with the lead instead of following it to the client.
REACHING_THE_LEAD = (TaskKind.FIRST_CONTACT, TaskKind.CALL_BACK, TaskKind.RECONTACT)


def _carried_tasks(lead: Lead) -> QuerySet[Task]:
    """The lead's open tasks that outlive it: next steps, promises, meetings, follow-ups."""
    return Task.objects.filter(lead=lead, done_at__isnull=True).exclude(kind__in=REACHING_THE_LEAD)


def lead_next_step(*, lead: Lead) -> tuple[dt.date, str] | None:
    """The next step agreed with the lead, as the day it is due and its title: its soonest open
    next-step task still ahead, else its soonest other open task ahead (a promise, a meeting),
    else the one overdue longest."""
    tasks = _carried_tasks(lead)
    ahead = tasks.filter(due_at__gte=timezone.now()).order_by("due_at", "id")
    task = (
        ahead.filter(kind=TaskKind.NEXT_STEP).first()
        or ahead.first()
        or tasks.order_by("due_at", "id").first()
    )
    if task is None:
        return None
    return timezone.localtime(task.due_at).date(), task.title


def lead_converted(
    *, lead: Lead, client: Any, contact: Any, deal: Any = None, by: User | None = None
) -> None:
    """What was agreed and done with a converted lead follows it.

    * Its open tasks and promises are the new deal's (the client's when no deal started), about
      the new contact, with their due time and assignee kept; the lead no longer holds them.
    * Its activities stay the lead's and are linked to the client, the contact and the deal as
      well, so each shows once on every one of their timelines (linked, not copied).
    """
    target = deal if deal is not None else client
    for task in _carried_tasks(lead).select_for_update():
        before = {
            "lead": task.lead_id,
            "client": task.client_id,
            "contact": task.contact_id,
            "deal": task.deal_id,
        }
        task.lead = None
        task.client = client
        task.contact = task.contact if task.contact_id else contact
        task.deal = deal
        task.team = target.team if target.team_id else task.team
        task.updated_by = by
        task.save(update_fields=["lead", "client", "contact", "deal", "team", "updated_by", "updated_at"])
        after = {"lead": None, "client": client.pk, "contact": task.contact_id, "deal": task.deal_id}
        audit_event(
            actor=by,
            instance=task,
            event="carried_on_conversion",
            changes={name: [before[name], after[name]] for name in before if before[name] != after[name]},
        )
    activities = Activity.objects.filter(lead=lead)
    activities.filter(client__isnull=True).update(client=client)
    mine = activities.filter(client=client)
    mine.filter(contact__isnull=True).update(contact=contact)
    if deal is not None:
        mine.filter(deal__isnull=True).update(deal=deal)
    linked = list(mine.values_list("pk", flat=True))
    if linked:
        audit_event(
            actor=by,
            instance=lead,
            event="history_linked",
            changes={
                "activities": linked,
                "client": client.pk,
                "deal": deal.pk if deal is not None else None,
            },
        )
