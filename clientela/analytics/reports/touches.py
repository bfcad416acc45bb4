"""Touches before the first sale: how much work a lead takes until its client first buys.

The leads **converted in the period** (`converted_at`, in the reader's days) whose client has a
won deal. For each, its touches: the activities (calls, e-mails, meetings, offers, printed
materials — not notes) on the lead, and on its client or the client's deals and contacts
(an activity on a deal or contact carries the client), that happened **up to the moment the
client's first deal was won** (`closed_at` of its earliest won deal). Anyone's activities count:
the touches are the lead's, not one person's.

Per temperature and per source of the lead: leads, touches, average and median per lead; the
distribution of leads by number of touches; and the leads themselves (most touches first), each
linking to its card. One query with two correlated subqueries (the first won deal, the count)
over the period's converted leads; the medians are taken in Python over those leads only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.activities.choices import ActivityKind
from clientela.activities.models import Activity
from clientela.analytics.engine import SALES_ROLES, Report, ReportContext, register
from clientela.core.figures import Chart, Column, Figure
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.leads.choices import Source, Temperature

LISTED = 200
# (label, lowest, highest) — highest None: and more
BUCKETS: list[tuple[str, int, int | None]] = [
    ("0", 0, 0),
    ("1–2", 1, 2),
    ("3–5", 3, 5),
    ("6–10", 6, 10),
    ("11–20", 11, 20),
    ("21+", 21, None),
]
LEAD_FILTERS = ("source", "origin", "campaign", "temperature")
FILTERS = (*LEAD_FILTERS, "team", "manager", "country", "region", "industry")


def sold_leads(ctx: ReportContext) -> QuerySet[Any]:
    """The viewer's leads converted in the period whose client has bought, with `won_at` (the
    first won deal's moment) and `touches`."""
    first_won = (
        Deal.objects.filter(client_id=OuterRef("client_id"), status=DealStatus.WON, closed_at__isnull=False)
        .order_by("closed_at")
        .values("closed_at")[:1]
    )
    touches = (
        Activity.objects.filter(
            Q(lead_id=OuterRef("pk")) | Q(client_id=OuterRef("client_id")),
            occurred_at__lte=OuterRef("won_at"),
        )
        .exclude(kind=ActivityKind.NOTE)
        .order_by()
        .annotate(n=Func(F("id"), function="COUNT"))
        .values("n")
    )
    return (
        ctx.in_period(ctx.leads(), "converted_at")
        .filter(client__isnull=False)
        .annotate(won_at=Subquery(first_won))
        .filter(won_at__isnull=False)
        .annotate(touches=Subquery(touches, output_field=IntegerField()))
    )


def _average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(statistics.median(values))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _link(ctx: ReportContext, **params: Any) -> str:
    carried = {name: getattr(ctx.filters, name) for name in LEAD_FILTERS}
    return ctx.link("leads:list", dates="converted", first_sale="yes", **{**carried, **params})


def _measures(values: list[int]) -> dict[str, Any]:
    return {
        "leads": len(values),
        "touches": sum(values),
        "average": _average(values),
        "median": _median(values),
    }


def _grouped(
    ctx: ReportContext,
    leads: list[dict[str, Any]],
    key: str,
    labels: dict[str, Any],
    title: Any,
    fig_key: str,
) -> Figure:
    groups: dict[str, list[int]] = defaultdict(list)
    for lead in leads:
        groups[lead[key] or ""].append(lead["touches"])
    rows = []
    for value, touches in groups.items():
        link = _link(ctx, **{key: value}) if value else ""
        rows.append(
            {
                "group": labels.get(value, value) if value else _("Not set"),
                **_measures(touches),
                "_links": {"leads": link, "touches": link} if link else {},
            }
        )
    rows.sort(key=lambda r: (-int(r["leads"]), str(r["group"])))
    footer = {"group": _("Total"), **_measures([lead["touches"] for lead in leads])}
    footer["_links"] = {"leads": _link(ctx)}
    return Figure(
        key=fig_key,
        title=title,
        columns=[
            Column("group", labels.get("_label", _("Group"))),
            Column("leads", _("Leads that became buyers"), kind="int"),
            Column("touches", _("Touches"), kind="int"),
            Column("average", _("Average per lead"), kind="decimal"),
            Column("median", _("Median per lead"), kind="decimal"),
        ],
        rows=rows,
        chart=Chart(kind="bar", x="group", series=["average", "median"]),
        footer=footer if rows else None,
        empty=_("No lead converted in this period has bought yet."),
        extra={"half": True},
    )


