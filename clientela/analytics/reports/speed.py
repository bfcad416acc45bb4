"""Speed report: time to first contact, first-response SLA, escalations, overdue tasks.

Read from the first-response clocks the comms app starts for every new lead
(`comms.ResponseClock`, kind `first_response`, with a lead) *started* in the period (the
`clock_stats_idx` index: kind, owner, started_at). When a clock stops, comms fixes the
**business minutes** it ran (`minutes_taken`, counted in the team's calendar: working hours,
weekends and holidays, or 24/7 for a duty team); every time here is those business minutes, so a
lead that arrives on Friday evening and is answered on Monday at 9:20 took 20 minutes.

Measures, against the 1-hour target and the 2-hour limit (SPEC §7, `comms.first_contact`):

* time to first contact: median and 90th percentile of the answered clocks (PostgreSQL
  `percentile_cont` in the database; other databases sort the period's answered minutes),
  distribution in buckets (under 15 min · 15–60 min · 1–2 h · 2–8 h · over 8 h or never);
* SLA compliance: answered within the target ÷ clocks due an answer (answered, or still
  unanswered after their deadline); clocks stopped as no longer needed (spam, merged) and
  clocks still inside their deadline are left out;
* breaches (the clock's own deadline missed — hot leads have a tighter one), escalations to the
  head, acknowledgements (a one-click "received, answer by …" that stopped the clock);
* tasks due in the period: done on time, done late, still open past due; and open tasks overdue
  now.

Marketers see the first-contact figures of their teams' leads (no money here), not the tasks.
Every number links to the leads behind it (`/leads/?first_response=…`) or the task list.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import (
    ALL_ROLES,
    LEAD_FILTERS,
    TARGETS,
    Report,
    ReportContext,
    Target,
    percent,
    register,
)
from clientela.analytics.filters import FILTER_NAMES
from clientela.comms.choices import ANSWERED_REASONS, ClockKind
from clientela.comms.first_contact import LIMIT_MINUTES, TARGET_MINUTES, outcome_conditions
from clientela.comms.models import ResponseClock
from clientela.core.figures import Chart, Column, Figure
from clientela.core.permissions import visible_team_ids
from clientela.core.roles import Role
from clientela.users.models import Team, User

# The clocks read the report filters through their lead (team and manager: the clock's own).
CLOCK_TARGET = TARGETS.setdefault(
    "clock",
    Target(
        "comms.ResponseClock",
        {
            "team": "team_id",
            "manager": "owner_id",
            "source": "lead__source",
            "origin": "lead__origin",
            "campaign": "lead__campaign__iexact",
            "temperature": "lead__temperature",
            "country": "lead__country",
            "region": "lead__region__iexact",
            "industry": "lead__industry__iexact",
        },
    ),
)
CARRIED = ("source", "origin", "campaign", "temperature")  # the lead list has these
BUCKETS = ("under_15", "from_15_to_60", "from_1_to_2h", "from_2_to_8h", "over_8h")
COUNTED = (
    "answered",
    "within_target",
    "within_limit",
    "unanswered",
    "waiting",
    "breached",
    "escalated",
    "acknowledged",
    *BUCKETS,
)
EMPTY_COUNTS = dict.fromkeys(("total", *COUNTED), 0)
TASK_MEASURES = ("due", "on_time", "late", "overdue", "overdue_now")
NOBODY = gettext_lazy("Team queue (unassigned)")
NO_TEAM = gettext_lazy("Without a team")


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY x)` (linear interpolation)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile(sorted_values: list[int], fraction: float) -> float | None:
    """`percentile_cont` over already sorted values (the same interpolation as PostgreSQL)."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _minutes(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# Records ---------------------------------------------------------------------------------------


def clocks(ctx: ReportContext, kind: str = ClockKind.FIRST_RESPONSE) -> QuerySet[Any]:
    """The viewer's first-response clocks of leads started in the period, with the filters."""
    if ctx.role == Role.MARKETER:
        # Marketers see their teams' leads; the clocks of those leads follow the same rule.
        queryset: QuerySet[Any] = ResponseClock.objects.filter(
            team_id__in=visible_team_ids(ctx.viewer) or set()
        )
        conditions = Q()
        for name in FILTER_NAMES:
            value, lookup = getattr(ctx.filters, name), CLOCK_TARGET.lookups.get(name)
            if value not in (None, "") and lookup is not None:
                conditions &= Q(**{lookup: value})
        queryset = queryset.filter(conditions)
    else:
        queryset = ctx.records("clock")
    return ctx.in_period(queryset.filter(kind=kind, lead__isnull=False), "started_at")


