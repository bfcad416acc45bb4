"""Forms of the activities pages: log a call/meeting/note, plan or edit a task, complete it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.activities.choices import (
    CALL_OUTCOMES,
    MEETING_OUTCOMES,
    ActivityKind,
    Direction,
    Outcome,
    Priority,
    Recurrence,
    TaskKind,
)
from clientela.activities.hooks import OutcomeQuestion
from clientela.activities.services.log import Promise
from clientela.activities.services.next_step import NextStep

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

PROMISE_WITHIN = [
    ("", _("—")),
    ("60", _("within 1 hour")),
    ("120", _("within 2 hours")),
    ("240", _("within 4 hours")),
    ("1440", _("within a day")),
    ("4320", _("within 3 days")),
    ("10080", _("within a week")),
]


def _outcome_choices(outcomes: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(value, Outcome(value).label) for value in outcomes]


class NextStepFields(forms.Form):
    next_step_at = forms.DateTimeField(
        label=_("Next contact"), required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    next_step_subject = forms.CharField(label=_("About"), max_length=200, required=False)
    no_next_step_reason = forms.CharField(label=_("No next step, because"), max_length=300, required=False)

    def next_step(self) -> NextStep:
        data = self.cleaned_data
        return NextStep(
            due_at=data.get("next_step_at"),
            subject=data.get("next_step_subject") or "",
            no_next_step_reason=data.get("no_next_step_reason") or "",
        )


class LogForm(NextStepFields):
    """One form for the panel's composer: a call, a meeting or a note (and the other kinds)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices, initial=ActivityKind.CALL)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "—"), *_outcome_choices(CALL_OUTCOMES), *_outcome_choices(MEETING_OUTCOMES)],
    )
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", "—"), *Direction.choices], initial=Direction.OUT
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    duration_minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0, max_value=24 * 60)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    participants = forms.CharField(label=_("Participants"), max_length=500, required=False)
    promise_title = forms.CharField(label=_("We promised"), max_length=200, required=False)
    promise_within = forms.ChoiceField(label=_("By"), required=False, choices=PROMISE_WITHIN)
    promise_due_at = forms.DateTimeField(
        label=_("Or by"), required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    # The offer guard's confirmation: a proposal or price list sooner than the minimum gap.
    confirm_early = forms.BooleanField(label=_("Send it anyway, sooner than the minimum"), required=False)

    def promises(self) -> list[Promise]:
        data = self.cleaned_data
        title = (data.get("promise_title") or "").strip()
        if not title:
            return []
        within = data.get("promise_within")
        return [
            Promise(
                title=title,
                due_at=data.get("promise_due_at"),
                due_in_minutes=int(within) if within else None,
            )
        ]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.OTHER)
    due_at = forms.DateTimeField(label=_("Due"), widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    reminder_at = forms.DateTimeField(
        label=_("Remind me at"), required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    recurrence = forms.ChoiceField(label=_("Repeats"), choices=Recurrence.choices, required=False)
    recurrence_interval = forms.IntegerField(label=_("Every"), min_value=1, max_value=365, initial=1)
    recurrence_until = forms.DateField(label=_("Repeat until"), required=False, widget=DATE_INPUT)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, assignees: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.TypedChoiceField)
        assignee.choices = [("", _("Me")), *(assignees or [])]
        if not self.is_bound and "due_at" not in self.initial:
            tomorrow = timezone.localtime() + dt.timedelta(days=1)
            self.initial["due_at"] = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)


class CompleteForm(NextStepFields):
    result = forms.CharField(label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # Asked only by tasks that branch on their outcome (`hooks.TASK_OUTCOMES`); the service checks it.
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, widget=forms.RadioSelect)
    outcome_date = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, question: OutcomeQuestion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        outcome = self.fields["outcome"]
        assert isinstance(outcome, forms.ChoiceField)
        if question is not None:
            outcome.label = question.label
            outcome.choices = list(question.choices)
            self.fields["outcome_date"].label = question.date_label


class KeepAliveForm(forms.Form):
    enabled = forms.BooleanField(label=_("Keep-alive reminders on"), required=False)
    days = forms.IntegerField(
        label=_("Days of silence"),
        min_value=1,
        max_value=60,
        help_text=_("Remind the deal owner when a waiting client has heard nothing from us for this long."),
    )
