"""The post-sale cadence under /api/v1/retention/ (scoped like the pages).

* `GET /retention/renewals` — won deals whose agreement ends in a period (default: the next six
  months), by end date, with their renewal task;
* `GET /retention/clients/{id}/cadence` — what the client card shows;
* `PUT /retention/deals/{id}/dates` — a won deal's delivery and agreement end dates;
  `POST /retention/deals/{id}/delivered` — the delivery is done.

The outcome of the "is the product in use?" call goes with `POST /tasks/{id}/complete`
(`outcome`, `outcome_date`); the offer guard's confirmation with `POST /activities` and
`POST /proposals/{id}/send` (`confirm_early`, else 409).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from clientela.clients.models import Client
from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams
from clientela.core.permissions import get_visible_or_404, require
from clientela.deals.models import Deal
from clientela.retention import cadence, renewals
from clientela.retention.cadence_views import default_period
from clientela.users.selectors import users_visible_to

router = Router(tags=["retention"])


class RenewalQuery(PageParams):
    date_from: dt.date | None = Field(None, description="Agreements ending on or after (default: today)")
    date_to: dt.date | None = Field(None, description="… and on or before (default: in six months)")
    owner: str | None = Field(None, description="A user id, or `none` for deals without an owner")


class TaskRef(Schema):
    id: int
    due_at: dt.datetime
    done_at: dt.datetime | None
    title: str


class RenewalOut(Schema):
    deal: int
    deal_title: str
    client: int
    client_name: str
    owner: int | None
    ends_on: dt.date
    days_left: int
    notice_on: dt.date = Field(description="The day the renewal task is (or was) raised")
    task: TaskRef | None


def _task_ref(task: Any) -> dict[str, Any] | None:
    if task is None:
        return None
    return {"id": task.pk, "due_at": task.due_at, "done_at": task.done_at, "title": task.shown_title}


@router.get(
    "/retention/renewals", response=Page[RenewalOut], summary="Agreements that end, with their renewal"
)
def list_renewals(request: AuthedRequest, query: Query[RenewalQuery]) -> dict[str, Any]:
    require(request.user, "work_records")
    today = timezone.localdate()
    start, end = default_period(today)
    date_from, date_to = query.date_from or start, query.date_to or end
    if date_to < date_from:
        raise BusinessError(
            _("Please correct the period."), errors={"date_to": [_("Must not be before the start.")]}
        )
    owner: Any = None
    if query.owner == "none":
        owner = "none"
    elif query.owner:
        owner = (
            users_visible_to(request.user).filter(pk=int(query.owner) if query.owner.isdigit() else 0).first()
        )
        if owner is None:
            raise BusinessError(
                _("Unknown owner."), errors={"owner": [_("Choose one of the owners you see.")]}
            )
    deals = renewals.renewal_deals(request.user, date_from=date_from, date_to=date_to, owner=owner)
    page = list(deals[query.offset : query.offset + query.limit])
    items = [
        {
            "deal": row.deal.pk,
            "deal_title": row.deal.title,
            "client": row.deal.client_id,
            "client_name": row.deal.client.name,
            "owner": row.deal.owner_id,
            "ends_on": row.ends_on,
            "days_left": row.days_left,
            "notice_on": row.notice_on,
            "task": _task_ref(row.task),
        }
        for row in renewals.renewal_rows(page, today=today)
    ]
    return {"count": deals.count(), "items": items}


class DealRef(Schema):
    id: int
    title: str


class DealDatesOut(Schema):
    id: int
    title: str
    status: str
    delivery_ends_on: dt.date | None
    delivered_at: dt.datetime | None
    ends_on: dt.date | None


class CadenceOut(Schema):
    client: int
    last_purchase: dt.datetime | None
    last_purchase_deal: DealRef | None
    last_offer: dt.datetime | None
    next_offer_due: dt.datetime | None
    offer_every_days: int
    next_task: TaskRef | None
    in_delivery: list[DealDatesOut]
    agreements: list[DealDatesOut]


def _dates(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "title": deal.title,
        "status": deal.status,
        "delivery_ends_on": deal.delivery_ends_on,
        "delivered_at": deal.delivered_at,
        "ends_on": deal.ends_on,
    }


@router.get(
    "/retention/clients/{client_id}/cadence", response=CadenceOut, summary="A client's post-sale cadence"
)
def client_cadence(request: AuthedRequest, client_id: int) -> dict[str, Any]:
    require(request.user, "work_records")
    client = get_visible_or_404(Client.objects.select_related("team"), request.user, pk=client_id)
    summary = cadence.client_cadence(client, request.user)
    deal = summary.last_purchase_deal
    return {
        "client": client.pk,
        "last_purchase": summary.last_purchase,
        "last_purchase_deal": {"id": deal.pk, "title": deal.title} if deal else None,
        "last_offer": summary.last_offer,
        "next_offer_due": summary.next_offer_due,
        "offer_every_days": summary.offer_every_days,
        "next_task": _task_ref(summary.next_task),
        "in_delivery": [_dates(d) for d in summary.in_delivery],
        "agreements": [_dates(d) for d in summary.agreements],
    }


class DatesIn(Schema):
    delivery_ends_on: dt.date | None = None
    ends_on: dt.date | None = None


def _deal(request: HttpRequest, deal_id: int) -> Deal:
    deal: Deal = get_visible_or_404(
        Deal.objects.select_related("client", "team", "owner"), request.user, pk=deal_id
    )
    return deal


@router.put(
    "/retention/deals/{deal_id}/dates", response=DealDatesOut, summary="A won deal's dates after the sale"
)
def set_deal_dates(request: AuthedRequest, deal_id: int, payload: DatesIn) -> dict[str, Any]:
    """Both dates are set as sent (null clears one); a changed agreement end date re-plans its
    renewal task."""
    deal = renewals.deal_dates_update(
        by=request.user,
        deal=_deal(request, deal_id),
        delivery_ends_on=payload.delivery_ends_on,
        ends_on=payload.ends_on,
    )
    return _dates(deal)


@router.post(
    "/retention/deals/{deal_id}/delivered", response=DealDatesOut, summary="Mark a won deal delivered"
)
def mark_delivered(request: AuthedRequest, deal_id: int) -> dict[str, Any]:
    return _dates(renewals.deal_mark_delivered(by=request.user, deal=_deal(request, deal_id)))
