"""Writes for contacts: create, update, archive/restore, and moves between clients with the
employment history (`ContactMembership`) kept. A contact is changed by whoever may work it;
a new contact needs a client the writer works with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.completeness import refresh_completeness
from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.services.client import CLIENT_LOCKED, actor
from clientela.clients.services.derived import contact_refresh_search
from clientela.clients.services.rules import CONTACT_TEXT_FIELDS, clean_contact_values, invalid
from clientela.clients.status import refresh_last_contact
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import ConflictError
from clientela.core.permissions import Action, can, require_record
from clientela.users.models import User

CONTACT_AUDIT_FIELDS = ["client", "first_name", "last_name", "position", "role", "email", "phone"]

# Who may change a contact is the record rule of `core.permissions` (`Action.WORK`); these are the
# words of its refusal.
CONTACT_LOCKED = gettext_lazy("You cannot change this contact.")

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
    contact = Contact(client=client, created_by=actor(by), **values)
    contact.full_clean()
    contact.save()
    ContactMembership.objects.create(
        contact=contact,
        client=client,
        position=contact.position,
        role=contact.role,
        started_on=timezone.localdate(),
        created_by=actor(by),
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
            created_by=actor(by),
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
        created_by=actor(by),
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
