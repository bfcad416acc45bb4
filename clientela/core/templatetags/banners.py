"""`{% home_banners %}`: the banners the apps register on `core.banners.HOME_BANNERS`."""

from __future__ import annotations

from typing import Any

from django import template

from clientela.core.banners import banners_for

register = template.Library()


@register.inclusion_tag("core/_home_banners.html", takes_context=True)
def home_banners(context: Any) -> dict[str, Any]:
    request = context.get("request")
    return {
        "banners": banners_for(request) if request is not None else [],
        "csrf_token": context.get("csrf_token"),
    }
