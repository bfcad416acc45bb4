"""Writes for a client's card: create, update, archive/restore, delete, lost/reactivate, and the
card norm's policy. Every change checks its rule, is audited, and is atomic.

Who may write: people who work records (managers, heads, admins) on clients they can see
(`core.permissions`, `Action.WORK`). Legal ids are unique per country; a branch's head office
is a head office the writer may see. The personal manager changes only by handover
(`services/handover.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.choices import ChurnReason, ContactRole
from clientela.clients.hooks import price_lists, status_decisions
from clientela.clients.models import Client, ClientPolicy, Tag
from clientela.clients.services.derived import client_refresh_search
from clientela.clients.services.loyalty import clean_price_list, update_price_list
from clientela.clients.services.rules import (
    CLIENT_LONG_TEXT_FIELDS,
    CLIENT_TEXT_FIELDS,
    clean_client_values,
    invalid,
)
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.normalise import clean_text
from clientela.core.permissions import Action, require, require_record, role_of, visible_team_ids
from clientela.core.roles import OWNING_ROLES, Role
from clientela.users.models import User

# Roles that may be a client's personal manager.
MAX_TAGS = 20
CLIENT_AUDIT_FIELDS = ["name", "kind", "owner", "team", "country", "tax_id", "registration_number"]


def actor(by: User | None) -> Any:
    """Who is recorded as the writer: `by`, or None for the system (demo, imports, jobs)."""
    return by if getattr(by, "is_authenticated", False) else None


# --- Permissions -------------------------------------------------------------------------------


# Who may change a client is the record rule of `core.permissions` (`Action.WORK`); these are the
# words of its refusal (a new contact at the client is refused with them too).
CLIENT_LOCKED = gettext_lazy("You cannot change this client.")


def owner_candidates(viewer: Any) -> models.QuerySet[User]:
    """Whom `viewer` may make a personal manager: active people of their teams who own clients."""
    people = User.objects.filter(is_active=True, role__in=OWNING_ROLES).select_related("team")
    teams = visible_team_ids(viewer)
    if teams is None:
        return people.order_by("first_name", "last_name", "username")
    return people.filter(models.Q(team_id__in=teams) | models.Q(pk=viewer.pk)).order_by(
        "first_name", "last_name", "username"
    )


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
    if actor(by) is not None and not Client.objects.visible_to(by).filter(pk=hq.pk).exists():
        raise invalid({"headquarters": [_("Choose a client you can see.")]})


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
    if owner.pk == getattr(by, "pk", None) and role in OWNING_ROLES:
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
    price_list_id = clean_price_list(data.pop("price_list", None))
    team_country = getattr(getattr(owner or by, "team", None), "default_country", "") or ""
    values = clean_client_values({"name": "", **data}, team_country=team_country)
    _check_headquarters(headquarters, client=None, by=by if check_permission else None)
    _check_unique(values, client=None, viewer=by if check_permission else None)
    team = getattr(owner, "team", None) or getattr(by, "team", None)
    client = Client(**values, owner=owner, team=team, headquarters=headquarters, created_by=actor(by))
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
        update_price_list(by=by, client=client, value=data.pop("price_list"))
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
    deals … of any app): otherwise it is archived. A lost client is never deleted (it can be won
    back). One query (an EXISTS per relation)."""
    if client.lost_at is not None:
        return False
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
    if client.lost_at is not None:
        raise ConflictError(
            _("%(client)s is a lost client: it is kept with its history so it can be won back.")
            % {"client": client}
        )
    if not client_can_delete(client):
        raise ConflictError(
            _("%(client)s has related records (contacts, leads, deals …): archive it instead.")
            % {"client": client}
        )
    audit_event(actor=by, instance=client, event="deleted", changes={"name": client.name})
    client.tags.clear()
    client.delete()


def lost_reason_codes() -> list[str]:
    """The codes a client may be lost for: the churn taxonomy's reasons in use (its provider,
    `hooks.status_decisions`), the built-in reasons without one."""
    decisions = status_decisions.one()
    return list(decisions.reason_codes()) if decisions is not None else list(ChurnReason.values)


