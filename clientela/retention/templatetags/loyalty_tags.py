"""The client card's loyalty section: conditions, benefits, reasons, referrals, account plan."""

from __future__ import annotations

from typing import Any

from django import template

from clientela.core.permissions import Action, can, user_can
from clientela.retention import account_plans, loyalty, referrals

register = template.Library()


@register.simple_tag(takes_context=True)
def client_loyalty_summary(context: Any, client: Any) -> dict[str, Any]:
    viewer = context.get("viewer")
    if viewer is None and context.get("request") is not None:
        viewer = context["request"].user
    if client is None or client.pk is None or not user_can(viewer, "work_records"):
        return {"available": False}
    conditions = loyalty.client_conditions(client)
    codes = set(loyalty.client_reason_codes(client))
    return {
        "available": True,
        "conditions": conditions,
        "benefits": [(loyalty.benefit_label(b.kind), b) for b in conditions.benefits],
        "reasons": [label for code, label in loyalty.reason_choices() if code in codes],
        "referrals": referrals.referral_counts(client),
        "plan": account_plans.plan_of(client),
        "key_client": getattr(client, "abc_class", "") == "A",
        "may_work": can(viewer, client, Action.WORK),
    }
