"""After the sale: deliveries still running and agreements that end (SPEC §8).

* `deal_dates_update` — a won deal's delivery end date (while it is being delivered the
  keep-alive rule keeps running, `activities.keepalive`) and its agreement end date; a changed
  end date re-plans the open renewal task. `deal_mark_delivered` ends the delivery.
* `renewal_sweep` — a won deal whose agreement ends gets ONE renewal task for its owner
  `RetentionPolicy.renewal_notice_days` (60) before the end date: once per end date (the
  `CadenceStep` row is unique per deal and end date, and the job key is claimed with it).
* `renewal_list` — the renewals list (page, API, dashboard tile): won deals with an end date in a
  period, scoped like deals, by end date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import TaskKind
from clientela.activities.models import Task
from clientela.activities.services.task import task_complete
from clientela.core.audit import audit_event
from clientela.core.errors import BusinessError
from clientela.core.permissions import Action, require_record
from clientela.core.tasks import run_once
from clientela.core.texts import Message, stored
from clientela.deals.choices import DealEventKind, DealStatus
from clientela.deals.models import Deal
from clientela.deals.services import CANNOT_CHANGE, claim_version, deal_event
from clientela.retention import cadence_texts as texts
from clientela.retention.cadence import _calendar, _morning, _plan, business_opening, policy_for
from clientela.retention.cadence_models import CadenceKind, CadenceStep
from clientela.users.models import User

# The longest notice a policy allows (its validator): how far ahead the sweep looks.
MAX_NOTICE_DAYS = 730
BATCH = 2000


def _check_day(name: str, value: dt.date | None, errors: dict[str, list[str]]) -> None:
    if value is not None and not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
        errors[name] = [_("Enter a date between 2000 and 2100.")]


@transaction.atomic
def deal_dates_update(
    *, by: User, deal: Deal, delivery_ends_on: dt.date | None, ends_on: dt.date | None
) -> Deal:
    """Set a won deal's delivery end date and agreement end date (None clears one)."""
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    errors: dict[str, list[str]] = {}
    if deal.status != DealStatus.WON:
        errors["__all__"] = [_("Only a won deal has a delivery or an agreement after the sale.")]
    _check_day("delivery_ends_on", delivery_ends_on, errors)
    _check_day("ends_on", ends_on, errors)
    if errors:
        raise BusinessError(_("Please correct the dates."), errors=errors)
    claim_version(deal, None)
    old = {"delivery_ends_on": deal.delivery_ends_on, "ends_on": deal.ends_on}
    new = {"delivery_ends_on": delivery_ends_on, "ends_on": ends_on}
    if old == new:
        return deal
    Deal.objects.filter(pk=deal.pk).update(**new, updated_by=by, updated_at=timezone.now())
    deal.refresh_from_db()
    audit_event(
        actor=by,
        instance=deal,
        event="retention_dates",
        changes={name: [old[name], new[name]] for name in new if old[name] != new[name]},
    )
    deal_event(
        deal,
        DealEventKind.EDITED,
        by,
        Message(
            texts.DATES,
            delivery=delivery_ends_on.isoformat() if delivery_ends_on else "—",
            ends=ends_on.isoformat() if ends_on else "—",
        ),
    )
    if old["ends_on"] != ends_on:
        _replan(by=by, deal=deal)
    return deal


@transaction.atomic
def deal_mark_delivered(*, by: User, deal: Deal) -> Deal:
    """The delivery is done: the keep-alive rule stops for this won deal."""
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    if deal.status != DealStatus.WON or deal.delivery_ends_on is None:
        raise BusinessError(
            _("This deal has no delivery in progress."),
            errors={"__all__": [_("Set the delivery end date of a won deal first.")]},
        )
    if deal.delivered_at is not None:
        return deal
    claim_version(deal, None)
    now = timezone.now()
    Deal.objects.filter(pk=deal.pk).update(delivered_at=now, updated_by=by, updated_at=now)
    deal.refresh_from_db()
    audit_event(actor=by, instance=deal, event="delivered", changes={"delivered_at": [None, now]})
    deal_event(deal, DealEventKind.EDITED, by, Message(texts.DELIVERED))
    return deal


# --- Renewal tasks --------------------------------------------------------------------------------


def _renewal_title(deal: Deal, ends_on: dt.date) -> Message:
    return Message(texts.RENEWAL, client=deal.client.name, date=ends_on.isoformat(), deal=deal.title)


def renewal_due(deal: Deal, ends_on: dt.date, notice_days: int) -> dt.date:
    """The day the renewal task is raised: `notice_days` before the end date."""
    return ends_on - dt.timedelta(days=notice_days)


