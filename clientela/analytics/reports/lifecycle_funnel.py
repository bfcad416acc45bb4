"""Lifecycle funnel: interest → lead → qualified → client, overall and per source and origin.

The cohort is what arrived in the period (the viewer's days): the **interests** created in it
(and, of them, those upgraded to a lead since), the **leads** created in it (merged duplicates
left out, as in the lead list) and, of those leads, the ones **qualified** since
(`Lead.qualified_at`: the first time, kept when the lead later went back to work or was
refused; a lead converted straight away counts) and the ones that became **clients**
(`converted_at`). Each step's conversion is to the next step; "of leads" is the share of the
period's leads. Every count links to the list behind it (the interests or leads list with the
period's created days, the source or origin, and the report's other filters).

Speed: one grouped query per figure over the leads created in the period (`created_at` is
indexed; scoped by owner/team first for managers and heads), and one over the interests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import (
    ALL_ROLES,
    LEAD_FILTERS,
    Report,
    ReportContext,
    change,
    percent,
    register,
)
from clientela.core.figures import Chart, Column, Figure
from clientela.leads.choices import Origin, Source

STEPS = ("interests", "upgraded", "leads", "qualified", "clients")
# The report's filters the lead list understands (carried by every link to it).
LEAD_LIST_FILTERS = ("source", "origin", "campaign", "temperature", "country", "region", "industry")


def cohort(ctx: ReportContext) -> Any:
    """The viewer's leads created in the period (without merged duplicates)."""
    return ctx.in_period(ctx.leads(), "created_at").filter(merged_into__isnull=True)


def lead_counts(ctx: ReportContext, dimension: str | None) -> dict[Any, dict[str, int]]:
    """Leads, qualified and clients of the period's cohort, per `dimension` value (or one row)."""
    measures = {
        "leads": Count("id"),
        "qualified": Count("id", filter=Q(qualified_at__isnull=False)),
        "clients": Count("id", filter=Q(converted_at__isnull=False)),
    }
    leads = cohort(ctx).order_by()
    if dimension is None:
        return {None: leads.aggregate(**measures)}
    return {row[dimension]: row for row in leads.values(dimension).annotate(**measures)}


# Filters an interest has no field for: with one of them set, no interest is counted.
NOT_ON_INTERESTS = ("temperature", "region", "industry")


def interest_counts(ctx: ReportContext, dimension: str | None) -> dict[Any, dict[str, int]]:
    if any(getattr(ctx.filters, name) for name in NOT_ON_INTERESTS):
        return {}
    measures = {"interests": Count("id"), "upgraded": Count("id", filter=Q(upgraded_to__isnull=False))}
    interests = ctx.in_period(ctx.interests(), "created_at").order_by()
    if dimension is None:
        return {None: interests.aggregate(**measures)}
    return {row[dimension]: row for row in interests.values(dimension).annotate(**measures)}


def _counts(ctx: ReportContext, dimension: str | None) -> dict[Any, dict[str, int]]:
    merged: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STEPS, 0))
    for key, row in lead_counts(ctx, dimension).items():
        for name in ("leads", "qualified", "clients"):
            merged[key][name] += row[name]
    for key, row in interest_counts(ctx, dimension).items():
        merged[key]["interests"] += row["interests"]
        merged[key]["upgraded"] += row["upgraded"]
    return merged


def _list_params(ctx: ReportContext, **extra: Any) -> dict[str, Any]:
    params = {name: getattr(ctx.filters, name) for name in LEAD_LIST_FILTERS}
    params.update(extra)
    return params


def lead_link(ctx: ReportContext, **extra: Any) -> str:
    return ctx.link("leads:list", dates="created", **_list_params(ctx, **extra))


def interest_link(ctx: ReportContext, **extra: Any) -> str:
    params = {"source": ctx.filters.source, **extra}
    return ctx.link("leads:interests", dates="created", **params)


