"""The client and contact lists, declared once (`core.listspec`): the pages' filter bars and
tabs, `GET /clients` and `GET /contacts`, `selectors.client_list` and `selectors.contact_list`
all read `CLIENTS` and `CONTACTS`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clientela.clients import search
from clientela.clients.choices import AbcClass, ClientKind, ClientStatus, CompletenessLevel, ContactRole
from clientela.clients.completeness import filter_completeness, with_completeness
from clientela.clients.hooks import status_history
from clientela.clients.models import Client, ClientPolicy, Contact
from clientela.clients.services.client import owner_candidates
from clientela.clients.status import status_condition, with_status
from clientela.core.listspec import (
    Choice,
    Column,
    DateRange,
    Filter,
    ListSpec,
    ListValues,
    Owner,
    Preset,
    Ref,
    Search,
    Team,
    Text,
    TriState,
)
from clientela.core.permissions import role_of, user_can
from clientela.core.roles import Role
from clientela.users.models import User
from clientela.users.selectors import OPTION_FIELDS, team_choices


def manager_choices(user: User) -> list[User]:
    """Whom the personal-manager filter (and a handover) offers: heads and admins choose among
    their people; a manager's lists are their own."""
    if role_of(user) not in (Role.HEAD, Role.ADMIN):
        return []
    return list(owner_candidates(user).only(*OPTION_FIELDS))


def country_code(value: str) -> str:
    country = value.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise ValueError(gettext("Use a two-letter country code, e.g. RO, HU, MY."))
    return country


@dataclass
class StatusHistory(Filter):
    """The records behind a retention figure: clients lost between two days (`lost_from`,
    `lost_to`, with `lost_reason`) or active on a day (`active_on`), with the personal manager
    (`held_by`) or team (`held_team`) they had at that moment, and the segments the figures
    have and this list does not (`seg_region`, `seg_size`, `seg_revenue`, `seg_abc`). The app
    that keeps the status history answers it (`clients.hooks.status_history`)."""

    name: str = "history"
    page: bool = True

    DATES = ("lost_from", "lost_to", "active_on")
    IDS = ("held_by", "held_team")
    TEXTS = ("lost_reason", "seg_region", "seg_size", "seg_revenue", "seg_abc")

    def value_defaults(self) -> dict[str, Any]:
        return {**dict.fromkeys(self.DATES + self.IDS), **dict.fromkeys(self.TEXTS, "")}

    def form_fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {
            name: forms.DateField(required=False, widget=forms.HiddenInput) for name in self.DATES
        }
        fields.update(
            {name: forms.IntegerField(required=False, widget=forms.HiddenInput) for name in self.IDS}
        )
        fields.update(
            {
                name: forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
                for name in self.TEXTS
            }
        )
        return fields

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        defaults = self.value_defaults()
        return {name: cleaned.get(name) or defaults[name] for name in defaults}

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        fields: dict[str, tuple[Any, Any]] = dict.fromkeys(self.DATES, (dt.date | None, None))
        fields.update(dict.fromkeys(self.IDS, (int | None, None)))
        fields.update(dict.fromkeys(self.TEXTS, (str, "")))
        return fields

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        used = {
            name: getattr(values, name)
            for name in self.value_defaults()
            if getattr(values, name) not in ("", None)
        }
        if not used:
            return queryset
        provider = status_history.one()
        if provider is None:
            return queryset.none()
        return queryset.filter(provider(used))


ARCHIVED = [("yes", _("Archived only")), ("all", _("Working and archived"))]


# --- Clients -------------------------------------------------------------------------------------


def _working_clients(clients: QuerySet[Client], archived: str) -> QuerySet[Client]:
    if archived == "yes":
        return clients.filter(is_archived=True)
    return clients if archived == "all" else clients.filter(is_archived=False)


def _structure(clients: QuerySet[Client], structure: str) -> QuerySet[Client]:
    if structure == "hq":
        return clients.filter(Exists(Client.objects.filter(headquarters=OuterRef("pk"))))
    return clients.filter(headquarters__isnull=False)


