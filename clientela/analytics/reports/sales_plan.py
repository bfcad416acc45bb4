"""Sales plan: per team and manager, per month and quarter, the top-down plan, the bottom-up
forecast and the actual sales, with the progress against the plan.

* **Top-down** — the `SalesPlan` a head set for the month (last year's won amount of that month
  × (1 + market growth %) × (1 + own ambition %), `analytics.plans.top_down`);
* **bottom-up** — the sum of the `ClientForecast`s entered for the month for the clients the
  manager owns (a team: its clients);
* **actual** — deals **won** in the month (`closed_at`, the reader's days; a team: its deals, a
  manager: the deals they own) and payments **received** in the month (`paid_on`);
* **progress** — won against the top-down plan.

The report covers the whole months, and the whole quarters, that the period touches; a
quarter is the sum of its months. All amounts are in the company's base currency (today's
rates, as the board's totals); amounts in a currency without a rate are left out and named
under the figure. A manager sees their own rows; a head their teams and their people; an admin
every team. Four grouped queries whatever the number of people and months."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import SALES_ROLES, Report, ReportContext, percent, register
from clientela.analytics.plans import (
    add_months,
    base_currency,
    client_forecasts,
    month_bounds,
    months_between,
    planned_people,
    quarter_of,
    sales_plans,
    to_base,
)
from clientela.core.figures import Chart, Column, Figure
from clientela.core.permissions import Action, role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.users.models import Team

MEASURES = ("top_down", "bottom_up", "won", "received")


def plan_months(ctx: ReportContext) -> list[dt.date]:
    """The months of the whole quarters the period touches."""
    first = ctx.period.first.replace(month=(ctx.period.first.month - 1) // 3 * 3 + 1, day=1)
    last_quarter = ctx.period.last.replace(month=(ctx.period.last.month - 1) // 3 * 3 + 1, day=1)
    return months_between(first, add_months(last_quarter, 2))


def _month_of(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    return value.replace(day=1)


def _teams(ctx: ReportContext) -> list[Team]:
    """The teams whose totals the viewer sees (none for a manager, or when one person is asked)."""
    role = role_of(ctx.viewer)
    if role == Role.MANAGER or ctx.filters.manager:
        return []
    teams = Team.objects.order_by("name")
    if role != Role.ADMIN:
        teams = teams.filter(pk__in=visible_team_ids(ctx.viewer) or set())
    if ctx.filters.team:
        teams = teams.filter(pk=ctx.filters.team)
    return list(teams)


def _people(ctx: ReportContext) -> list[Any]:
    people = planned_people(ctx.viewer)
    if ctx.filters.team:
        people = people.filter(team_id=ctx.filters.team)
    if ctx.filters.manager:
        people = people.filter(pk=ctx.filters.manager)
    return list(people)


def collect(ctx: ReportContext) -> dict[str, Any]:
    """Every measure per (team id or None, person id or None, month)."""
    months = plan_months(ctx)
    zone = ctx.period.zone
    start, _end = month_bounds(months[0], zone)
    _start, end = month_bounds(months[-1], zone)
    values: dict[tuple[Any, Any, dt.date], dict[str, Decimal]] = defaultdict(dict)
    missing: set[str] = set()

    for plan in (
        sales_plans(ctx.viewer).filter(month__in=months).only("team_id", "manager_id", "month", "target")
    ):
        values[(plan.team_id if plan.manager_id is None else None, plan.manager_id, plan.month)][
            "top_down"
        ] = plan.target

    forecast_rows = list(
        client_forecasts(ctx.viewer)
        .filter(month__in=months)
        .order_by()
        .values("month", "client__owner_id", "client__team_id", "currency")
        .annotate(amount=Sum("amount"))
    )
    deal_rows = list(
        ctx.deals()
        .filter(status="won", closed_at__gte=start, closed_at__lt=end)
        .annotate(m=TruncMonth("closed_at", tzinfo=zone))
        .order_by()
        .values("m", "owner_id", "team_id", "currency")
        .annotate(amount=Sum("amount"))
    )
    payment_rows = list(
        _payments(ctx)
        .filter(kind="received", paid_on__gte=months[0], paid_on__lt=add_months(months[-1], 1))
        .annotate(m=TruncMonth("paid_on"))
        .order_by()
        .values("m", "deal__owner_id", "deal__team_id", "currency")
        .annotate(amount=Sum("amount"))
    )
    for measure, rows, month_key, owner_key, team_key in (
        ("bottom_up", forecast_rows, "month", "client__owner_id", "client__team_id"),
        ("won", deal_rows, "m", "owner_id", "team_id"),
        ("received", payment_rows, "m", "deal__owner_id", "deal__team_id"),
    ):
        by_person = to_base(rows, lambda r, mk=month_key, ok=owner_key: (None, r[ok], _month_of(r[mk])))
        by_team = to_base(rows, lambda r, mk=month_key, tk=team_key: (r[tk], None, _month_of(r[mk])))
        missing |= by_person.missing
        for money in (by_person, by_team):
            for key, amount in money.totals.items():
                values[key][measure] = values[key].get(measure, Decimal("0.00")) + amount  # type: ignore[index]
    return {"months": months, "values": values, "missing": missing}


def _payments(ctx: ReportContext) -> Any:
    from clientela.deals.models import Payment

    if ctx.is_manager:
        return Payment.objects.filter(deal__owner=ctx.viewer)
    payments = Payment.objects.restrict(ctx.viewer, Action.VIEW)
    if ctx.filters.team:
        payments = payments.filter(deal__team_id=ctx.filters.team)
    if ctx.filters.manager:
        payments = payments.filter(deal__owner_id=ctx.filters.manager)
    return payments


def _month_label(month: dt.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _quarter_label(year: int, quarter: int) -> str:
    return _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}


def _with_progress(row: dict[str, Any]) -> dict[str, Any]:
    row["progress"] = percent(row.get("won") or 0, row.get("top_down")) if row.get("top_down") else None
    return row


def _series(
    values: dict[Any, dict[str, Decimal]], months: list[dt.date], team: Any, person: Any
) -> list[tuple[Any, dict[str, Any]]]:
    """Rows for one team or person: each month, then its quarter's sum after its last month."""
    result: list[tuple[Any, dict[str, Any]]] = []
    quarter: dict[str, Any] = {}
    for month in months:
        found = values.get((team, person, month), {})
        row = {measure: found.get(measure) for measure in MEASURES}
        result.append((month, row))
        for measure in MEASURES:
            if row[measure] is not None:
                quarter[measure] = quarter.get(measure, Decimal("0.00")) + row[measure]
        if month.month % 3 == 0:
            result.append((quarter_of(month), {measure: quarter.get(measure) for measure in MEASURES}))
            quarter = {}
    return result


