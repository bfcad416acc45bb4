"""The reader's time zone: every date and time is stored in UTC and shown, parsed and written in
the zone of the person who reads or types it — their own setting, else their team's, else the
site's (`settings.TIME_ZONE`). A request runs in its reader's zone (the users app's middleware
activates it); texts written for someone else (reminders, digests, letters, documents) name
their reader. Every app shows times, so the rule lives here, at the bottom, beside the reader's
language (`core.language`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils import formats, timezone


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def zone_name_of(user: Any) -> str:
    """The name of the zone `user` reads times in: their own, else their team's, else the site's."""
    own = getattr(user, "time_zone", "") or ""
    if own and _zone(own) is not None:
        return own
    team = getattr(user, "team", None) if user is not None else None
    team_zone = getattr(team, "time_zone", "") or ""
    if team_zone and _zone(team_zone) is not None:
        return team_zone
    return settings.TIME_ZONE if _zone(settings.TIME_ZONE) is not None else "UTC"


def zone_of(user: Any) -> zoneinfo.ZoneInfo:
    """The zone `user` reads times in (see `zone_name_of`); no user: the site's."""
    return zoneinfo.ZoneInfo(zone_name_of(user))


def in_zone_of(user: Any) -> timezone.override:
    """Show and parse times for `user` in their zone (a context manager)."""
    return timezone.override(zone_of(user))


def local(value: dt.datetime, user: Any = None) -> dt.datetime:
    """`value` as a wall-clock time in `user`'s zone (the active zone when no user is named)."""
    return timezone.localtime(value, zone_of(user) if user is not None else None)


def local_date(user: Any = None, value: dt.datetime | None = None) -> dt.date:
    """The day `value` (default: now) falls on for `user` (the active zone when no user is named)."""
    return local(value or timezone.now(), user).date()


def format_moment(value: dt.datetime | None, user: Any = None, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """A date and time as `user` reads it: in their zone and in the active language's format."""
    if value is None:
        return ""
    return formats.date_format(local(value, user), fmt)


def format_day(value: dt.date | dt.datetime | None, user: Any = None, fmt: str = "SHORT_DATE_FORMAT") -> str:
    """A day as `user` reads it (a moment is first put in their zone)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value, user)
    return formats.date_format(value, fmt)
