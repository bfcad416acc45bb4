"""Reads of clients and contacts, always scoped to what the viewer may see.

Every door — list pages, cards, API, search, autocomplete, export, the handover summary — reads
through these functions, so filters, search and permissions behave the same everywhere.

For other capabilities (deals, activities, comms): `clients_visible_to`, `client_get`,
`client_family_ids` (an HQ and its branches) and `client_card_sections` are stable.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import gettext_lazy as _

from clientela.clients import search
from clientela.clients.choices import ContactRole
from clientela.clients.completeness import with_completeness
from clientela.clients.hooks import card_sections, family_figures
from clientela.clients.lists import CLIENTS, CONTACTS
from clientela.clients.models import Client, ClientPolicy, Contact, ContactMembership, Handover, HandoverItem
from clientela.clients.status import with_status
from clientela.core.hooks import Hook
from clientela.core.listspec import ListValues
from clientela.core.models import AuditEntry
from clientela.core.permissions import get_visible_or_404, role_of, visible_team_ids
from clientela.core.roles import Role


def clients_visible_to(viewer: Any) -> QuerySet[Client]:
    return Client.objects.visible_to(viewer)


def contacts_visible_to(viewer: Any) -> QuerySet[Contact]:
    return Contact.objects.visible_to(viewer)


# --- Search ------------------------------------------------------------------------------------


def client_search_condition(q: str) -> Q:
    """Every word must match the client (name, tax id, registration number, e-mails, phone
    digits, city) or one of its working contacts (name, position, e-mail, phone); case-, accent-
    and script-insensitive ('morozov' finds 'Морозов'), index-assisted (clients.search)."""
    return search.client_search_condition(q)


def contact_search_condition(q: str) -> Q:
    """Every word must match the contact (name, position, e-mails, phone digits) or its client."""
    return search.contact_search_condition(q)


# --- Client list -------------------------------------------------------------------------------


def client_list(
    *,
    viewer: Any,
    filters: ListValues | None = None,
    policy: ClientPolicy | None = None,
    visible: QuerySet[Client] | None = None,
) -> QuerySet[Client]:
    """Clients the viewer may see, filtered and ordered as the list declares
    (`clients.lists.CLIENTS`: `CLIENTS.values(q=…, status=…)`), each annotated with `status`,
    `last_contact_at`, `completeness_filled`, `completeness_percent` and `contact_count`;
    owner, team, headquarters and tags are loaded with the page (no query per row).
    `visible`: a part of the viewer's clients instead of all of them (`visible_parts`)."""
    return CLIENTS.queryset(viewer, filters, visible=visible, policy=policy)


def client_get(*, viewer: Any, pk: int, policy: ClientPolicy | None = None) -> Client:
    """One client the viewer may see (annotated like the list), or Http404."""
    base = with_status(
        with_completeness(Client.objects.select_related("owner", "team", "headquarters"), policy=policy)
    )
    return get_visible_or_404(base, viewer, pk=pk)


def client_autocomplete(*, viewer: Any, q: str, limit: int = 20, exclude: int | None = None) -> list[Client]:
    """Pickers (HQ, move a contact, convert a lead): working clients the viewer may see."""
    clients = Client.objects.visible_to(viewer).filter(is_archived=False)
    if q.strip():
        clients = clients.filter(client_search_condition(q))
    if exclude:
        clients = clients.exclude(pk=exclude)
    return list(clients.only("pk", "name", "city", "country", "tax_id").order_by("name", "id")[:limit])


# --- The card ----------------------------------------------------------------------------------


def client_family_ids(client: Client) -> list[int]:
    """The head office and all its branches (for a branch: its HQ and the HQ's branches)."""
    hq_id = client.headquarters_id or client.pk
    return [hq_id, *Client.objects.filter(headquarters_id=hq_id).order_by("pk").values_list("pk", flat=True)]


@dataclass
class FamilyFigures:
    branches: int
    employees: int | None
    contacts: int
    extra: list[tuple[Any, Any]]


def client_family_figures(*, client: Client, viewer: Any) -> FamilyFigures:
    """Combined figures of a head office and its branches (all of them, also branches managed by
    other teams: the company's size is not theirs to hide; names are shown only if visible)."""
    ids = client_family_ids(client)
    family = Client.objects.filter(pk__in=ids)
    totals = family.aggregate(total_employees=Sum("employees"), known=Count("employees"))
    contacts = Contact.objects.filter(client_id__in=ids, is_archived=False).count()
    extra: list[tuple[Any, Any]] = []
    for provider in family_figures:
        extra.extend(provider(ids, viewer))
    return FamilyFigures(
        branches=len(ids) - 1,
        employees=totals["total_employees"] if totals["known"] else None,
        contacts=contacts,
        extra=extra,
    )


