"""API: clients and contacts — scoped lists with filters and search, cards, creation, edits,
archive/restore, handover, and a contact's moves between clients.

Doors are thin: a record the caller cannot see is 404 everywhere (lookups go through the
scoped selectors); values are checked by the services field by field (422 naming the field;
409 for a tax id or registration number another client has); permissions are 403.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from clientela.clients import selectors
from clientela.clients.completeness import card_completeness
from clientela.clients.lists import CLIENTS, CONTACTS
from clientela.clients.models import Client, Contact, ContactMembership, Handover
from clientela.clients.services.client import (
    client_archive,
    client_create,
    client_restore,
    client_update,
    owner_candidates,
)
from clientela.clients.services.contact import contact_create, contact_move, contact_update
from clientela.clients.services.handover import can_hand_over, client_handover, client_handover_all
from clientela.clients.services.loyalty import client_price_list
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.http import AuthedRequest
from clientela.core.listspec import ListQuery
from clientela.core.pagination import Page, paginate
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

router = Router(tags=["clients"])


def invalid(field: str, message: str) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors={field: [message]}, status=422)


def _choice(value: str, allowed: list[str]) -> str:
    value = (value or "").strip()
    if value and value not in allowed:
        raise ValueError(_("Choose one of: %s.") % ", ".join(allowed))
    return value


# --- Output -------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class CompletenessOut(Schema):
    percent: int
    filled: int
    normal: bool
    missing: list[str]


class ClientOut(Schema):
    id: int
    kind: str
    name: str
    legal_form: str
    tax_id: str
    registration_number: str
    industry: str
    employees: int | None
    revenue_band: str
    country: str
    region: str
    city: str
    address: str
    postal_code: str
    website: str
    email: str
    phone: str
    other_emails: list[str]
    other_phones: list[str]
    headquarters: Ref | None
    payment_terms_days: int | None
    payment_terms_note: str
    credit_limit: decimal.Decimal | None
    credit_currency: str
    solvency_note: str
    discount_percent: decimal.Decimal | None
    bonuses: str
    tags: list[str]
    owner: Ref | None
    team: Ref | None
    status: str
    last_contact_at: dt.datetime | None
    completeness_percent: int
    contact_count: int | None = None
    lost_at: dt.datetime | None
    lost_reason: str
    abc_class: str  # "A", "B", "C" or "" (no revenue in 12 months); kept nightly
    rfm_r: int | None
    rfm_f: int | None
    rfm_m: int | None
    is_archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_headquarters(obj: Client) -> dict[str, Any] | None:
        return _ref(obj.headquarters) if obj.headquarters_id else None

    @staticmethod
    def resolve_owner(obj: Client) -> dict[str, Any] | None:
        return _ref(obj.owner) if obj.owner_id else None

    @staticmethod
    def resolve_team(obj: Client) -> dict[str, Any] | None:
        return _ref(obj.team) if obj.team_id else None

    @staticmethod
    def resolve_tags(obj: Client) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class ClientCardOut(ClientOut):
    completeness: CompletenessOut
    branch_ids: list[int]
    source_lead_ids: list[int]
    price_list: Ref | None = Field(
        None, description="The loyalty price list (overrides the default list of its currency)."
    )

    @staticmethod
    def resolve_price_list(obj: Client) -> dict[str, Any] | None:
        current = client_price_list(obj)
        return {"id": current[0], "name": current[1]} if current else None

    @staticmethod
    def resolve_completeness(obj: Client) -> dict[str, Any]:
        result = card_completeness(obj)
        return {
            "percent": result.percent,
            "filled": result.filled,
            "normal": result.normal,
            "missing": [str(label) for label in result.missing],
        }

    @staticmethod
    def resolve_branch_ids(obj: Client) -> list[int]:
        return list(obj.branches.order_by("pk").values_list("pk", flat=True))

    @staticmethod
    def resolve_source_lead_ids(obj: Client) -> list[int]:
        return list(obj.source_leads.order_by("pk").values_list("pk", flat=True))


class ContactOut(Schema):
    id: int
    client: Ref
    first_name: str
    last_name: str
    full_name: str
    position: str
    role: str
    email: str
    phone: str
    phone_raw: str
    other_emails: list[str]
    other_phones: list[str]
    birthday: dt.date | None
    preferred_language: str
    consent: bool
    consent_at: dt.datetime | None
    consent_source: str
    notes: str
    is_archived: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_client(obj: Contact) -> dict[str, Any]:
        return {"id": obj.client_id, "name": obj.client.name}


class MembershipOut(Schema):
    client: Ref
    position: str
    role: str
    started_on: dt.date
    ended_on: dt.date | None

    @staticmethod
    def resolve_client(obj: ContactMembership) -> dict[str, Any]:
        return {"id": obj.client_id, "name": obj.client.name}


class HandoverOut(Schema):
    id: int
    at: dt.datetime
    to_user: Ref | None
    client_ids: list[int]
    note: str

    @staticmethod
    def resolve_to_user(obj: Handover) -> dict[str, Any] | None:
        return _ref(obj.to_user) if obj.to_user_id else None

    @staticmethod
    def resolve_client_ids(obj: Handover) -> list[int]:
        return list(obj.items.order_by("client_id").values_list("client_id", flat=True))


# --- Clients ------------------------------------------------------------------------------------


if TYPE_CHECKING:
    ClientQuery = ListQuery
    ContactQuery = ListQuery
else:
    ClientQuery = CLIENTS.query_schema("ClientQuery")
    ContactQuery = CONTACTS.query_schema("ContactQuery")


@router.get("/clients", response=Page[ClientOut], summary="Clients visible to you")
def list_clients(request: HttpRequest, query: Query[ClientQuery]) -> dict[str, Any]:
    """Filter by personal manager (`owner`, or `unassigned=true`), team, computed `status`
    (new/active/passive/lost), industry, country, kind, card `completeness` (below/normal/
    complete), tag, archived (`yes`/`all`), HQ structure (`hq`/`branch`, or the branches of
    `headquarters`) and creation dates; `q` searches company name, tax id, registration number,
    e-mail and phone digits and the names, e-mails and phones of the contacts."""
    return paginate(selectors.client_list(viewer=request.user, filters=query.values()), query)


class ClientWriteIn(Schema):
    """Every field is optional on update; on create `name` is required."""

    kind: str | None = None
    name: str | None = None
    legal_form: str | None = None
    tax_id: str | None = None
    registration_number: str | None = None
    industry: str | None = None
    employees: int | None = None
    revenue_band: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    address: str | None = None
    postal_code: str | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    other_emails: list[str] | None = None
    other_phones: list[str] | None = None
    payment_terms_days: int | None = None
    payment_terms_note: str | None = None
    credit_limit: decimal.Decimal | str | None = None
    credit_currency: str | None = None
    solvency_note: str | None = None
    discount_percent: decimal.Decimal | str | None = None
    price_list: int | None = Field(
        None, description="Id of the loyalty price list (heads of sales and admins); null removes it."
    )
    bonuses: str | None = None
    headquarters: int | None = None
    tags: list[str] | None = None


class ClientCreateIn(ClientWriteIn):
    owner: int | None = None


_NOT_NULL = {"kind", "name", "other_emails", "other_phones", "tags"}


def _values(data: dict[str, Any]) -> dict[str, Any]:
    for name in _NOT_NULL & set(data):
        if data[name] is None:
            raise invalid(name, _("This field cannot be null."))
    return {k: ("" if v is None and k not in _NULLABLE else v) for k, v in data.items()}


_NULLABLE = {
    "employees",
    "payment_terms_days",
    "credit_limit",
    "discount_percent",
    "headquarters",
    "price_list",
}


def _visible_client(request: HttpRequest, pk: int, field: str) -> Client:
    client = selectors.clients_visible_to(request.user).filter(pk=pk).first()
    if client is None:
        raise invalid(field, _("Choose a client you can see."))
    return client


@router.post("/clients", response={201: ClientCardOut}, summary="Create a client")
def create_client(request: HttpRequest, payload: ClientCreateIn) -> tuple[int, Client]:
    """`owner` (the personal manager) defaults to you; heads and admins may name someone of
    their teams. Tax id and registration number are checked for the country's format
    (RO, HU, MY, RU, GB) and must be unique in the country."""
    user: User = request.user  # type: ignore[assignment]
    data = _values(payload.model_dump(exclude_unset=True))
    owner = None
    owner_id = data.pop("owner", None)
    if owner_id is not None:
        owner = owner_candidates(user).filter(pk=owner_id).first()
        if owner is None:
            raise invalid("owner", _("Choose an active manager of your teams."))
    hq_id = data.pop("headquarters", None)
    hq = _visible_client(request, hq_id, "headquarters") if hq_id else None
    tags = data.pop("tags", None) or []
    client = client_create(by=user, data=data, owner=owner, headquarters=hq, tags=tags)
    return Status(201, selectors.client_get(viewer=user, pk=client.pk))  # type: ignore[return-value]


class HandoverIn(Schema):
    to_user: int
    note: str = ""


def _new_owner(request: HttpRequest, user_id: int) -> User:
    if not can_hand_over(request.user):
        raise PermissionDeniedError(_("Only a head of sales or an admin hands clients over."))
    person = owner_candidates(request.user).filter(pk=user_id).first()
    if person is None:
        raise invalid("to_user", _("Choose an active manager of your teams."))
    return person


class BulkHandoverIn(Schema):
    to_user: int
    client_ids: list[int] | None = None
    from_user: int | None = None
    note: str = ""


@router.post(
    "/clients/handover", response=HandoverOut, summary="Hand over several clients or a whole portfolio"
)
def handover_clients(request: AuthedRequest, payload: BulkHandoverIn) -> Handover:
    """Give `client_ids`, or `from_user` for all clients of that manager you may hand over."""
    to_user = _new_owner(request, payload.to_user)
    if payload.client_ids:
        ids = set(payload.client_ids)
        clients = list(selectors.clients_visible_to(request.user).filter(pk__in=ids))
        if len(clients) != len(ids):
            raise invalid("client_ids", _("Some of these clients do not exist or are not visible to you."))
        return client_handover(by=request.user, clients=clients, to_user=to_user, note=payload.note)
    if payload.from_user is None:
        raise invalid("client_ids", _("Give client_ids or from_user."))
    # Someone who left (deactivated) still has a portfolio to hand over.
    source = users_visible_to(request.user).filter(pk=payload.from_user).first()
    if source is None:
        raise invalid("from_user", _("Choose a manager of your teams."))
    return client_handover_all(by=request.user, from_user=source, to_user=to_user, note=payload.note)


@router.get("/clients/{client_id}", response=ClientCardOut, summary="One client, with completeness")
def get_client(request: HttpRequest, client_id: int) -> Client:
    return selectors.client_get(viewer=request.user, pk=client_id)


@router.patch("/clients/{client_id}", response=ClientCardOut, summary="Change a client's fields")
def update_client(request: AuthedRequest, client_id: int, payload: ClientWriteIn) -> Client:
    """Only the fields sent change. `headquarters: null` makes a branch a head office again.
    The personal manager changes by handover (`POST /clients/{id}/handover`)."""
    client = selectors.client_get(viewer=request.user, pk=client_id)
    data = _values(payload.model_dump(exclude_unset=True))
    headquarters: Client | str | None = "unchanged"
    if "headquarters" in data:
        hq_id = data.pop("headquarters")
        headquarters = _visible_client(request, hq_id, "headquarters") if hq_id else None
    tags = data.pop("tags", None)
    client_update(by=request.user, client=client, data=data, headquarters=headquarters, tags=tags)
    return selectors.client_get(viewer=request.user, pk=client_id)


@router.post("/clients/{client_id}/archive", response=ClientCardOut, summary="Archive a client")
def archive_client(request: AuthedRequest, client_id: int) -> Client:
    client = selectors.client_get(viewer=request.user, pk=client_id)
    client_archive(by=request.user, client=client)
    return selectors.client_get(viewer=request.user, pk=client_id)


@router.post("/clients/{client_id}/restore", response=ClientCardOut, summary="Restore an archived client")
def restore_client(request: AuthedRequest, client_id: int) -> Client:
    client = selectors.client_get(viewer=request.user, pk=client_id)
    client_restore(by=request.user, client=client)
    return selectors.client_get(viewer=request.user, pk=client_id)


@router.post(
    "/clients/{client_id}/handover", response=HandoverOut, summary="Hand a client to another manager"
)
def handover_client(request: AuthedRequest, client_id: int, payload: HandoverIn) -> Handover:
    """Heads of sales (their teams) and admins. Contacts and history move with the client;
    both managers are notified; the new one gets a summary (`/clients/handovers/{id}/`)."""
    client = selectors.client_get(viewer=request.user, pk=client_id)
    to_user = _new_owner(request, payload.to_user)
    return client_handover(by=request.user, clients=[client], to_user=to_user, note=payload.note)


# --- Contacts -----------------------------------------------------------------------------------


@router.get("/contacts", response=Page[ContactOut], summary="Contacts visible to you")
def list_contacts(request: HttpRequest, query: Query[ContactQuery]) -> dict[str, Any]:
    """Contacts of the clients you may see. Filter by role, client, the client's personal manager
    (`owner`), team, country, consent; `q` searches name, position, e-mail, phone digits and the
    client's name."""
    return paginate(selectors.contact_list(viewer=request.user, filters=query.values()), query)


class ContactWriteIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    position: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    other_emails: list[str] | None = None
    other_phones: list[str] | None = None
    birthday: dt.date | None = None
    preferred_language: str | None = None
    consent: bool | None = None
    notes: str | None = None


class ContactCreateIn(ContactWriteIn):
    client: int


def _contact_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for key, value in data.items():
        if value is None and key in ("other_emails", "other_phones", "consent"):
            raise invalid(key, _("This field cannot be null."))
        values[key] = "" if value is None and key != "birthday" else value
    if values.get("consent") is True:
        values["consent_source"] = "api"
    return values


@router.post("/contacts", response={201: ContactOut}, summary="Add a contact to a client")
def create_contact(request: AuthedRequest, payload: ContactCreateIn) -> tuple[int, Contact]:
    data = payload.model_dump(exclude_unset=True)
    client = _visible_client(request, data.pop("client"), "client")
    contact = contact_create(by=request.user, client=client, data=_contact_values(data))
    return Status(201, selectors.contact_get(viewer=request.user, pk=contact.pk))  # type: ignore[return-value]


@router.get("/contacts/{contact_id}", response=ContactOut, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return selectors.contact_get(viewer=request.user, pk=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact's fields")
def update_contact(request: AuthedRequest, contact_id: int, payload: ContactWriteIn) -> Contact:
    contact = selectors.contact_get(viewer=request.user, pk=contact_id)
    contact_update(
        by=request.user, contact=contact, data=_contact_values(payload.model_dump(exclude_unset=True))
    )
    return selectors.contact_get(viewer=request.user, pk=contact_id)


@router.get(
    "/contacts/{contact_id}/history", response=list[MembershipOut], summary="Where the contact worked"
)
def contact_history(request: HttpRequest, contact_id: int) -> list[ContactMembership]:
    contact = selectors.contact_get(viewer=request.user, pk=contact_id)
    return selectors.contact_history(contact=contact)


class MoveIn(Schema):
    to_client: int
    on: dt.date | None = None
    position: str | None = None
    role: str | None = None


@router.post(
    "/contacts/{contact_id}/move", response=ContactOut, summary="The contact moved to another client"
)
def move_contact(request: AuthedRequest, contact_id: int, payload: MoveIn) -> Contact:
    """Closes the period at the current client on `on` (default today) and opens one at
    `to_client`; the history keeps both. Afterwards the contact is visible with its new client."""
    contact = selectors.contact_get(viewer=request.user, pk=contact_id)
    to_client = _visible_client(request, payload.to_client, "to_client")
    contact_move(
        by=request.user,
        contact=contact,
        to_client=to_client,
        on=payload.on,
        position=payload.position,
        role=payload.role,
    )
    return Contact.objects.select_related("client").get(pk=contact_id)
