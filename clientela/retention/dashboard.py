"""The retention dashboard (`/retention/`): heads and admins see their teams / everyone with team
and manager filters, managers their own clients; marketers are refused (sales data).

The page renders the tiles registered on `retention.hooks.DASHBOARD_TILES`, in position order;
this module registers the leak tiles: the leak-rate trend with the alert state and the breakdown
per team, manager or segment; churn reasons beside the practice shares; staff-attitude losses per
manager. Every figure comes with its table and CSV/XLSX export (`core.figures`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from clientela.clients.choices import RevenueBand
from clientela.core.errors import BusinessError
from clientela.core.figures import Chart, Column, Figure, export_response
from clientela.core.http import AuthedRequest
from clientela.core.permissions import role_of, user_can
from clientela.core.roles import Role
from clientela.core.zones import local_date, zone_of
from clientela.retention import leak
from clientela.retention.hooks import DASHBOARD_TILES, Tile
from clientela.retention.leak_alerts import alerts_visible_to, percent, period_label, threshold_of
from clientela.retention.leak_models import LeakPeriod
from clientela.users.models import Team
from clientela.users.selectors import owner_choices, team_choices

PERIOD_NAMES = {
    "month": LeakPeriod.MONTH,
    "quarter": LeakPeriod.QUARTER,
    "year": LeakPeriod.YEAR,
    "custom": LeakPeriod.CUSTOM,
}


def may_see_dashboard(user: Any) -> bool:
    """Heads, admins and managers (their own clients); not marketers."""
    return user_can(user, "work_records")


def _int(value: Any, name: str, errors: dict[str, str]) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        errors[name] = _("Choose from the list.")
        return None
    return int(text)


def _date(value: Any, name: str, errors: dict[str, str]) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a valid date.")
        return None


def parse_leak_query(user: Any, data: Mapping[str, Any]) -> tuple[leak.LeakQuery, dict[str, str]]:
    """The periods and filters asked for, checked against what the viewer may choose. Returns the
    query (wrong values left out) and the field errors."""
    errors: dict[str, str] = {}
    kind = str(data.get("period") or LeakPeriod.MONTH)
    if kind not in LeakPeriod.values:
        errors["period"] = _("Choose month, quarter, year or custom.")
        kind = LeakPeriod.MONTH
    count = _int(data.get("periods"), "periods", errors) or leak.TREND_PERIODS
    if not 1 <= count <= leak.MAX_PERIODS:
        errors["periods"] = _("Between 1 and %(max)s periods.") % {"max": leak.MAX_PERIODS}
        count = leak.TREND_PERIODS
    first = _date(data.get("from"), "from", errors)
    last = _date(data.get("to"), "to", errors)
    if kind == LeakPeriod.CUSTOM and (first is None or last is None or last < first):
        errors.setdefault("to", _("Give the first and the last day, the last not before the first."))
        kind = LeakPeriod.MONTH
    team = _int(data.get("team"), "team", errors)
    owner = _int(data.get("owner"), "owner", errors)
    role = role_of(user)
    if team is not None:
        allowed_teams = {t.pk for t in team_choices(user)}
        if role == Role.HEAD and user.team_id:
            allowed_teams.add(user.team_id)
        if team not in allowed_teams:
            errors["team"] = _("Choose one of your teams.")
            team = None
    if owner is not None and owner not in {u.pk for u in owner_choices(user)} and owner != user.pk:
        errors["owner"] = _("Choose one of your people.")
        owner = None
    filters = leak.LeakFilters(
        team=team,
        owner=owner,
        industry=str(data.get("industry") or "").strip()[:60],
        country=str(data.get("country") or "").strip(),
        region=str(data.get("region") or "").strip()[:100],
        size=str(data.get("size") or ""),
        revenue=str(data.get("revenue") or ""),
        abc=str(data.get("abc") or ""),
    )
    try:
        filters = filters.clean()
    except BusinessError as error:
        for name, messages in error.errors.items():
            errors[name] = messages[0]
            cleared: dict[str, Any] = {name: ""}
            filters = replace(filters, **cleared)
        filters = filters.clean()
    return leak.LeakQuery(kind=kind, count=count, first=first, last=last, filters=filters), errors


def query_periods(user: Any, query: leak.LeakQuery) -> list[leak.Period]:
    return leak.periods(
        query.kind,
        zone=zone_of(user),
        today=local_date(user),
        count=query.count,
        first=query.first,
        last=query.last,
    )


def _request_query(request: Any) -> tuple[leak.LeakQuery, dict[str, str], list[leak.Period]]:
    cached = getattr(request, "_leak_query", None)
    if cached is None:
        query, errors = parse_leak_query(request.user, request.GET)
        cached = (query, errors, query_periods(request.user, query))
        request._leak_query = cached
    return cached


# --- The leak tiles ------------------------------------------------------------------------------


def _threshold(user: Any, filters: leak.LeakFilters) -> Any:
    """The alert threshold to draw: the chosen team's, or the viewer's own team's."""
    team_id = filters.team or (user.team_id if role_of(user) != Role.ADMIN else None)
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    return threshold_of(team) if team is not None else None