def _counts(queryset: QuerySet[Any], group: str, cache: dict[str, Any]) -> dict[Any, dict[str, int]]:
    """The outcome counts per `group` ("owner_id" or "team_id"), summed from one query per
    manager × team (kept in `cache`: the managers' and the teams' figures share it)."""
    if "speed-counts" not in cache:
        conditions = outcome_conditions()
        measures = {name: Count("id", filter=conditions[name]) for name in COUNTED}
        cache["speed-counts"] = list(
            queryset.order_by().values("owner_id", "team_id").annotate(total=Count("*"), **measures)
        )
    result: dict[Any, dict[str, int]] = {}
    for row in cache["speed-counts"]:
        target = result.setdefault(row[group], dict(EMPTY_COUNTS))
        for name in EMPTY_COUNTS:
            target[name] += row[name]
    return result


def _percentiles(queryset: QuerySet[Any], group: str | None) -> dict[Any, tuple[float | None, float | None]]:
    """Median and 90th percentile of the answered minutes per `group` (None: one over all)."""
    answered = queryset.filter(stop_reason__in=ANSWERED_REASONS, minutes_taken__isnull=False).order_by()
    if connections[answered.db].vendor == "postgresql":
        measures = {
            "median": PercentileCont("minutes_taken", 0.5),
            "p90": PercentileCont("minutes_taken", 0.9),
        }
        if group is None:
            row = answered.aggregate(**measures)
            return {None: (row["median"], row["p90"])}
        return {
            row[group]: (row["median"], row["p90"]) for row in answered.values(group).annotate(**measures)
        }
    # Elsewhere (SQLite): the period's answered minutes, sorted by the database.
    values: dict[Any, list[int]] = defaultdict(list)
    for key, minutes in answered.values_list(group or "kind", "minutes_taken").order_by("minutes_taken"):
        values[key if group else None].append(minutes)
    return {k: (percentile(v, 0.5), percentile(v, 0.9)) for k, v in values.items()}


def _names(model: Any, ids: Iterable[Any]) -> dict[int, str]:
    wanted = {pk for pk in ids if pk is not None}
    if model is User:
        people = User.objects.filter(pk__in=wanted).only("id", "username", "first_name", "last_name")
        return {person.pk: str(person) for person in people}
    return dict(Team.objects.filter(pk__in=wanted).values_list("id", "name"))


# Links -----------------------------------------------------------------------------------------


def lead_link(ctx: ReportContext, **params: Any) -> str:
    """The lead list behind a number: leads created in the period (their clock started with
    them), with the report's lead filters."""
    carried = {name: getattr(ctx.filters, name) for name in CARRIED}
    return ctx.link("leads:list", dates="created", **{**carried, **params})


def _clock_links(ctx: ReportContext, group: dict[str, Any]) -> dict[str, str]:
    links = {"total": lead_link(ctx, **group)}
    for name in (*COUNTED, "median", "p90", "compliance", "limit_compliance"):
        outcome = {"median": "answered", "p90": "answered", "compliance": "within_target"}.get(name, name)
        outcome = "within_limit" if name == "limit_compliance" else outcome
        links[name] = lead_link(ctx, first_response=outcome, **group)
    return links


def _measures(counts: dict[str, int], marks: tuple[float | None, float | None]) -> dict[str, Any]:
    due = counts["answered"] + counts["unanswered"]
    return {
        **counts,
        "median": _minutes(marks[0]),
        "p90": _minutes(marks[1]),
        "compliance": percent(counts["within_target"], due),
        "limit_compliance": percent(counts["within_limit"], due),
    }


