"""Forms of the client lifecycle: the card's "mark lost" dialog and the churn taxonomy's rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.clients.models import Client
from clientela.core.zones import local_date
from clientela.retention.lifecycle import LANGUAGES, active_reasons

LANGUAGE_NAMES = {"en": "English", "ro": "Română", "ru": "Русский", "hu": "Magyar", "ms": "Bahasa Melayu"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class LostDecisionForm(forms.Form):
    """Why and when the client left, and whether to ask its contact (the exit questionnaire)."""

    reason = forms.ChoiceField(label=_("Why the client left"))
    lost_on = forms.DateField(label=_("Lost on"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    exit_questionnaire = forms.BooleanField(
        label=_("Ask the contact why (exit questionnaire)"), required=False
    )
    contact = forms.TypedChoiceField(label=_("Contact to ask"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: Any = None, *, client: Client, viewer: Any) -> None:
        today = local_date(viewer).isoformat()  # the browser's date input reads ISO dates
        super().__init__(data, initial={"lost_on": today}, prefix=None)
        self.fields["lost_on"].widget.attrs["max"] = today
        self.client = client
        reason: Any = self.fields["reason"]
        reason.choices = [("", "—"), *((r.code, r.label) for r in active_reasons())]
        contact: Any = self.fields["contact"]
        contacts = (
            client.contacts.filter(is_archived=False).exclude(email="").order_by("last_name", "first_name")
        )
        contact.choices = [("", "—"), *((c.pk, f"{c} <{c.email}>") for c in contacts[:50])]

    def options(self) -> dict[str, Any]:
        return {
            "exit_questionnaire": bool(self.cleaned_data.get("exit_questionnaire")),
            "contact_id": self.cleaned_data.get("contact"),
        }


class ChurnReasonForm(forms.Form):
    """A reason's names per language, its share known from practice and its flag."""

    practice_share = forms.DecimalField(
        label=_("Share known from practice (%)"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    staff_attitude = forms.BooleanField(label=_("About staff attitude"), required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for language in LANGUAGES:
            self.fields[f"name_{language}"] = forms.CharField(
                label=LANGUAGE_NAMES[language], required=False, max_length=120
            )

    def names(self) -> dict[str, str]:
        return {language: self.cleaned_data.get(f"name_{language}") or "" for language in LANGUAGES}