def _replan(*, by: User | None, deal: Deal) -> None:
    """The end date changed: the open renewal task follows it (or closes when there is no end
    date any more); a new one is raised at once when the new date is already within notice."""
    open_steps = CadenceStep.objects.filter(
        deal=deal, kind=CadenceKind.RENEWAL, task__done_at__isnull=True
    ).select_related("task")
    now = timezone.now()
    for step in open_steps:
        if (
            deal.ends_on is None
            or CadenceStep.objects.filter(deal=deal, kind=CadenceKind.RENEWAL, ends_on=deal.ends_on)
            .exclude(pk=step.pk)
            .exists()
        ):
            task_complete(by=None, task=step.task, result=_("The agreement has no end date any more."))  # type: ignore[arg-type]
            continue
        calendar = _calendar(deal.team)
        notice = policy_for(deal.team).renewal_notice_days
        due = max(_morning(renewal_due(deal, deal.ends_on, notice), calendar), now)
        title, message = stored(_renewal_title(deal, deal.ends_on), 200)
        Task.objects.filter(pk=step.task_id).update(
            due_at=due, title=title, title_message=message, updated_at=now
        )
        audit_event(
            actor=by,
            instance=step.task,
            event="renewal_replanned",
            changes={"ends_on": [step.ends_on, deal.ends_on], "due_at": [step.task.due_at, due]},
        )
        step.ends_on = deal.ends_on
        step.save(update_fields=["ends_on"])
        deal_event(deal, DealEventKind.EDITED, by, Message(texts.REPLANNED, date=deal.ends_on.isoformat()))
    renewal_raise(deal=deal, now=now)


def renewal_raise(*, deal: Deal, now: dt.datetime | None = None) -> Task | None:
    """Raise the deal's renewal task for its current end date when it is within notice (once)."""
    moment = now or timezone.now()
    ends_on = deal.ends_on
    if deal.status != DealStatus.WON or ends_on is None:
        return None
    calendar = _calendar(deal.team)
    today = moment.astimezone(calendar.zone).date()
    if ends_on < today:
        return None
    notice = policy_for(deal.team).renewal_notice_days
    if renewal_due(deal, ends_on, notice) > today:
        return None
    if CadenceStep.objects.filter(deal=deal, kind=CadenceKind.RENEWAL, ends_on=ends_on).exists():
        return None
    raised: list[Task] = []

    def effect() -> None:
        raised.append(
            _plan(
                kind=CadenceKind.RENEWAL,
                title=_renewal_title(deal, ends_on),
                due_at=business_opening(moment, calendar),
                client=deal.client,
                deal=deal,
                assignee=deal.owner,
                task_kind=TaskKind.OTHER,
                ends_on=ends_on,
            )
        )

    run_once(f"retention.renewal:{deal.pk}:{ends_on.isoformat()}", effect)
    return raised[0] if raised else None


def renewal_sweep(*, now: dt.datetime | None = None) -> int:
    """Raise every renewal task that is due. Returns how many were raised."""
    moment = now or timezone.now()
    today = timezone.localdate(moment)
    deals = (
        Deal.objects.filter(
            status=DealStatus.WON,
            ends_on__gte=today - dt.timedelta(days=1),
            ends_on__lte=today + dt.timedelta(days=MAX_NOTICE_DAYS + 1),
        )
        .select_related("client", "team", "owner")
        .order_by("pk")
    )
    raised = 0
    last_pk = 0
    while True:
        batch = list(deals.filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            return raised
        last_pk = batch[-1].pk
        for deal in batch:
            with transaction.atomic():
                if renewal_raise(deal=deal, now=moment) is not None:
                    raised += 1


# --- The renewals list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalRow:
    deal: Deal
    ends_on: dt.date
    days_left: int
    notice_on: dt.date
    task: Task | None

    @property
    def task_state(self) -> str:
        if self.task is None:
            return "planned"
        return "done" if self.task.done_at is not None else "open"


def renewal_deals(
    viewer: Any,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    owner: Any = None,
) -> QuerySet[Deal]:
    """Won deals with an agreement end date in [date_from, date_to], visible to the viewer, by
    end date (soonest first)."""
    deals = Deal.objects.restrict(viewer, Action.VIEW).filter(status=DealStatus.WON, ends_on__isnull=False)  # type: ignore[attr-defined]
    if date_from is not None:
        deals = deals.filter(ends_on__gte=date_from)
    if date_to is not None:
        deals = deals.filter(ends_on__lte=date_to)
    if owner == "none":
        deals = deals.filter(owner__isnull=True)
    elif owner is not None:
        deals = deals.filter(owner=owner)
    return deals.select_related("client", "owner", "team").order_by("ends_on", "pk")


def renewal_rows(deals: list[Deal], *, today: dt.date | None = None) -> list[RenewalRow]:
    """Rows of the renewals list, each with its renewal task for the current end date."""
    day = today or timezone.localdate()
    steps = {
        (step.deal_id, step.ends_on): step.task
        for step in CadenceStep.objects.filter(
            deal_id__in=[deal.pk for deal in deals], kind=CadenceKind.RENEWAL
        ).select_related("task")
    }
    policies: dict[Any, int] = {}
    rows = []
    for deal in deals:
        assert deal.ends_on is not None
        if deal.team_id not in policies:
            policies[deal.team_id] = policy_for(deal.team).renewal_notice_days
        rows.append(
            RenewalRow(
                deal=deal,
                ends_on=deal.ends_on,
                days_left=(deal.ends_on - day).days,
                notice_on=renewal_due(deal, deal.ends_on, policies[deal.team_id]),
                task=steps.get((deal.pk, deal.ends_on)),
            )
        )
    return rows


def in_delivery(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Won deals still being delivered."""
    return deals.filter(Q(status=DealStatus.WON, delivery_ends_on__isnull=False, delivered_at__isnull=True))
