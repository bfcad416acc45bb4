"""The dashboard: key figures of this month so far against the same days of the month before.

The home page of a head, a marketer and an admin shows the tiles registered in `DASHBOARD_TILES`
(`register_tile(DashboardTile(...))`, in position order, those of the viewer's role; money tiles
not for people who see no amounts); a manager's work list shows the compact strip of their own
figures (`STRIP_TILES`, the same kind of tile). The same tiles are `GET /api/v1/dashboard` and the
weekly digest (`analytics.digest`).

A tile is `compute(ctx) -> TileValue`: `ctx` is a `DashboardContext` — a `ReportContext` (the
same scope as the reports: a manager their own records, a head their teams, an admin all) over
the current period, whose `comparison()` is the previous one. Each tile reads both periods in one
grouped query where it can; tiles sharing rows (new leads and conversion; active clients and
the leak rate) share one query through `ctx.cache`.

**Periods.** "This month" is the first of the month up to today in the viewer's zone; it is
compared with the same days of the month before (1–8 March against 1–8 February; the previous
month's last day when it is shorter), so that counts and sums compare like with like on the 8th.

**Measures** (all in the viewer's scope):

* *new leads*: leads created in the period (merged duplicates left out);
* *speed to first contact*: median business minutes (as comms measures them, `minutes_taken`)
  of the first-response clocks of leads started in the period and answered;
* *SLA compliance*: of those clocks answered or breached, the share answered without breach;
* *conversion*: of the leads created in the period, the share converted into a client (by now);
* *pipeline value*: the open deals' amounts now, against the deals open at the start of the
  period; *won*: deals won (closed) in the period — both in the base currency at today's rates,
  amounts in a currency without a rate are left out and said so;
* *active clients*: clients new or active at the end of today, against those at the start of
  the period — both from the status history (`retention.leak`; the history is kept by
  retention's hourly sweep, so a client's passing to passive shows within the hour);
* *leak rate* (`retention.leak`): clients lost in the period / active at its start; *NPS*
  (`retention.satisfaction`): promoters − detractors over the NPS answers given in the period.

The sales plan registers its "won against plan" tile later (`register_tile(..., replace=True)`
under the key "won", setting `TileValue.target`); the workload plan gives the strip's daily
activity target through `DAILY_ACTIVITY_TARGETS`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import REPORTS, ReportContext, change, percent
from clientela.analytics.filters import Period, ReportFilters
from clientela.core.permissions import role_of, user_can
from clientela.core.roles import Role
from clientela.core.zones import local_date, zone_of

HEADS = frozenset({Role.ADMIN, Role.HEAD})
DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.HEAD, Role.MARKETER})
ANSWERED_WITHIN = 60  # business minutes: "answered within the hour"


@dataclass(frozen=True)
class TileValue:
    """What a tile shows: its value now and in the previous period (None: nothing to measure),
    the kind of number, and optionally a target (a plan) and a note (e.g. amounts left out)."""

    value: Any
    previous: Any = None
    kind: str = "int"  # int | percent | minutes | money | decimal
    currency: str = ""
    target: Any = None
    note: str = ""
    url: str = ""  # overrides the tile's report link (e.g. the strip's lists)


@dataclass(frozen=True)
class DashboardTile:
    key: str
    title: Any
    compute: Callable[[DashboardContext], TileValue]
    position: int = 100
    roles: frozenset[str] = DASHBOARD_ROLES
    report: str = ""  # the report the tile links to (`/reports/<report>/`)
    url_name: str = ""  # or a page of its own (e.g. "retention:dashboard")
    up_is_good: bool = True
    money: bool = False  # not for people who see no amounts
    icon: str = "ti-chart-bar"

    def allowed(self, user: Any) -> bool:
        if role_of(user) not in self.roles:
            return False
        return not (self.money and not user_can(user, "view_deal_amounts"))

    def link(self, user: Any) -> str:
        if self.report:
            report = REPORTS.get(self.report)
            if report is not None and not report.allowed(user):
                return ""
            try:
                url = reverse("analytics:report", args=[self.report])
            except NoReverseMatch:  # pragma: no cover - the reports page is always there
                return ""
            return url + "?period=this_month&compare=previous"
        return reverse(self.url_name) if self.url_name else ""


DASHBOARD_TILES: dict[str, DashboardTile] = {}
STRIP_TILES: dict[str, DashboardTile] = {}
# The workload plan gives a manager's target of activities per day: `fn(user) -> int | None`.
DAILY_ACTIVITY_TARGETS: list[Callable[[Any], int | None]] = []


def register_tile(tile: DashboardTile, *, strip: bool = False, replace: bool = False) -> DashboardTile:
    """Add a tile to the dashboard (or to the manager's strip); `replace` swaps a tile of the
    same key (the sales plan's "won against plan" for "won")."""
    registry = STRIP_TILES if strip else DASHBOARD_TILES
    if tile.key in registry and registry[tile.key] is not tile and not replace:
        raise ValueError(f"dashboard tile {tile.key!r} registered twice")
    registry[tile.key] = tile
    return tile


# --- The context ---------------------------------------------------------------------------------


@dataclass
class DashboardContext(ReportContext):
    """A report context over this month so far; `comparison()` is the same days a month before."""

    previous_period: Period | None = None
    today: dt.date | None = None

    def comparison(self) -> DashboardContext | None:
        if self.previous_period is None:
            return None
        return replace(
            self, filters=replace(self.filters, period=self.previous_period), previous_period=None, cache={}
        )

    @property
    def both(self) -> tuple[dt.datetime, dt.datetime]:
        """From the start of the previous period to the end of this one."""
        previous = self.previous_period or self.period
        return previous.start, self.period.end


def month_so_far(today: dt.date, zone: Any) -> tuple[Period, Period]:
    """This month up to `today`, and the same days of the month before (capped at its end)."""
    first = today.replace(day=1)
    previous_last_day = first - dt.timedelta(days=1)
    previous_first = previous_last_day.replace(day=1)
    same_day = previous_first.replace(day=min(today.day, previous_last_day.day))
    return Period(first, today, zone), Period(previous_first, same_day, zone)


def dashboard_context(
    viewer: Any, *, today: dt.date | None = None, team: int | None = None, manager: int | None = None
) -> DashboardContext:
    zone = zone_of(viewer)
    today = today or local_date(viewer)
    current, previous = month_so_far(today, zone)
    filters = ReportFilters(period=current, period_name="this_month", team=team, manager=manager)
    return DashboardContext(
        viewer=viewer, filters=filters, report_key="dashboard", previous_period=previous, today=today
    )


# --- Shared reads (one query each, both periods) -------------------------------------------------


def _between(name: str, period: Period) -> Q:
    return Q(**{f"{name}__gte": period.start, f"{name}__lt": period.end})


def _lead_counts(ctx: DashboardContext) -> dict[str, int]:
    """New and converted leads of both periods, in one query."""
    if "leads" not in ctx.cache:
        previous = ctx.previous_period or ctx.period
        start, end = ctx.both
        leads = ctx.leads().filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
        converted = Q(converted_at__isnull=False)
        ctx.cache["leads"] = leads.order_by().aggregate(
            new=Count("pk", filter=_between("created_at", ctx.period)),
            new_before=Count("pk", filter=_between("created_at", previous)),
            converted=Count("pk", filter=_between("created_at", ctx.period) & converted),
            converted_before=Count("pk", filter=_between("created_at", previous) & converted),
        )
    return dict(ctx.cache["leads"])


def _first_response_clocks(ctx: DashboardContext) -> Any:
    """First-response clocks of the leads in the viewer's scope (a manager: their own)."""
    from clientela.comms.choices import ClockKind
    from clientela.comms.models import ResponseClock

    clocks = ResponseClock.objects.filter(kind=ClockKind.FIRST_RESPONSE, lead__isnull=False)
    if ctx.is_manager:
        clocks = clocks.filter(owner_id=ctx.viewer.pk)
    elif ctx.role != Role.ADMIN or ctx.filters.team or ctx.filters.manager:
        clocks = clocks.filter(lead__in=ctx.leads().values("pk"))
    return clocks


def _clock_rows(ctx: DashboardContext) -> dict[str, list[tuple[int | None, bool, bool, bool]]]:
    """Per period: (minutes taken, answered, breached, open) of each lead clock started in it."""
    if "clocks" not in ctx.cache:
        from clientela.comms.choices import ANSWERED_REASONS

        previous = ctx.previous_period or ctx.period
        start, end = ctx.both
        rows: dict[str, list[tuple[int | None, bool, bool, bool]]] = {"now": [], "before": []}
        for started, taken, reason, breached_at, stopped_at in (
            _first_response_clocks(ctx)
            .filter(started_at__gte=start, started_at__lt=end)
            .order_by()
            .values_list("started_at", "minutes_taken", "stop_reason", "breached_at", "stopped_at")
        ):
            bucket = "now" if started >= ctx.period.start else "before" if started < previous.end else ""
            if bucket:
                rows[bucket].append(
                    (taken, reason in ANSWERED_REASONS, breached_at is not None, stopped_at is None)
                )
        ctx.cache["clocks"] = rows
    return dict(ctx.cache["clocks"])


def _median_minutes(rows: list[tuple[int | None, bool, bool, bool]]) -> Decimal | None:
    taken = [minutes for minutes, answered, _b, _o in rows if answered and minutes is not None]
    return Decimal(str(statistics.median(taken))).quantize(Decimal("0.1")) if taken else None


def _compliance(rows: list[tuple[int | None, bool, bool, bool]]) -> Decimal | None:
    on_time = sum(1 for _m, answered, breached, _o in rows if answered and not breached)
    breached = sum(1 for _m, _a, was_breached, _o in rows if was_breached)
    return percent(on_time, on_time + breached)


def _within_hour(rows: list[tuple[int | None, bool, bool, bool]]) -> Decimal | None:
    """Answered within `ANSWERED_WITHIN` business minutes, of the answered and the breached."""
    fast = sum(
        1
        for minutes, answered, _b, _o in rows
        if answered and minutes is not None and minutes <= ANSWERED_WITHIN
    )
    decided = sum(1 for _m, answered, breached, _o in rows if answered or breached)
    return percent(fast, decided)


def _base_amount(ctx: DashboardContext, amounts: list[tuple[str, Decimal]]) -> tuple[Decimal, str, str]:
    """Amounts per currency as one sum in the base currency, the base, and a note on the
    currencies left out for want of a rate (today's rates, read once per dashboard)."""
    from clientela.deals.rates.selectors import base_currency, convert, rates_on

    base = base_currency()
    needs_rates = any(currency != base for currency, _amount in amounts)
    if needs_rates and "rates" not in ctx.cache:
        ctx.cache["rates"] = rates_on(ctx.today)
    rates = ctx.cache.get("rates", {}) if needs_rates else {}
    total = convert(amounts, rates=rates, base=base)
    missing = sorted({part.currency for part in total.missing})
    note = (
        _("Without amounts in %(currencies)s (no exchange rate).") % {"currencies": ", ".join(missing)}
        if missing
        else ""
    )
    return total.total, base, note


def _sums(rows: Any, keys: tuple[str, ...]) -> dict[str, list[tuple[str, Decimal]]]:
    result: dict[str, list[tuple[str, Decimal]]] = {key: [] for key in keys}
    for row in rows:
        for key in keys:
            if row[key]:
                result[key].append((row["currency"], Decimal(row[key])))
    return result


def _leak(ctx: DashboardContext) -> dict[str, tuple[int, int]]:
    """(active at the start, lost) of both periods, and the clients active at the end of today
    ("after"), from the status history in one query."""
    if "leak" not in ctx.cache:
        from clientela.retention import leak

        previous = ctx.previous_period or ctx.period
        after = ctx.period.last + dt.timedelta(days=1)
        spans = [
            leak.Period("custom", previous.first, previous.last, previous.zone),
            leak.Period("custom", ctx.period.first, ctx.period.last, ctx.period.zone, complete=False),
            leak.Period("custom", after, after, ctx.period.zone, complete=False),
        ]
        owner = ctx.viewer.pk if ctx.is_manager else ctx.filters.manager
        filters = leak.LeakFilters(team=ctx.filters.team, owner=owner)
        counts = leak.leak_counts(ctx.viewer, spans, filters).get("", [(0, 0)] * len(spans))
        ctx.cache["leak"] = {"before": counts[0], "now": counts[1], "after": counts[2]}
    return dict(ctx.cache["leak"])


# --- The tiles -----------------------------------------------------------------------------------


def new_leads(ctx: DashboardContext) -> TileValue:
    counts = _lead_counts(ctx)
    return TileValue(counts["new"], counts["new_before"])


def first_contact_speed(ctx: DashboardContext) -> TileValue:
    rows = _clock_rows(ctx)
    return TileValue(_median_minutes(rows["now"]), _median_minutes(rows["before"]), kind="minutes")


def sla_compliance(ctx: DashboardContext) -> TileValue:
    rows = _clock_rows(ctx)
    return TileValue(_compliance(rows["now"]), _compliance(rows["before"]), kind="percent")


def conversion(ctx: DashboardContext) -> TileValue:
    counts = _lead_counts(ctx)
    return TileValue(
        percent(counts["converted"], counts["new"]),
        percent(counts["converted_before"], counts["new_before"]),
        kind="percent",
    )


def pipeline_value(ctx: DashboardContext) -> TileValue:
    """The open deals' amounts now, against the deals that were open when this period began
    (created before its start, and still open or closed after it)."""
    from clientela.deals.choices import DealStatus

    start = ctx.period.start
    rows = (
        ctx.deals()
        .filter(Q(status=DealStatus.OPEN) | Q(closed_at__gte=start), created_at__lt=ctx.period.end)
        .order_by()
        .values("currency")
        .annotate(
            now=Sum("amount", filter=Q(status=DealStatus.OPEN)),
            before=Sum(
                "amount",
                filter=Q(created_at__lt=start) & (Q(status=DealStatus.OPEN) | Q(closed_at__gte=start)),
            ),
        )
    )
    sums = _sums(rows, ("now", "before"))
    now, base, note = _base_amount(ctx, sums["now"])
    before, _base, note_before = _base_amount(ctx, sums["before"])
    return TileValue(now, before, kind="money", currency=base, note=note or note_before)


def won(ctx: DashboardContext) -> TileValue:
    from clientela.deals.choices import DealStatus

    previous = ctx.previous_period or ctx.period
    start, end = ctx.both
    rows = (
        ctx.deals()
        .filter(status=DealStatus.WON, closed_at__gte=start, closed_at__lt=end)
        .order_by()
        .values("currency")
        .annotate(
            now=Sum("amount", filter=_between("closed_at", ctx.period)),
            before=Sum("amount", filter=_between("closed_at", previous)),
        )
    )
    sums = _sums(rows, ("now", "before"))
    now, base, note = _base_amount(ctx, sums["now"])
    before, _base, note_before = _base_amount(ctx, sums["before"])
    return TileValue(now, before, kind="money", currency=base, note=note or note_before)


def active_clients(ctx: DashboardContext) -> TileValue:
    """New or active clients at the end of today, against the start of the period — both read
    from the status history (the same base as the leak rate), so the two compare like with like."""
    counts = _leak(ctx)
    return TileValue(counts["after"][0], counts["now"][0])


def leak_rate(ctx: DashboardContext) -> TileValue:
    from clientela.retention.leak import rate

    counts = _leak(ctx)
    return TileValue(
        rate(counts["now"][1], counts["now"][0]),
        rate(counts["before"][1], counts["before"][0]),
        kind="percent",
    )


def nps(ctx: DashboardContext) -> TileValue:
    from clientela.retention.satisfaction import DETRACTOR_MAX, PROMOTER_MIN, answered_surveys, nps_of
    from clientela.retention.surveys_models import SurveyKind

    previous = ctx.previous_period or ctx.period
    start, end = ctx.both
    answers = answered_surveys(ctx.viewer).filter(
        kind=SurveyKind.NPS, answered_at__gte=start, answered_at__lt=end
    )
    if ctx.is_manager:
        answers = answers.filter(client__owner_id=ctx.viewer.pk)
    if ctx.filters.team:
        answers = answers.filter(client__team_id=ctx.filters.team)
    if ctx.filters.manager:
        answers = answers.filter(client__owner_id=ctx.filters.manager)
    values: dict[str, Any] = {}
    for name, span in (("now", ctx.period), ("before", previous)):
        inside = _between("answered_at", span)
        values[f"{name}_n"] = Count("pk", filter=inside)
        values[f"{name}_p"] = Count("pk", filter=inside & Q(score__gte=PROMOTER_MIN))
        values[f"{name}_d"] = Count("pk", filter=inside & Q(score__lte=DETRACTOR_MAX))
    row = answers.order_by().aggregate(**values)
    return TileValue(
        nps_of(row["now_p"], row["now_d"], row["now_n"]),
        nps_of(row["before_p"], row["before_d"], row["before_n"]),
        kind="decimal",
    )


# --- The manager's strip ---------------------------------------------------------------------------


def overdue_tasks(ctx: DashboardContext) -> TileValue:
    from django.utils import timezone

    count = ctx.tasks().filter(done_at__isnull=True, due_at__lt=timezone.now()).count()
    return TileValue(count, None, url=reverse("core:home") + "#section-overdue")


def activities_today(ctx: DashboardContext) -> TileValue:
    today = ctx.today or local_date(ctx.viewer)
    day = Period(today, today, ctx.period.zone)
    count = ctx.activities().filter(occurred_at__gte=day.start, occurred_at__lt=day.end).count()
    target = None
    for provider in DAILY_ACTIVITY_TARGETS:
        target = provider(ctx.viewer)
        if target is not None:
            break
    return TileValue(count, None, target=target)


def answered_within_hour(ctx: DashboardContext) -> TileValue:
    rows = _clock_rows(ctx)
    return TileValue(_within_hour(rows["now"]), _within_hour(rows["before"]), kind="percent")


MANAGERS = frozenset({Role.MANAGER})

register_tile(
    DashboardTile(
        "new_leads", gettext_lazy("New leads"), new_leads, 10, report="lifecycle-funnel", icon="ti-user-plus"
    )
)
register_tile(
    DashboardTile(
        "first_contact",
        gettext_lazy("Speed to first contact"),
        first_contact_speed,
        20,
        report="speed",
        up_is_good=False,
        icon="ti-clock-bolt",
    )
)
register_tile(
    DashboardTile(
        "sla", gettext_lazy("First response on time"), sla_compliance, 30, report="speed", icon="ti-alarm"
    )
)
register_tile(
    DashboardTile(
        "conversion",
        gettext_lazy("Lead to client"),
        conversion,
        40,
        report="conversion",
        icon="ti-arrows-right",
    )
)
register_tile(
    DashboardTile(
        "pipeline",
        gettext_lazy("Pipeline value"),
        pipeline_value,
        50,
        HEADS,
        report="forecast",
        money=True,
        icon="ti-filter",
    )
)
register_tile(
    DashboardTile(
        "won", gettext_lazy("Won deals"), won, 60, HEADS, report="sales-plan", money=True, icon="ti-trophy"
    )
)
register_tile(
    DashboardTile(
        "active_clients",
        gettext_lazy("Active clients"),
        active_clients,
        70,
        HEADS,
        report="workload",
        icon="ti-building-store",
    )
)
register_tile(
    DashboardTile(
        "leak_rate",
        gettext_lazy("Leak rate"),
        leak_rate,
        80,
        HEADS,
        url_name="retention:dashboard",
        up_is_good=False,
        icon="ti-droplet",
    )
)
register_tile(
    DashboardTile(
        "nps", gettext_lazy("NPS"), nps, 90, HEADS, url_name="retention:dashboard", icon="ti-mood-happy"
    )
)

register_tile(
    DashboardTile(
        "conversion", gettext_lazy("Lead to client"), conversion, 10, MANAGERS, report="conversion"
    ),
    strip=True,
)
register_tile(
    DashboardTile("overdue", gettext_lazy("Overdue tasks"), overdue_tasks, 20, MANAGERS, up_is_good=False),
    strip=True,
)
register_tile(
    DashboardTile(
        "activities_today",
        gettext_lazy("Activities today"),
        activities_today,
        30,
        MANAGERS,
        report="activities",
    ),
    strip=True,
)
register_tile(
    DashboardTile(
        "within_hour",
        gettext_lazy("Answered within the hour"),
        answered_within_hour,
        40,
        MANAGERS,
        report="speed",
    ),
    strip=True,
)


# --- Running them --------------------------------------------------------------------------------


@dataclass
class TileResult:
    tile: DashboardTile
    value: TileValue
    url: str
    change: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        """ "up", "down" or "" (no previous value, or no change)."""
        if self.value.value is None or self.value.previous is None or self.value.value == self.value.previous:
            return ""
        return "up" if self.value.value > self.value.previous else "down"

    @property
    def good(self) -> bool | None:
        """Whether the move is for the better (green) or worse (red); None without a move."""
        if not self.direction:
            return None
        return (self.direction == "up") == self.tile.up_is_good

    @property
    def shown(self) -> str:
        return show(self.value.value, self.value)

    @property
    def shown_previous(self) -> str:
        return show(self.value.previous, self.value)

    @property
    def shown_target(self) -> str:
        return show(self.value.target, self.value)

    @property
    def progress(self) -> Decimal | None:
        """The value as a percentage of its target (a plan), when there is one."""
        if self.value.target in (None, 0) or self.value.value is None:
            return None
        return percent(self.value.value, self.value.target)

    def as_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "key": self.tile.key,
            "title": str(self.tile.title),
            "value": value.value,
            "previous": value.previous,
            "change": self.change,
            "direction": self.direction,
            "good": self.good,
            "up_is_good": self.tile.up_is_good,
            "kind": value.kind,
            "currency": value.currency,
            "target": value.target,
            "note": value.note,
            "shown": self.shown,
            "url": self.url,
        }


def show(number: Any, value: TileValue) -> str:
    """A tile's number as the reader reads it."""
    if number is None:
        return "—"
    if value.kind == "percent":
        return formats.number_format(number, 1, use_l10n=True, force_grouping=True) + " %"
    if value.kind == "minutes":
        return _("%(minutes)s min") % {
            "minutes": formats.number_format(number, 0, use_l10n=True, force_grouping=True)
        }
    if value.kind == "money":
        return (
            formats.number_format(number, 0, use_l10n=True, force_grouping=True) + f"\u00a0{value.currency}"
        )
    if value.kind == "decimal":
        return formats.number_format(number, 1, use_l10n=True, force_grouping=True)
    return formats.number_format(number, 0, use_l10n=True, force_grouping=True)


def run_tiles(ctx: DashboardContext, registry: dict[str, DashboardTile]) -> list[TileResult]:
    tiles = sorted((t for t in registry.values() if t.allowed(ctx.viewer)), key=lambda t: (t.position, t.key))
    results = []
    for tile in tiles:
        value = tile.compute(ctx)
        results.append(
            TileResult(
                tile=tile,
                value=value,
                url=value.url or tile.link(ctx.viewer),
                change=change(value.value, value.previous) if value.kind in ("int", "money") else None,
            )
        )
    return results


@dataclass
class Dashboard:
    context: DashboardContext
    tiles: list[TileResult]

    @property
    def period(self) -> Period:
        return self.context.period

    @property
    def previous(self) -> Period | None:
        return self.context.previous_period


def may_see_dashboard(user: Any) -> bool:
    return role_of(user) in DASHBOARD_ROLES


def dashboard_for(viewer: Any, *, today: dt.date | None = None, team: int | None = None) -> Dashboard:
    """The tiles of the viewer's dashboard (empty for a role without one)."""
    ctx = dashboard_context(viewer, today=today, team=team)
    tiles = run_tiles(ctx, DASHBOARD_TILES) if may_see_dashboard(viewer) else []
    return Dashboard(context=ctx, tiles=tiles)


def strip_for(viewer: Any, *, today: dt.date | None = None) -> Dashboard:
    """The manager's strip: their own figures (empty for other roles)."""
    ctx = dashboard_context(viewer, today=today)
    tiles = run_tiles(ctx, STRIP_TILES) if role_of(viewer) == Role.MANAGER else []
    return Dashboard(context=ctx, tiles=tiles)
