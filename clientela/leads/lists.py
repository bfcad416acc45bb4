"""The lead list, declared once (`core.listspec`): the page's filter bar and tabs, `GET /leads`
and `selectors.lead_list` all read `LEADS`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.comms.first_contact import OUTCOME_LABELS, lead_first_response
from clientela.core.listspec import (
    Choice,
    Column,
    DateRange,
    Flag,
    ListSpec,
    ListValues,
    Owner,
    Preset,
    Ref,
    Search,
    Team,
    Text,
)
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.leads.choices import OPEN_STATUSES, LeadStatus, Origin, Source, Temperature
from clientela.leads.completeness import filter_completeness
from clientela.leads.models import Lead
from clientela.users.selectors import owner_choices, team_choices


def search_condition(q: str) -> Q:
    """Substring search over name, company, e-mail and phone digits; case-, accent- and
    script-insensitive ('morozov' finds 'Морозов', 'stefan' finds 'Ștefan'). Index-assisted:
    trigram indexes on PostgreSQL, an FTS5 trigram table on SQLite (`leads/search.py`)."""
    from clientela.leads.search import search_condition as indexed_search_condition

    return indexed_search_condition(q)


def _scope(viewer: Any, values: ListValues) -> QuerySet[Lead]:
    if values.owner and not values.unassigned and values.owner == getattr(viewer, "pk", None):
        # "My leads": one's own leads are always visible to oneself, and without the scope's
        # `OR (no owner AND my team)` the list and its count come from the owner+status index.
        leads: QuerySet[Lead] = Lead.objects.all()
    else:
        leads = Lead.objects.visible_to(viewer)
    return leads


def _status(leads: QuerySet[Lead], status: str) -> QuerySet[Lead]:
    if status == "open":
        return leads.filter(status__in=OPEN_STATUSES)
    if status == "qualified_up":
        return leads.filter(status__in=(LeadStatus.QUALIFIED, LeadStatus.CONVERTED))
    return leads.filter(status=status)


def _qualified(leads: QuerySet[Lead], value: str) -> QuerySet[Lead]:
    return leads.filter(qualified_at__isnull=value == "no")


def won_deals_of(lead: Any) -> QuerySet[Any]:
    """The won deals that are the sale of `lead` (a lead, or `OuterRef("pk")` in a subquery):
    started from it, or won with the client it became since its conversion (a known client's
    earlier deals are not this lead's sale). The conversion report and the `sold` filter read
    this one rule."""
    from django.db.models import OuterRef

    from clientela.deals.choices import DealStatus
    from clientela.deals.models import Deal

    sale = Q(source_lead=lead)
    if isinstance(lead, OuterRef):
        sale |= Q(client=OuterRef("client_id"), created_at__gte=OuterRef("converted_at"))
    elif lead.client_id and lead.converted_at:
        sale |= Q(client=lead.client_id, created_at__gte=lead.converted_at)
    return Deal.objects.filter(sale, status=DealStatus.WON)


def _sold(leads: QuerySet[Lead], value: str) -> QuerySet[Lead]:
    from django.db.models import Exists, OuterRef

    sold = Exists(won_deals_of(OuterRef("pk")))
    return leads.filter(sold) if value == "yes" else leads.exclude(sold)


def _refused_recently(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    since = timezone.now() - dt.timedelta(days=30)
    return leads.filter(status_changed_at__gte=since)


def _first_sale(leads: QuerySet[Lead], value: str) -> QuerySet[Lead]:
    """Converted leads whose client has a won deal (`yes`) or not yet (`no`)."""
    won = Exists(Deal.objects.filter(client_id=OuterRef("client_id"), status=DealStatus.WON))
    return leads.filter(won) if value == "yes" else leads.filter(client__isnull=False).exclude(won)


LEAD_COMPLETENESS = [
    ("below", _("Below the norm (under 3 fields)")),
    ("normal", _("Within the norm (3 fields or more)")),
    ("complete", _("Complete (5 fields or more)")),
]

LEADS = ListSpec(
    name="leads",
    model=Lead,
    url="leads:list",
    filters=[
        Search(condition=search_condition),
        Choice(
            "status",
            _("Status"),
            choices=[
                ("open", _("Open (not closed)")),
                *LeadStatus.choices,
                ("qualified_up", _("Qualified or converted")),
            ],
            empty=_("Any status"),
            apply=_status,
        ),
        Owner(choices=owner_choices, unassigned=_("Unassigned (team queue)")),
        Team(choices=team_choices),
        Choice("temperature", _("Temperature"), choices=Temperature.choices, empty=_("Any temperature")),
        Choice("source", _("Source"), choices=Source.choices, empty=_("Any source")),
        Choice("origin", _("Origin"), choices=Origin.choices, empty=_("Any origin")),
        # Capitals do not matter: "Spring" finds the leads of "spring" (as the reports count).
        Text("campaign", _("Campaign"), max_length=100, lookup="campaign__iexact"),
        DateRange("created", field="created_at", from_label=_("Created from"), to_label=_("Created to")),
        # Drill-down from the reports: converted between two days, how the first response went
        # (`comms.first_contact`), card completeness against the 3–5-field norm.
        DateRange(
            "converted", field="converted_at", from_label=_("Converted from"), to_label=_("Converted to")
        ),
        Choice(
            "first_response",
            _("First response"),
            choices=list(OUTCOME_LABELS.items()),
            empty=_("Any first response"),
            apply=lambda leads, outcome: leads.filter(lead_first_response(outcome)),
        ),
        Choice(
            "first_sale",
            _("Client's first sale"),
            choices=[("yes", _("The client has bought")), ("no", _("The client has not bought yet"))],
            empty=_("Any"),
            apply=_first_sale,
        ),
        Choice(
            "completeness",
            _("Card completeness"),
            choices=LEAD_COMPLETENESS,
            empty=_("Any completeness"),
            apply=filter_completeness,
        ),
        # The leads one import created (the marketing report's yield of each imported list).
        Ref("import_job", _("Import"), lookup="import_job_id", page=True),
        # The records behind the reports' numbers (shown on the page when a link sets them).
        Text("country", _("Country"), max_length=2, clean=str.upper),
        Text("region", _("Region"), lookup="region__iexact", max_length=100),
        Text("industry", _("Industry"), lookup="industry__iexact", max_length=60),
        Choice(
            "qualified",
            _("Qualified"),
            choices=[("yes", _("Was qualified")), ("no", _("Never qualified"))],
            empty=_("Qualified or not"),
            apply=_qualified,
        ),
        Choice(
            "sold",
            _("Sale"),
            choices=[("yes", _("Has a won deal")), ("no", _("No won deal yet"))],
            empty=_("With or without a sale"),
            apply=_sold,
        ),
        # API only: merged leads are left out unless asked for
        Flag(
            "include_merged",
            apply=lambda leads, include: leads if include else leads.filter(merged_into__isnull=True),
            apply_empty=True,
        ),
    ],
    orderings={
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
        "score": ("score", "id"),
        "-score": ("-score", "-id"),
        "name": ("last_name", "first_name", "id"),
        "-name": ("-last_name", "-first_name", "-id"),
        "status": ("status", "-created_at", "-id"),
        "last_touch": ("last_touch_at", "id"),
        "-last_touch": ("-last_touch_at", "-id"),
    },
    default_ordering="-created",
    columns=[
        Column("name", _("Name"), sort="name"),
        Column("company", _("Company")),
        Column("status", _("Status"), sort="status"),
        Column("temperature", _("Temperature")),
        Column("score", _("Score"), sort="-score", css="text-end"),
        Column("owner", _("Owner")),
        Column("source", _("Source")),
        Column("created", _("Created"), sort="-created"),
    ],
    presets=[
        Preset("mine", _("My open leads"), {"owner": "me", "status": "open"}),
        Preset("unassigned", _("Unassigned"), {"owner": "none", "status": "open"}),
        Preset("hot", _("Hot"), {"temperature": Temperature.HOT, "status": "open"}),
        Preset(
            "refused_last_month",
            _("Refused last month"),
            {"status": LeadStatus.REFUSED, "sort": "-last_touch"},
            _refused_recently,
            _("Refused in the last 30 days"),
        ),
    ],
    scope=_scope,
    prepare=lambda leads, values, viewer: leads.select_related("owner", "team"),
)
