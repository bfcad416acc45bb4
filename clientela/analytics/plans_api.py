"""Plans under `/api/v1/plans/…` — the same services and rules as the Plans page.

* `GET /plans/activity`, `PUT /plans/activity` — daily activity plans (heads and admins set
  them; nobody sets their own);
* `GET /plans/sales`, `PUT /plans/sales` — monthly top-down sales plans of a team or a manager;
* `GET /plans/forecasts`, `PUT /plans/forecasts` — per-client monthly forecasts (a manager for
  their clients, heads for their teams').

Months are `YYYY-MM`; amounts and percentages decimals (strings or numbers) in the company's
base currency. Bad values are 422 with an error per field; a plan or a client outside the
caller's reach a 403."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from clientela.analytics import plans
from clientela.core.errors import BusinessError
from clientela.core.permissions import require

router = Router(tags=["plans"])


class RefOut(Schema):
    id: int
    name: str


class ActivityPlanOut(Schema):
    person: RefOut
    team: RefOut | None
    calls_per_day: int | None
    meetings_per_day: int | None


class ActivityPlanIn(Schema):
    user: int
    calls_per_day: int
    meetings_per_day: int


class SalesPlanOut(Schema):
    id: int
    team: RefOut
    manager: RefOut | None
    month: str
    base_amount: Decimal
    market_growth_percent: Decimal
    ambition_percent: Decimal
    target: Decimal
    currency: str


class SalesPlanIn(Schema):
    team: int
    manager: int | None = None
    month: str
    market_growth_percent: Decimal = Decimal(0)
    ambition_percent: Decimal = Decimal(0)


class ForecastOut(Schema):
    id: int
    client: RefOut
    month: str
    amount: Decimal
    currency: str


class ForecastIn(Schema):
    client: int
    month: str
    amount: Decimal


class MonthQuery(Schema):
    month_from: str | None = None
    month_to: str | None = None


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


def _in_months(records: Any, query: MonthQuery) -> Any:
    """`records` (plans or forecasts) of the months asked for (422 for a month badly written)."""
    first, last = _months(query)
    if first:
        records = records.filter(month__gte=first)
    if last:
        records = records.filter(month__lte=last)
    return records


def _months(query: MonthQuery) -> tuple[dt.date | None, dt.date | None]:
    result: list[dt.date | None] = []
    errors: dict[str, list[str]] = {}
    for name in ("month_from", "month_to"):
        text = (getattr(query, name) or "").strip()
        if not text:
            result.append(None)
            continue
        try:
            result.append(dt.date.fromisoformat(text[:7] + "-01"))
        except ValueError:
            errors[name] = [_("Choose a month (YYYY-MM).")]
            result.append(None)
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)
    return result[0], result[1]


def _sales_out(plan: Any) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "team": _ref(plan.team),
        "manager": _ref(plan.manager),
        "month": f"{plan.month:%Y-%m}",
        "base_amount": plan.base_amount,
        "market_growth_percent": plan.market_growth_percent,
        "ambition_percent": plan.ambition_percent,
        "target": plan.target,
        "currency": plan.currency,
    }


def _forecast_out(forecast: Any) -> dict[str, Any]:
    return {
        "id": forecast.pk,
        "client": {"id": forecast.client_id, "name": forecast.client.name},
        "month": f"{forecast.month:%Y-%m}",
        "amount": forecast.amount,
        "currency": forecast.currency,
    }


@router.get("/plans/activity", response=list[ActivityPlanOut], summary="Daily activity plans")
def activity_plan_list(request: HttpRequest) -> list[dict[str, Any]]:
    require(request.user, "work_records")
    found = plans.activity_plans(request.user)
    result = []
    for person in plans.planned_people(request.user):
        plan = found.get(person.pk)
        result.append(
            {
                "person": _ref(person),
                "team": _ref(person.team),
                "calls_per_day": plan.calls_per_day if plan else None,
                "meetings_per_day": plan.meetings_per_day if plan else None,
            }
        )
    return result


@router.put("/plans/activity", response=ActivityPlanOut, summary="Set a manager's daily activity plan")
def activity_plan_put(request: HttpRequest, payload: ActivityPlanIn) -> dict[str, Any]:
    plan = plans.activity_plan_set(
        by=request.user,  # type: ignore[arg-type]
        user=payload.user,
        calls_per_day=payload.calls_per_day,
        meetings_per_day=payload.meetings_per_day,
    )
    return {
        "person": _ref(plan.user),
        "team": _ref(plan.user.team),
        "calls_per_day": plan.calls_per_day,
        "meetings_per_day": plan.meetings_per_day,
    }


@router.get("/plans/sales", response=list[SalesPlanOut], summary="Monthly sales plans (top-down)")
def sales_plan_list(request: HttpRequest, query: Query[MonthQuery]) -> list[dict[str, Any]]:
    require(request.user, "work_records")
    found = _in_months(plans.sales_plans(request.user), query)
    return [_sales_out(plan) for plan in found.order_by("month", "team__name", "manager_id")[:1000]]


@router.put("/plans/sales", response=SalesPlanOut, summary="Set a month's sales plan of a team or a manager")
def sales_plan_put(request: HttpRequest, payload: SalesPlanIn) -> dict[str, Any]:
    plan = plans.sales_plan_set(
        by=request.user,  # type: ignore[arg-type]
        team=payload.team,
        manager=payload.manager,
        month=payload.month,
        market_growth_percent=payload.market_growth_percent,
        ambition_percent=payload.ambition_percent,
    )
    return _sales_out(plan)


@router.get("/plans/forecasts", response=list[ForecastOut], summary="Client forecasts (bottom-up)")
def forecast_list(request: HttpRequest, query: Query[MonthQuery]) -> list[dict[str, Any]]:
    require(request.user, "work_records")
    found = _in_months(plans.client_forecasts(request.user), query)
    return [_forecast_out(f) for f in found.order_by("month", "client__name", "id")[:5000]]


@router.put("/plans/forecasts", response=ForecastOut, summary="Set a client's forecast for a month")
def forecast_put(request: HttpRequest, payload: ForecastIn) -> dict[str, Any]:
    forecast = plans.client_forecast_set(
        by=request.user,  # type: ignore[arg-type]
        client=payload.client,
        month=payload.month,
        amount=payload.amount,
    )
    return _forecast_out(forecast)
