"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError, PermissionDeniedError, validation_messages


def add_business_error(form: forms.BaseForm, exc: BusinessError) -> None:
    """Show a service's BusinessError on the form: per field where it names one, else on top."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for field, messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


def perform(form: forms.BaseForm, action: Callable[[], Any]) -> Any:
    """Run a service for a valid form: business errors land on the form, refusals are a 403.

    Returns the service's result (or True), or None when it refused (the form then carries
    the errors to show).
    """
    try:
        return action() or True
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        add_business_error(form, exc)
    except ValidationError as exc:
        add_business_error(
            form, BusinessError(_("Some fields are not valid."), errors=validation_messages(exc))
        )
    return None