def _within(value: int, low: int, high: int | None) -> bool:
    return low <= value and (high is None or value <= high)


def distribution(ctx: ReportContext, leads: list[dict[str, Any]]) -> Figure:
    rows = []
    for label, low, high in BUCKETS:
        count = sum(
            1 for lead in leads if low <= lead["touches"] and (high is None or lead["touches"] <= high)
        )
        rows.append({"touches": label, "leads": count})
    return Figure(
        key="touches-distribution",
        title=_("Leads by number of touches before the first sale"),
        columns=[Column("touches", _("Touches")), Column("leads", _("Leads"), kind="int")],
        rows=rows if leads else [],
        chart=Chart(kind="bar", x="touches", series=["leads"]),
        footer=(
            {"touches": _("Total"), "leads": len(leads), "_links": {"leads": _link(ctx)}} if leads else None
        ),
        extra={"half": True},
    )


def listed(ctx: ReportContext, leads: list[dict[str, Any]]) -> Figure:
    temperatures = dict(Temperature.choices)
    sources = dict(Source.choices)
    ordered = sorted(leads, key=lambda lead: (-lead["touches"], lead["id"]))[:LISTED]
    rows = [
        {
            "lead": lead["name"],
            "temperature": temperatures.get(lead["temperature"], ""),
            "source": sources.get(lead["source"], lead["source"]),
            "converted": lead["converted_at"],
            "won": lead["won_at"],
            "touches": lead["touches"],
            "_links": {"lead": reverse("leads:detail", args=[lead["id"]])},
        }
        for lead in ordered
    ]
    return Figure(
        key="touches-leads",
        title=_("The leads and their touches"),
        columns=[
            Column("lead", _("Lead")),
            Column("temperature", _("Temperature")),
            Column("source", _("Source")),
            Column("converted", _("Converted"), kind="date"),
            Column("won", _("First sale"), kind="date"),
            Column("touches", _("Touches"), kind="int"),
        ],
        rows=rows,
        note=(
            _("The %(count)s leads with the most touches.") % {"count": LISTED} if len(leads) > LISTED else ""
        ),
    )


def build(ctx: ReportContext) -> list[Figure]:
    leads = [
        {
            "id": row["id"],
            "name": " ".join(part for part in (row["first_name"], row["last_name"]) if part)
            or row["company_name"]
            or row["email"]
            or f"#{row['id']}",
            "temperature": row["temperature"],
            "source": row["source"],
            "converted_at": row["converted_at"],
            "won_at": row["won_at"],
            "touches": row["touches"] or 0,
        }
        for row in sold_leads(ctx).values(
            "id",
            "first_name",
            "last_name",
            "company_name",
            "email",
            "temperature",
            "source",
            "converted_at",
            "won_at",
            "touches",
        )
    ]
    temperature_labels: dict[str, Any] = {**dict(Temperature.choices), "_label": _("Temperature")}
    source_labels: dict[str, Any] = {**dict(Source.choices), "_label": _("Source")}
    return [
        _grouped(
            ctx, leads, "temperature", temperature_labels, _("Touches by temperature"), "touches-temperature"
        ),
        _grouped(ctx, leads, "source", source_labels, _("Touches by source"), "touches-source"),
        distribution(ctx, leads),
        listed(ctx, leads),
    ]


REPORT = register(
    Report(
        key="touches",
        title=gettext_lazy("Touches before the first sale"),
        summary=gettext_lazy(
            "How many calls, e-mails and meetings a converted lead took until its client first "
            "bought, by temperature and source."
        ),
        build=build,
        icon="ti-hand-finger",
        section="sales",
        position=60,
        filters=frozenset(FILTERS),
        roles=SALES_ROLES,
    )
)
