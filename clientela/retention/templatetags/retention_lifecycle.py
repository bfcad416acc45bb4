"""The client card's status history section (`retention/lifecycle/_client_history.html`)."""

from __future__ import annotations

from typing import Any

from django import template

from clientela.core.permissions import Action, can
from clientela.retention import lifecycle

register = template.Library()


@register.simple_tag
def client_status_history(client: Any, viewer: Any) -> dict[str, Any]:
    """The client's transitions (newest first) with the reasons' labels in the reader's language."""
    rows = lifecycle.status_history(viewer=viewer, client=client)
    labels = {code: lifecycle.reason_label(code) for code in {row.reason for row in rows if row.reason}}
    return {
        "rows": [{"change": row, "reason": labels.get(row.reason, "")} for row in reversed(rows)],
        "may_work": can(viewer, client, Action.WORK),
    }