def overall(ctx: ReportContext) -> Figure:
    counts = _counts(ctx, None)[None]
    previous: dict[str, int] | None = None
    other = ctx.comparison()
    if other is not None:
        previous = _counts(other, None)[None]
    steps = [
        ("interests", _("Interests"), counts["upgraded"], interest_link(ctx)),
        ("leads", _("Leads"), counts["qualified"], lead_link(ctx)),
        ("qualified", _("Qualified"), counts["clients"], lead_link(ctx, qualified="yes")),
        ("clients", _("Clients"), None, lead_link(ctx, status="converted")),
    ]
    rows = []
    for key, label, moved_on, url in steps:
        count = counts[key]
        row: dict[str, Any] = {
            "step": label,
            "count": count,
            "moved_on": moved_on,
            "conversion": percent(moved_on, count) if moved_on is not None else None,
            "of_leads": percent(count, counts["leads"]) if key != "interests" else None,
            "_links": {"count": url},
        }
        if key == "interests":
            row["_links"]["moved_on"] = interest_link(ctx, upgraded="yes")
        elif key == "leads":
            row["_links"]["moved_on"] = lead_link(ctx, qualified="yes")
        elif key == "qualified":
            row["_links"]["moved_on"] = lead_link(ctx, status="converted")
        if previous is not None:
            row["previous"] = previous[key]
            row["change"] = change(count, previous[key])
        rows.append(row)
    columns = [
        Column("step", _("Step")),
        Column("count", _("Count"), kind="int"),
        Column("moved_on", _("Went on to the next step"), kind="int"),
        Column("conversion", _("Conversion to the next step"), kind="percent"),
        Column("of_leads", _("Of the period's leads"), kind="percent"),
    ]
    if previous is not None:
        columns += [
            Column("previous", _("Previous period"), kind="int"),
            Column("change", _("Change"), kind="percent"),
        ]
    return Figure(
        key="lifecycle-funnel",
        title=_("Interest → lead → qualified → client"),
        columns=columns,
        rows=rows if counts["interests"] or counts["leads"] else [],
        chart=Chart(kind="hbar", x="step", series=["count"]),
        note=_(
            "Interests and leads created in the period; of those leads, the ones qualified since "
            "(at least once, a lead converted straight away included) and the ones that became "
            "clients. Interests that became leads are counted among the leads of the day they "
            "were upgraded."
        ),
    )


def breakdown(ctx: ReportContext, dimension: str) -> Figure:
    labels = dict(Source.choices if dimension == "source" else Origin.choices)
    counts = _counts(ctx, dimension)
    rows: list[dict[str, Any]] = []
    for value, values in counts.items():
        label = labels.get(value, value) if value else _("Not set")
        links: dict[str, str] = {}
        if value:
            links = {
                "leads": lead_link(ctx, **{dimension: value}),
                "qualified": lead_link(ctx, **{dimension: value, "qualified": "yes"}),
                "clients": lead_link(ctx, **{dimension: value, "status": "converted"}),
            }
            if dimension == "source":
                links["interests"] = interest_link(ctx, source=value)
                links["upgraded"] = interest_link(ctx, source=value, upgraded="yes")
        rows.append(
            {
                dimension: label,
                **values,
                "interest_conversion": percent(values["upgraded"], values["interests"]),
                "qualified_rate": percent(values["qualified"], values["leads"]),
                "client_rate": percent(values["clients"], values["qualified"]),
                "lead_client_rate": percent(values["clients"], values["leads"]),
                "_links": links,
            }
        )
    rows.sort(key=lambda r: (-r["leads"], -r["interests"], str(r[dimension])))
    footer: dict[str, Any] = {dimension: _("Total")}
    for name in STEPS:
        footer[name] = sum(r[name] for r in rows)
    footer["interest_conversion"] = percent(footer["upgraded"], footer["interests"])
    footer["qualified_rate"] = percent(footer["qualified"], footer["leads"])
    footer["client_rate"] = percent(footer["clients"], footer["qualified"])
    footer["lead_client_rate"] = percent(footer["clients"], footer["leads"])
    title = _("By source") if dimension == "source" else _("By origin")
    return Figure(
        key=f"lifecycle-by-{dimension}",
        title=title,
        columns=[
            Column(dimension, _("Source") if dimension == "source" else _("Origin")),
            Column("interests", _("Interests"), kind="int"),
            Column("upgraded", _("Became leads"), kind="int"),
            Column("interest_conversion", _("Interest → lead"), kind="percent"),
            Column("leads", _("Leads"), kind="int"),
            Column("qualified", _("Qualified"), kind="int"),
            Column("qualified_rate", _("Lead → qualified"), kind="percent"),
            Column("clients", _("Clients"), kind="int"),
            Column("client_rate", _("Qualified → client"), kind="percent"),
            Column("lead_client_rate", _("Lead → client"), kind="percent"),
        ],
        rows=rows,
        chart=Chart(kind="bar", x=dimension, series=["leads", "qualified", "clients"]),
        footer=footer if rows else None,
        extra={"half": dimension == "origin"},
    )


def build(ctx: ReportContext) -> list[Figure]:
    return [overall(ctx), breakdown(ctx, "source"), breakdown(ctx, "origin")]


REPORT = register(
    Report(
        key="lifecycle-funnel",
        title=gettext_lazy("Lifecycle funnel"),
        summary=gettext_lazy(
            "Interest → lead → qualified → client: how many arrived in the period and how many "
            "went on at each step, per source and origin."
        ),
        build=build,
        icon="ti-filter",
        section="sales",
        position=10,
        filters=LEAD_FILTERS,
        roles=ALL_ROLES,
    )
)
