"""Who is this person already? The duplicate check every door runs before creating a lead
(SPEC §3): an open lead, a contact or a client with the same normalised e-mail or phone — for
contacts and clients also one of their other e-mails and phones. The intake pipeline, a lead
merge, an interest upgrade and the mail matcher all ask here."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Q

from clientela.clients.models import Client, Contact
from clientela.leads.choices import OPEN_STATUSES
from clientela.leads.models import Lead


def _listed(field: str, value: str) -> Q:
    """Rows whose JSON list `field` (other e-mails / other phones) may hold `value`.

    PostgreSQL answers exactly (`jsonb @>`); SQLite has no JSON containment, so the stored
    JSON text is searched for the encoded value and the caller checks membership exactly.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(**{f"{field}__icontains": json.dumps(value)})


def secondary_match(model: type[Contact] | type[Client], email: str, phone: str) -> Contact | Client | None:
    """The first contact/client listing this e-mail or phone among its other addresses."""
    for value, list_field in ((email, "other_emails"), (phone, "other_phones")):
        if not value:
            continue
        for record in model.objects.filter(_listed(list_field, value)).order_by("id")[:20]:
            if value in (getattr(record, list_field) or []):
                return record
    return None


def find_duplicate(email: str, phone: str) -> Lead | Contact | Client | None:
    """An open lead, a contact or a client with this e-mail or phone (in that order).

    Contacts and clients match on their main e-mail/phone and on their other e-mails and
    phones (stored normalised, like the arriving values).
    """
    if not email and not phone:
        return None
    found: Lead | Contact | Client | None
    leads = Lead.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
    for value, name in ((email, "email"), (phone, "phone")):
        if value:
            found = leads.filter(**{name: value}).order_by("created_at").first()
            if found:
                return found
    for model in (Contact, Client):
        for value, name in ((email, "email"), (phone, "phone")):
            if value:
                found = model.objects.filter(**{name: value}).order_by("id").first()
                if found:
                    return found
        found = secondary_match(model, email, phone)
        if found:
            return found
    return None
