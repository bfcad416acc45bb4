"""Reads of the response clocks: time left, status, the open clocks a person sees, and the
speed-of-first-response statistics per manager. Everything a user sees is scoped."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from clientela.comms.business_hours import Calendar, business_minutes_between
from clientela.comms.choices import ANSWERED_REASONS, ClockKind, ClockStatus
from clientela.comms.models import BusinessCalendar, ResponseClock
from clientela.comms.team_settings import calendar_for_team, default_calendar
from clientela.users.models import Team, User

if TYPE_CHECKING:
    from clientela.leads.models import Lead

# Less than this share of the budget left (in business minutes) is "near".
NEAR_SHARE = 0.25
STATUS_ORDER = {ClockStatus.BREACHED: 0, ClockStatus.NEAR: 1, ClockStatus.OK: 2}


def clock_time_left(
    clock: ResponseClock, *, now: dt.datetime | None = None, calendar: Calendar | None = None
) -> int:
    """Business minutes left until the clock is due; negative once overdue.

    A stopped clock answers as of the moment it stopped.
    """
    calendar = calendar or calendar_for_team(clock.team)
    moment = clock.stopped_at or now or timezone.now()
    return business_minutes_between(moment, clock.due_at, calendar)


def clock_status(
    clock: ResponseClock,
    *,
    now: dt.datetime | None = None,
    calendar: Calendar | None = None,
    minutes_left: int | None = None,
) -> ClockStatus:
    """ok, near (less than 25% of the budget left) or breached (past due, recorded or not)."""
    moment = clock.stopped_at or now or timezone.now()
    if clock.breached_at is not None or moment >= clock.due_at:
        return ClockStatus.BREACHED
    left = minutes_left if minutes_left is not None else clock_time_left(clock, now=now, calendar=calendar)
    if left < clock.budget_minutes * NEAR_SHARE or left <= 0:
        return ClockStatus.NEAR
    return ClockStatus.OK


@dataclass(frozen=True)
class ClockView:
    """A clock as the card and the work list show it."""

    clock: ResponseClock
    minutes_left: int
    status: ClockStatus

    @property
    def is_open(self) -> bool:
        return self.clock.stopped_at is None


def _calendars_for(team_ids: Iterable[int | None]) -> dict[int | None, Calendar]:
    """Calendars of many teams in two queries (calendar rows and their holidays)."""
    ids = {team_id for team_id in team_ids if team_id is not None}
    rows = {
        row.team_id: row
        for row in BusinessCalendar.objects.filter(team_id__in=ids)
        .select_related("team")
        .prefetch_related("holidays")
    }
    calendars: dict[int | None, Calendar] = {}
    missing = ids - set(rows)
    if missing:
        for team in Team.objects.filter(pk__in=missing):
            calendars[team.pk] = default_calendar(team.time_zone)
    for team_id, row in rows.items():
        calendars[team_id] = row.as_calendar()
    calendars[None] = default_calendar("")
    return calendars


def _view(clock: ResponseClock, calendar: Calendar, now: dt.datetime) -> ClockView:
    left = clock_time_left(clock, now=now, calendar=calendar)
    return ClockView(clock=clock, minutes_left=left, status=clock_status(clock, now=now, minutes_left=left))


def open_clocks_for(
    *, user: Any, now: dt.datetime | None = None, owner: User | None = None
) -> list[ClockView]:
    """Open clocks `user` may see (optionally one owner's): overdue, then nearly due, then by due time."""
    now = now or timezone.now()
    clocks: QuerySet[ResponseClock] = (
        ResponseClock.objects.visible_to(user)
        .filter(stopped_at__isnull=True)
        .select_related("lead", "owner", "team")
        .order_by("due_at", "id")
    )
    if owner is not None:
        clocks = clocks.filter(owner=owner)
    rows = list(clocks)
    calendars = _calendars_for(clock.team_id for clock in rows)
    views = [_view(clock, calendars[clock.team_id], now) for clock in rows]
    return sorted(views, key=lambda view: (STATUS_ORDER[view.status], view.clock.due_at, view.clock.pk))


def lead_clock(*, lead: Lead, now: dt.datetime | None = None) -> ClockView | None:
    """The clock a lead card shows: the open one due first, else the last one that ran."""
    now = now or timezone.now()
    clocks = ResponseClock.objects.filter(lead=lead).select_related("team")
    clock = clocks.filter(stopped_at__isnull=True).order_by("due_at", "id").first()
    if clock is None:
        clock = clocks.order_by("-started_at", "-id").first()
    if clock is None:
        return None
    return _view(clock, calendar_for_team(clock.team), now)


@dataclass(frozen=True)
class ManagerResponseStats:
    """Speed of first response of one manager over a period."""

    owner: User
    count: int  # first-response clocks started in the period
    answered: int  # stopped by an answer or an acknowledgement
    breached: int  # overdue at some point (answered late, or not answered)
    open: int  # still running
    median_minutes: float | None  # business minutes to answer, over the answered ones
    breached_share: float | None  # breached / (breached + answered on time); None with no outcome yet


def first_response_stats(
    *, user: Any, since: dt.datetime, until: dt.datetime, team_id: int | None = None
) -> list[ManagerResponseStats]:
    """Per manager: how many first-response clocks, the median time to answer, the share breached.

    Counts clocks *started* in [since, until) that `user` may see. A clock stopped as no
    longer needed before its deadline (e.g. the lead was refused as spam) is in `count` but is
    neither an answer nor a breach.
    """
    clocks = ResponseClock.objects.visible_to(user).filter(
        kind=ClockKind.FIRST_RESPONSE, started_at__gte=since, started_at__lt=until, owner__isnull=False
    )
    if team_id is not None:
        clocks = clocks.filter(team_id=team_id)
    grouped: dict[int, list[tuple[int | None, str, bool, bool]]] = defaultdict(list)
    for owner_id, taken, reason, breached_at, stopped_at in clocks.values_list(
        "owner_id", "minutes_taken", "stop_reason", "breached_at", "stopped_at"
    ):
        grouped[owner_id].append((taken, reason, breached_at is not None, stopped_at is None))
    owners = {person.pk: person for person in User.objects.filter(pk__in=grouped)}
    stats = []
    for owner_id, rows in grouped.items():
        answered_minutes = [
            taken for taken, reason, _b, _o in rows if reason in ANSWERED_REASONS and taken is not None
        ]
        breached = sum(1 for _t, _r, was_breached, _o in rows if was_breached)
        on_time = sum(
            1 for _t, reason, was_breached, _o in rows if reason in ANSWERED_REASONS and not was_breached
        )
        decided = breached + on_time
        stats.append(
            ManagerResponseStats(
                owner=owners[owner_id],
                count=len(rows),
                answered=len(answered_minutes),
                breached=breached,
                open=sum(1 for *_rest, is_open in rows if is_open),
                median_minutes=float(statistics.median(answered_minutes)) if answered_minutes else None,
                breached_share=breached / decided if decided else None,
            )
        )
    return sorted(stats, key=lambda item: (str(item.owner), item.owner.pk))
