"""The one-click acknowledgement (SPEC §7): "received; a detailed answer by …" from the work list.

* `PromisePreset` / `promise_resolve` — what a manager can promise with one click (2 or 4
  business hours, the end of today's or the next business day, a chosen moment), resolved in the
  clock's team business time;
* `acknowledgement_draft` — the letter from the team's `acknowledgement` template, in the
  language the manager picks (`acknowledgement_languages`), to the lead's, contact's or client's
  address (`acknowledgement_recipient`);
* `acknowledgement_send` — all or nothing, in one transaction: stop the first-response clock,
  start the promise clock (`comms.clocks.clock_acknowledge`) and send the letter through
  `ACKNOWLEDGEMENT_LETTER`, which the mail app provides.

The work list that offers it is `worklist.py` (reading); the page is `worklist_views.acknowledge`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clientela.comms.business_hours import (
    MAX_CLOSED_DAYS,
    BusinessHoursError,
    NoWorkingHoursError,
    add_business_time,
)
from clientela.comms.choices import TemplateKey
from clientela.comms.clocks import clock_acknowledge
from clientela.comms.models import MessageTemplate, ResponseClock
from clientela.comms.team_settings import calendar_for_team
from clientela.comms.templates import render_message
from clientela.core.errors import BusinessError
from clientela.core.hooks import Hook
from clientela.core.zones import format_moment
from clientela.users.models import User


class PromisePreset:
    """What a manager can promise with one click; "today"/"tomorrow" end with the business day."""

    TWO_HOURS = "2h"
    FOUR_HOURS = "4h"
    TODAY = "today"
    TOMORROW = "tomorrow"
    CUSTOM = "custom"

    MINUTES = {TWO_HOURS: 120, FOUR_HOURS: 240}

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [
            (cls.TWO_HOURS, _("Within 2 business hours")),
            (cls.FOUR_HOURS, _("Within 4 business hours")),
            (cls.TODAY, _("Within the day")),
            (cls.TOMORROW, _("By the end of the next business day")),
            (cls.CUSTOM, _("By a moment I choose")),
        ]

    @classmethod
    def promise_text(cls, preset: str) -> str:
        return {
            cls.TWO_HOURS: _("Received; a detailed answer within 2 hours."),
            cls.FOUR_HOURS: _("Received; a detailed answer within 4 hours."),
            cls.TODAY: _("Received; a detailed estimate within the day."),
            cls.TOMORROW: _("Received; a detailed estimate by tomorrow evening."),
        }.get(preset, _("Received; a detailed answer by the promised time."))


def business_day_end(moment: dt.datetime, calendar: Any, *, days_ahead: int = 0) -> dt.datetime:
    """The closing time of the business day that is still open at `moment` (or the next one),
    `days_ahead` business days later. Raises `BusinessHoursError` for a calendar never open."""
    day = moment.astimezone(calendar.zone).date()
    skipped = 0
    for _step in range(MAX_CLOSED_DAYS + days_ahead * 8 + 2):
        windows = calendar.windows_on(day)
        if windows and windows[-1][1] > moment:
            if skipped == days_ahead:
                return windows[-1][1].astimezone(calendar.zone)
            skipped += 1
        day += dt.timedelta(days=1)
    raise NoWorkingHoursError(_("The working calendar has no working hours."))


@dataclass(frozen=True)
class PromiseChoice:
    """A promise resolved to exactly one of the two forms `clock_acknowledge` accepts."""

    minutes: int | None
    until: dt.datetime | None
    due_at: dt.datetime  # when the promise clock will be due
    text: str


def promise_resolve(
    *, clock: ResponseClock, preset: str, until: dt.datetime | None = None, text: str = "", now: dt.datetime
) -> PromiseChoice:
    """Turn a preset (or a chosen moment) into the promise, in the clock's team business time."""
    calendar = calendar_for_team(clock.team)
    text = text.strip() or PromisePreset.promise_text(preset)
    try:
        if preset in PromisePreset.MINUTES:
            minutes = PromisePreset.MINUTES[preset]
            return PromiseChoice(minutes, None, add_business_time(now, minutes, calendar), text)
        if preset in (PromisePreset.TODAY, PromisePreset.TOMORROW):
            ahead = 1 if preset == PromisePreset.TOMORROW else 0
            end = business_day_end(now, calendar, days_ahead=ahead)
            return PromiseChoice(None, end, end, text)
    except BusinessHoursError as exc:
        raise BusinessError(exc.message, errors={"promise": [exc.message]}) from exc
    if preset == PromisePreset.CUSTOM:
        if until is None:
            raise BusinessError(
                _("Say by when you promise an answer."),
                errors={"promised_until": [_("This field is required.")]},
            )
        if until <= now:
            raise BusinessError(
                _("The promised time must be in the future."),
                errors={"promised_until": [_("The promised time must be in the future.")]},
            )
        return PromiseChoice(None, until, until, text)
    raise BusinessError(_("Choose what you promise."), errors={"promise": [_("Choose one of the options.")]})


