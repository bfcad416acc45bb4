"""Marketing spend and plans under `/api/v1/marketing/…`: list, add, read, change (PATCH: only
the fields given) and delete — for marketers, heads and admins (managers 403), each record as
the page shows it (another team's: 404). Bad values are a 422 with field errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from clientela.analytics import marketing
from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan
from clientela.core.http import AuthedRequest
from clientela.core.permissions import get_visible_or_404

router = Router(tags=["marketing"])

LIMIT = 1000


class TeamRef(Schema):
    id: int
    name: str


class SpendOut(Schema):
    id: int
    campaign: str
    channel: str
    first_day: dt.date
    last_day: dt.date
    amount: Decimal
    currency: str
    team: TeamRef | None
    note: str

    @staticmethod
    def resolve_team(obj: CampaignSpend) -> dict[str, Any] | None:
        return {"id": obj.team.pk, "name": obj.team.name} if obj.team_id and obj.team else None


class SpendIn(Schema):
    campaign: str = ""
    channel: str
    first_day: dt.date
    last_day: dt.date
    amount: Decimal
    currency: str
    team: int | None = None
    note: str = ""


class SpendPatch(Schema):
    campaign: str | None = None
    channel: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    team: int | None = None
    note: str | None = None


class PlanOut(Schema):
    id: int
    month: dt.date
    channel: str
    target_leads: int
    acceptable_cpl: Decimal
    currency: str
    team: TeamRef | None
    note: str

    @staticmethod
    def resolve_team(obj: MarketingPlan) -> dict[str, Any] | None:
        return {"id": obj.team.pk, "name": obj.team.name} if obj.team_id and obj.team else None


class PlanIn(Schema):
    month: dt.date
    channel: str
    target_leads: int
    acceptable_cpl: Decimal
    currency: str
    team: int | None = None
    note: str = ""


class PlanPatch(Schema):
    month: dt.date | None = None
    channel: str | None = None
    target_leads: int | None = None
    acceptable_cpl: Decimal | None = None
    currency: str | None = None
    team: int | None = None
    note: str | None = None


def _spend(request: HttpRequest, spend_id: int) -> CampaignSpend:
    marketing.require_marketing(request.user)
    return get_visible_or_404(marketing.visible_spend(request.user), request.user, pk=spend_id)


def _plan(request: HttpRequest, marketing_plan_id: int) -> MarketingPlan:
    marketing.require_marketing(request.user)
    return get_visible_or_404(marketing.visible_plans(request.user), request.user, pk=marketing_plan_id)


def _current(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, "team_id" if name == "team" else name) for name in names}


SPEND_FIELDS = ("campaign", "channel", "first_day", "last_day", "amount", "currency", "team", "note")
PLAN_FIELDS = ("month", "channel", "target_leads", "acceptable_cpl", "currency", "team", "note")


@router.get(
    "/marketing/spend",
    response=list[SpendOut],
    summary="Campaign spend you may see",
    description="The newest first (at most 1000); `first`/`last` (days) keep the spend overlapping them.",
)
def spend_list(
    request: HttpRequest, first: dt.date | None = None, last: dt.date | None = None
) -> list[CampaignSpend]:
    marketing.require_marketing(request.user)
    spends = marketing.visible_spend(request.user)
    if first:
        spends = spends.filter(last_day__gte=first)
    if last:
        spends = spends.filter(first_day__lte=last)
    return list(spends[:LIMIT])


@router.post("/marketing/spend", response={201: SpendOut}, summary="Record campaign spend")
def spend_create(request: AuthedRequest, payload: SpendIn) -> Status:
    return Status(201, marketing.campaign_spend_create(by=request.user, data=payload.dict()))


@router.get("/marketing/spend/{spend_id}", response=SpendOut, summary="One campaign spend")
def spend_detail(request: HttpRequest, spend_id: int) -> CampaignSpend:
    return _spend(request, spend_id)


@router.patch("/marketing/spend/{spend_id}", response=SpendOut, summary="Change campaign spend")
def spend_update(request: AuthedRequest, spend_id: int, payload: SpendPatch) -> CampaignSpend:
    spend = _spend(request, spend_id)
    data = {**_current(spend, SPEND_FIELDS), **payload.dict(exclude_unset=True)}
    return marketing.campaign_spend_update(by=request.user, spend=spend, data=data)


@router.delete("/marketing/spend/{spend_id}", response={204: None}, summary="Delete campaign spend")
def spend_delete(request: AuthedRequest, spend_id: int) -> Status:
    marketing.campaign_spend_delete(by=request.user, spend=_spend(request, spend_id))
    return Status(204, None)


@router.get("/marketing/plans", response=list[PlanOut], summary="Marketing plans you may see")
def plan_list(request: HttpRequest) -> list[MarketingPlan]:
    marketing.require_marketing(request.user)
    return list(marketing.visible_plans(request.user)[:LIMIT])


@router.post(
    "/marketing/plans",
    response={201: PlanOut},
    summary="Plan a month of a channel",
    description="`month`: any day of the month (kept as its first day).",
)
def plan_create(request: AuthedRequest, payload: PlanIn) -> Status:
    return Status(201, marketing.marketing_plan_create(by=request.user, data=payload.dict()))


@router.get("/marketing/plans/{marketing_plan_id}", response=PlanOut, summary="One marketing plan")
def plan_detail(request: HttpRequest, marketing_plan_id: int) -> MarketingPlan:
    return _plan(request, marketing_plan_id)


@router.patch("/marketing/plans/{marketing_plan_id}", response=PlanOut, summary="Change a marketing plan")
def plan_update(request: AuthedRequest, marketing_plan_id: int, payload: PlanPatch) -> MarketingPlan:
    plan = _plan(request, marketing_plan_id)
    data = {**_current(plan, PLAN_FIELDS), **payload.dict(exclude_unset=True)}
    return marketing.marketing_plan_update(by=request.user, plan=plan, data=data)


@router.delete(
    "/marketing/plans/{marketing_plan_id}", response={204: None}, summary="Delete a marketing plan"
)
def plan_delete(request: AuthedRequest, marketing_plan_id: int) -> Status:
    marketing.marketing_plan_delete(by=request.user, plan=_plan(request, marketing_plan_id))
    return Status(204, None)
