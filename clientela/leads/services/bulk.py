"""Many leads at once from the lead list (assign, refuse): every selected lead visible to the user,
each through the single-lead service, in one transaction with one bulk audit entry, or nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.audit import audit_bulk
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import user_can
from clientela.leads.models import Lead, RefusalReason
from clientela.leads.selectors import lead_list
from clientela.leads.services.lifecycle import lead_assign
from clientela.leads.services.refuse import lead_refuse
from clientela.users.models import User


def _selected_leads(by: User, ids: list[int]) -> list[Lead]:
    """The selected leads, all of them visible to `by`, or a refusal that changes nothing."""
    leads = list(lead_list(viewer=by).filter(pk__in=ids).order_by("pk"))
    if not ids or len(leads) != len(set(ids)):
        raise BusinessError(_("Some selected leads are no longer available to you; nothing changed."))
    return leads


def _each_or_nothing(leads: list[Lead], change: Any) -> None:
    """Apply `change` to every lead (inside the caller's transaction); the first lead that breaks
    a rule stops everything and is named in the refusal."""
    for lead in leads:
        try:
            change(lead)
        except PermissionDeniedError:
            raise
        except BusinessError as exc:
            raise BusinessError(
                _("Nothing changed: %(lead)s — %(error)s") % {"lead": lead, "error": exc.message},
                errors=exc.errors,
                status=exc.status,
            ) from exc


@transaction.atomic
def leads_assign(*, by: User, ids: list[int], owner: User | None) -> list[Lead]:
    """Reassign many leads (to `owner`, or the team queue): all in one transaction with one bulk
    audit entry, or nothing."""
    if not user_can(by, "distribute_leads"):
        raise PermissionDeniedError(_("Only a head of sales can reassign leads."))
    leads = _selected_leads(by, ids)
    _each_or_nothing(leads, lambda lead: lead_assign(by=by, lead=lead, owner=owner))
    audit_bulk(
        actor=by,
        model=Lead,
        event="bulk_assign",
        details={"leads": sorted(set(ids)), "owner": owner.pk if owner else None},
    )
    return leads


@transaction.atomic
def leads_refuse(*, by: User, ids: list[int], reason: RefusalReason, note: str = "") -> list[Lead]:
    """Record that many leads declined, for one reason: all in one transaction with one bulk audit
    entry, or nothing."""
    if not user_can(by, "work_records"):
        raise PermissionDeniedError(_("You do not have permission to do this."))
    leads = _selected_leads(by, ids)
    _each_or_nothing(leads, lambda lead: lead_refuse(by=by, lead=lead, reason=reason, note=note))
    audit_bulk(
        actor=by,
        model=Lead,
        event="bulk_refuse",
        details={"leads": sorted(set(ids)), "reason": reason.code},
    )
    return leads