@dataclass(frozen=True)
class AcknowledgementDraft:
    """The letter an acknowledgement would send: to whom, in which language, what it says."""

    to: str
    subject: str
    body: str
    language: str


def acknowledgement_recipient(clock: ResponseClock) -> str:
    """The address that gets the acknowledgement: the lead's, else the contact's, else the client's."""
    for record in (clock.lead, getattr(clock, "contact", None), getattr(clock, "client", None)):
        email = getattr(record, "email", "") if record is not None else ""
        if email:
            return str(email)
    return ""


def acknowledgement_languages() -> list[tuple[str, str]]:
    """The languages an acknowledgement template exists in (the "template" a manager picks)."""
    names = dict(settings.LANGUAGES)
    codes = MessageTemplate.objects.filter(key=TemplateKey.ACKNOWLEDGEMENT).values_list("language", flat=True)
    return [(code, str(names.get(code, code))) for code in sorted(set(codes))]


def acknowledgement_draft(
    *, clock: ResponseClock, by: User, language: str, promise: PromiseChoice
) -> AcknowledgementDraft | None:
    """The acknowledgement letter from the team's template, or None when there is nobody to write
    to or no template at all. The promised moment is written in its writer's time zone."""
    to = acknowledgement_recipient(clock)
    if not to:
        return None
    with translation.override(language):
        promised_at = format_moment(promise.due_at, clock.owner or by)
    context = {
        "lead": clock.lead,
        "client": getattr(clock, "client", None),
        "contact": getattr(clock, "contact", None),
        "deal": getattr(clock, "deal", None),
        "manager": clock.owner or by,
        "promised_at": promised_at,
    }
    try:
        rendered = render_message(TemplateKey.ACKNOWLEDGEMENT, language=language, context=context)
    except LookupError:
        return None
    return AcknowledgementDraft(
        to=to, subject=rendered.subject, body=rendered.body, language=rendered.language
    )


# Sends the acknowledgement letter of a clock: `fn(by=, clock=, to=, subject=, body=) -> Message`,
# provided by the mail app (a reply in the client's thread when the clock is about a message).
ACKNOWLEDGEMENT_LETTER: Hook[Any] = Hook("activities.acknowledgement_letter")


@dataclass(frozen=True)
class AcknowledgementSent:
    stopped: ResponseClock
    promise: ResponseClock
    message: Any  # mail.models.Message, or None when no letter went out


def acknowledgement_send(
    *,
    by: User,
    clock: ResponseClock,
    promise: PromiseChoice,
    subject: str = "",
    body: str = "",
    send_email: bool = True,
    now: dt.datetime | None = None,
) -> AcknowledgementSent:
    """One click: stop the first-response clock, start the promise clock and (optionally) send the
    acknowledgement letter — all or nothing, in one transaction.

    The letter goes to the lead/contact/client address through `ACKNOWLEDGEMENT_LETTER` (mail)
    (a reply in the client's thread when the clock is about a message).
    """
    with transaction.atomic():
        acknowledged = clock_acknowledge(
            clock=clock,
            by=by,
            promised_minutes=promise.minutes,
            promised_until=promise.until,
            text=promise.text,
            at=now,
        )
        message = None
        if send_email:
            to = acknowledgement_recipient(clock)
            if not to:
                raise BusinessError(
                    _("There is no e-mail address to send the acknowledgement to."),
                    errors={
                        "send_email": [_("Add an e-mail address to the record, or do not send a letter.")]
                    },
                )
            send_letter = ACKNOWLEDGEMENT_LETTER.one()
            if send_letter is None:
                raise ImproperlyConfigured("No app provides ACKNOWLEDGEMENT_LETTER (the mail app does).")
            message = send_letter(by=by, clock=clock, to=to, subject=subject, body=body)
    return AcknowledgementSent(stopped=acknowledged.stopped, promise=acknowledged.promise, message=message)
