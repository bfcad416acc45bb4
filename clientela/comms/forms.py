"""Forms of the comms pages: message templates, working hours, holidays, response policy and
notification preferences. They parse input; the services decide and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clientela.comms.business_hours import WEEKDAYS, BusinessHoursError, Calendar
from clientela.comms.models import ResponsePolicy
from clientela.comms.team_settings import POLICY_FIELDS
from clientela.core.models import DigestFrequency

DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 16}),
        strip=False,
        help_text=_("Use the variables on the right, e.g. {{ recipient_name }}."),
    )


def intervals_text(intervals: list[list[str]]) -> str:
    return ", ".join(f"{start}–{end}" for start, end in intervals)


class WorkingHoursForm(forms.Form):
    """One line per weekday, e.g. "09:00–13:00, 14:00–18:00"; empty means closed all day."""

    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        required=False,
        help_text=_("IANA name, e.g. Europe/Bucharest. Empty: the team's time zone."),
    )

    def __init__(self, *args: Any, team_time_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team_time_zone = team_time_zone or settings.TIME_ZONE
        for day in WEEKDAYS:
            self.fields[day] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                max_length=200,
                help_text=_("e.g. 09:00–13:00, 14:00–18:00; empty: closed"),
            )
        self.order_fields([*WEEKDAYS, "time_zone"])

    @staticmethod
    def initial_for(weekly_hours: dict[str, list[list[str]]], time_zone: str) -> dict[str, str]:
        initial = {day: intervals_text(weekly_hours.get(day, [])) for day in WEEKDAYS}
        initial["time_zone"] = time_zone
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        week: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS:
            raw = (data.get(day) or "").strip()
            intervals = []
            for part in filter(None, (piece.strip() for piece in raw.split(","))):
                match = INTERVAL.match(part)
                if match is None:
                    self.add_error(day, _("Write intervals like 09:00–13:00, separated by commas."))
                    break
                start, end = (value.zfill(5) for value in match.groups())
                intervals.append([start, end])
            week[day] = intervals
        if self.errors:
            return data
        try:
            calendar = Calendar.build(
                weekly_hours=week, time_zone=(data.get("time_zone") or "").strip() or self.team_time_zone
            )
        except BusinessHoursError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            if not exc.errors:
                self.add_error(None, exc.message)
            return data
        if not calendar.has_working_hours:
            self.add_error(None, _("Give at least one working interval in the week."))
        data["weekly_hours"] = week
        return data


class DateInput(forms.DateInput):
    input_type = "date"


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput(format="%Y-%m-%d"))
    name = forms.CharField(label=_("Name"), max_length=120, required=False)


class ResponsePolicyForm(forms.ModelForm):
    class Meta:
        model = ResponsePolicy
        fields = POLICY_FIELDS


class PreferencesForm(forms.Form):
    """The digest frequency plus two checkboxes per event (`app_<verb>`, `digest_<verb>`)."""

    digest = forms.ChoiceField(label=_("E-mail digest"), choices=DigestFrequency.choices)

    def __init__(self, *args: Any, verbs: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verbs = verbs
        for verb in verbs:
            self.fields[f"app_{verb}"] = forms.BooleanField(required=False)
            self.fields[f"digest_{verb}"] = forms.BooleanField(required=False)

    def events(self) -> dict[str, dict[str, bool]]:
        return {
            verb: {
                "in_app": bool(self.cleaned_data.get(f"app_{verb}")),
                "in_digest": bool(self.cleaned_data.get(f"digest_{verb}")),
            }
            for verb in self.verbs
        }