def report_span(spans: list[leak.Period]) -> leak.Period:
    """The period the reports of one period show: the last complete one of the trend (the current
    one when it is the only one, e.g. a custom span)."""
    return spans[-2] if len(spans) > 1 and not spans[-1].complete else spans[-1]


def leak_figures(user: Any, query: leak.LeakQuery, spans: list[leak.Period], *, by: str = "") -> list[Figure]:
    breakdown_by = by or ("team" if len(team_choices(user)) > 1 and not query.filters.team else "")
    if not breakdown_by and role_of(user) in (Role.HEAD, Role.ADMIN) and not query.filters.owner:
        breakdown_by = "owner"
    if breakdown_by:
        # The trend and its breakdown from one pass over the history.
        grouped = leak.leak_counts(user, spans, query.filters, by=breakdown_by, total=True)
        whole = grouped.pop(leak.TOTAL)
        rows = leak.leak_trend(user, spans, query.filters, counts=whole)
    else:
        rows = leak.leak_trend(user, spans, query.filters)
    threshold = _threshold(user, query.filters)
    open_alerts = list(
        alerts_visible_to(user).filter(acknowledged_at__isnull=True).select_related("team")[:10]
    )
    if query.filters.team:
        open_alerts = [a for a in open_alerts if a.team_id == query.filters.team]
    if open_alerts:
        note = " ".join(
            _("Alert: %(team)s, %(period)s — %(rate)s %% (threshold %(threshold)s %%).")
            % {
                "team": a.team.name,
                "period": period_label(a),
                "rate": percent(a.rate),
                "threshold": percent(a.threshold),
            }
            for a in open_alerts
        )
    elif threshold is not None:
        note = _("No open alert. An alert fires when a month's leak rate is above %(threshold)s %%.") % {
            "threshold": percent(threshold)
        }
    else:
        note = _("Leak rate = clients lost in the period / clients new or active at its start.")
    columns = [
        Column("period", _("Period")),
        Column("start", _("From"), kind="date"),
        Column("end", _("To"), kind="date"),
        Column("active", _("Active at start"), kind="int"),
        Column("lost", _("Lost"), kind="int"),
        Column("rate", _("Leak rate"), kind="percent"),
    ]
    trend = Figure(
        key="leak-rate",
        title=_("Leak rate"),
        columns=columns,
        rows=rows,
        chart=Chart(
            kind="line" if len(rows) > 1 else "bar",
            x="period",
            series=["rate"],
            threshold=threshold,
            threshold_label=_("Alert threshold") if threshold is not None else "",
        ),
        note=note,
        extra={"alerts": open_alerts},
    )
    figures = [trend]
    if breakdown_by:
        span = report_span(spans)
        index = spans.index(span)
        per_group = {group: [counts[index]] for group, counts in grouped.items()}
        figures.append(
            Figure(
                key="leak-by",
                title=_("Leak rate by %(what)s, %(period)s")
                % {"what": str(leak.BREAKDOWNS[breakdown_by]).lower(), "period": span.label},
                columns=[
                    Column("group", leak.BREAKDOWNS[breakdown_by]),
                    Column("active", _("Active at start"), kind="int"),
                    Column("lost", _("Lost"), kind="int"),
                    Column("rate", _("Leak rate"), kind="percent"),
                ],
                rows=leak.leak_breakdown(user, span, query.filters, breakdown_by, counts=per_group),
                chart=Chart(kind="hbar", x="group", series=["rate"], threshold=threshold),
                empty=_("No clients in this period."),
            )
        )
    return figures


