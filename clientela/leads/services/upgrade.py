"""An interest becomes a lead once a person appears behind it: checked by the lead's field rules,
refused when the phone or e-mail is already on record, then created through `lead_create`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_event
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.permissions import user_can
from clientela.core.texts import Message
from clientela.leads import texts
from clientela.leads.choices import LeadEventKind
from clientela.leads.duplicates import find_duplicate
from clientela.leads.models import Interest, Lead
from clientela.leads.rules import interest_upgrade_values
from clientela.leads.services.lifecycle import lead_create, lead_event
from clientela.users.models import User


@transaction.atomic
def interest_upgrade(
    *, by: User, interest: Interest, fields: dict[str, Any] | None = None, raw: dict[str, Any] | None = None
) -> Lead:
    """A person appeared behind an interest: it becomes a lead (through the same creation path).

    `raw` is what a person or a program sent (a whole name or its parts, position, company,
    phone, e-mail), checked by the lead's field rules; `fields` are lead fields already checked."""
    if not user_can(by, "work_records"):
        raise PermissionDeniedError(_("You cannot turn interests into leads."))
    if interest.upgraded_to_id:
        raise ConflictError(_("This interest is already a lead (#%(id)s).") % {"id": interest.upgraded_to_id})
    if raw is not None:
        fields = interest_upgrade_values(interest, raw)
    fields = fields or {}
    base = {
        "company_name": interest.company_name,
        "source": interest.source,
        "origin": interest.origin,
        "campaign": interest.campaign,
        "product": interest.product,
        "message": interest.message,
        "country": interest.country,
        "city": interest.city,
        "team": interest.team,
        "email": interest.email,
        "email_raw": interest.email_raw,
        "phone": interest.phone,
        "phone_raw": interest.phone_raw,
    }
    base.update({k: v for k, v in fields.items() if v not in (None, "")})
    if not (base.get("first_name") or base.get("last_name")) or not (base.get("email") or base.get("phone")):
        raise BusinessError(
            _("A lead needs a person's name and a phone or an e-mail."),
            errors={"first_name": [_("Give the person's name.")]}
            if not (base.get("first_name") or base.get("last_name"))
            else {"phone": [_("Give a phone or an e-mail.")]},
        )

    existing = find_duplicate(str(base.get("email") or ""), str(base.get("phone") or ""))
    if existing is not None and not (isinstance(existing, Lead) and existing.pk == interest.upgraded_to_id):
        raise ConflictError(
            _("This phone or e-mail already belongs to %(record)s.") % {"record": existing},
            errors={"phone" if base.get("phone") else "email": [_("Already on record.")]},
        )
    lead = lead_create(by=by, fields=base)
    interest.upgraded_to = lead
    interest.upgraded_at = timezone.now()
    interest.save(update_fields=["upgraded_to", "upgraded_at", "updated_at"])
    audit_event(actor=by, instance=interest, event="upgraded", changes={"lead": lead.pk})
    lead_event(
        lead,
        LeadEventKind.NOTE,
        by,
        Message(texts.UPGRADED, id=interest.pk),
        interest=interest.pk,
    )
    return lead
