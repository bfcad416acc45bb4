"""`{% client_satisfaction client as sat %}` — the client card's satisfaction section data."""

from __future__ import annotations

from typing import Any

from django import template

from clientela.core.permissions import Action, can
from clientela.retention.models import ChurnReason
from clientela.retention.satisfaction import client_satisfaction as figures

register = template.Library()


@register.simple_tag(takes_context=True)
def client_satisfaction(context: Any, client: Any) -> dict[str, Any]:
    viewer = context.get("viewer")
    if viewer is None and context.get("request") is not None:
        viewer = context["request"].user
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return {"available": False}
    data = figures(client, viewer)
    contacts = list(
        client.contacts.filter(is_archived=False, consent=True)
        .exclude(email="")
        .order_by("last_name", "first_name")[:50]
    )
    reasons = {r.code: r.label for r in ChurnReason.objects.all()}
    exit_survey = data["exit"]
    data["exit_reason"] = (
        reasons.get(exit_survey.churn_reason, exit_survey.churn_reason) if exit_survey else ""
    )
    data["decided_reason"] = reasons.get(client.lost_reason, client.lost_reason) if client.lost_reason else ""
    return {**data, "available": True, "can_send": can(viewer, client, Action.WORK), "contacts": contacts}