def _rows(ctx: ReportContext, group: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per manager (`owner_id`) or team (`team_id`) and the total; kept in `ctx.cache`
    (two figures show the managers' rows)."""
    cached = ctx.cache.get(f"speed-{group}")
    if cached is None:
        cached = ctx.cache[f"speed-{group}"] = _compute_rows(ctx, group)
    return cached


def _compute_rows(ctx: ReportContext, group: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    queryset = clocks(ctx)
    counts = _counts(queryset, group, ctx.cache)
    marks = _percentiles(queryset, group)
    names = _names(User if group == "owner_id" else Team, counts)
    rows = []
    for key, values in counts.items():
        row: dict[str, Any] = {
            "name": names.get(key) if key else str(NOBODY if group == "owner_id" else NO_TEAM),
            "_key": key,
            **_measures(values, marks.get(key, (None, None))),
        }
        link_group: dict[str, Any] = {"owner": key or "none"} if group == "owner_id" else {}
        if group == "team_id" and key:
            link_group = {"team": key}
        row["_links"] = _clock_links(ctx, link_group)
        rows.append(row)
    rows.sort(key=lambda r: (-r["total"], str(r["name"])))
    totals = dict(EMPTY_COUNTS)
    for values in counts.values():
        for name, value in values.items():
            totals[name] += value
    footer = {"name": _("Total"), **_measures(totals, _percentiles(queryset, None).get(None, (None, None)))}
    footer["_links"] = _clock_links(ctx, {})
    return rows, footer


def _previous(ctx: ReportContext, group: str) -> dict[Any, dict[str, Any]] | None:
    if "speed-previous" not in ctx.cache:
        ctx.cache["speed-previous"] = ctx.comparison()
    other = ctx.cache["speed-previous"]
    if other is None:
        return None
    queryset = clocks(other)
    counts = _counts(queryset, group, other.cache)
    marks = _percentiles(queryset, group)
    return {key: _measures(values, marks.get(key, (None, None))) for key, values in counts.items()}


# Figures ---------------------------------------------------------------------------------------


def _speed_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("total", _("New leads"), kind="int"),
        Column("answered", _("Answered"), kind="int"),
        Column("median", _("Median (business min)"), kind="decimal"),
        Column("p90", _("90th percentile (business min)"), kind="decimal"),
        Column("compliance", _("Within 1 h (target)"), kind="percent"),
        Column("limit_compliance", _("Within 2 h (limit)"), kind="percent"),
        Column("breached", _("Deadline missed"), kind="int"),
        Column("escalated", _("Escalated"), kind="int"),
        Column("acknowledged", _("Acknowledged"), kind="int"),
        Column("unanswered", _("Not answered, past deadline"), kind="int"),
    ]


def _with_previous(
    ctx: ReportContext, columns: list[Column], rows: list[dict[str, Any]], group: str
) -> list[dict[str, Any]]:
    """The rows with the compared period's median and compliance (when a comparison is asked)."""
    previous = _previous(ctx, group)
    if previous is None:
        return rows
    columns += [
        Column("previous_median", _("Median, previous period"), kind="decimal"),
        Column("previous_compliance", _("Within 1 h, previous period"), kind="percent"),
    ]
    result = []
    for row in rows:
        before = previous.get(row["_key"]) or {}
        result.append(
            {**row, "previous_median": before.get("median"), "previous_compliance": before.get("compliance")}
        )
    return result


def per_manager(ctx: ReportContext) -> Figure:
    rows, footer = _rows(ctx, "owner_id")
    columns = _speed_columns(Column("name", _("Manager")))
    rows = _with_previous(ctx, columns, rows, "owner_id")
    return Figure(
        key="speed-managers",
        title=_("Time to first contact per manager"),
        columns=columns,
        rows=rows,
        chart=Chart(
            kind="bar",
            x="name",
            series=["median", "p90"],
            threshold=Decimal(LIMIT_MINUTES),
            threshold_label=_("2-hour limit"),
        ),
        footer=footer if rows else None,
        note=_(
            "Business minutes from a new lead to its first answer, in the team's working hours "
            "(as the response clocks count them). Target: %(target)s minutes; limit: %(limit)s "
            "minutes. “Within” shares count the answered leads and those still unanswered after "
            "their deadline."
        )
        % {"target": TARGET_MINUTES, "limit": LIMIT_MINUTES},
        empty=_("No new leads in this period."),
    )


def distribution(ctx: ReportContext) -> Figure:
    rows, footer = _rows(ctx, "owner_id")
    labels = {
        "under_15": _("Under 15 min"),
        "from_15_to_60": _("15–60 min"),
        "from_1_to_2h": _("1–2 h"),
        "from_2_to_8h": _("2–8 h"),
        "over_8h": _("Over 8 h or never"),
    }
    columns = [Column("name", _("Manager"))]
    columns += [Column(key, label, kind="int") for key, label in labels.items()]
    columns += [Column("waiting", _("Still within the deadline"), kind="int")]
    keep = {"name", *labels, "waiting", "_links"}
    return Figure(
        key="speed-distribution",
        title=_("Time to first contact, distribution"),
        columns=columns,
        rows=[{k: v for k, v in row.items() if k in keep} for row in rows],
        chart=Chart(kind="stacked", x="name", series=list(labels)),
        footer={k: v for k, v in footer.items() if k in keep} if rows else None,
        extra={"half": True},
    )


def per_team(ctx: ReportContext) -> Figure:
    rows, footer = _rows(ctx, "team_id")
    columns = _speed_columns(Column("name", _("Team")))
    rows = _with_previous(ctx, columns, rows, "team_id")
    return Figure(
        key="speed-teams",
        title=_("Time to first contact per team"),
        columns=columns,
        rows=rows,
        chart=Chart(kind="hbar", x="name", series=["compliance", "limit_compliance"]),
        footer=footer if len(rows) > 1 else None,
        extra={"half": True},
    )


def _task_link(ctx: ReportContext, status: str, assignee: int | None, dated: bool) -> str:
    params: dict[str, Any] = {"status": status}
    if not ctx.is_manager and assignee:
        params.update(scope="team", assignee=assignee)
    if dated:
        params.update(due_from=ctx.period.first.isoformat(), due_to=ctx.period.last.isoformat())
    return reverse("activities:tasks") + "?" + urlencode(params)


def tasks(ctx: ReportContext) -> Figure:
    now = timezone.now()
    scoped = ctx.tasks().exclude(assignee__isnull=True)
    in_period = (
        ctx.in_period(scoped, "due_at")
        .order_by()
        .values("assignee_id")
        .annotate(
            due=Count("*"),
            on_time=Count("id", filter=Q(done_at__isnull=False, done_at__lte=F("due_at"))),
            late=Count("id", filter=Q(done_at__gt=F("due_at"))),
            overdue=Count("id", filter=Q(done_at__isnull=True, due_at__lt=now)),
        )
    )
    by_person: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("due", "on_time", "late", "overdue", "overdue_now"), 0)
    )
    for row in in_period:
        by_person[row["assignee_id"]].update({k: row[k] for k in ("due", "on_time", "late", "overdue")})
    for row in (
        scoped.filter(done_at__isnull=True, due_at__lt=now)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("*"))
    ):
        by_person[row["assignee_id"]]["overdue_now"] = row["n"]
    names = _names(User, by_person)
    rows = []
    for person, values in by_person.items():
        rows.append(
            {
                "name": names.get(person, ""),
                **values,
                "share_late": percent(values["late"] + values["overdue"], values["due"]),
                "_links": {
                    "due": _task_link(ctx, "all", person, True),
                    "on_time": _task_link(ctx, "done", person, True),
                    "late": _task_link(ctx, "done", person, True),
                    "overdue": _task_link(ctx, "overdue", person, True),
                    "overdue_now": _task_link(ctx, "overdue", person, False),
                },
            }
        )
    rows.sort(key=lambda r: (-by_person_total(r), str(r["name"])))
    footer: dict[str, Any] = {"name": _("Total")}
    for key in TASK_MEASURES:
        footer[key] = sum(r[key] for r in rows)
    footer["share_late"] = percent(footer["late"] + footer["overdue"], footer["due"])
    return Figure(
        key="speed-tasks",
        title=_("Tasks: on time and overdue"),
        columns=[
            Column("name", _("Manager")),
            Column("due", _("Due in the period"), kind="int"),
            Column("on_time", _("Done on time"), kind="int"),
            Column("late", _("Done late"), kind="int"),
            Column("overdue", _("Not done, past due"), kind="int"),
            Column("share_late", _("Late or overdue"), kind="percent"),
            Column("overdue_now", _("Overdue now (any due date)"), kind="int"),
        ],
        rows=rows,
        chart=Chart(kind="stacked", x="name", series=["on_time", "late", "overdue"]),
        footer=footer if rows else None,
        note=_(
            "Tasks due in the period, by assignee; “overdue now” counts every open task past its due moment."
        ),
        empty=_("No tasks due in this period."),
    )


def by_person_total(row: dict[str, Any]) -> int:
    return int(row["overdue_now"] or 0)


def build(ctx: ReportContext) -> list[Figure]:
    figures = [per_manager(ctx), distribution(ctx), per_team(ctx)]
    if ctx.role != Role.MARKETER:
        figures.append(tasks(ctx))
    return figures


REPORT = register(
    Report(
        key="speed",
        title=gettext_lazy("Speed of first contact"),
        summary=gettext_lazy(
            "Time to first contact per manager and team against the 1-hour target and the 2-hour "
            "limit, breaches, escalations, acknowledgements and overdue tasks."
        ),
        build=build,
        icon="ti-stopwatch",
        section="sales",
        position=50,
        filters=LEAD_FILTERS,
        roles=ALL_ROLES,
    )
)
