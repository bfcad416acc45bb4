"""The client card's cadence section (`clients.hooks.card_sections`)."""

from __future__ import annotations

from typing import Any

from django import template

from clientela.core.permissions import Action, can, user_can
from clientela.retention.cadence import ClientCadence, client_cadence

register = template.Library()


@register.simple_tag
def client_cadence_summary(client: Any, viewer: Any) -> ClientCadence | None:
    """The client's cadence as the viewer sees it (None for a viewer who does not work records)."""
    if viewer is None or not user_can(viewer, "work_records") or not can(viewer, client, Action.VIEW):
        return None
    return client_cadence(client, viewer)
