"""What every clients page does the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from clientela.core.errors import BusinessError, PermissionDeniedError


def run_button(request: HttpRequest, action: Callable[[], Any]) -> bool:
    """Run a button's service: a business error becomes a message; a refusal is 403."""
    try:
        action()
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return False
    return True


def int_or_none(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None
