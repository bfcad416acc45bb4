"""`{% mail_threads record %}` — the e-mail panel of a lead, client, contact or deal card."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from clientela.core.permissions import user_can
from clientela.mail import selectors

register = template.Library()

PANEL_LIMIT = 10


@register.inclusion_tag("mail/_panel.html", takes_context=True)
def mail_threads(context: template.Context, record: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or record is None:
        return {"threads": [], "more": False, "compose_url": ""}
    threads = list(selectors.threads_for_record(viewer=user, record=record)[: PANEL_LIMIT + 1])
    compose_url = ""
    if user_can(user, "work_records"):
        compose_url = reverse("mail:compose") + "?" + urlencode({record._meta.model_name: record.pk})
    return {
        "threads": threads[:PANEL_LIMIT],
        "more": len(threads) > PANEL_LIMIT,
        "compose_url": compose_url,
        "request": request,
    }
