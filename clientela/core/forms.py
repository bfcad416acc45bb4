"""Form helpers shared by every app."""

from __future__ import annotations

from django import forms

from clientela.core.errors import BusinessError


def add_business_error(form: forms.BaseForm, exc: BusinessError) -> None:
    """Show a service's BusinessError on the form: per field where it names one, else on top."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for field, messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