@transaction.atomic
def client_mark_lost(
    *,
    by: User | None,
    client: Client,
    reason: str,
    note: str = "",
    lost_at: dt.datetime | None = None,
) -> Client:
    """The client churned: status *lost*, with a reason from the taxonomy (SPEC §8), at `lost_at`
    (now by default; not in the future, not before the client existed).

    The decision itself — who decided, the status history, the exit questionnaire — is
    `retention.lifecycle.client_lose`, which calls this for the client's own columns."""
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    codes = lost_reason_codes()
    if not reason:
        raise invalid({"reason": [_("Choose why the client left.")]})
    if reason not in codes:
        raise invalid({"reason": [_("Choose one of the reasons in the list.")]})
    if client.lost_at is not None:
        raise ConflictError(_("This client is already marked as lost."))
    now = timezone.now()
    lost_at = lost_at or now
    if lost_at > now:
        raise invalid({"lost_on": [_("A client cannot be lost in the future.")]})
    if client.created_at is not None and lost_at < client.created_at:
        raise invalid({"lost_on": [_("The client did not exist yet on that day.")]})
    model_update(
        instance=client,
        data={"lost_at": lost_at, "lost_reason": reason, "lost_note": clean_text(note, 2000)},
        actor=by,
    )
    return client


@transaction.atomic
def client_reactivate(*, by: User, client: Client) -> Client:
    """A lost client is back: the status is computed again from contacts and purchases (the
    decision with its history is `retention.lifecycle.client_win_back`)."""
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    if client.lost_at is not None:
        model_update(instance=client, data={"lost_at": None, "lost_reason": "", "lost_note": ""}, actor=by)
    return client


# --- Settings ------------------------------------------------------------------------------------


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


# --- Reaching the client through its main contact ----------------------------------------------


def main_contact(client: Client) -> Any:
    """The person we reach the client through: a working contact with a phone or an e-mail, the
    decision maker first, then whoever was added first. None when nobody has either."""
    contacts = client.contacts.filter(is_archived=False).exclude(phone="", email="")
    return (
        contacts.annotate(
            is_decider=models.Case(
                models.When(role=ContactRole.DECISION_MAKER, then=0),
                default=1,
                output_field=models.IntegerField(),
            )
        )
        .order_by("is_decider", "created_at", "id")
        .first()
    )


def contact_details_to_fill(client: Client, contact: Any) -> dict[str, str]:
    """The client's empty phone and e-mail, as the contact would fill them (nothing when the
    client has its own or the contact has none)."""
    values: dict[str, str] = {}
    if contact is None:
        return values
    if not client.phone and contact.phone:
        values["phone"] = contact.phone
        values["phone_raw"] = contact.phone_raw or contact.phone
    if not client.email and contact.email:
        values["email"] = contact.email
    return values


def client_fill_from_contact(*, by: User | None, client: Client, contact: Any) -> list[str]:
    """Give the client its contact's phone and e-mail where it has none (a lead converting into
    a company: the person is how we reach it). The caller has checked the right to write (the
    conversion); audited as a change of the client. Returns the fields filled."""
    values = contact_details_to_fill(client, contact)
    if not values:
        return []
    model_update(instance=client, data=values, actor=actor(by))
    client_refresh_search(client)
    return [name for name in values if name != "phone_raw"]


@transaction.atomic
def client_use_main_contact(*, by: User, client: Client) -> list[str]:
    """The card's one click: the client's empty phone and e-mail from its main contact."""
    require_record(by, client, Action.WORK, CLIENT_LOCKED)
    client = Client.objects.select_for_update().get(pk=client.pk)
    contact = main_contact(client)
    filled = client_fill_from_contact(by=by, client=client, contact=contact)
    if not filled:
        message = _("The client has its own phone and e-mail, or its contacts have none.")
        raise BusinessError(message, errors={"__all__": [message]})
    return filled
