"""`{% figure_export_url figure "csv" %}` — the export link of a figure on the current page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def figure_export_url(context: dict[str, Any], figure: Any, fmt: str) -> str:
    return str(figure.export_url(context["request"], fmt))
