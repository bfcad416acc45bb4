"""Writes for clients and contacts: every change checks its rule, is audited, and is atomic.

Doors (pages, API, demo, imports) hand in plain values; `clean_client_values` and
`clean_contact_values` turn them into field values (canonical tax ids, E.164 phones,
lowercased e-mails) or raise one BusinessError naming every bad field.

Who may write: people who work records (managers, heads, admins) on clients they can see.
The personal manager changes only by handover (heads for their teams, admins for all), so
both people are told and the new one gets a summary.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.choices import ChurnReason, ClientKind, ContactRole, RevenueBand
from clientela.clients.completeness import refresh_completeness
from clientela.clients.hooks import client_handed_over, price_lists
from clientela.clients.identifiers import (
    InvalidIdentifier,
    normalise_registration_number,
    normalise_tax_id,
)
from clientela.clients.models import (
    Client,
    ClientPolicy,
    Contact,
    ContactMembership,
    Handover,
    HandoverItem,
    SavedView,
    Tag,
)
from clientela.clients.search import client_search_text, contact_search_text
from clientela.clients.status import refresh_last_contact
from clientela.core.audit import audit_bulk, audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.normalise import clean_text, normalise_email, normalise_phone
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, require, require_record, role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.core.validation import check_texts, max_lengths, text_problem, too_long
from clientela.users.models import User

# Roles that may be a client's personal manager.
OWNER_ROLES = (Role.MANAGER, Role.HEAD, Role.ADMIN)
MAX_TAGS = 20
MAX_OTHER_POINTS = 10
CLIENT_AUDIT_FIELDS = ["name", "kind", "owner", "team", "country", "tax_id", "registration_number"]
CONTACT_AUDIT_FIELDS = ["client", "first_name", "last_name", "position", "role", "email", "phone"]


def _actor(by: User | None) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors=errors, status=422)


# --- Permissions -------------------------------------------------------------------------------


# Who may change a client or a contact is the record rule of `core.permissions` (`Action.WORK`);
# these are the words of its refusal.
CLIENT_LOCKED = gettext_lazy("You cannot change this client.")
CONTACT_LOCKED = gettext_lazy("You cannot change this contact.")


def can_hand_over(user: Any) -> bool:
    """Heads of sales (for their teams) and admins move clients between managers."""
    return role_of(user) in (Role.HEAD, Role.ADMIN)


def owner_candidates(viewer: Any) -> models.QuerySet[User]:
    """Whom `viewer` may make a personal manager: active people of their teams who own clients."""
    people = User.objects.filter(is_active=True, role__in=OWNER_ROLES).select_related("team")
    teams = visible_team_ids(viewer)
    if teams is None:
        return people.order_by("first_name", "last_name", "username")
    return people.filter(models.Q(team_id__in=teams) | models.Q(pk=viewer.pk)).order_by(
        "first_name", "last_name", "username"
    )


# --- Cleaning values ---------------------------------------------------------------------------

# A client's and a contact's field rules, declared once: their texts' limits are the models'
# columns; `clean_client_values` and `clean_contact_values` check every door's raw values by them.
CLIENT_TEXT_FIELDS = max_lengths(
    Client,
    ("name", "legal_form", "industry", "region", "city", "address", "postal_code", "payment_terms_note"),
)
# Phone and e-mail as entered (the columns of the raw phone and of the e-mail).
CONTACT_POINT_LIMITS = {
    "email": max_lengths(Client, ["email"])["email"],
    "phone": max_lengths(Client, ["phone_raw"])["phone_raw"],
}
CLIENT_LONG_TEXT_FIELDS = {"solvency_note": 5000, "bonuses": 5000}
_url_validator = URLValidator(schemes=["http", "https"])


def _clean_country(value: Any, errors: dict[str, list[str]]) -> str:
    country = clean_text(value).upper()
    if country and (len(country) != 2 or country not in phonenumbers.SUPPORTED_REGIONS):
        errors["country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
    return country


def _contact_points(
    data: Mapping[str, Any], country: str, errors: dict[str, list[str]], values: dict[str, Any]
) -> None:
    """The e-mail (lowercased) and the phone (E.164, raw value kept) among `data`: too long or
    not valid is a field error, never a cut value."""
    for kind in ("email", "phone"):
        if kind not in data:
            continue
        text = clean_text(data[kind])
        problem = text_problem(text, CONTACT_POINT_LIMITS[kind])
        if problem:
            value = ""
        else:
            value, problem = normalise_phone(text, country) if kind == "phone" else normalise_email(text)
        if problem:
            errors[kind] = [problem]
        values[kind] = value
        if kind == "phone":
            values["phone_raw"] = text


def _clean_points(
    values: Iterable[Any], kind: str, country: str, errors: dict[str, list[str]], field: str
) -> list[str]:
    """Other phones or e-mails: each normalised, duplicates dropped, every bad one reported."""
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in values or []:
        text = clean_text(raw)
        if not text:
            continue
        value, problem = normalise_phone(text, country) if kind == "phone" else normalise_email(text)
        if problem:
            problems.append(problem)
        elif value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_OTHER_POINTS:
        problems.append(_("At most %(max)d.") % {"max": MAX_OTHER_POINTS})
    if problems:
        errors[field] = problems
    return cleaned


def _clean_decimal(
    value: Any, field: str, errors: dict[str, list[str]], *, low: int, high: int | None = None
) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        # Money never travels as a float: 0.1 + 0.2 is not 0.3.
        value = repr(value)
    try:
        number = decimal.Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except decimal.InvalidOperation:
        errors[field] = [_("Enter a number.")]
        return None
    if not number.is_finite() or number < low or (high is not None and number > high):
        errors[field] = [
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            if high is not None
            else _("Enter a number of at least %(low)s.") % {"low": low}
        ]
        return None
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        errors[field] = [_("At most two decimal places.")]
        return None
    return number.quantize(decimal.Decimal("0.01"))


def _clean_int(value: Any, field: str, errors: dict[str, list[str]], *, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[field] = [_("Enter a whole number.")]
        return None
    if not 0 <= number <= high:
        errors[field] = [_("Enter a number from %(low)s to %(high)s.") % {"low": 0, "high": high}]
        return None
    return number


def clean_client_values(
    data: Mapping[str, Any], *, client: Client | None = None, team_country: str = ""
) -> dict[str, Any]:
    """Field values from what a person or a program sent (only the keys present in `data`).

    Raises BusinessError (422) naming every bad field. Uniqueness is checked by the services.
    """
    errors: dict[str, list[str]] = {}
    current = client or Client()
    values: dict[str, Any] = check_texts(data, CLIENT_TEXT_FIELDS, errors)
    for name, limit in CLIENT_LONG_TEXT_FIELDS.items():
        if name in data:
            text = str(data[name] or "").strip()
            problem = text_problem(text, limit)
            if problem:
                errors[name] = [problem]
            values[name] = text
    if "name" in values and not values["name"]:
        errors["name"] = [_("This field is required.")]
    if "kind" in data:
        kind = clean_text(data["kind"]).lower()
        if kind not in ClientKind.values:
            errors["kind"] = [_("Choose one of: %s.") % ", ".join(ClientKind.values)]
        values["kind"] = kind
    if "revenue_band" in data:
        band = clean_text(data["revenue_band"])
        if band and band not in RevenueBand.values:
            errors["revenue_band"] = [_("Choose one of: %s.") % ", ".join(RevenueBand.values)]
        values["revenue_band"] = band
    if "country" in data:
        values["country"] = _clean_country(data["country"], errors)
    country = values.get("country", current.country)
    phone_country = country or team_country
    # Legal ids depend on the country: re-check them when it changes.
    for name, normalise in (
        ("tax_id", normalise_tax_id),
        ("registration_number", normalise_registration_number),
    ):
        if name in data or ("country" in values and getattr(current, name)):
            raw = data[name] if name in data else getattr(current, name)
            try:
                result = normalise(country, clean_text(raw))
            except InvalidIdentifier as exc:
                errors[name] = [str(exc)]
                continue
            if name == "tax_id":
                values["tax_id"], values["tax_key"] = result.value, result.key  # type: ignore[union-attr]
            else:
                values[name] = result
    _contact_points(data, phone_country, errors, values)
    if "other_emails" in data:
        values["other_emails"] = _clean_points(data["other_emails"], "email", "", errors, "other_emails")
    if "other_phones" in data:
        values["other_phones"] = _clean_points(
            data["other_phones"], "phone", phone_country, errors, "other_phones"
        )
    if "website" in data:
        website = clean_text(data["website"])
        if website and "://" not in website:
            website = f"https://{website}"
        if website:
            try:
                _url_validator(website)
            except ValidationError:
                errors["website"] = [_("Enter a web address, e.g. example.com.")]
        if len(website) > 200:
            errors["website"] = [too_long(200)]
        values["website"] = website
    if "employees" in data:
        values["employees"] = _clean_int(data["employees"], "employees", errors, high=10_000_000)
    if "payment_terms_days" in data:
        values["payment_terms_days"] = _clean_int(
            data["payment_terms_days"], "payment_terms_days", errors, high=365
        )
    if "credit_limit" in data:
        values["credit_limit"] = _clean_decimal(data["credit_limit"], "credit_limit", errors, low=0)
    if "credit_currency" in data:
        currency = clean_text(data["credit_currency"]).upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            errors["credit_currency"] = [_("Use a three-letter currency code, e.g. EUR, RON, HUF, MYR.")]
        values["credit_currency"] = currency
    if values.get("credit_limit") is not None and not values.get("credit_currency", current.credit_currency):
        errors.setdefault("credit_currency", [_("Name the currency of the credit limit.")])
    if "discount_percent" in data:
        values["discount_percent"] = _clean_decimal(
            data["discount_percent"], "discount_percent", errors, low=0, high=100
        )
    if errors:
        raise invalid(errors)
    return values


def _check_unique(values: Mapping[str, Any], *, client: Client | None, viewer: Any) -> None:
    """Tax id and registration number are unique per country; say which client has them if the
    viewer may see it (and only that someone has, otherwise)."""
    current = client or Client()
    country = values.get("country", current.country)
    others = Client.objects.filter(country=country)
    if client is not None and client.pk:
        others = others.exclude(pk=client.pk)
    errors: dict[str, list[str]] = {}
    checks = [
        ("tax_id", "tax_key", values.get("tax_key", current.tax_key), _("tax id")),
        (
            "registration_number",
            "registration_number",
            values.get("registration_number", current.registration_number),
            _("registration number"),
        ),
    ]
    for field, column, value, label in checks:
        if not value:
            continue
        other = others.filter(**{column: value}).only("pk", "name").first()
        if other is None:
            continue
        if viewer is None or Client.objects.visible_to(viewer).filter(pk=other.pk).exists():
            message = _("%(client)s (#%(id)s) already has this %(what)s.") % {
                "client": other.name,
                "id": other.pk,
                "what": label,
            }
        else:
            message = _("Another team's client already has this %(what)s; ask your head of sales.") % {
                "what": label
            }
        errors[field] = [message]
    if errors:
        raise ConflictError(_("This client exists already."), errors=errors)


def _check_headquarters(hq: Client | None, *, client: Client | None, by: User | None) -> None:
    if hq is None:
        return
    if client is not None and client.pk and hq.pk == client.pk:
        raise invalid({"headquarters": [_("A client cannot be its own headquarters.")]})
    if hq.headquarters_id is not None:
        raise invalid(
            {"headquarters": [_("%(hq)s is itself a branch; choose its head office.") % {"hq": hq}]}
        )
    if hq.is_archived:
        raise invalid({"headquarters": [_("%(hq)s is archived.") % {"hq": hq}]})
    if client is not None and client.pk and client.branches.exists():
        raise invalid({"headquarters": [_("This client has branches of its own, so it is a head office.")]})
    if _actor(by) is not None and not Client.objects.visible_to(by).filter(pk=hq.pk).exists():
        raise invalid({"headquarters": [_("Choose a client you can see.")]})


# --- Derived values ------------------------------------------------------------------------------


def client_refresh_search(client: Client) -> None:
    """Recompute the search key (after any change; also for records made elsewhere)."""
    client.search_text = client_search_text(client)
    Client.objects.filter(pk=client.pk).update(search_text=client.search_text)


def contact_refresh_search(contact: Contact) -> None:
    contact.search_text = contact_search_text(contact)
    Contact.objects.filter(pk=contact.pk).update(search_text=contact.search_text)


def _tag_names(names: Iterable[str]) -> list[str]:
    result: list[str] = []
    keys: set[str] = set()
    for raw in names:
        name = clean_text(raw, 50)
        if name and name.casefold() not in keys:
            keys.add(name.casefold())
            result.append(name)
    if len(result) > MAX_TAGS:
        raise invalid({"tags": [_("At most %(max)d tags.") % {"max": MAX_TAGS}]})
    return result


def _set_tags(client: Client, names: Iterable[str], by: User | None, *, audit: bool = True) -> None:
    wanted = _tag_names(names)
    tags = []
    for name in wanted:
        tag, _created = Tag.objects.get_or_create(key=name.casefold(), defaults={"name": name})
        tags.append(tag)
    before = sorted(t.name for t in client.tags.all())
    client.tags.set(tags)
    after = sorted(t.name for t in tags)
    if audit and before != after:
        audit_event(actor=by, instance=client, event="tags", changes={"tags": [before, after]})


# --- Clients -------------------------------------------------------------------------------------


def _default_owner(by: User | None, owner: User | None) -> User | None:
    """Managers own what they create; heads and admins may name someone of their teams."""
    role = role_of(by)
    if owner is None:
        return by if role in (Role.MANAGER, Role.HEAD) else None
    if owner.pk == getattr(by, "pk", None) and role in OWNER_ROLES:
        return owner
    if role == Role.MANAGER:
        raise PermissionDeniedError(
            _("Managers create clients for themselves; a head of sales assigns others.")
        )
    if not owner_candidates(by).filter(pk=owner.pk).exists():
        raise invalid({"owner": [_("Choose an active manager of your teams.")]})
    return owner


@transaction.atomic
def client_create(
    *,
    by: User | None,
    data: Mapping[str, Any],
    owner: User | None = None,
    headquarters: Client | None = None,
    tags: Iterable[str] = (),
    check_permission: bool = True,
) -> Client:
    """A new client card. `check_permission=False` is for the demo and imports, acting as the system.

    `data["price_list"]` (a price list id) gives the client its loyalty price list."""
    if check_permission:
        require(by, "work_records")
        owner = _default_owner(by, owner)
    data = dict(data)
    price_list_id = _clean_price_list(data.pop("price_list", None))
    team_country = getattr(getattr(owner or by, "team", None), "default_country", "") or ""
    values = clean_client_values({"name": "", **data}, team_country=team_country)
    _check_headquarters(headquarters, client=None, by=by if check_permission else None)
    _check_unique(values, client=None, viewer=by if check_permission else None)
    team = getattr(owner, "team", None) or getattr(by, "team", None)
    client = Client(**values, owner=owner, team=team, headquarters=headquarters, created_by=_actor(by))
    client.full_clean(validate_constraints=False)
    client.save()
    _set_tags(client, tags, by, audit=False)
    client_refresh_search(client)
    provider = price_lists.one()
    if price_list_id is not None and provider is not None:
        provider.assign(by=by, client=client, price_list_id=price_list_id, check_permission=check_permission)
    entry = audit_create(actor=by, instance=client, fields=[*CLIENT_AUDIT_FIELDS, "headquarters"])
    if tags:
        entry.changes["tags"] = [None, sorted(t.name for t in client.tags.all())]
        entry.save(update_fields=["changes"])
    return client


UPDATABLE_CLIENT_FIELDS = {
    *CLIENT_TEXT_FIELDS,
    *CLIENT_LONG_TEXT_FIELDS,
    "kind",
    "tax_id",
    "registration_number",
    "revenue_band",
    "country",
    "email",
    "phone",
    "other_emails",
    "other_phones",
    "website",
    "employees",
    "payment_terms_days",
    "credit_limit",
    "credit_currency",
    "discount_percent",
    "price_list",
}


def _clean_price_list(value: Any) -> int | None:
    """A price list id from a form or a program ("" and None: no price list)."""
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return int(value.pk)
    try:
        return int(str(value).strip())
    except ValueError:
        raise invalid({"price_list": [_("Choose one of the price lists.")]}) from None


def client_price_list(client: Client) -> tuple[int, str] | None:
    """The client's loyalty price list as (id, label), or None."""
    provider = price_lists.one()
    if provider is None or client.pk is None:
        return None
    return provider.current([client.pk]).get(client.pk)


