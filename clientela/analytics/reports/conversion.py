"""Conversion by source, origin, temperature, campaign and manager.

The cohort: the viewer's leads created in the period (merged duplicates left out). Per value of
each dimension: how many became **clients** (`converted_at`) and how many reached a **first
sale** — a won deal that is the lead's sale (`leads.lists.won_deals_of`: started from the lead,
or won with the client it became since its conversion), whenever it was won — with both rates
and the **won amount** of those deals, converted into the base currency at today's rates
(`deals.rates`; amounts in a currency without a rate are left out and said so). The amount is
a money column: people who see no amounts (marketers) get the report without it.

Only deals the viewer may see count towards a sale. Every number links to the lead list (the
period's created days, the dimension's value, converted or with a sale).

Speed: one grouped query per dimension over the period's leads (`created_at` indexed), and the
won deals of those leads read once (through `deals.source_lead` and the client's index), so the
work follows the period's leads, not the table."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q
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
from clientela.analytics.reports.lifecycle_funnel import cohort, lead_link
from clientela.core.figures import Chart, Column, Figure
from clientela.core.permissions import Action
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.deals.rates.selectors import base_currency, convert, rates_on
from clientela.leads.choices import Origin, Source, Temperature
from clientela.users.models import User

# dimension → (the lead's field, the lead list's filter)
DIMENSIONS = {
    "source": ("source", "source"),
    "origin": ("origin", "origin"),
    "temperature": ("temperature", "temperature"),
    "campaign": ("campaign", "campaign"),
    "manager": ("owner_id", "owner"),
}


def sales(ctx: ReportContext) -> dict[int, dict[int, tuple[Decimal, str]]]:
    """The period's leads with a sale: lead id → {deal id: (amount, currency)} (deals the viewer
    may see; a deal found both ways counted once)."""
    if "sales" in ctx.cache:
        return ctx.cache["sales"]
    leads = cohort(ctx).order_by().values("pk")
    won = Deal.objects.restrict(ctx.viewer, Action.VIEW).filter(status=DealStatus.WON)
    found: dict[int, dict[int, tuple[Decimal, str]]] = defaultdict(dict)
    for deal, lead, amount, currency in won.filter(source_lead__in=leads).values_list(
        "pk", "source_lead_id", "amount", "currency"
    ):
        found[lead][deal] = (amount, currency)
    converted = cohort(ctx).filter(converted_at__isnull=False).order_by().values("pk")
    for deal, lead, amount, currency in (
        won.filter(
            client__source_leads__in=converted, created_at__gte=F("client__source_leads__converted_at")
        )
        .values_list("pk", "client__source_leads", "amount", "currency")
        .distinct()
    ):
        found[lead][deal] = (amount, currency)
    ctx.cache["sales"] = found
    return found


def _labels(dimension: str, values: set[Any]) -> dict[Any, str]:
    if dimension == "manager":
        people = User.objects.filter(pk__in={v for v in values if v}).only(
            "id", "username", "first_name", "last_name"
        )
        return {person.pk: str(person) for person in people}
    choices = {"source": Source.choices, "origin": Origin.choices, "temperature": Temperature.choices}
    return {k: str(v) for k, v in choices.get(dimension, [])}


def _counts(ctx: ReportContext, dimension: str) -> dict[Any, dict[str, Any]]:
    field, _param = DIMENSIONS[dimension]
    rows: dict[Any, dict[str, Any]] = {}
    for row in (
        cohort(ctx)
        .order_by()
        .values(field)
        .annotate(leads=Count("id"), clients=Count("id", filter=Q(converted_at__isnull=False)))
    ):
        key = row[field] or ("" if field != "owner_id" else None)
        target = rows.setdefault(key, {"leads": 0, "clients": 0, "sold": 0, "amounts": []})
        target["leads"] += row["leads"]
        target["clients"] += row["clients"]
    sold = sales(ctx)
    if sold:
        for lead in cohort(ctx).filter(pk__in=list(sold)).order_by().values("pk", field):
            key = lead[field] or ("" if field != "owner_id" else None)
            target = rows.setdefault(key, {"leads": 0, "clients": 0, "sold": 0, "amounts": []})
            target["sold"] += 1
            target["amounts"].extend(sold[lead["pk"]].values())
    return rows


def _won(amounts: list[tuple[Decimal, str]], rates: dict[str, Any], base: str) -> tuple[Decimal, list[str]]:
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for amount, currency in amounts:
        per_currency[currency] += amount
    total = convert(list(per_currency.items()), rates=rates, base=base)
    return total.total, [part.currency for part in total.missing]


def by_dimension(ctx: ReportContext, dimension: str, title: Any, label: Any) -> Figure:
    _field, param = DIMENSIONS[dimension]
    counts = _counts(ctx, dimension)
    labels = _labels(dimension, set(counts))
    base = base_currency()
    rates = rates_on() if ctx.money else {}
    previous: dict[Any, dict[str, Any]] | None = None
    other = ctx.comparison()
    if other is not None:
        previous = _counts(other, dimension)
    missing: set[str] = set()
    rows = []
    for key, values in counts.items():
        if dimension == "manager":
            shown = labels.get(key, "") if key else _("Nobody (queue)")
        elif key:
            shown = labels.get(key, key)
        else:
            shown = _("Not set")
        won, lacking = _won(values["amounts"], rates, base) if ctx.money else (Decimal(0), [])
        missing.update(lacking)
        row: dict[str, Any] = {
            "value": shown,
            "leads": values["leads"],
            "clients": values["clients"],
            "client_rate": percent(values["clients"], values["leads"]),
            "sold": values["sold"],
            "sale_rate": percent(values["sold"], values["leads"]),
            "won": won,
        }
        if previous is not None:
            before = previous.get(key, {"leads": 0, "clients": 0})
            row["previous_rate"] = percent(before["clients"], before["leads"])
            row["change"] = change(row["client_rate"], row["previous_rate"])
        params: dict[str, Any] | None = {param: key} if key else None
        if dimension == "manager" and not key:
            params = {"owner": "none"}  # the team queue
        if params is not None:  # no campaign or temperature: the list cannot ask for "empty"
            row["_links"] = {
                "leads": lead_link(ctx, **params),
                "clients": lead_link(ctx, status="converted", **params),
                "sold": lead_link(ctx, sold="yes", **params),
                "won": lead_link(ctx, sold="yes", **params),
            }
        rows.append(row)
    rows.sort(key=lambda r: (-r["leads"], str(r["value"])))
    totals = {name: sum(r[name] for r in rows) for name in ("leads", "clients", "sold", "won")}
    footer: dict[str, Any] = {
        "value": _("Total"),
        **totals,
        "client_rate": percent(totals["clients"], totals["leads"]),
        "sale_rate": percent(totals["sold"], totals["leads"]),
    }
    if previous is not None:
        before_leads = sum(v["leads"] for v in previous.values())
        before_clients = sum(v["clients"] for v in previous.values())
        footer["previous_rate"] = percent(before_clients, before_leads)
        footer["change"] = change(footer["client_rate"], footer["previous_rate"])
    columns = [
        Column("value", label),
        Column("leads", _("Leads"), kind="int"),
        Column("clients", _("Clients"), kind="int"),
        Column("client_rate", _("Lead → client"), kind="percent"),
        Column("sold", _("First sales"), kind="int"),
        Column("sale_rate", _("Lead → first sale"), kind="percent"),
        Column("won", _("Won amount"), kind="money", currency=base),
    ]
    if previous is not None:
        columns += [
            Column("previous_rate", _("Lead → client, previous period"), kind="percent"),
            Column("change", _("Change"), kind="percent"),
        ]
    note = ""
    if missing:
        note = _("Won amounts in %(currencies)s are left out: no exchange rate is recorded.") % {
            "currencies": ", ".join(sorted(missing))
        }
    return Figure(
        key=f"conversion-by-{dimension}",
        title=title,
        columns=columns,
        rows=rows,
        chart=Chart(kind="bar", x="value", series=["client_rate", "sale_rate"]),
        footer=footer if rows else None,
        note=note,
        extra={"half": dimension in ("origin", "temperature")},
    )


def build(ctx: ReportContext) -> list[Figure]:
    return [
        by_dimension(ctx, "source", _("Conversion by source"), _("Source")),
        by_dimension(ctx, "origin", _("Conversion by origin"), _("Origin")),
        by_dimension(ctx, "temperature", _("Conversion by temperature"), _("Temperature")),
        by_dimension(ctx, "campaign", _("Conversion by campaign"), _("Campaign")),
        by_dimension(ctx, "manager", _("Conversion by manager"), _("Manager")),
    ]


REPORT = register(
    Report(
        key="conversion",
        title=gettext_lazy("Conversion"),
        summary=gettext_lazy(
            "Leads of the period that became clients and reached a first sale, with the won "
            "amount, by source, origin, temperature, campaign and manager."
        ),
        build=build,
        icon="ti-arrows-right",
        section="sales",
        position=30,
        filters=LEAD_FILTERS,
        roles=ALL_ROLES,
    )
)
