"""Editing a lead's fields: `lead_edit` checks what a person or a program sent by the lead's field
rules (`leads.rules`) for every door (the card's dialog, `PATCH /leads/{id}`); `lead_update`
writes values already checked (a temperature set here counts as set by hand).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.audit import model_update
from clientela.core.errors import BusinessError, validation_messages
from clientela.core.permissions import Action, require_record
from clientela.core.texts import Message
from clientela.leads import texts
from clientela.leads.choices import LeadEventKind
from clientela.leads.models import Lead
from clientela.leads.rules import lead_edit_values, only_changes
from clientela.leads.services.lifecycle import LEAD_LOCKED, lead_event, refresh_derived
from clientela.users.models import User


@transaction.atomic
def lead_update(*, by: User, lead: Lead, data: dict[str, Any]) -> Lead:
    """Edit a lead's fields (already normalised). Temperature set here counts as set by hand."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    if "temperature" in data:
        data["temperature_manual"] = bool(data["temperature"])
        if data["temperature"]:
            data["temperature_reasons"] = [_("Set by hand by %(name)s") % {"name": by}]
    try:
        lead, changes = model_update(instance=lead, data=data, actor=by)
    except ValidationError as exc:
        raise BusinessError(_("Some fields are not valid."), errors=validation_messages(exc)) from exc
    if changes:
        refresh_derived(lead)
        lead.save(
            update_fields=[
                "search_text",
                "name_key",
                "origin",
                "temperature",
                "temperature_reasons",
                "score",
                "score_factors",
            ]
        )
        lead_event(
            lead,
            LeadEventKind.EDITED,
            by,
            Message(texts.CHANGED, fields=", ".join(changes)),
            changes=changes,
        )
    return lead


def lead_edit(
    *, by: User, lead: Lead, raw: dict[str, Any], door: str = "api", only_changed: bool = False
) -> Lead:
    """Edit a lead from what a person or a program sent (only the keys present in `raw`), checked
    by the lead's field rules (`leads.rules`). `only_changed` keeps what differs from the stored
    lead (a form sends every field). Raises BusinessError (422) naming every bad value."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    values = lead_edit_values(lead, raw, door=door)
    if only_changed:
        values = only_changes(lead, values)
        if not values:
            return lead
    return lead_update(by=by, lead=lead, data=values)
