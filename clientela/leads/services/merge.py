"""Merging a duplicate lead into another: empty fields filled, timelines and interests joined,
tasks moved by the apps above (`LEADS_MERGED`), nothing deleted.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.comms.choices import StopReason
from clientela.comms.clocks import clocks_stop_for_lead
from clientela.core.audit import audit_event
from clientela.core.errors import BusinessError
from clientela.core.permissions import Action, require_record
from clientela.core.texts import Message
from clientela.leads import texts
from clientela.leads.choices import LeadEventKind
from clientela.leads.hooks import LEADS_MERGED
from clientela.leads.models import Interest, Lead, LeadEvent
from clientela.leads.services.lifecycle import LEAD_LOCKED, lead_event, refresh_derived, require_open
from clientela.users.models import User

MERGE_FILL_FIELDS = [
    "first_name",
    "last_name",
    "company_name",
    "position",
    "industry",
    "email",
    "email_raw",
    "phone",
    "phone_raw",
    "country",
    "region",
    "city",
    "campaign",
    "product",
    "message",
]


@transaction.atomic
def lead_merge(*, by: User, target: Lead, other: Lead) -> Lead:
    """Merge `other` into `target`: empty fields filled, timelines joined, nothing deleted."""
    if target.pk == other.pk:
        raise BusinessError(
            _("A lead cannot be merged into itself."), errors={"other": [_("Choose another lead.")]}
        )
    require_record(by, target, Action.WORK, LEAD_LOCKED)
    require_record(by, other, Action.WORK, LEAD_LOCKED)
    require_open(target)
    require_open(other)
    filled = {
        name: getattr(other, name)
        for name in MERGE_FILL_FIELDS
        if not getattr(target, name) and getattr(other, name)
    }
    target.touch_count += other.touch_count
    target.consent = target.consent or other.consent
    for name, value in filled.items():
        setattr(target, name, value)
    # The person was qualified once one of the two was (the timelines join too).
    if other.qualified_at and (target.qualified_at is None or other.qualified_at < target.qualified_at):
        target.qualified_at = other.qualified_at
    refresh_derived(target)
    target.save()
    LeadEvent.objects.filter(lead=other).update(lead=target)
    for merged in LEADS_MERGED:
        merged(other=other, target=target)
    Interest.objects.filter(upgraded_to=other).update(upgraded_to=target)
    other.merged_into = target
    other.save(update_fields=["merged_into", "updated_at"])
    clocks_stop_for_lead(lead=other, by=by, reason=StopReason.CANCELLED)
    audit_event(actor=by, instance=target, event="merged", changes={"merged": other.pk, "filled": filled})
    audit_event(actor=by, instance=other, event="merged_into", changes={"merged_into": target.pk})
    lead_event(
        target,
        LeadEventKind.MERGED,
        by,
        Message(texts.MERGED, id=other.pk, name=other),
        other=other.pk,
        filled=sorted(filled),
    )
    return target
