"""Business-time arithmetic over a working calendar: pure functions, no database.

A `Calendar` is a team's weekly working hours (several intervals a day allowed, e.g. 09:00–13:00
and 14:00–18:00), its IANA time zone and its holiday dates. Response clocks run only while the
calendar is open: `add_business_time` finds when a budget of business minutes runs out,
`business_minutes_between` measures business time between two instants, `is_open` says whether
the calendar is open at an instant.

How time is counted, so the answers stay right across time zones and DST changes:

* working hours are *local wall-clock* times of the calendar's zone; each day's intervals are
  turned into real (UTC) instants and all arithmetic happens on real elapsed time. A 09:00–18:00
  day is nine real hours even on a DST change day (the change happens at night); an interval that
  spans the change (e.g. 00:00–24:00) has its real length (23 or 25 hours);
* a wall-clock bound that does not exist on a spring-forward day (02:30 in a zone that jumps from
  02:00 to 03:00) is read with the offset in force before the jump, i.e. it lands one hour later
  on the new clock; an ambiguous one on a fall-back day is the first occurrence;
* holidays are dates in the calendar's zone and close the whole day;
* "24:00" as an interval end means midnight at the end of that day.

Every loop is bounded: a calendar that is never open (no working hours, or holidays covering
more than `MAX_CLOSED_DAYS` in a row) raises `NoWorkingHoursError` instead of spinning.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Keys of the weekly-hours JSON, Monday first (matches `date.weekday()`).
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WEEKLY_HOURS: dict[str, list[list[str]]] = {
    "mon": [["09:00", "18:00"]],
    "tue": [["09:00", "18:00"]],
    "wed": [["09:00", "18:00"]],
    "thu": [["09:00", "18:00"]],
    "fri": [["09:00", "18:00"]],
    "sat": [],
    "sun": [],
}
# A calendar closed this many days in a row is treated as never open.
MAX_CLOSED_DAYS = 366
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_END_OF_DAY = "24:00"

# Minutes since local midnight, [start, end) with end ≤ 1440.
Interval = tuple[int, int]


class BusinessHoursError(ValueError):
    """The calendar or the request cannot be computed. `errors` maps a field to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {"__all__": [message]}


class NoWorkingHoursError(BusinessHoursError):
    """The calendar is never open, so a business-time deadline cannot be reached."""


def default_weekly_hours() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00–18:00 (a fresh copy, safe as a model field default)."""
    return {day: [list(pair) for pair in intervals] for day, intervals in DEFAULT_WEEKLY_HOURS.items()}


def _parse_clock(value: object, *, is_end: bool) -> int | None:
    if not isinstance(value, str):
        return None
    if is_end and value == _END_OF_DAY:
        return 24 * 60
    match = _TIME_RE.match(value)
    if match is None:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_weekly_hours(data: object) -> dict[int, tuple[Interval, ...]]:
    """Validate weekly hours JSON (`{"mon": [["09:00", "18:00"]], ...}`) into minute intervals.

    Missing days are closed. Raises `BusinessHoursError` with one message per bad day, keyed by
    the day, so a settings form can show it next to that day.
    """
    if not isinstance(data, Mapping):
        raise BusinessHoursError(_("Working hours must map weekdays to lists of intervals."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(str(key) for key in data if key not in WEEKDAYS)
    if unknown:
        errors["__all__"] = [_("Unknown weekday: %(days)s.") % {"days": ", ".join(unknown)}]
    week: dict[int, tuple[Interval, ...]] = {}
    for index, day in enumerate(WEEKDAYS):
        raw = data.get(day, [])
        intervals, problem = _parse_day(raw)
        if problem:
            errors[day] = [problem]
        else:
            week[index] = intervals
    if errors:
        first = next(iter(errors.values()))[0]
        raise BusinessHoursError(first, errors)
    return week


def _parse_day(raw: object) -> tuple[tuple[Interval, ...], str]:
    if not isinstance(raw, list | tuple):
        return (), _('Give a list of [start, end] pairs, e.g. [["09:00", "18:00"]].')
    intervals: list[Interval] = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return (), _('Each interval is a [start, end] pair, e.g. ["09:00", "18:00"].')
        start = _parse_clock(pair[0], is_end=False)
        end = _parse_clock(pair[1], is_end=True)
        if start is None or end is None:
            return (), _("Times are written HH:MM (00:00–23:59; 24:00 may end a day).")
        if end <= start:
            return (), _("An interval must end after it starts (%(start)s–%(end)s).") % {
                "start": pair[0],
                "end": pair[1],
            }
        intervals.append((start, end))
    intervals.sort()
    for (_s1, end1), (start2, _e2) in itertools.pairwise(intervals):
        if start2 < end1:
            return (), _("Intervals of one day must not overlap.")
    return tuple(intervals), ""


def validate_time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone for an IANA name, or `BusinessHoursError` on the `time_zone` field."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        message = _("Unknown time zone: %(name)s. Use an IANA name such as Europe/Bucharest.") % {
            "name": name
        }
        raise BusinessHoursError(message, {"time_zone": [message]}) from exc


@dataclass(frozen=True)
class Calendar:
    """Weekly working intervals (weekday 0 = Monday → minute intervals), a zone and holidays."""

    zone: zoneinfo.ZoneInfo
    week: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        *,
        weekly_hours: object,
        time_zone: str,
        holidays: Iterable[dt.date] = (),
    ) -> Calendar:
        """A calendar from the stored JSON form; raises `BusinessHoursError` when invalid."""
        return cls(
            zone=validate_time_zone(time_zone),
            week=parse_weekly_hours(weekly_hours),
            holidays=frozenset(holidays),
        )

    @property
    def has_working_hours(self) -> bool:
        return any(self.week.get(day) for day in range(7))

    def windows_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open windows of one local date as UTC instants, in order (none on holidays)."""
        if day in self.holidays:
            return []
        windows = []
        for start, end in self.week.get(day.weekday(), ()):
            opens = _local_instant(day, start, self.zone)
            closes = _local_instant(day, end, self.zone)
            if closes > opens:
                windows.append((opens, closes))
        return windows