def client_branches(*, viewer: Any, client: Client) -> tuple[list[Client], int]:
    """The branches of a head office the viewer may see, and how many others exist."""
    branches = Client.objects.filter(headquarters=client)
    visible = list(
        Client.objects.visible_to(viewer).filter(headquarters=client).select_related("owner").order_by("name")
    )
    return visible, branches.count() - len(visible)


def client_contacts(*, client: Client, include_archived: bool = False) -> list[Contact]:
    contacts = client.contacts.all()
    if not include_archived:
        contacts = contacts.filter(is_archived=False)
    return list(contacts.order_by("last_name", "first_name", "id"))


def reach_via_contacts(*, client: Client, contacts: list[Contact]) -> dict[str, tuple[str, Contact]]:
    """How to reach a client that has no phone or e-mail of its own: its main contact's (the
    decision maker first, then the earliest), as {"phone"|"email": (value, contact)}."""
    main_first = sorted(contacts, key=lambda c: (c.role != ContactRole.DECISION_MAKER, c.pk))
    reach: dict[str, tuple[str, Contact]] = {}
    for field in ("phone", "email"):
        if getattr(client, field):
            continue
        person = next((c for c in main_first if getattr(c, field)), None)
        if person is not None:
            reach[field] = (getattr(person, field), person)
    return reach


def former_contacts(*, client: Client) -> list[ContactMembership]:
    """People who worked at this client and moved on (their period here, closed)."""
    return list(
        ContactMembership.objects.filter(client=client, ended_on__isnull=False)
        .exclude(contact__client=client)
        .select_related("contact", "contact__client")
        .order_by("-ended_on", "-id")
    )


def client_source_leads(*, client: Client) -> list[Any]:
    """The leads this client was converted from (the conversion link, both ways)."""
    return list(client.source_leads.select_related("owner", "contact").order_by("-converted_at", "-id"))


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str
    text: str
    actor: Any
    changes: dict[str, Any]


_EVENT_LABELS = {
    "create": _("Created"),
    "update": _("Changed"),
    "handover": _("Handed over"),
    "tags": _("Tags changed"),
    "touch": _("Got in touch again"),
    "moved": _("Contact moved"),
    "deleted": _("Deleted"),
}


def client_timeline(*, client: Client, limit: int = 100) -> list[TimelineEntry]:
    """What happened to the client and its contacts, newest first (audit trail and handovers)."""
    client_type = ContentType.objects.get_for_model(Client)
    contact_type = ContentType.objects.get_for_model(Contact)
    contact_ids = [str(pk) for pk in Contact.objects.filter(client=client).values_list("pk", flat=True)]
    entries = (
        AuditEntry.objects.filter(
            Q(content_type=client_type, object_id=str(client.pk))
            | Q(content_type=contact_type, object_id__in=contact_ids)
        )
        .select_related("actor", "content_type")
        .order_by("-at", "-id")[:limit]
    )
    timeline = []
    for entry in entries:
        key = entry.event or entry.action
        if key == "handover":
            continue  # every handover (one client or many) is listed from its HandoverItem below
        label = _EVENT_LABELS.get(key, entry.get_action_display() if not entry.event else entry.event)
        subject = entry.object_repr if entry.content_type_id == contact_type.pk else ""
        timeline.append(
            TimelineEntry(
                at=entry.at,
                kind=key,
                text=f"{label}{': ' + subject if subject else ''}",
                actor=entry.actor,
                changes=entry.changes or {},
            )
        )
    for item in HandoverItem.objects.filter(client=client).select_related(
        "handover__by", "handover__to_user", "from_user"
    ):
        timeline.append(
            TimelineEntry(
                at=item.handover.at,
                kind="handover",
                text=str(
                    _("Handed over from %(old)s to %(new)s")
                    % {"old": item.from_user or _("nobody"), "new": item.handover.to_user}
                ),
                actor=item.handover.by,
                changes={},
            )
        )
    timeline.sort(key=lambda e: e.at, reverse=True)
    return timeline[:limit]


def client_card_sections() -> list[str]:
    """Templates of other capabilities that add a section to the client card (see extensions)."""
    found = []
    for name in card_sections:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


# --- Contacts ----------------------------------------------------------------------------------


def contact_list(*, viewer: Any, filters: ListValues | None = None) -> QuerySet[Contact]:
    """Contacts the viewer may see (through their current client), filtered and ordered as the
    list declares (`clients.lists.CONTACTS`), with the client and its manager loaded (no query
    per row)."""
    return CONTACTS.queryset(viewer, filters)


