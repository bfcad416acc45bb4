"""Checking raw field values, for the services that own each entity's field rules.

Every door (web form, API schema, import, intake) hands the service what the person or program
sent; the service checks it against its entity's rules (`leads.rules`, `clients.services.rules`) with
the helpers here and raises one `BusinessError` naming every bad field. The messages are built
here once, so a limit reads the same at every door.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext as _

from clientela.core.normalise import clean_text

# The database refuses NUL in text (PostgreSQL); Django's forms already refuse it with this message.
NUL = "\x00"


def too_long(limit: int) -> str:
    """The one "too long" message: values longer than their column are refused, never cut."""
    return _("Too long: at most %(max)d characters.") % {"max": limit}


def null_characters() -> str:
    return str(ProhibitNullCharactersValidator.message)


def text_problem(text: str, limit: int | None) -> str | None:
    """What is wrong with a text bound for a column of `limit` characters, if anything."""
    if NUL in text:
        return null_characters()
    if limit and len(text) > limit:
        return too_long(limit)
    return None


def max_lengths(model: type[models.Model], names: Iterable[str]) -> dict[str, int]:
    """`{field: max_length}` from the model's own columns: the limits are declared once, there."""
    limits: dict[str, int] = {}
    for name in names:
        limit = model._meta.get_field(name).max_length  # type: ignore[union-attr]
        assert limit, f"{model.__name__}.{name} has no max_length"
        limits[name] = limit
    return limits


def check_texts(
    data: Any, limits: dict[str, int], errors: dict[str, list[str]], *, keys: dict[str, str] | None = None
) -> dict[str, str]:
    """Cleaned texts (`clean_text`) for the fields of `limits` present in `data`, every problem
    in `errors` under the name the door used (`keys` maps a field to that name when it differs)."""
    keys = keys or {}
    values: dict[str, str] = {}
    for name, limit in limits.items():
        key = keys.get(name, name)
        if key not in data:
            continue
        text = clean_text(data[key])
        problem = text_problem(text, limit)
        if problem:
            errors[key] = [problem]
        values[name] = text
    return values


def limit_widgets(fields: dict[str, Any], limits: dict[str, int]) -> None:
    """Let the browser know a form field's limit (the `maxlength` attribute) without the form
    checking it: the service does, with the same message at every door."""
    for name, limit in limits.items():
        field = fields.get(name)
        if field is not None:
            field.widget.attrs.setdefault("maxlength", str(limit))