def _label(key: Any) -> str:
    if isinstance(key, dt.date):
        return _month_label(key)
    return _quarter_label(*key)


def _money_columns() -> list[Column]:
    currency = base_currency()
    return [
        Column("top_down", _("Plan (top-down)"), kind="money", currency=currency),
        Column("bottom_up", _("Forecast (bottom-up)"), kind="money", currency=currency),
        Column("won", _("Won"), kind="money", currency=currency),
        Column("received", _("Payments received"), kind="money", currency=currency),
        Column("progress", _("Progress"), kind="percent"),
    ]


def _won_link(ctx: ReportContext, key: Any, *, team: Any = None, person: Any = None) -> str:
    if isinstance(key, dt.date):
        first, last = key, add_months(key, 1) - dt.timedelta(days=1)
    else:
        year, quarter = key
        first = dt.date(year, (quarter - 1) * 3 + 1, 1)
        last = add_months(first, 3) - dt.timedelta(days=1)
    params: dict[str, Any] = {
        "status": "won",
        "closed_from": first.isoformat(),
        "closed_to": last.isoformat(),
    }
    if person:
        params["owner"] = person
    if team:
        params["team"] = team
    return ctx.link("deals:list", **params)


def overview(ctx: ReportContext, data: dict[str, Any], teams: list[Team], people: list[Any]) -> Figure:
    """The viewer's whole scope per month and quarter (their teams' sums, or their own)."""
    values = data["values"]
    if teams:
        combined: dict[Any, dict[str, Decimal]] = defaultdict(dict)
        for (team, person, month), found in values.items():
            if person is None and team in {t.pk for t in teams}:
                for measure, amount in found.items():
                    combined[(None, None, month)][measure] = (
                        combined[(None, None, month)].get(measure, Decimal("0.00")) + amount
                    )
        series = _series(combined, data["months"], None, None)
    elif len(people) == 1:
        series = _series(values, data["months"], None, people[0].pk)
    else:
        series = []
    rows = []
    for key, found in series:
        row = _with_progress({"period": _label(key), **found})
        row["_links"] = {"won": _won_link(ctx, key, person=people[0].pk if not teams and people else None)}
        rows.append(row)
    note = ""
    if data["missing"]:
        note = _("Amounts in %(currencies)s are left out: no exchange rate is recorded for them.") % {
            "currencies": ", ".join(sorted(data["missing"]))
        }
    return Figure(
        key="sales-plan-overview",
        title=_("Plan, forecast and actual"),
        columns=[Column("period", _("Month or quarter")), *_money_columns()],
        rows=rows,
        chart=Chart(kind="bar", x="period", series=["top_down", "bottom_up", "won", "received"]),
        note=note,
    )


def detail(ctx: ReportContext, data: dict[str, Any], teams: list[Team], people: list[Any]) -> Figure:
    values, months = data["values"], data["months"]
    rows = []
    for team in teams:
        for key, found in _series(values, months, team.pk, None):
            row = _with_progress(
                {"period": _label(key), "team": str(team), "person": _("Whole team"), **found}
            )
            row["_links"] = {"won": _won_link(ctx, key, team=team.pk)}
            rows.append(row)
    for person in people:
        for key, found in _series(values, months, None, person.pk):
            row = _with_progress(
                {"period": _label(key), "team": str(person.team or ""), "person": str(person), **found}
            )
            row["_links"] = {"won": _won_link(ctx, key, person=person.pk)}
            rows.append(row)
    return Figure(
        key="sales-plan-detail",
        title=_("Per team and manager"),
        columns=[
            Column("team", _("Team")),
            Column("person", _("Person")),
            Column("period", _("Month or quarter")),
            *_money_columns(),
        ],
        rows=rows,
        note=_(
            "Plan: last year's won amount of the month × (1 + market growth) × (1 + own ambition), "
            "set on the Plans page. Forecast: the sum of the client forecasts for the month."
        ),
    )


def build(ctx: ReportContext) -> list[Figure]:
    data = collect(ctx)
    teams, people = _teams(ctx), _people(ctx)
    return [overview(ctx, data, teams, people), detail(ctx, data, teams, people)]


REPORT = register(
    Report(
        key="sales-plan",
        title=gettext_lazy("Sales plan"),
        summary=gettext_lazy(
            "Per team and manager, per month and quarter: the top-down plan, the bottom-up "
            "forecast, won deals and received payments, and the progress against the plan."
        ),
        build=build,
        icon="ti-target-arrow",
        section="team",
        position=90,
        filters=frozenset({"team", "manager"}),
        roles=SALES_ROLES,
        money_only=True,
    )
)
