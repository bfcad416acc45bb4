"""The calendar page: one person's tasks and meetings by month or by week, in their time zone.

A month grid always shows whole weeks (Monday first), so it holds 4–6 rows; a week is seven
days. Two bounded queries (tasks due in the range, meetings held in the range), whatever the
number of items; both scoped with `visible_to(viewer)`.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import ActivityKind, TaskKind
from clientela.activities.models import Activity, Task
from clientela.activities.worklist import user_time_zone
from clientela.users.models import User

MODES = ("month", "week")
MAX_ITEMS = 1000
RELATED = ("lead", "client", "contact", "deal")


@dataclass
class CalendarItem:
    kind: str  # "task" or "meeting"
    title: str
    start: dt.datetime  # local time of the calendar's zone
    task: Task | None = None
    activity: Activity | None = None
    done: bool = False
    overdue: bool = False
    is_meeting: bool = False


@dataclass
class CalendarDay:
    date: dt.date
    in_range: bool
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)


@dataclass
class CalendarPage:
    mode: str
    anchor: dt.date
    first: dt.date
    last: dt.date  # inclusive
    weeks: list[list[CalendarDay]]
    previous: dt.date
    next: dt.date
    today: dt.date
    title: str
    zone: zoneinfo.ZoneInfo
    person: User
    truncated: bool

    @property
    def weekday_names(self) -> list[str]:
        return [formats.date_format(self.weeks[0][i].date, "D") for i in range(7)]


def parse_anchor(value: str | None, *, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The day a page is about (`YYYY-MM-DD`), today in the zone when missing or invalid."""
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return timezone.now().astimezone(zone).date()


def _range(mode: str, anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first shown day, last shown day, previous anchor, next anchor)."""
    if mode == "week":
        first = anchor - dt.timedelta(days=anchor.weekday())
        return (
            first,
            first + dt.timedelta(days=6),
            anchor - dt.timedelta(days=7),
            anchor + dt.timedelta(days=7),
        )
    month_first = anchor.replace(day=1)
    days = pycalendar.monthrange(anchor.year, anchor.month)[1]
    month_last = anchor.replace(day=days)
    first = month_first - dt.timedelta(days=month_first.weekday())
    last = month_last + dt.timedelta(days=6 - month_last.weekday())
    previous = (month_first - dt.timedelta(days=1)).replace(day=1)
    following = month_last + dt.timedelta(days=1)
    return first, last, previous, following


def calendar_for(
    *, viewer: Any, person: User, mode: str, anchor: dt.date, now: dt.datetime | None = None
) -> CalendarPage:
    """The calendar of `person` as `viewer` may see it, in the viewer's time zone."""
    now = now or timezone.now()
    mode = mode if mode in MODES else "month"
    zone = user_time_zone(viewer)
    first, last, previous, following = _range(mode, anchor)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    tasks = list(
        Task.objects.visible_to(viewer)
        .filter(assignee=person, due_at__gte=start, due_at__lt=end)
        .select_related(*RELATED)
        .order_by("due_at", "id")[: MAX_ITEMS + 1]
    )
    meetings = list(
        Activity.objects.visible_to(viewer)
        .filter(owner=person, kind=ActivityKind.MEETING, occurred_at__gte=start, occurred_at__lt=end)
        .select_related(*RELATED)
        .order_by("occurred_at", "id")[: MAX_ITEMS + 1]
    )
    truncated = len(tasks) > MAX_ITEMS or len(meetings) > MAX_ITEMS
    today = now.astimezone(zone).date()
    days: dict[dt.date, CalendarDay] = {}
    day = first
    while day <= last:
        in_range = mode == "week" or day.month == anchor.month
        days[day] = CalendarDay(date=day, in_range=in_range, is_today=day == today)
        day += dt.timedelta(days=1)
    items: list[CalendarItem] = [
        CalendarItem(
            kind="task",
            title=task.shown_title,
            start=task.due_at.astimezone(zone),
            task=task,
            done=task.done_at is not None,
            overdue=task.done_at is None and task.due_at < now,
            is_meeting=task.kind == TaskKind.MEETING,
        )
        for task in tasks[:MAX_ITEMS]
    ]
    items += [
        CalendarItem(
            kind="meeting",
            title=meeting.subject or str(ActivityKind.MEETING.label),
            start=meeting.occurred_at.astimezone(zone),
            activity=meeting,
            done=meeting.occurred_at < now,
            is_meeting=True,
        )
        for meeting in meetings[:MAX_ITEMS]
    ]
    for item in sorted(items, key=lambda entry: entry.start):
        bucket = days.get(item.start.date())
        if bucket is not None:
            bucket.items.append(item)
    ordered = [days[key] for key in sorted(days)]
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    if mode == "week":
        title = _("Week of %(date)s") % {"date": formats.date_format(first, "DATE_FORMAT")}
    else:
        title = formats.date_format(anchor, "YEAR_MONTH_FORMAT")
    return CalendarPage(
        mode=mode,
        anchor=anchor,
        first=first,
        last=last,
        weeks=weeks,
        previous=previous,
        next=following,
        today=today,
        title=title,
        zone=zone,
        person=person,
        truncated=truncated,
    )
