"""A team's working rules: its calendar (working hours, time zone, holidays) and its response
policy (first-response budgets by temperature, escalation delay, keep-alive days).

* how the clocks read them — `calendar_for_team`, `policy_for_team` (the defaults when a team has
  none), `TeamRules` (each team's read once, for loops over many clocks);
* how they change — `business_calendar_update`, `holiday_add`, `holiday_remove`,
  `response_policy_update`: admins for any team, heads of sales for the teams they head.

The business-time arithmetic over a calendar is `business_hours.py` (no database).
Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.comms.business_hours import Calendar, default_weekly_hours
from clientela.comms.models import BusinessCalendar, Holiday, ResponsePolicy
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError, validation_messages
from clientela.core.permissions import can_manage_team
from clientela.users.models import Team, User

POLICY_FIELDS = [
    "first_response_minutes",
    "target_minutes",
    "hot_minutes",
    "warm_minutes",
    "cold_minutes",
    "escalation_delay_minutes",
    "keep_alive_days",
]


# --- Calendars and policies as the clocks read them ----------------------------------------


def default_calendar(time_zone: str) -> Calendar:
    """Monday–Friday 09:00–18:00 in `time_zone` (the site's when empty), no holidays."""
    return Calendar.build(weekly_hours=default_weekly_hours(), time_zone=time_zone or settings.TIME_ZONE)


def calendar_for_team(team: Team | None) -> Calendar:
    """The team's working calendar; the default week without a team or a calendar row."""
    if team is None:
        return default_calendar("")
    row = BusinessCalendar.objects.filter(team=team).prefetch_related("holidays").first()
    if row is None:
        return default_calendar(team.time_zone)
    row.team = team
    return row.as_calendar()


def policy_for_team(team: Team | None) -> ResponsePolicy:
    """The team's response policy; an unsaved one with the defaults when it has none."""
    if team is not None:
        policy = ResponsePolicy.objects.filter(team=team).first()
        if policy is not None:
            return policy
    return ResponsePolicy(team=team)


class TeamRules:
    """Calendars and policies by team, each read once — for loops over many clocks."""

    def __init__(self) -> None:
        self._calendars: dict[int | None, Calendar] = {}
        self._policies: dict[int | None, ResponsePolicy] = {}

    def calendar(self, team: Team | None) -> Calendar:
        key = team.pk if team is not None else None
        if key not in self._calendars:
            self._calendars[key] = calendar_for_team(team)
        return self._calendars[key]

    def policy(self, team: Team | None) -> ResponsePolicy:
        key = team.pk if team is not None else None
        if key not in self._policies:
            self._policies[key] = policy_for_team(team)
        return self._policies[key]


# --- Settings: who may change a team's calendar and policy ---------------------------------


def _require_manage(user: Any, team: Team) -> None:
    """Admins change any team's calendar and policy; heads of sales their own teams'."""
    if not can_manage_team(user, team):
        raise PermissionDeniedError(_("You cannot change this team's working hours or response policy."))


def _calendar_row(team: Team, by: User) -> BusinessCalendar:
    row, created = BusinessCalendar.objects.get_or_create(
        team=team, defaults={"created_by": by if getattr(by, "is_authenticated", False) else None}
    )
    if created:
        audit_create(actor=by, instance=row, fields=["team", "weekly_hours", "time_zone"])
    return row


@transaction.atomic
def business_calendar_update(
    *, by: User, team: Team, weekly_hours: dict[str, Any] | None = None, time_zone: str | None = None
) -> BusinessCalendar:
    """Change a team's working hours and/or time zone (empty time zone: follow the team's)."""
    _require_manage(by, team)
    row = _calendar_row(team, by)
    data: dict[str, Any] = {}
    if weekly_hours is not None:
        data["weekly_hours"] = weekly_hours
    if time_zone is not None:
        data["time_zone"] = time_zone.strip()
    try:
        model_update(instance=row, data=data, actor=by)
    except ValidationError as exc:
        raise BusinessError(_("Check the working hours."), errors=validation_messages(exc)) from exc
    return row


@transaction.atomic
def holiday_add(*, by: User, team: Team, date: dt.date, name: str = "") -> Holiday:
    """Close the team's calendar on `date`."""
    _require_manage(by, team)
    row = _calendar_row(team, by)
    if row.holidays.filter(date=date).exists():
        raise ConflictError(
            _("%(date)s is already a holiday.") % {"date": date.isoformat()},
            errors={"date": [_("This day is already a holiday.")]},
        )
    holiday = Holiday.objects.create(calendar=row, date=date, name=name.strip()[:120])
    audit_event(actor=by, instance=row, event="holiday_added", changes={"date": date, "name": holiday.name})
    return holiday


@transaction.atomic
def holiday_remove(*, by: User, holiday: Holiday) -> None:
    """Open the team's calendar again on that day."""
    row = holiday.calendar
    _require_manage(by, row.team)
    audit_event(
        actor=by, instance=row, event="holiday_removed", changes={"date": holiday.date, "name": holiday.name}
    )
    holiday.delete()


@transaction.atomic
def response_policy_update(*, by: User, team: Team, data: dict[str, Any]) -> ResponsePolicy:
    """Change a team's response budgets, escalation delay or keep-alive days."""
    _require_manage(by, team)
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    if unknown:
        raise BusinessError(
            _("Unknown settings: %(names)s.") % {"names": ", ".join(unknown)},
            errors={name: [_("Not a response policy setting.")] for name in unknown},
        )
    policy, created = ResponsePolicy.objects.get_or_create(
        team=team, defaults={"created_by": by if getattr(by, "is_authenticated", False) else None}
    )
    if created:
        audit_create(actor=by, instance=policy, fields=POLICY_FIELDS)
    try:
        model_update(instance=policy, data=data, actor=by)
    except ValidationError as exc:
        raise BusinessError(_("Check the response policy."), errors=validation_messages(exc)) from exc
    return policy
