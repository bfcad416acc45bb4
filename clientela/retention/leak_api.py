"""The leak figures and alerts, and the team retention policies, under /api/v1/retention/.

Same scope as the dashboard: a manager's figures are their own clients', a head's their teams',
an admin's everyone's; marketers are refused. Bad input is a 422 with field errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.http import AuthedRequest
from clientela.core.permissions import user_can
from clientela.retention import leak
from clientela.retention.api import router
from clientela.retention.dashboard import may_see_dashboard, parse_leak_query, query_periods, report_span
from clientela.retention.leak_alerts import alerts_visible_to, leak_alert_acknowledge, period_label
from clientela.retention.leak_models import LeakAlert
from clientela.retention.settings_services import POLICY_FIELDS, policy_of, retention_policy_update
from clientela.users.selectors import teams_visible_to


class LeakQueryIn(Schema):
    period: str = "month"
    periods: int = leak.TREND_PERIODS
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    team: int | None = None
    owner: int | None = None
    industry: str = ""
    country: str = ""
    region: str = ""
    size: str = ""
    revenue: str = ""
    abc: str = ""
    by: str = ""

    def data(self) -> dict[str, Any]:
        values = self.dict()
        values["from"] = values.pop("from_", None)
        return values


class LeakRowOut(Schema):
    period: str
    start: dt.date
    end: dt.date
    complete: bool
    active_at_start: int
    lost: int
    rate: Decimal | None


class BreakdownRowOut(Schema):
    key: Any
    group: str
    active_at_start: int
    lost: int
    rate: Decimal | None


class LeakRateOut(Schema):
    rows: list[LeakRowOut]
    breakdown: list[BreakdownRowOut]


class ReasonRowOut(Schema):
    reason: str
    label: str
    staff_attitude: bool
    lost: int
    share: Decimal | None
    practice_share: Decimal | None


class AttitudeRowOut(Schema):
    owner: int | None
    manager: str
    staff_attitude_lost: int
    lost: int
    share: Decimal | None


class ChurnReportOut(Schema):
    start: dt.date
    end: dt.date
    reasons: list[ReasonRowOut]
    staff_attitude_by_manager: list[AttitudeRowOut]


class AlertOut(Schema):
    id: int
    team: int
    team_name: str
    period: str
    period_start: dt.date
    period_end: dt.date
    active_at_start: int
    lost: int
    rate: Decimal
    threshold: Decimal
    fired_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: int | None


class PolicyOut(Schema):
    team: int
    leak_alert_percent: Decimal
    concentration_alert_percent: Decimal
    offer_every_days: int
    offer_min_gap_days: int
    renewal_notice_days: int
    survey_after_won_days: int
    survey_every_days: int
    reactivation_window_days: int
    repeat_purchase_months: int
    repeat_purchase_target_percent: Decimal


class PolicyIn(Schema):
    leak_alert_percent: Decimal | None = None
    concentration_alert_percent: Decimal | None = None
    offer_every_days: int | None = None
    offer_min_gap_days: int | None = None
    renewal_notice_days: int | None = None
    survey_after_won_days: int | None = None
    survey_every_days: int | None = None
    reactivation_window_days: int | None = None
    repeat_purchase_months: int | None = None
    repeat_purchase_target_percent: Decimal | None = None


def _query(request: HttpRequest, data: dict[str, Any]) -> tuple[leak.LeakQuery, list[leak.Period]]:
    if not may_see_dashboard(request.user):
        raise PermissionDeniedError(_("Retention figures are for sales people."))
    query, errors = parse_leak_query(request.user, data)
    if errors:
        raise leak.invalid(errors)
    return query, query_periods(request.user, query)


@router.get("/retention/leak-rate", response=LeakRateOut, summary="Leak rate per period (and a breakdown)")
def leak_rate(request: HttpRequest, params: Query[LeakQueryIn]) -> dict[str, Any]:
    data = params.data()
    if data["by"] and (data["by"] not in leak.BREAKDOWNS or (data["by"] == "abc" and not leak.has_abc())):
        raise leak.invalid({"by": _("Choose what to break the figures down by.")})
    query, spans = _query(request, data)
    rows = leak.leak_trend(request.user, spans, query.filters)
    breakdown = leak.leak_breakdown(request.user, spans[-1], query.filters, data["by"]) if data["by"] else []
    return {
        "rows": [{**row, "active_at_start": row["active"]} for row in rows],
        "breakdown": [{**row, "key": row["key"], "active_at_start": row["active"]} for row in breakdown],
    }


@router.get("/retention/churn-reasons/report", response=ChurnReportOut, summary="Losses per churn reason")
def churn_reasons(request: HttpRequest, params: Query[LeakQueryIn]) -> dict[str, Any]:
    """The losses of the period (the last complete one of `period`, or the custom `from`–`to`) per
    reason, with the shares known from practice, and the staff-attitude losses per manager."""
    data = params.data()
    data["periods"] = 2
    query, spans = _query(request, data)
    span = report_span(spans)
    return {
        "start": span.first,
        "end": span.last,
        "reasons": [
            {**row, "practice_share": row["practice"], "label": str(row["label"])}
            for row in leak.churn_reasons_report(request.user, span, query.filters)
        ],
        "staff_attitude_by_manager": [
            {
                **row,
                "owner": row["owner_id"],
                "staff_attitude_lost": row["attitude"],
                "manager": str(row["manager"]),
            }
            for row in leak.staff_attitude_losses(request.user, span, query.filters)
        ],
    }


def _alert_out(alert: LeakAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "team": alert.team_id,
        "team_name": alert.team.name,
        "period": period_label(alert),
        "period_start": alert.period_start,
        "period_end": alert.period_end,
        "active_at_start": alert.active_at_start,
        "lost": alert.lost,
        "rate": alert.rate,
        "threshold": alert.threshold,
        "fired_at": alert.fired_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by_id,
    }


def _require_heads(request: HttpRequest) -> None:
    if not user_can(request.user, "view_team_settings"):
        raise PermissionDeniedError(_("Leak alerts are for heads of sales and administrators."))


@router.get("/retention/alerts", response=list[AlertOut], summary="Leak-rate alerts of your teams")
def alerts(request: HttpRequest, open_only: bool = False) -> list[dict[str, Any]]:
    _require_heads(request)
    rows = alerts_visible_to(request.user).select_related("team")
    if open_only:
        rows = rows.filter(acknowledged_at__isnull=True)
    return [_alert_out(alert) for alert in rows[:500]]


@router.post(
    "/retention/alerts/{alert_id}/acknowledge", response=AlertOut, summary="Acknowledge a leak-rate alert"
)
def alert_acknowledge(request: AuthedRequest, alert_id: int) -> dict[str, Any]:
    _require_heads(request)
    alert = get_object_or_404(alerts_visible_to(request.user).select_related("team"), pk=alert_id)
    return _alert_out(leak_alert_acknowledge(by=request.user, alert=alert))


def _team(request: HttpRequest, team_id: int) -> Any:
    _require_heads(request)
    return get_object_or_404(teams_visible_to(request.user), pk=team_id)


def _policy_out(team: Any) -> dict[str, Any]:
    policy = policy_of(team)
    values = {name: getattr(policy, name) for name in POLICY_FIELDS}
    for name, (kind, _low, _high) in POLICY_FIELDS.items():
        if kind == "percent":
            values[name] = Decimal(values[name]).quantize(Decimal("0.01"))
    return {"team": team.pk, **values}


@router.get("/retention/policies/{team_id}", response=PolicyOut, summary="A team's retention policy")
def policy_get(request: HttpRequest, team_id: int) -> dict[str, Any]:
    return _policy_out(_team(request, team_id))


@router.put("/retention/policies/{team_id}", response=PolicyOut, summary="Change a team's retention policy")
def policy_put(request: HttpRequest, team_id: int, payload: PolicyIn) -> dict[str, Any]:
    team = _team(request, team_id)
    fields = {name: value for name, value in payload.dict().items() if value is not None}
    if not fields:
        raise BusinessError(
            _("Nothing to change."), errors={"__all__": [_("Give at least one setting.")]}, status=422
        )
    retention_policy_update(by=request.user, team=team, **fields)
    return _policy_out(team)