def _local_instant(day: dt.date, minute_of_day: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The real instant (UTC) of a wall-clock minute of a local date; 1440 is the next midnight."""
    if minute_of_day >= 24 * 60:
        day, minute_of_day = day + dt.timedelta(days=1), 0
    wall = dt.datetime.combine(day, dt.time(minute_of_day // 60, minute_of_day % 60), tzinfo=zone)
    return wall.astimezone(dt.UTC)


def _require_aware(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise BusinessHoursError(_("%(name)s must be a date and time with a time zone.") % {"name": name})
    return value.astimezone(dt.UTC)


def _windows_from(moment: dt.datetime, calendar: Calendar) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Open windows at or after `moment` (the first clipped to start at it), forever in order.

    Raises `NoWorkingHoursError` when the calendar has no hours or stays closed for
    `MAX_CLOSED_DAYS` days in a row, so callers never loop without end.
    """
    if not calendar.has_working_hours:
        raise NoWorkingHoursError(_("The working calendar has no working hours."))
    day = moment.astimezone(calendar.zone).date() - dt.timedelta(days=1)  # a window may start earlier
    closed_days = 0
    while True:
        found = False
        for opens, closes in calendar.windows_on(day):
            if closes <= moment:
                continue
            found = True
            yield max(opens, moment), closes
        closed_days = 0 if found else closed_days + 1
        if closed_days > MAX_CLOSED_DAYS:
            raise NoWorkingHoursError(
                _("The working calendar is closed for more than %(days)s days in a row.")
                % {"days": MAX_CLOSED_DAYS}
            )
        day += dt.timedelta(days=1)


def add_business_time(start: dt.datetime, minutes: int, calendar: Calendar) -> dt.datetime:
    """The instant at which `minutes` of business time, counted from `start`, have passed.

    The clock pauses outside working hours: 17:30 plus 2 hours on a 09:00–18:00 weekday is 10:30
    of the next working day. A budget that ends exactly at closing time is due at closing time.
    Zero minutes is `start` itself. The answer is in the calendar's time zone.
    """
    moment = _require_aware(start, "start")
    if minutes < 0:
        raise BusinessHoursError(_("Minutes of business time cannot be negative."))
    if minutes == 0:
        return moment.astimezone(calendar.zone)
    remaining = dt.timedelta(minutes=minutes)
    for opens, closes in _windows_from(moment, calendar):
        length = closes - opens
        if remaining <= length:
            return (opens + remaining).astimezone(calendar.zone)
        remaining -= length
    raise AssertionError("unreachable: _windows_from is endless or raises")  # pragma: no cover


def business_minutes_between(a: dt.datetime, b: dt.datetime, calendar: Calendar) -> int:
    """Whole minutes of business time from `a` to `b` (negative when `b` is before `a`).

    Partial minutes are dropped (towards zero). A calendar without working hours gives 0.
    """
    start = _require_aware(a, "a")
    end = _require_aware(b, "b")
    if end < start:
        return -business_minutes_between(b, a, calendar)
    if end == start or not calendar.has_working_hours:
        return 0
    total = dt.timedelta()
    day = start.astimezone(calendar.zone).date() - dt.timedelta(days=1)
    last_day = end.astimezone(calendar.zone).date()
    while day <= last_day:
        for opens, closes in calendar.windows_on(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > dt.timedelta():
                total += overlap
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


def is_open(at: dt.datetime, calendar: Calendar) -> bool:
    """Is the calendar open at this instant?"""
    moment = _require_aware(at, "at")
    local_day = moment.astimezone(calendar.zone).date()
    for day in (local_day - dt.timedelta(days=1), local_day):
        for opens, closes in calendar.windows_on(day):
            if opens <= moment < closes:
                return True
    return False


def next_opening(at: dt.datetime, calendar: Calendar) -> dt.datetime:
    """`at` itself when open, else the next moment the calendar opens (in its time zone)."""
    moment = _require_aware(at, "at")
    for opens, _closes in _windows_from(moment, calendar):
        return opens.astimezone(calendar.zone)
    raise AssertionError("unreachable")  # pragma: no cover


def describe_week(week: Mapping[int, Sequence[Interval]]) -> dict[str, list[list[str]]]:
    """The JSON form of parsed weekly intervals (the inverse of `parse_weekly_hours`)."""

    def clock(minute: int) -> str:
        return _END_OF_DAY if minute >= 24 * 60 else f"{minute // 60:02d}:{minute % 60:02d}"

    return {
        day: [[clock(start), clock(end)] for start, end in week.get(index, ())]
        for index, day in enumerate(WEEKDAYS)
    }