def contact_get(*, viewer: Any, pk: int) -> Contact:
    return get_visible_or_404(
        Contact.objects.select_related("client", "client__owner", "client__team"), viewer, pk=pk
    )


def contact_history(*, contact: Contact) -> list[ContactMembership]:
    """Where the person worked, newest first (the open period is the current client)."""
    return list(contact.memberships.select_related("client").order_by("-started_on", "-id"))


# --- Handovers ---------------------------------------------------------------------------------


def handover_get(*, viewer: Any, pk: int) -> Handover:
    """A handover the viewer took part in (by, to) or oversees (admins; heads of its team)."""
    from django.http import Http404

    handover = Handover.objects.select_related("by", "to_user", "team").filter(pk=pk).first()
    if handover is None:
        raise Http404
    role = role_of(viewer)
    if role is None:
        raise Http404
    if role == Role.ADMIN or viewer.pk in (handover.by_id, handover.to_user_id):
        return handover
    teams = visible_team_ids(viewer) or set()
    if role == Role.HEAD and handover.team_id in teams:
        return handover
    raise Http404


# What a handover summary shows of other apps' records, per client: a provider takes the client
# ids and returns {part name: {client id: [records]}} — the leads app its "source_leads", the
# activities app the "open_tasks" of those leads. One query per provider.
HANDOVER_SUMMARY_PARTS: Hook[Callable[[list[int]], dict[str, dict[int, list[Any]]]]] = Hook(
    "clients.handover_summary_parts"
)


@dataclass
class HandoverClient:
    client: Client
    from_user: Any
    contacts: list[Contact]
    source_leads: list[Any]
    open_tasks: list[Any]
    events: list[TimelineEntry]


def handover_summary(*, viewer: Any, handover: Handover, events_per_client: int = 5) -> list[HandoverClient]:
    """The relationship of each handed-over client the viewer may see: contacts with roles, the
    leads it came from, open tasks and the latest events — a fixed number of queries in all."""
    items = list(handover.items.select_related("from_user").order_by("id"))
    ids = [item.client_id for item in items]
    clients = {
        c.pk: c
        for c in Client.objects.visible_to(viewer)
        .filter(pk__in=ids)
        .select_related("owner", "team", "headquarters")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_archived=False).order_by("last_name", "first_name"),
            )
        )
    }
    # Per client, what higher apps add: {"source_leads": {client id: [...]}, "open_tasks": {...}}.
    parts: dict[str, dict[int, list[Any]]] = {}
    for provider in HANDOVER_SUMMARY_PARTS:
        parts.update(provider(list(clients)))
    client_type = ContentType.objects.get_for_model(Client)
    events: dict[int, list[TimelineEntry]] = defaultdict(list)
    recent = (
        AuditEntry.objects.filter(content_type=client_type, object_id__in=[str(pk) for pk in clients])
        .select_related("actor")
        .order_by("-at", "-id")[: events_per_client * max(1, len(clients)) * 4]
    )
    for entry in recent:
        bucket = events[int(entry.object_id)]
        if len(bucket) < events_per_client:
            key = entry.event or entry.action
            bucket.append(
                TimelineEntry(
                    at=entry.at,
                    kind=key,
                    text=str(_EVENT_LABELS.get(key, key)),
                    actor=entry.actor,
                    changes=entry.changes or {},
                )
            )
    summary = []
    for item in items:
        client = clients.get(item.client_id)
        if client is None:
            continue
        summary.append(
            HandoverClient(
                client=client,
                from_user=item.from_user,
                contacts=list(client.contacts.all()),
                source_leads=parts.get("source_leads", {}).get(client.pk, []),
                open_tasks=parts.get("open_tasks", {}).get(client.pk, []),
                events=events[client.pk],
            )
        )
    return summary


def handovers_for(*, viewer: Any, limit: int = 20) -> list[Handover]:
    """Recent handovers the viewer received or made."""
    return list(
        Handover.objects.filter(Q(to_user=viewer) | Q(by=viewer))
        .select_related("by", "to_user")
        .annotate(client_count=Count("items"))
        .order_by("-at", "-id")[:limit]
    )


def records_of_clients(model: type[Model], client_ids: list[int]) -> Q:
    """Rows of another app's `model` linked to these clients directly, through a contact or
    through a deal (whichever of those links the model has) — what follows a client's handover."""
    condition = Q(pk__in=[])
    fields = {field.name for field in model._meta.get_fields()}
    if "client" in fields:
        condition |= Q(client_id__in=client_ids)
    if "contact" in fields:
        condition |= Q(contact__client_id__in=client_ids)
    if "deal" in fields:
        condition |= Q(deal__client_id__in=client_ids)
    return condition
