"""Template helpers of the deal pages: money and durations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.deals.client_card import client_deal_summary as summary
from clientela.deals.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """`{{ deal.amount|money:deal.currency }}` → "12 345.50 RON"."""
    if amount is None:
        return ""
    return format_money(amount, currency or "")


@register.filter
def plain_number(value: Decimal | None) -> str:
    """2.500 → "2.5" (quantities)."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as "3 d", "5 h" or "12 min"."""
    if seconds in (None, ""):
        return "—"
    seconds = int(seconds)
    if seconds >= 86400:
        days = seconds // 86400
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if seconds >= 3600:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return _("%(n)d min") % {"n": max(1, seconds // 60)}


@register.simple_tag(takes_context=True)
def client_deal_summary(context: Any, client: Any) -> dict[str, Any]:
    """`{% client_deal_summary client as summary %}` — the client card's deals section data,
    scoped to the viewer (the context's `viewer`, else the signed-in user)."""
    try:
        urls = {
            "root": reverse("deals:list"),
            "create": reverse("deals:create"),
            "receivables": reverse("deals:receivables"),
        }
    except NoReverseMatch:  # the deal pages are not mounted in this URLconf: no section
        return {"available": False}
    viewer = context.get("viewer")
    if viewer is None and context.get("request") is not None:
        viewer = context["request"].user
    return {**summary(client=client, viewer=viewer), "urls": urls, "available": True}
