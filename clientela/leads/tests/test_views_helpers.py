"""Shared set-up for the lead page tests: leads made through the real services."""

from __future__ import annotations

from itertools import count
from typing import Any

from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create
from clientela.users.models import User

_numbers = count(1)


def make_lead(
    *, owner: User | None, team: Any, unassigned: bool = False, by: User | None = None, **fields: Any
) -> Lead:
    """A lead created by `lead_create`; `unassigned=True` puts it in the team queue."""
    n = next(_numbers)
    values = {
        "first_name": f"Ion{n}",
        "last_name": f"Popescu{n}",
        "email": f"ion{n}@example.com",
        "phone": f"+4072100{n:04d}",
        "company_name": f"Firma {n} SRL",
        "source": "web_form",
        "team": team,
        **fields,
    }
    lead = lead_create(by=by, fields=values, owner=owner)
    if unassigned and lead.owner_id is not None:
        Lead.objects.filter(pk=lead.pk).update(owner=None, assigned_at=None)
        lead.refresh_from_db()
    return lead
