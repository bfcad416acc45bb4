"""Card completeness: lead cards against the 3–5-field norm, client cards against 10–15.

**Which cards**: those *created in the period* (the reader's days), as they are filled **now** —
completeness is a state, not an event; the period picks the cards (this month's new cards, or a
long period for the whole book) and keeps the work bounded at scale. Merged leads and archived
clients are left out.

* **Leads** (`leads.completeness`): name, company, e-mail, phone, position, industry, country,
  "interested in" — counted in SQL; 3 or more filled is within the norm, 5 or more complete.
* **Clients** (`clients.completeness`): the client card's key fields, stored on the card
  (`Client.completeness_filled`), against the norm of the clients' policy (10 of 18 fields for
  a company by default, 100 % at 15; a private person's norm shrinks in proportion).

Per manager (the lead's owner, the client's personal manager): cards, within the norm, its
share, complete, below the norm, average filled fields; and the worst cards, each linking to
itself. Every count links to the lead or client list with the same completeness filter.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import SALES_ROLES, Report, ReportContext, percent, register
from clientela.clients.choices import CompletenessLevel
from clientela.clients.completeness import card_completeness, completeness_condition, norms, with_completeness
from clientela.clients.models import ClientPolicy
from clientela.core.figures import Chart, Column, Figure
from clientela.leads.completeness import FIELD_COUNT, NORM_MIN, NORM_TARGET, filled_expression, missing_fields
from clientela.users.models import User

WORST = 20
NOBODY = gettext_lazy("Team queue (unassigned)")


def _average(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _names(ids: set[Any]) -> dict[int, str]:
    people = User.objects.filter(pk__in={i for i in ids if i}).only(
        "id", "username", "first_name", "last_name"
    )
    return {person.pk: str(person) for person in people}


def _per_manager(
    ctx: ReportContext, grouped: Any, list_name: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = []
    totals = {"cards": 0, "normal": 0, "complete": 0}
    weighted = Decimal(0)
    grouped = list(grouped)
    names = _names({row["owner_id"] for row in grouped})
    for row in grouped:
        owner = row["owner_id"]
        below = row["cards"] - row["normal"]
        link = {"owner": owner or "none"}
        rows.append(
            {
                "name": names.get(owner, "") if owner else str(NOBODY),
                "cards": row["cards"],
                "normal": row["normal"],
                "share": percent(row["normal"], row["cards"]),
                "complete": row["complete"],
                "below": below,
                "average": _average(row["average"]),
                "_links": {
                    "cards": ctx.link(list_name, dates="created", **link),
                    "normal": ctx.link(list_name, dates="created", completeness="normal", **link),
                    "share": ctx.link(list_name, dates="created", completeness="normal", **link),
                    "complete": ctx.link(list_name, dates="created", completeness="complete", **link),
                    "below": ctx.link(list_name, dates="created", completeness="below", **link),
                },
            }
        )
        for key in totals:
            totals[key] += row[key]
        weighted += Decimal(str(row["average"] or 0)) * row["cards"]
    rows.sort(key=lambda r: (_share_key(r), str(r["name"])))
    footer = {
        "name": _("Total"),
        **totals,
        "share": percent(totals["normal"], totals["cards"]),
        "below": totals["cards"] - totals["normal"],
        "average": _average(weighted / totals["cards"]) if totals["cards"] else None,
        "_links": {
            "cards": ctx.link(list_name, dates="created"),
            "normal": ctx.link(list_name, dates="created", completeness="normal"),
            "complete": ctx.link(list_name, dates="created", completeness="complete"),
            "below": ctx.link(list_name, dates="created", completeness="below"),
        },
    }
    return rows, footer


def _share_key(row: dict[str, Any]) -> Decimal:
    share = row["share"]
    return share if isinstance(share, Decimal) else Decimal(0)


def _columns(fields_label: Any) -> list[Column]:
    return [
        Column("name", _("Manager")),
        Column("cards", _("Cards"), kind="int"),
        Column("normal", _("Within the norm"), kind="int"),
        Column("share", _("Share within the norm"), kind="percent"),
        Column("complete", _("Complete"), kind="int"),
        Column("below", _("Below the norm"), kind="int"),
        Column("average", fields_label, kind="decimal"),
    ]


def lead_cards(ctx: ReportContext) -> Any:
    return (
        ctx.in_period(ctx.leads(), "created_at")
        .filter(merged_into__isnull=True)
        .alias(filled_fields=filled_expression())
    )


def client_cards(ctx: ReportContext) -> Any:
    return ctx.in_period(ctx.clients(), "created_at").filter(is_archived=False)


def leads_per_manager(ctx: ReportContext) -> Figure:
    grouped = (
        lead_cards(ctx)
        .order_by()
        .values("owner_id")
        .annotate(
            cards=Count("*"),
            normal=Count("id", filter=Q(filled_fields__gte=NORM_MIN)),
            complete=Count("id", filter=Q(filled_fields__gte=NORM_TARGET)),
            average=Avg(F("filled_fields")),
        )
    )
    rows, footer = _per_manager(ctx, grouped, "leads:list")
    return Figure(
        key="completeness-leads",
        title=_("Lead cards against the 3–5-field norm"),
        columns=_columns(_("Average filled fields (of %(count)s)") % {"count": FIELD_COUNT}),
        rows=rows,
        chart=Chart(kind="hbar", x="name", series=["share"]),
        footer=footer if rows else None,
        note=_(
            "Leads created in the period, as filled now. Counted: name, company, e-mail, phone, "
            "position, industry, country, interested in. Within the norm: %(min)s fields or more; "
            "complete: %(target)s or more."
        )
        % {"min": NORM_MIN, "target": NORM_TARGET},
        empty=_("No leads created in this period."),
        extra={"half": True},
    )


def clients_per_manager(ctx: ReportContext, policy: ClientPolicy) -> Figure:
    grouped = (
        client_cards(ctx)
        .order_by()
        .values("owner_id")
        .annotate(
            cards=Count("*"),
            normal=Count("id", filter=completeness_condition(CompletenessLevel.NORMAL, policy=policy)),
            complete=Count("id", filter=completeness_condition(CompletenessLevel.COMPLETE, policy=policy)),
            average=Avg("completeness_filled"),
        )
    )
    rows, footer = _per_manager(ctx, grouped, "clients:list")
    company = norms(policy)["company"]
    return Figure(
        key="completeness-clients",
        title=_("Client cards against the 10–15-field norm"),
        columns=_columns(_("Average filled fields")),
        rows=rows,
        chart=Chart(kind="hbar", x="name", series=["share"]),
        footer=footer if rows else None,
        note=_(
            "Clients created in the period, as filled now. A company card is within the norm with "
            "%(min)s of its %(total)s key fields, complete with %(target)s; a private person's norm "
            "is smaller in proportion."
        )
        % {"min": company.minimum, "total": company.total, "target": company.target},
        empty=_("No clients created in this period."),
        extra={"half": True},
    )


def worst_leads(ctx: ReportContext) -> Figure:
    leads = (
        lead_cards(ctx)
        .annotate(filled=filled_expression())
        .select_related("owner")
        .order_by("filled", "-created_at", "-id")[:WORST]
    )
    rows = [
        {
            "card": str(lead),
            "manager": str(lead.owner) if lead.owner_id else str(NOBODY),
            "filled": lead.filled,
            "missing": ", ".join(str(label) for label in missing_fields(lead)),
            "created": lead.created_at,
            "_links": {"card": reverse("leads:detail", args=[lead.pk])},
        }
        for lead in leads
    ]
    return Figure(
        key="completeness-worst-leads",
        title=_("The least filled lead cards"),
        columns=[
            Column("card", _("Lead")),
            Column("manager", _("Manager")),
            Column("filled", _("Filled fields"), kind="int"),
            Column("missing", _("Missing")),
            Column("created", _("Created"), kind="date"),
        ],
        rows=rows,
        empty=_("No leads created in this period."),
    )


def worst_clients(ctx: ReportContext, policy: ClientPolicy) -> Figure:
    clients = (
        with_completeness(client_cards(ctx), policy=policy)
        .select_related("owner")
        .prefetch_related("contacts")
        .order_by("completeness_percent", "-created_at", "-id")[:WORST]
    )
    rows = []
    for client in clients:
        state = card_completeness(client, policy=policy)
        rows.append(
            {
                "card": client.name,
                "manager": str(client.owner) if client.owner_id else str(NOBODY),
                "filled": state.filled,
                "percent": Decimal(state.percent),
                "missing": ", ".join(str(label) for label in state.missing),
                "created": client.created_at,
                "_links": {"card": reverse("clients:detail", args=[client.pk])},
            }
        )
    return Figure(
        key="completeness-worst-clients",
        title=_("The least filled client cards"),
        columns=[
            Column("card", _("Client")),
            Column("manager", _("Personal manager")),
            Column("filled", _("Filled fields"), kind="int"),
            Column("percent", _("Completeness"), kind="percent"),
            Column("missing", _("Missing")),
            Column("created", _("Created"), kind="date"),
        ],
        rows=rows,
        empty=_("No clients created in this period."),
    )


def build(ctx: ReportContext) -> list[Figure]:
    policy = ClientPolicy.current()
    return [
        leads_per_manager(ctx),
        clients_per_manager(ctx, policy),
        worst_leads(ctx),
        worst_clients(ctx, policy),
    ]


REPORT = register(
    Report(
        key="completeness",
        title=gettext_lazy("Card completeness"),
        summary=gettext_lazy(
            "How well lead and client cards are filled against the 3–5 and 10–15-field norms, per "
            "manager, with the least filled cards."
        ),
        build=build,
        icon="ti-id-badge-2",
        section="team",
        position=90,
        filters=frozenset({"team", "manager", "country", "region", "industry"}),
        roles=SALES_ROLES,
    )
)
