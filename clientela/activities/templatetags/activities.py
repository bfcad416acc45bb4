"""`{% activity_panel record %}`: a record's activities, open tasks and the composer, on its card.

The tag takes the record (a lead, client, contact or deal) and the request from the context and
does its own queries, so card views need no change. `{% next_step_flag record %}` is the small
"no next step" badge for headers and lists.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from clientela.activities import selectors
from clientela.activities.services.records import Records, record_closed
from clientela.activities.views import panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def activity_panel(context: template.Context, record: Any) -> SafeString:

    request = context.get("request")
    if request is None or record is None or not getattr(request.user, "is_authenticated", False):
        return SafeString("")
    return render_to_string("activities/_panel.html", panel_context(request, record), request=request)


@register.inclusion_tag("activities/_next_step_flag.html")
def next_step_flag(record: Any) -> dict[str, Any]:
    """A warning badge when an open lead or deal has no open future task."""
    kind = record._meta.model_name
    if kind not in ("lead", "deal"):
        return {"missing": False}
    if record_closed(Records(**{kind: record})) or (kind == "lead" and not record.is_open):
        return {"missing": False}
    return {"missing": not selectors.has_future_step(**{kind: record})}
