"""Template helpers of the shared list templates (`templates/core/_list_*.html`)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def filter_options(field: Any) -> list[tuple[str, Any, bool]]:
    """A filter select's options as (value, label, selected), the field's value read once
    (`core/_list_filter_select.html` would otherwise compare it per option, a few hundred
    lookups for a long owner list)."""
    current = str(field.value())
    return [(str(value), label, str(value) == current) for value, label in field.field.choices]