def client_price_list_labels(client_ids: list[int]) -> dict[int, str]:
    provider = price_lists.one()
    if provider is None:
        return {}
    return {pk: label for pk, (_id, label) in provider.current(client_ids).items()}


def _update_price_list(*, by: User, client: Client, value: Any) -> None:
    provider = price_lists.one()
    if provider is None:
        raise invalid({"price_list": [_("Price lists are not available.")]})
    wanted = _clean_price_list(value)
    current = client_price_list(client)
    if (current[0] if current else None) != wanted:
        provider.assign(by=by, client=client, price_list_id=wanted)


@transaction.atomic
def client_update(
    *,
    by: User,
    client: Client,
    data: Mapping[str, Any],
    headquarters: Client | str | None = "unchanged",
    tags: Iterable[str] | None = None,
) -> Client:
    """Change a client's card. Only the keys in `data` change; `headquarters=None` makes it an HQ.

    The personal manager changes by handover only (`client_handover`).
    """
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    unknown = set(data) - UPDATABLE_CLIENT_FIELDS
    if unknown:
        raise invalid({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    client = Client.objects.select_for_update().get(pk=client.pk)
    team_country = client.team.default_country if client.team_id and client.team else ""
    data = dict(data)
    if "price_list" in data:
        _update_price_list(by=by, client=client, value=data.pop("price_list"))
    values = clean_client_values(data, client=client, team_country=team_country)
    if not isinstance(headquarters, str):
        _check_headquarters(headquarters, client=client, by=by)
        values["headquarters"] = headquarters
    _check_unique(values, client=client, viewer=by)
    model_update(instance=client, data=values, actor=by)
    if tags is not None:
        _set_tags(client, tags, by)
    client_refresh_search(client)
    return client


@transaction.atomic
def client_archive(*, by: User, client: Client) -> Client:
    """Archive instead of delete: the card stays (history, links), out of the working lists."""
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    if client.is_archived:
        return client
    if client.branches.filter(is_archived=False).exists():
        raise ConflictError(_("Archive or move this head office's branches first."))
    model_update(instance=client, data={"is_archived": True, "archived_at": timezone.now()}, actor=by)
    return client


@transaction.atomic
def client_restore(*, by: User, client: Client) -> Client:
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    if client.is_archived:
        model_update(instance=client, data={"is_archived": False, "archived_at": None}, actor=by)
    return client


def client_can_delete(client: Client) -> bool:
    """Only a client nothing points at may be deleted (no contacts, leads, branches, history,
    deals … of any app): otherwise it is archived. One query (an EXISTS per relation)."""
    checks: list[models.Exists] = []
    for relation in client._meta.related_objects:
        if not relation.get_accessor_name():
            continue
        related = relation.related_model._default_manager
        checks.append(models.Exists(related.filter(**{relation.field.name: client.pk})))
    if not checks:
        return True
    flags = {f"related_{index}": check for index, check in enumerate(checks)}
    row = Client.objects.filter(pk=client.pk).annotate(**flags).values(*flags).first()
    return row is not None and not any(row.values())


@transaction.atomic
def client_delete(*, by: User, client: Client) -> None:
    """Delete a client made by mistake (admins only). Refused when anything refers to it."""
    require(by, "manage_settings")
    if not client_can_delete(client):
        raise ConflictError(
            _("%(client)s has related records (contacts, leads, deals …): archive it instead.")
            % {"client": client}
        )
    audit_event(actor=by, instance=client, event="deleted", changes={"name": client.name})
    client.tags.clear()
    client.delete()


@transaction.atomic
def client_mark_lost(*, by: User | None, client: Client, reason: str, note: str = "") -> Client:
    """The client churned: status *lost*, with a reason from the taxonomy (SPEC §8)."""
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    if reason not in ChurnReason.values:
        raise invalid({"reason": [_("Choose one of: %s.") % ", ".join(ChurnReason.values)]})
    if client.lost_at is not None:
        raise ConflictError(_("This client is already marked as lost."))
    model_update(
        instance=client,
        data={"lost_at": timezone.now(), "lost_reason": reason, "lost_note": clean_text(note, 2000)},
        actor=by,
    )
    return client


@transaction.atomic
def client_reactivate(*, by: User, client: Client) -> Client:
    """A lost client is back: the status is computed again from contacts and purchases."""
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    if client.lost_at is not None:
        model_update(instance=client, data={"lost_at": None, "lost_reason": "", "lost_note": ""}, actor=by)
    return client


def client_record_activity(*, client: Client, at: dt.datetime | None = None) -> None:
    """A contact or purchase happened (activities, deals and e-mail call this): keeps the status
    current (`last_activity_at` and the stored last contact). Only moves forward; one UPDATE;
    not audited (the activity itself is)."""
    at = at or timezone.now()
    older_activity = models.Q(last_activity_at__isnull=True) | models.Q(last_activity_at__lt=at)
    older_contact = models.Q(last_contact_at__lt=at)
    Client.objects.filter(pk=client.pk).filter(older_activity | older_contact).update(
        last_activity_at=models.Case(
            models.When(older_activity, then=models.Value(at)), default=models.F("last_activity_at")
        ),
        last_contact_at=models.Case(
            models.When(older_contact, then=models.Value(at)), default=models.F("last_contact_at")
        ),
    )


def clients_touched(*, client_ids: Iterable[int], at: dt.datetime) -> None:
    """These clients got in touch at `at` (the intake pipeline matched an enquiry to them, to one
    of their contacts or to a lead converted into them; the importer's touches): their stored
    last contact becomes the later of what it was and `at`. One UPDATE; not audited (the touch
    itself is)."""
    ids = {int(pk) for pk in client_ids if pk is not None}
    if not ids:
        return
    Client.objects.filter(pk__in=ids, last_contact_at__lt=at).update(last_contact_at=at)


# --- Handover ------------------------------------------------------------------------------------


def _handover_url(handover: Handover) -> str:
    try:
        return reverse("clients:handover", args=[handover.pk])
    except NoReverseMatch:
        return ""


@transaction.atomic
def client_handover(*, by: User, clients: Iterable[Client], to_user: User, note: str = "") -> Handover:
    """Give clients a new personal manager in one action.

    Contacts, history and every record registered through `hooks.client_handed_over`
    move with the client; the previous managers and the new one are notified, and the new one
    gets a summary of each relationship (the handover page). One client is audited on its card;
    several are one bulk audit entry.
    """
    if not can_hand_over(by):
        raise PermissionDeniedError(_("Only a head of sales or an admin hands clients over."))
    ids = sorted({c.pk for c in clients})
    if not ids:
        raise invalid({"clients": [_("Choose at least one client.")]})
    if not to_user.is_active or role_of(to_user) not in OWNER_ROLES:
        raise invalid({"to_user": [_("Choose an active manager.")]})
    if not owner_candidates(by).filter(pk=to_user.pk).exists():
        raise PermissionDeniedError(_("You can hand clients only to people of your teams."))
    locked = list(
        Client.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("owner", "team")
        .order_by("pk")
    )
    visible = set(Client.objects.visible_to(by).filter(pk__in=ids).values_list("pk", flat=True))
    if len(locked) != len(ids) or visible != set(ids):
        raise PermissionDeniedError(_("Some of these clients are not yours to hand over."))
    moving = [c for c in locked if c.owner_id != to_user.pk]
    if not moving:
        raise ConflictError(
            _("%(user)s is already the personal manager of these clients.") % {"user": to_user},
            errors={"to_user": [_("Choose someone else.")]},
        )
    new_team = to_user.team
    handover = Handover.objects.create(
        by=_actor(by), to_user=to_user, team=new_team, note=str(note or "").strip()[:5000]
    )
    HandoverItem.objects.bulk_create(
        [HandoverItem(handover=handover, client=c, from_user=c.owner, from_team=c.team) for c in moving]
    )
    moving_ids = [c.pk for c in moving]
    changes: dict[str, Any] = {"owner": to_user, "updated_by": _actor(by), "updated_at": timezone.now()}
    if new_team is not None:
        changes["team"] = new_team
    Client.objects.filter(pk__in=moving_ids).update(**changes)
    if any(c.owner_id is None for c in moving):
        refresh_completeness(c.pk for c in moving if c.owner_id is None)  # the owner is a key field
    if len(moving) == 1:
        client = moving[0]
        audit_event(
            actor=by,
            instance=client,
            event="handover",
            changes={
                "owner": [client.owner_id, to_user.pk],
                "team": [client.team_id, new_team.pk if new_team else client.team_id],
                "handover": handover.pk,
            },
        )
    else:
        audit_bulk(
            actor=by,
            model=Client,
            event="handover",
            details={
                "handover": handover.pk,
                "clients": moving_ids,
                "from": {str(c.pk): c.owner_id for c in moving},
                "to_user": to_user.pk,
                "team": new_team.pk if new_team else None,
            },
        )
    from_user_ids = sorted({c.owner_id for c in moving if c.owner_id})
    for hook in client_handed_over:
        hook(by=by, handover=handover, client_ids=moving_ids, from_user_ids=from_user_ids, to_user=to_user)
    url = _handover_url(handover)
    names = ", ".join(c.name for c in moving[:3]) + ("…" if len(moving) > 3 else "")
    notify(
        user=to_user,
        verb="clients_handed_over",
        text=_("You are now the personal manager of %(count)d client(s): %(names)s. See the summary.")
        % {"count": len(moving), "names": names},
        url=url,
    )
    for previous in User.objects.filter(pk__in=from_user_ids).exclude(pk=to_user.pk):
        count = sum(1 for c in moving if c.owner_id == previous.pk)
        notify(
            user=previous,
            verb="clients_handed_over",
            text=_("%(count)d of your clients were handed over to %(user)s.")
            % {"count": count, "user": to_user},
            url=url,
        )
    return handover


@transaction.atomic
def client_handover_all(*, by: User, from_user: User, to_user: User, note: str = "") -> Handover:
    """Everything `from_user` manages (that `by` may hand over) goes to `to_user`."""
    if not can_hand_over(by):
        raise PermissionDeniedError(_("Only a head of sales or an admin hands clients over."))
    clients = list(Client.objects.visible_to(by).filter(owner=from_user).only("pk"))
    if not clients:
        raise invalid({"from_user": [_("%(user)s has no clients you can hand over.") % {"user": from_user}]})
    return client_handover(by=by, clients=clients, to_user=to_user, note=note)


# --- Contacts ------------------------------------------------------------------------------------

CONTACT_TEXT_FIELDS = max_lengths(Contact, ("first_name", "last_name", "position"))
UPDATABLE_CONTACT_FIELDS = {
    *CONTACT_TEXT_FIELDS,
    "role",
    "email",
    "phone",
    "other_emails",
    "other_phones",
    "birthday",
    "preferred_language",
    "consent",
    "consent_source",
    "notes",
}


def clean_contact_values(
    data: Mapping[str, Any], *, contact: Contact | None = None, country: str = ""
) -> dict[str, Any]:
    """Field values of a contact from what was sent (only the keys present); 422 on bad ones."""
    from django.conf import settings

    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    current = contact or Contact()
    values.update(check_texts(data, CONTACT_TEXT_FIELDS, errors))
    if "notes" in data:
        values["notes"] = str(data["notes"] or "").strip()
        problem = text_problem(values["notes"], 5000)
        if problem:
            errors["notes"] = [problem]
    first = values.get("first_name", current.first_name)
    last = values.get("last_name", current.last_name)
    if not (first or last):
        errors["first_name"] = [_("A contact needs a name.")]
    if "role" in data:
        role = clean_text(data["role"])
        if role and role not in ContactRole.values:
            errors["role"] = [_("Choose one of: %s.") % ", ".join(ContactRole.values)]
        values["role"] = role
    _contact_points(data, country, errors, values)
    if "other_emails" in data:
        values["other_emails"] = _clean_points(data["other_emails"], "email", "", errors, "other_emails")
    if "other_phones" in data:
        values["other_phones"] = _clean_points(data["other_phones"], "phone", country, errors, "other_phones")
    if "birthday" in data:
        birthday = data["birthday"]
        if isinstance(birthday, str):
            try:
                birthday = dt.date.fromisoformat(birthday.strip()) if birthday.strip() else None
            except ValueError:
                errors["birthday"] = [_("Enter a date as YYYY-MM-DD.")]
                birthday = None
        if isinstance(birthday, dt.datetime):
            birthday = birthday.date()
        if birthday is not None and not (dt.date(1900, 1, 1) <= birthday <= timezone.localdate()):
            errors["birthday"] = [_("Enter a birthday between 1900 and today.")]
        values["birthday"] = birthday
    if "preferred_language" in data:
        language = clean_text(data["preferred_language"]).lower()
        codes = [code for code, _label in settings.LANGUAGES]
        if language and language not in codes:
            errors["preferred_language"] = [_("Choose one of: %s.") % ", ".join(codes)]
        values["preferred_language"] = language
    if "consent" in data:
        consent = data["consent"]
        if not isinstance(consent, bool):
            errors["consent"] = [_("Use true or false.")]
        elif consent != current.consent:
            values["consent"] = consent
            values["consent_at"] = timezone.now() if consent else None
            values["consent_source"] = (
                clean_text(data.get("consent_source") or "manual", 100) if consent else ""
            )
    if errors:
        raise invalid(errors)
    return values


def _contact_country(client: Client) -> str:
    if client.country:
        return client.country
    team = client.team if client.team_id else None
    return team.default_country if team else ""


@transaction.atomic
def contact_create(
    *, by: User | None, client: Client, data: Mapping[str, Any], check_permission: bool = True
) -> Contact:
    """A new person at a client; their employment history starts today."""
    if check_permission:
        require_record(by, client, Action.WORK, CLIENT_LOCKED)
    if client.is_archived:
        raise ConflictError(_("%(client)s is archived; restore it first.") % {"client": client})
    values = clean_contact_values(data, country=_contact_country(client))
    contact = Contact(client=client, created_by=_actor(by), **values)
    contact.full_clean()
    contact.save()
    ContactMembership.objects.create(
        contact=contact,
        client=client,
        position=contact.position,
        role=contact.role,
        started_on=timezone.localdate(),
        created_by=_actor(by),
    )
    contact_refresh_search(contact)
    audit_create(actor=by, instance=contact, fields=CONTACT_AUDIT_FIELDS)
    return contact


@transaction.atomic
def contact_update(*, by: User, contact: Contact, data: Mapping[str, Any]) -> Contact:
    require_record(by, contact, Action.WORK, CONTACT_LOCKED)
    unknown = set(data) - UPDATABLE_CONTACT_FIELDS
    if unknown:
        raise invalid({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    contact = (
        Contact.objects.select_for_update(of=("self",)).select_related("client__team").get(pk=contact.pk)
    )
    values = clean_contact_values(data, contact=contact, country=_contact_country(contact.client))
    _instance, changes = model_update(instance=contact, data=values, actor=by)
    if {"position", "role"} & set(changes):
        ContactMembership.objects.filter(
            contact=contact, ended_on__isnull=True, client=contact.client
        ).update(position=contact.position, role=contact.role)
    contact_refresh_search(contact)
    return contact


@transaction.atomic
def contact_archive(*, by: User, contact: Contact) -> Contact:
    require_record(by, contact, Action.WORK, CONTACT_LOCKED)
    if not contact.is_archived:
        model_update(instance=contact, data={"is_archived": True, "archived_at": timezone.now()}, actor=by)
    return contact


@transaction.atomic
def contact_restore(*, by: User, contact: Contact) -> Contact:
    require_record(by, contact, Action.WORK, CONTACT_LOCKED)
    if contact.is_archived:
        model_update(instance=contact, data={"is_archived": False, "archived_at": None}, actor=by)
    return contact


@transaction.atomic
def contact_move(
    *,
    by: User,
    contact: Contact,
    to_client: Client,
    on: dt.date | None = None,
    position: str | None = None,
    role: str | None = None,
) -> Contact:
    """The person now works at another client: the old period closes on `on`, a new one opens.

    The history keeps both; the contact follows its new client's visibility from now on.
    """
    require_record(by, contact, Action.WORK, CONTACT_LOCKED)
    if not can(by, to_client, Action.WORK):
        raise invalid({"to_client": [_("Choose a client you work with.")]})
    contact = Contact.objects.select_for_update(of=("self",)).select_related("client").get(pk=contact.pk)
    if to_client.pk == contact.client_id:
        raise invalid({"to_client": [_("The contact already works there.")]})
    if to_client.is_archived:
        raise invalid({"to_client": [_("%(client)s is archived.") % {"client": to_client}]})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise invalid({"on": [_("The move cannot be in the future.")]})
    current = ContactMembership.objects.filter(contact=contact, ended_on__isnull=True).first()
    if current is None:
        # Made before the history existed (e.g. by lead conversion): its first period starts
        # when the contact was recorded.
        current = ContactMembership.objects.create(
            contact=contact,
            client=contact.client,
            position=contact.position,
            role=contact.role,
            started_on=min(timezone.localdate(contact.created_at), on),
            created_by=_actor(by),
        )
    if on < current.started_on:
        raise invalid(
            {
                "on": [
                    _("The contact started at %(client)s on %(date)s.")
                    % {
                        "client": contact.client,
                        "date": current.started_on.isoformat(),
                    }
                ]
            }
        )
    current.ended_on = on
    current.save(update_fields=["ended_on"])
    values: dict[str, Any] = {"client": to_client}
    if position is not None or role is not None:
        values.update(
            clean_contact_values(
                {k: v for k, v in (("position", position), ("role", role)) if v is not None}, contact=contact
            )
        )
    previous = contact.client
    model_update(instance=contact, data=values, actor=by)
    ContactMembership.objects.create(
        contact=contact,
        client=to_client,
        position=contact.position,
        role=contact.role,
        started_on=on,
        created_by=_actor(by),
    )
    audit_event(
        actor=by,
        instance=contact,
        event="moved",
        changes={"client": [previous.pk, to_client.pk], "on": on.isoformat()},
    )
    # The person's touches follow them (clients.status): both clients' last contact is recounted.
    refresh_last_contact([previous.pk, to_client.pk])
    refresh_completeness([previous.pk])
    return contact


# --- Settings and saved views --------------------------------------------------------------------


@transaction.atomic
def client_policy_update(*, by: User, data: Mapping[str, Any]) -> ClientPolicy:
    require(by, "manage_settings")
    policy = ClientPolicy.current()
    values = {k: data[k] for k in ("card_norm_min", "card_norm_target") if k in data}
    minimum = values.get("card_norm_min", policy.card_norm_min)
    target = values.get("card_norm_target", policy.card_norm_target)
    if minimum > target:
        raise invalid({"card_norm_min": [_("The norm cannot exceed the complete card.")]})
    model_update(instance=policy, data=values, actor=by)
    return policy


def saved_view_save(*, user: User, list_name: str, name: str, query: str) -> SavedView:
    """Remember a person's list filters under a name (replacing a view of the same name)."""
    name = clean_text(name, 60)
    if not name:
        raise invalid({"name": [_("Give the view a name.")]})
    query = query if query.startswith("?") else "?"
    view, _created = SavedView.objects.update_or_create(
        user=user, list_name=list_name, name=name, defaults={"query": query[:1000]}
    )
    return view


def saved_view_delete(*, user: User, list_name: str, name: str) -> None:
    SavedView.objects.filter(user=user, list_name=list_name, name=name).delete()


def handover_move_rows(
    *, by: User, handover: Any, rows: models.QuerySet[Any], changes: dict[str, Any], what: str, to_user: User
) -> int:
    """Give another app's rows that follow a handover (open tasks, e-mail threads) to the new
    manager, with their team, in one update and one audit entry naming them (`what`: the entry's
    key for the ids). Used by the `client_handed_over` hooks of those apps."""
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    if to_user.team_id:
        changes = {**changes, "team_id": to_user.team_id}
    rows.model.objects.filter(pk__in=ids).update(**changes)
    audit_bulk(
        actor=by,
        model=rows.model,
        event="handover",
        details={"handover": getattr(handover, "pk", None), what: ids, "to_user": to_user.pk},
    )
    return len(ids)