def _client_rows(
    clients: QuerySet[Client], values: ListValues, viewer: Any, *, policy: ClientPolicy | None = None
) -> QuerySet[Client]:
    """Owner, team, headquarters and tags with the page (no query per row); `status`,
    `last_contact_at`, `completeness_percent` and `contact_count` on every row."""
    clients = clients.select_related("owner", "team", "headquarters").prefetch_related("tags")
    if values.completeness in CompletenessLevel.values:
        clients = filter_completeness(clients, values.completeness, policy=policy)
    clients = with_status(with_completeness(clients, policy=policy))
    contact_count = (
        Contact.objects.filter(client=OuterRef("pk"), is_archived=False)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return clients.annotate(contact_count=Coalesce(Subquery(contact_count, output_field=IntegerField()), 0))


ABC_CHOICES = [*AbcClass.choices, ("none", _("No revenue in 12 months"))]
RFM_SCORES = [(str(score), str(score)) for score in range(5, 0, -1)]


def _abc(clients: QuerySet[Client], value: str) -> QuerySet[Client]:
    return clients.filter(abc_class="" if value == "none" else value)


CLIENTS = ListSpec(
    name="clients",
    model=Client,
    url="clients:list",
    filters=[
        Choice(
            "archived",
            _("Archived"),
            choices=ARCHIVED,
            empty=_("Working clients"),
            apply=_working_clients,
            apply_empty=True,
        ),
        Search(condition=search.client_search_condition),
        Owner(label=_("Personal manager"), choices=manager_choices, unassigned=_("Unassigned (team queue)")),
        Team(choices=team_choices),
        Choice(
            "status",
            _("Status"),
            choices=ClientStatus.choices,
            empty=_("Any status"),
            apply=lambda clients, status: clients.filter(status_condition(status)),
        ),
        Text("industry", _("Industry"), max_length=60, lookup="industry__iexact"),
        Text("country", _("Country"), max_length=60, clean=country_code),
        Choice("kind", _("Kind"), choices=ClientKind.choices, empty=_("Any kind")),
        Choice(
            "completeness",
            _("Card completeness"),
            choices=CompletenessLevel.choices,
            empty=_("Any completeness"),
            by_prepare=True,  # against the policy's norms (`_client_rows`)
        ),
        Text(
            "tag",
            _("Tag"),
            max_length=50,
            apply=lambda clients, tag: clients.filter(tags__key=tag.casefold()),
        ),
        Ref("headquarters"),  # API: the branches of this head office
        Choice(
            "structure",
            _("HQ / branch"),
            choices=[("hq", _("Head offices with branches")), ("branch", _("Branches"))],
            empty=_("HQ and branches"),
            apply=_structure,
        ),
        # On the page too: the reports' drill-down links to the clients created between two days.
        DateRange("created", field="created_at", from_label=_("Created from"), to_label=_("Created to")),
        StatusHistory(),
        # Value classes, kept nightly by retention's classification (see `Client.abc_class`).
        Choice("abc", _("ABC class"), choices=ABC_CHOICES, empty=_("Any class"), apply=_abc),
        Choice("rfm_r", _("Recency (R)"), choices=RFM_SCORES, empty=_("Any R"), lookup="rfm_r"),
        Choice("rfm_f", _("Frequency (F)"), choices=RFM_SCORES, empty=_("Any F"), lookup="rfm_f"),
        Choice("rfm_m", _("Monetary (M)"), choices=RFM_SCORES, empty=_("Any M"), lookup="rfm_m"),
        DateRange(
            "first_purchase",
            field="first_purchase_at",
            from_label=_("First purchase from"),
            to_label=_("First purchase to"),
        ),
    ],
    orderings={
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
        "completeness": ("completeness_percent", "name", "id"),
        "-completeness": ("-completeness_percent", "name", "id"),
        "country": ("country", "city", "name", "id"),
        "-country": ("-country", "-city", "name", "id"),
        "-revenue": ("-revenue_12m", "id"),
        "revenue": ("revenue_12m", "id"),
    },
    default_ordering="name",
    # Revenue is money: marketers do not sort by it.
    hidden_orderings=lambda viewer: (
        set() if user_can(viewer, "view_deal_amounts") else {"-revenue", "revenue"}
    ),
    columns=[
        Column("name", _("Name"), sort="name"),
        Column("status", _("Status")),
        Column("industry", _("Industry")),
        Column("country", _("Where"), sort="country"),
        Column("owner", _("Personal manager")),
        Column("contacts", _("Contacts"), css="text-end"),
        Column("completeness", _("Card"), sort="completeness", css="text-end"),
        Column("created", _("Client since"), sort="-created"),
    ],
    presets=[
        Preset("mine", _("My clients"), {"owner": "me"}),
        Preset("new", _("New"), {"status": ClientStatus.NEW}),
        Preset("passive", _("Passive — reactivate"), {"status": ClientStatus.PASSIVE}),
        Preset("incomplete", _("Cards below the norm"), {"completeness": CompletenessLevel.BELOW}),
    ],
    prepare=_client_rows,
)


# --- Contacts ------------------------------------------------------------------------------------


def _working_contacts(contacts: QuerySet[Contact], archived: str) -> QuerySet[Contact]:
    if archived == "yes":
        return contacts.filter(is_archived=True)
    if archived == "all":
        return contacts
    return contacts.filter(is_archived=False, client__is_archived=False)


CONTACTS = ListSpec(
    name="contacts",
    model=Contact,
    url="clients:contacts",
    filters=[
        Choice(
            "archived",
            _("Archived"),
            choices=ARCHIVED,
            empty=_("Working contacts"),
            apply=_working_contacts,
            apply_empty=True,
        ),
        Search(condition=search.contact_search_condition),
        Choice("role", _("Role"), choices=ContactRole.choices, empty=_("Any role")),
        Ref("client", lookup="client_id"),
        Owner(label=_("Personal manager"), choices=manager_choices, lookup="client__owner_id"),
        Team(choices=team_choices, lookup="client__team_id"),
        Text("country", _("Country"), max_length=60, clean=country_code, lookup="client__country"),
        TriState(
            "consent", _("Consent"), yes=_("With consent"), no=_("Without consent"), empty=_("Consent or not")
        ),
    ],
    orderings={
        "name": ("last_name", "first_name", "id"),
        "-name": ("-last_name", "-first_name", "-id"),
        "client": ("client__name", "last_name", "id"),
        "-client": ("-client__name", "last_name", "id"),
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
    },
    default_ordering="name",
    columns=[
        Column("name", _("Name"), sort="name"),
        Column("role", _("Role")),
        Column("client", _("Client"), sort="client"),
        Column("phone", _("Phone")),
        Column("email", _("E-mail")),
        Column("owner", _("Personal manager")),
        Column("consent", _("Consent")),
    ],
    presets=[
        Preset("mine", _("My clients' contacts"), {"owner": "me"}),
        Preset("decision_makers", _("Decision makers"), {"role": "decision_maker"}),
        Preset("consent", _("With marketing consent"), {"consent": "yes"}),
    ],
    prepare=lambda contacts, values, viewer: contacts.select_related(
        "client", "client__owner", "client__team"
    ),
)
