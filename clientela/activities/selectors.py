"""Reads of activities and tasks, always scoped to what the viewer may see.

Visibility:

* a **task** is visible like any team-owned record, with `assignee` as its owner
  (`Task.objects.visible_to`), plus the tasks on records the viewer owns;
* an **activity** is visible to whoever sees it by its own owner/team, plus the activities on
  records (lead, client, deal) the viewer owns — a manager who took over a lead sees its history;
* a record's **timeline** shows every activity and open task of a record the viewer may see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clientela.activities.models import Activity, Task
from clientela.core.permissions import role_of
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Lead


def _owned_records_q(viewer: Any) -> Q:
    return Q(lead__owner=viewer) | Q(client__owner=viewer) | Q(deal__owner=viewer)


def visible_tasks(viewer: Any) -> QuerySet[Task]:
    if role_of(viewer) is None:
        return Task.objects.none()
    scoped = Task.objects.visible_to(viewer)
    return Task.objects.filter(Q(pk__in=scoped.values("pk")) | _owned_records_q(viewer))


def visible_activities(viewer: Any) -> QuerySet[Activity]:
    if role_of(viewer) is None:
        return Activity.objects.none()
    scoped = Activity.objects.visible_to(viewer)
    return Activity.objects.filter(Q(pk__in=scoped.values("pk")) | _owned_records_q(viewer))


def open_tasks_for(*, viewer: Any, mine_only: bool = True) -> QuerySet[Task]:
    """Open tasks the viewer may see, most urgent first (overdue and high priority on top)."""
    tasks = Task.objects.visible_to(viewer).filter(done_at__isnull=True).select_related("lead", "assignee")
    if mine_only:
        tasks = tasks.filter(assignee=viewer)
    return tasks.order_by("due_at", "-priority", "id")


def _record_filter(*, lead: Any = None, client: Any = None, contact: Any = None, deal: Any = None) -> Q:
    if deal is not None:
        return Q(deal=deal)
    if contact is not None:
        return Q(contact=contact)
    if lead is not None:
        return Q(lead=lead)
    if client is not None:
        return Q(client=client)
    return Q(pk__in=[])


@dataclass
class Timeline:
    activities: list[Activity]
    open_tasks: list[Task]
    has_next_step: bool


def timeline_for(
    *,
    viewer: Any,
    lead: Any = None,
    client: Any = None,
    contact: Any = None,
    deal: Any = None,
    limit: int = 50,
) -> Timeline:
    """Activities (newest first) and open tasks of one record. The caller has checked the viewer sees
    the record (its card did); nothing is returned to someone who may not work or read records."""
    if role_of(viewer) is None:
        return Timeline(activities=[], open_tasks=[], has_next_step=False)
    where = _record_filter(lead=lead, client=client, contact=contact, deal=deal)
    activities = list(
        Activity.objects.filter(where)
        .select_related("owner", "lead", "client", "contact", "deal")
        .order_by("-occurred_at", "-id")[:limit]
    )
    tasks = list(
        Task.objects.filter(where, done_at__isnull=True)
        .select_related("assignee", "source_activity")
        .order_by("due_at", "-priority", "id")
    )
    now = timezone.now()
    return Timeline(
        activities=activities, open_tasks=tasks, has_next_step=any(t.due_at >= now for t in tasks)
    )


def has_future_step(*, lead: Any = None, deal: Any = None, now: dt.datetime | None = None) -> bool:
    moment = now or timezone.now()
    where = _record_filter(lead=lead, deal=deal)
    return Task.objects.filter(where, done_at__isnull=True, due_at__gte=moment).exists()


@dataclass
class WithoutNextStep:
    leads: QuerySet[Any]
    deals: QuerySet[Any]


def records_without_next_step(
    viewer: Any, *, owner: Any = None, now: dt.datetime | None = None
) -> WithoutNextStep:
    """Open leads (new / in work / qualified) and open deals the viewer sees with no open future task."""

    moment = now or timezone.now()
    future = Task.objects.filter(done_at__isnull=True, due_at__gte=moment)
    leads = (
        Lead.objects.visible_to(viewer)
        .filter(
            status__in=(LeadStatus.NEW, LeadStatus.IN_WORK, LeadStatus.QUALIFIED),
            merged_into__isnull=True,
        )
        .exclude(Exists(future.filter(lead=OuterRef("pk"))))
        .select_related("owner")
        .order_by("-created_at", "-id")
    )
    deals = (
        Deal.objects.visible_to(viewer)
        .filter(status=DealStatus.OPEN)
        .exclude(Exists(future.filter(deal=OuterRef("pk"))))
        .select_related("owner", "client", "stage")
        .order_by("-created_at", "-id")
    )
    if owner is not None:
        leads = leads.filter(owner=owner)
        deals = deals.filter(owner=owner)
    return WithoutNextStep(leads=leads, deals=deals)


def last_outbound_touch(*, client: Any = None, deal: Any = None, lead: Any = None) -> Activity | None:
    where = _record_filter(lead=lead, client=client, deal=deal)
    return Activity.objects.filter(where, direction="out").order_by("-occurred_at", "-id").first()


def client_lead_open_tasks(client_ids: list[int]) -> dict[str, dict[int, list[Any]]]:
    """Open tasks on the leads each client came from, soonest first, for a handover summary
    (registered on `clients.selectors.HANDOVER_SUMMARY_PARTS`)."""
    tasks: dict[int, list[Any]] = defaultdict(list)
    for task in (
        Task.objects.filter(lead__client_id__in=client_ids, done_at__isnull=True)
        .select_related("assignee", "lead")
        .order_by("due_at")
    ):
        if task.lead is not None and task.lead.client_id is not None:
            tasks[task.lead.client_id].append(task)
    return {"open_tasks": dict(tasks)}