def reason_figures(user: Any, query: leak.LeakQuery, spans: list[leak.Period]) -> list[Figure]:
    span = report_span(spans)
    rows = leak.churn_reasons_report(user, span, query.filters)
    total = sum(row["lost"] for row in rows)
    return [
        Figure(
            key="churn-reasons",
            title=_("Churn reasons, %(period)s, against practice") % {"period": span.label},
            columns=[
                Column("label", _("Reason")),
                Column("lost", _("Lost"), kind="int"),
                Column("share", _("Our share"), kind="percent"),
                Column("practice", _("Share in practice"), kind="percent"),
            ],
            rows=rows,
            chart=Chart(kind="hbar", x="label", series=["share", "practice"]),
            footer={"label": _("Total"), "lost": total},
            note=_("Share of the period's lost clients per reason, beside the shares known from practice."),
        )
    ]


def attitude_figures(user: Any, query: leak.LeakQuery, spans: list[leak.Period]) -> list[Figure]:
    span = report_span(spans)
    return [
        Figure(
            key="staff-attitude",
            title=_("Lost for staff attitude, per manager, %(period)s") % {"period": span.label},
            columns=[
                Column("manager", _("Personal manager")),
                Column("attitude", _("Lost for staff attitude"), kind="int"),
                Column("lost", _("Lost in all"), kind="int"),
                Column("share", _("Share"), kind="percent"),
            ],
            rows=leak.staff_attitude_losses(user, span, query.filters),
            chart=Chart(kind="none", x="manager", series=["attitude"]),
            empty=_("No client was lost for staff attitude in this period."),
            note=_("The manager is the client's personal manager when it was lost."),
        )
    ]


def available_breakdowns() -> dict[str, Any]:
    """What the leak can be broken down by (the ABC class once clients carry one)."""
    return {key: label for key, label in leak.BREAKDOWNS.items() if key != "abc" or leak.has_abc()}


def _leak_tile(request: Any) -> list[Figure]:
    query, _errors, spans = _request_query(request)
    return leak_figures(
        request.user,
        query,
        spans,
        by=str(request.GET.get("by") or "") if request.GET.get("by") in available_breakdowns() else "",
    )


def _reasons_tile(request: Any) -> list[Figure]:
    query, _errors, spans = _request_query(request)
    return reason_figures(request.user, query, spans)


def _attitude_tile(request: Any) -> list[Figure]:
    query, _errors, spans = _request_query(request)
    return attitude_figures(request.user, query, spans)


TILES = [
    Tile("leak-rate", 10, _leak_tile),
    Tile("churn-reasons", 20, _reasons_tile),
    Tile("staff-attitude", 60, _attitude_tile),
]


# --- The page ------------------------------------------------------------------------------------


@login_required
def dashboard(request: AuthedRequest) -> HttpResponseBase:
    if not may_see_dashboard(request.user):
        raise PermissionDenied(_("The retention dashboard is for sales people."))
    query, errors, _spans = _request_query(request)
    figures: list[Figure] = []
    for tile in sorted(DASHBOARD_TILES, key=lambda tile: (tile.position, tile.key)):
        figures.extend(tile.figures(request))
    if (response := export_response(request, figures)) is not None:
        return response
    user = request.user
    context = {
        "figures": figures,
        "errors": errors,
        "query": query,
        "values": request.GET,
        "periods": [(key, label) for key, label in LeakPeriod.choices],
        "teams": team_choices(user),
        "owners": owner_choices(user),
        "breakdowns": [
            (key, label) for key, label in leak.BREAKDOWNS.items() if key != "abc" or leak.has_abc()
        ],
        "sizes": [(key, label) for key, label, *_rest in leak.EMPLOYEE_BANDS],
        "revenues": RevenueBand.choices,
        "abc_classes": leak.ABC_CLASSES if leak.has_abc() else (),
        "is_manager": role_of(user) == Role.MANAGER,
    }
    return render(request, "retention/dashboard.html", context)
