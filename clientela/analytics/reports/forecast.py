"""Forecast: the open pipeline weighted by stage probability, by expected close month, and the
deals won and lost in the period with the reasons of the losses.

* **Weighted pipeline** — open deals (now, whatever the period) per pipeline and expected close
  month: their number, amount and amount × the probability of the stage they are in
  (`Stage.probability`). Months from this one to `MONTHS_AHEAD` ahead; deals whose date has
  passed are in their own row ("overdue"), deals further ahead in one ("later"), deals without a
  date in one ("no date").
* **Won and lost in the period** (`closed_at`, the reader's days) per pipeline: counts, amounts,
  win rate (won ÷ closed).
* **Lost reasons** in the period: count and amount per reason.

Amounts in the company's base currency (today's rates, as the board's totals); amounts in a
currency without a rate are left out and named. Grouped queries only: open deals by pipeline,
stage, month and currency (the partial open-deal index), closed deals of the period by status,
reason and currency (`deal_closed_idx`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import SALES_ROLES, Report, ReportContext, percent, register
from clientela.analytics.plans import add_months, base_currency, to_base
from clientela.core.figures import Chart, Column, Figure
from clientela.core.zones import local_date
from clientela.deals.money import CENT

MONTHS_AHEAD = 12
OVERDUE, LATER, NO_DATE = "overdue", "later", "none"


def _pipelines() -> dict[int, str]:
    from clientela.deals.models import Pipeline

    return {p.pk: str(p) for p in Pipeline.objects.only("id", "name", "code")}


def _stages() -> dict[int, int]:
    from clientela.deals.models import Stage

    return dict(Stage.objects.values_list("id", "probability"))


def weighted_pipeline(ctx: ReportContext) -> Figure:
    today = local_date(ctx.viewer)
    this_month = today.replace(day=1)
    horizon = add_months(this_month, MONTHS_AHEAD)
    rows_in = list(
        ctx.deals()
        .filter(status="open")
        .annotate(m=TruncMonth("expected_close_date"))
        .order_by()
        .values("pipeline_id", "stage_id", "m", "currency")
        .annotate(amount=Sum("amount"), n=Count("*"))
    )
    probability = _stages()

    def bucket(row: dict[str, Any]) -> Any:
        month = row["m"]
        if month is None:
            return NO_DATE
        month = month.date() if isinstance(month, dt.datetime) else month
        if month < this_month:
            return OVERDUE
        if month >= horizon:
            return LATER
        return month

    counts: dict[tuple[int, Any], int] = defaultdict(int)
    for row in rows_in:
        counts[(row["pipeline_id"], bucket(row))] += row["n"]
    amounts = to_base(rows_in, lambda r: (r["pipeline_id"], bucket(r)))
    weighted_rows = [
        {**row, "amount": (row["amount"] or Decimal(0)) * probability.get(row["stage_id"], 0) / 100}
        for row in rows_in
    ]
    weighted = to_base(weighted_rows, lambda r: (r["pipeline_id"], bucket(r)))
    names = _pipelines()
    order: list[Any] = [OVERDUE, *[add_months(this_month, i) for i in range(MONTHS_AHEAD)], LATER, NO_DATE]
    labels = {
        OVERDUE: _("Overdue (date passed)"),
        LATER: _("Later"),
        NO_DATE: _("No expected date"),
    }
    rows: list[dict[str, Any]] = []
    for pipeline_id in sorted({p for p, _b in counts}, key=lambda p: names.get(p, "")):
        for key in order:
            n = counts.get((pipeline_id, key), 0)
            if not n:
                continue
            rows.append(
                {
                    "pipeline": names.get(pipeline_id, ""),
                    "month": labels[key]
                    if isinstance(key, str)
                    else formats.date_format(key, "YEAR_MONTH_FORMAT"),
                    "deals": n,
                    "amount": amounts.get((pipeline_id, key)),
                    "weighted": weighted.get((pipeline_id, key)),
                    "_links": {
                        "deals": ctx.link("deals:list", pipeline=pipeline_id, status="open", sort="close")
                    },
                }
            )
    footer = {
        "pipeline": _("Total"),
        "deals": sum(r["deals"] for r in rows),
        "amount": sum((r["amount"] for r in rows), Decimal("0.00")),
        "weighted": sum((r["weighted"] for r in rows), Decimal("0.00")).quantize(
            CENT, rounding=ROUND_HALF_UP
        ),
    }
    currency = base_currency()
    return Figure(
        key="forecast-pipeline",
        title=_("Open pipeline by expected close month"),
        columns=[
            Column("pipeline", _("Pipeline")),
            Column("month", _("Expected close")),
            Column("deals", _("Open deals"), kind="int"),
            Column("amount", _("Amount"), kind="money", currency=currency),
            Column("weighted", _("Weighted by stage probability"), kind="money", currency=currency),
        ],
        rows=rows,
        chart=Chart(kind="bar", x="month", series=["weighted", "amount"]),
        footer=footer if rows else None,
        note=_missing_note(amounts.missing | weighted.missing)
        or _("Open deals now, whatever the period: amount × the probability of their stage."),
        empty=_("No open deals."),
    )


def _missing_note(missing: set[str]) -> str:
    if not missing:
        return ""
    return _("Amounts in %(currencies)s are left out: no exchange rate is recorded for them.") % {
        "currencies": ", ".join(sorted(missing))
    }


def _closed(ctx: ReportContext) -> list[dict[str, Any]]:
    return list(
        ctx.in_period(ctx.deals().filter(status__in=("won", "lost")), "closed_at")
        .order_by()
        .values("pipeline_id", "status", "lost_reason_id", "currency")
        .annotate(amount=Sum("amount"), n=Count("*"))
    )


def won_lost(ctx: ReportContext, closed: list[dict[str, Any]]) -> Figure:
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for row in closed:
        counts[(row["pipeline_id"], row["status"])] += row["n"]
    amounts = to_base(closed, lambda r: (r["pipeline_id"], r["status"]))
    names = _pipelines()
    dates = {"closed_from": ctx.period.first.isoformat(), "closed_to": ctx.period.last.isoformat()}
    rows: list[dict[str, Any]] = []
    for pipeline_id in sorted({p for p, _s in counts}, key=lambda p: names.get(p, "")):
        won, lost = counts.get((pipeline_id, "won"), 0), counts.get((pipeline_id, "lost"), 0)
        rows.append(
            {
                "pipeline": names.get(pipeline_id, ""),
                "won": won,
                "won_amount": amounts.get((pipeline_id, "won")),
                "lost": lost,
                "lost_amount": amounts.get((pipeline_id, "lost")),
                "win_rate": percent(won, won + lost),
                "_links": {
                    "won": ctx.link("deals:list", pipeline=pipeline_id, status="won", **dates),
                    "lost": ctx.link("deals:list", pipeline=pipeline_id, status="lost", **dates),
                },
            }
        )
    won_total, lost_total = sum(r["won"] for r in rows), sum(r["lost"] for r in rows)
    footer = {
        "pipeline": _("Total"),
        "won": won_total,
        "won_amount": sum((r["won_amount"] for r in rows), Decimal("0.00")),
        "lost": lost_total,
        "lost_amount": sum((r["lost_amount"] for r in rows), Decimal("0.00")),
        "win_rate": percent(won_total, won_total + lost_total),
    }
    currency = base_currency()
    return Figure(
        key="forecast-won-lost",
        title=_("Won and lost in the period"),
        columns=[
            Column("pipeline", _("Pipeline")),
            Column("won", _("Won"), kind="int"),
            Column("won_amount", _("Won amount"), kind="money", currency=currency),
            Column("lost", _("Lost"), kind="int"),
            Column("lost_amount", _("Lost amount"), kind="money", currency=currency),
            Column("win_rate", _("Win rate"), kind="percent"),
        ],
        rows=rows,
        chart=Chart(kind="bar", x="pipeline", series=["won", "lost"]),
        footer=footer if rows else None,
        note=_missing_note(amounts.missing),
        extra={"half": True},
    )


def lost_reasons(ctx: ReportContext, closed: list[dict[str, Any]]) -> Figure:
    from clientela.deals.models import LostReason

    lost = [row for row in closed if row["status"] == "lost"]
    counts: dict[Any, int] = defaultdict(int)
    for row in lost:
        counts[row["lost_reason_id"]] += row["n"]
    amounts = to_base(lost, lambda r: r["lost_reason_id"])
    names = {reason.pk: str(reason) for reason in LostReason.objects.all()}
    total = sum(counts.values())
    rows: list[dict[str, Any]] = [
        {
            "reason": names.get(reason, "") if reason else _("No reason given"),
            "deals": n,
            "share": percent(n, total),
            "amount": amounts.get(reason),
        }
        for reason, n in counts.items()
    ]
    rows.sort(key=lambda r: (-r["deals"], str(r["reason"])))
    return Figure(
        key="forecast-lost-reasons",
        title=_("Why deals were lost"),
        columns=[
            Column("reason", _("Reason")),
            Column("deals", _("Deals"), kind="int"),
            Column("share", _("Share"), kind="percent"),
            Column("amount", _("Amount"), kind="money", currency=base_currency()),
        ],
        rows=rows,
        chart=Chart(kind="hbar", x="reason", series=["deals"]),
        empty=_("No deal was lost in the period."),
        extra={"half": True},
    )


def build(ctx: ReportContext) -> list[Figure]:
    closed = _closed(ctx)
    return [weighted_pipeline(ctx), won_lost(ctx, closed), lost_reasons(ctx, closed)]


REPORT = register(
    Report(
        key="forecast",
        title=gettext_lazy("Forecast"),
        summary=gettext_lazy(
            "The open pipeline weighted by stage probability, by expected close month; deals "
            "won and lost in the period, the win rate and the reasons of the losses."
        ),
        build=build,
        icon="ti-crystal-ball",
        section="sales",
        position=60,
        filters=frozenset(
            {
                "team",
                "manager",
                "pipeline",
                "source",
                "origin",
                "campaign",
                "temperature",
                "country",
                "region",
                "industry",
            }
        ),
        roles=SALES_ROLES,
        money_only=True,
    )
)
