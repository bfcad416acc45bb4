"""What a report is asked for: the period (and the one it is compared with) and the filters.

Every report and dashboard reads the same query parameters, on the page and in the API:

| parameter    | values                                                                       |
|--------------|------------------------------------------------------------------------------|
| `period`     | `this_month` (default), `last_month`, `this_quarter`, `last_quarter`,         |
|              | `this_year`, `last_year`, `last_30`, `last_90`, `custom` (with `from`, `to`)   |
| `compare`    | `previous` (the period just before, as long), `year` (a year earlier), empty  |
| `team`       | a team id among the viewer's                                                 |
| `manager`    | a person id among the viewer's people (a manager: only themselves)          |
| `pipeline`   | a pipeline id                                                                |
| `source`, `origin`, `temperature` | the lead's codes                                        |
| `campaign`, `country`, `region`, `industry` | text (country: two letters)                   |

Days are the viewer's days: "this month" in Kuala Lumpur starts at midnight there. A period is
at most `MAX_DAYS` long. Anything wrong is a field error (`BusinessError`, 422 in the API),
never a 500 and never someone else's numbers: a manager asking for another person or team is
refused, a head asking for a team they do not see too.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.errors import BusinessError
from clientela.core.permissions import role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.core.zones import local_date, zone_of
from clientela.leads.choices import Origin, Source, Temperature

MAX_DAYS = 366 * 5 + 1  # five years: longer periods are refused (and would be slow)

PERIODS: list[tuple[str, Any]] = [
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("this_quarter", gettext_lazy("This quarter")),
    ("last_quarter", gettext_lazy("Last quarter")),
    ("this_year", gettext_lazy("This year")),
    ("last_year", gettext_lazy("Last year")),
    ("last_30", gettext_lazy("Last 30 days")),
    ("last_90", gettext_lazy("Last 90 days")),
    ("custom", gettext_lazy("Custom dates")),
]
COMPARISONS: list[tuple[str, Any]] = [
    ("", gettext_lazy("No comparison")),
    ("previous", gettext_lazy("Previous period")),
    ("year", gettext_lazy("Same period last year")),
]

# The filters every report may accept; a report names the ones that mean something for it.
FILTER_NAMES = (
    "team",
    "manager",
    "pipeline",
    "source",
    "origin",
    "campaign",
    "temperature",
    "country",
    "region",
    "industry",
)


@dataclass(frozen=True)
class Period:
    """Whole days `first`..`last` (inclusive) in the viewer's zone."""

    first: dt.date
    last: dt.date
    zone: zoneinfo.ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period (aware)."""
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period (aware): ranges are `start <= t < end`."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)

    def previous(self) -> Period:
        """The period just before, as long; a whole month or quarter compares with the one
        before it, whatever its length."""
        if self.first.day == 1 and (self.last + dt.timedelta(days=1)).day == 1:
            months = _months_between(self.first, self.last + dt.timedelta(days=1))
            first = _add_months(self.first, -months)
            return Period(first, self.first - dt.timedelta(days=1), self.zone)
        return Period(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1), self.zone)

    def year_before(self) -> Period:
        return Period(_minus_year(self.first), _minus_year(self.last), self.zone)

    def label(self) -> str:
        from clientela.core.zones import format_day

        if self.first == self.last:
            return format_day(self.first)
        return f"{format_day(self.first)} – {format_day(self.last)}"


def _months_between(first: dt.date, after: dt.date) -> int:
    return (after.year - first.year) * 12 + after.month - first.month


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _minus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def period_named(name: str, today: dt.date, zone: zoneinfo.ZoneInfo) -> Period:
    month = today.replace(day=1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    year = today.replace(month=1, day=1)
    day = dt.timedelta(days=1)
    if name == "last_month":
        first = _add_months(month, -1)
        return Period(first, month - day, zone)
    if name == "this_quarter":
        return Period(quarter, _add_months(quarter, 3) - day, zone)
    if name == "last_quarter":
        return Period(_add_months(quarter, -3), quarter - day, zone)
    if name == "this_year":
        return Period(year, year.replace(month=12, day=31), zone)
    if name == "last_year":
        return Period(year.replace(year=year.year - 1), year - day, zone)
    if name == "last_30":
        return Period(today - dt.timedelta(days=29), today, zone)
    if name == "last_90":
        return Period(today - dt.timedelta(days=89), today, zone)
    return Period(month, _add_months(month, 1) - day, zone)  # this_month


@dataclass(frozen=True)
class ReportFilters:
    period: Period
    period_name: str = "this_month"
    compare: str = ""
    team: int | None = None
    manager: int | None = None
    pipeline: int | None = None
    source: str = ""
    origin: str = ""
    campaign: str = ""
    temperature: str = ""
    country: str = ""
    region: str = ""
    industry: str = ""

    def comparison(self) -> ReportFilters | None:
        """The same filters over the period compared with, or None."""
        if self.compare == "previous":
            return replace(self, period=self.period.previous(), compare="")
        if self.compare == "year":
            return replace(self, period=self.period.year_before(), compare="")
        return None

    def values(self) -> dict[str, Any]:
        """The filters as query values (what a link to the same report carries)."""
        values: dict[str, Any] = {"period": self.period_name}
        if self.period_name == "custom":
            values["from"] = self.period.first.isoformat()
            values["to"] = self.period.last.isoformat()
        if self.compare:
            values["compare"] = self.compare
        for name in FILTER_NAMES:
            value = getattr(self, name)
            if value not in (None, ""):
                values[name] = value
        return values


def _text(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    text = "" if value is None else str(value)
    return " ".join(text.split())[:limit] if text.isprintable() or not text else ""


def _id(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> int | None:
    text = str(data.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        errors[name] = [_("Choose from the list.")]
        return None
    return int(text)


def _date(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> dt.date | None:
    value = data.get(name)
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = [_("Enter a valid date (YYYY-MM-DD).")]
        return None


def _choice(data: Mapping[str, Any], name: str, allowed: set[str], errors: dict[str, list[str]]) -> str:
    value = str(data.get(name) or "").strip()
    if value and value not in allowed:
        errors[name] = [_("Choose from the list.")]
        return ""
    return value


def parse_filters(
    viewer: Any, data: Mapping[str, Any], accepted: frozenset[str] | None = None
) -> ReportFilters:
    """The report query in `data`, checked against what `viewer` may ask for. Filters a report
    does not accept are ignored. Raises BusinessError (422) with an error per field."""
    from clientela.deals.models import Pipeline
    from clientela.users.models import User

    accepted = frozenset(FILTER_NAMES) if accepted is None else accepted
    errors: dict[str, list[str]] = {}
    zone = zone_of(viewer)
    today = local_date(viewer)
    name = str(data.get("period") or "this_month")
    if name not in dict(PERIODS):
        errors["period"] = [_("Choose a period from the list.")]
        name = "this_month"
    if name == "custom":
        first = _date(data, "from", errors)
        last = _date(data, "to", errors)
        if first is None and "from" not in errors:
            errors["from"] = [_("Give the first day.")]
        if last is None and "to" not in errors:
            errors["to"] = [_("Give the last day.")]
        if first and last:
            if last < first:
                errors["to"] = [_("The last day cannot be before the first.")]
            elif (last - first).days + 1 > MAX_DAYS:
                errors["to"] = [_("A period is at most five years.")]
            elif first.year < 1900 or last.year > 2999:
                errors["from"] = [_("Enter a date between 1900 and 2999.")]
        period = (
            Period(first, last, zone)
            if first and last and not errors
            else period_named("this_month", today, zone)
        )
    else:
        period = period_named(name, today, zone)
    compare = _choice(data, "compare", {key for key, _label in COMPARISONS}, errors)

    values: dict[str, Any] = {}
    if "team" in accepted:
        values["team"] = _id(data, "team", errors)
    if "manager" in accepted:
        values["manager"] = _id(data, "manager", errors)
    if "pipeline" in accepted:
        pipeline = _id(data, "pipeline", errors)
        if pipeline is not None and not Pipeline.objects.filter(pk=pipeline).exists():
            errors["pipeline"] = [_("Choose a pipeline from the list.")]
            pipeline = None
        values["pipeline"] = pipeline
    if "source" in accepted:
        values["source"] = _choice(data, "source", set(Source.values), errors)
    if "origin" in accepted:
        values["origin"] = _choice(data, "origin", set(Origin.values), errors)
    if "temperature" in accepted:
        values["temperature"] = _choice(data, "temperature", set(Temperature.values), errors)
    if "campaign" in accepted:
        values["campaign"] = _text(data, "campaign", 100)
    if "region" in accepted:
        values["region"] = _text(data, "region", 100)
    if "industry" in accepted:
        values["industry"] = _text(data, "industry", 60)
    if "country" in accepted:
        country = _text(data, "country", 10).upper()
        if country and (len(country) != 2 or not country.isalpha()):
            errors["country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
            country = ""
        values["country"] = country

    # Who may be asked about: a manager only about themselves, a head about their teams and
    # people, an admin about anyone.
    role = role_of(viewer)
    teams = visible_team_ids(viewer)
    team = values.get("team")
    if team is not None and teams is not None and (role == Role.MANAGER or team not in teams):
        errors["team"] = [_("You can only see the figures of your own teams.")]
    manager = values.get("manager")
    if manager is not None:
        if role == Role.MANAGER:
            if manager != viewer.pk:
                errors["manager"] = [_("You can only see your own figures.")]
        elif teams is not None:
            person = User.objects.filter(pk=manager).values_list("team_id", flat=True).first()
            if person is None or (person not in teams and manager != viewer.pk):
                errors["manager"] = [_("Choose one of your people.")]
        elif not User.objects.filter(pk=manager).exists():
            errors["manager"] = [_("Choose one of your people.")]
    if errors:
        raise BusinessError(_("Check the report's filters."), errors=errors)
    return ReportFilters(period=period, period_name=name, compare=compare, **values)
