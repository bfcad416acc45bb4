"""The report engine: one declaration per report, one scoping rule, one page, one API.

A report is a `Report`: its key, title, who may open it, the filters that mean something for it
and `build(ctx) -> list[Figure]`. `build` asks the `ReportContext` for its records — `ctx.leads()`,
`ctx.deals()`, `ctx.clients()`, `ctx.activities()`, `ctx.tasks()`, `ctx.interests()` — which are
already scoped (the permission rule, `Model.objects.restrict`) and filtered (team, manager,
source, … mapped once per model in `TARGETS`), and groups and counts them in the database. The
figures it returns (`core.figures`) give the page (chart, table, links to the records behind each
number), the CSV/XLSX exports and the JSON of `/api/v1/reports/<key>` — the same numbers
everywhere.

Scope, the same for every report:

* a **manager** sees their own work (records they own), never a colleague's;
* a **head** their teams (and what they own), an **admin** everything;
* a **marketer** the leads and interests of their teams and **no money**: every money column is
  taken out of every figure before it is shown or exported (`Report.money_only` reports are not
  offered to them at all).

A figure the live tables cannot give fast at scale reads a rollup kept by a job or the write
path; the report's module says how it stays exact (docs/architecture.md, Analytics).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, Q, QuerySet
from django.urls import reverse

from clientela.analytics.filters import FILTER_NAMES, ReportFilters, parse_filters
from clientela.core.figures import Figure
from clientela.core.permissions import Action, role_of, user_can
from clientela.core.roles import Role

ALL_ROLES = frozenset({Role.ADMIN, Role.HEAD, Role.MANAGER, Role.MARKETER})
# The filters of a report about leads: every one but the pipeline (a lead has none).
LEAD_FILTERS = frozenset(FILTER_NAMES) - {"pipeline"}
SALES_ROLES = frozenset({Role.ADMIN, Role.HEAD, Role.MANAGER})


@dataclass(frozen=True)
class Target:
    """How the report filters read on one model: filter name → lookup (None: the filter does
    not apply to this model and is ignored for it)."""

    model_path: str  # "leads.Lead"
    lookups: Mapping[str, str]

    def model(self) -> type[Model]:
        from django.apps import apps

        return apps.get_model(self.model_path)


_LEAD_LOOKUPS = {
    "team": "team_id",
    "manager": "owner_id",
    "source": "source",
    "origin": "origin",
    "campaign": "campaign__iexact",
    "temperature": "temperature",
    "country": "country",
    "region": "region__iexact",
    "industry": "industry__iexact",
}
TARGETS: dict[str, Target] = {
    "lead": Target("leads.Lead", _LEAD_LOOKUPS),
    "interest": Target(
        "leads.Interest",
        {
            "team": "team_id",
            "manager": "owner_id",
            "source": "source",
            "origin": "origin",
            "campaign": "campaign__iexact",
            "country": "country",
        },
    ),
    "deal": Target(
        "deals.Deal",
        {
            "team": "team_id",
            "manager": "owner_id",
            "pipeline": "pipeline_id",
            "source": "source_lead__source",
            "origin": "source_lead__origin",
            "campaign": "source_lead__campaign__iexact",
            "temperature": "source_lead__temperature",
            "country": "client__country",
            "region": "client__region__iexact",
            "industry": "client__industry__iexact",
        },
    ),
    "client": Target(
        "clients.Client",
        {
            "team": "team_id",
            "manager": "owner_id",
            "country": "country",
            "region": "region__iexact",
            "industry": "industry__iexact",
        },
    ),
    "activity": Target(
        "activities.Activity",
        {
            "team": "team_id",
            "manager": "owner_id",
            "pipeline": "deal__pipeline_id",
            "country": "client__country",
            "region": "client__region__iexact",
            "industry": "client__industry__iexact",
        },
    ),
    "task": Target("activities.Task", {"team": "team_id", "manager": "assignee_id"}),
}


@dataclass(frozen=True)
class Report:
    key: str
    title: Any
    summary: Any
    build: Callable[[ReportContext], list[Figure]]
    icon: str = "ti-chart-bar"
    section: str = "sales"  # sales | marketing | team (how the index groups them)
    position: int = 100
    filters: frozenset[str] = frozenset(FILTER_NAMES)
    roles: frozenset[str] = ALL_ROLES
    money_only: bool = False  # about amounts only: not offered to people who see no money
    # Pages beside the report (URL name, label), e.g. where its records are entered.
    actions: tuple[tuple[str, Any], ...] = ()

    def allowed(self, user: Any) -> bool:
        role = role_of(user)
        if role not in self.roles:
            return False
        return not (self.money_only and not user_can(user, "view_deal_amounts"))


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.key in REPORTS and REPORTS[report.key] is not report:
        raise ValueError(f"report {report.key!r} registered twice")
    REPORTS[report.key] = report
    return report


def reports_for(user: Any) -> list[Report]:
    return sorted((r for r in REPORTS.values() if r.allowed(user)), key=lambda r: (r.position, r.key))


@dataclass
class ReportContext:
    """What a report's `build` works with: the viewer, the filters and the scoped records."""

    viewer: Any
    filters: ReportFilters
    report_key: str = ""
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str | None:
        return role_of(self.viewer)

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def money(self) -> bool:
        """Whether the viewer sees amounts (marketers do not)."""
        return user_can(self.viewer, "view_deal_amounts")

    @property
    def period(self) -> Any:
        return self.filters.period

    def comparison(self) -> ReportContext | None:
        other = self.filters.comparison()
        return None if other is None else replace(self, filters=other, cache={})

    # Records -----------------------------------------------------------------------------

    def records(self, target: str, *, skip: tuple[str, ...] = ()) -> QuerySet[Any]:
        """The viewer's records of `target` with the report's filters (except `skip`)."""
        spec = TARGETS[target]
        model: Any = spec.model()
        queryset: QuerySet[Any]
        if self.is_manager:
            # A manager's reports are their own work (not the team's unassigned records).
            queryset = model.objects.filter(**{spec.lookups["manager"]: self.viewer.pk})
        else:
            queryset = model.objects.restrict(self.viewer, Action.VIEW)
        conditions = Q()
        for name in FILTER_NAMES:
            value = getattr(self.filters, name)
            lookup = spec.lookups.get(name)
            if value in (None, "") or lookup is None or name in skip:
                continue
            conditions &= Q(**{lookup: value})
        return queryset.filter(conditions)

    def leads(self, **kwargs: Any) -> QuerySet[Any]:
        return self.records("lead", **kwargs)

    def interests(self, **kwargs: Any) -> QuerySet[Any]:
        return self.records("interest", **kwargs)

    def deals(self, **kwargs: Any) -> QuerySet[Any]:
        return self.records("deal", **kwargs)

    def clients(self, **kwargs: Any) -> QuerySet[Any]:
        return self.records("client", **kwargs)

    def activities(self, **kwargs: Any) -> QuerySet[Any]:
        return self.records("activity", **kwargs)

    def tasks(self, **kwargs: Any) -> QuerySet[Any]:
        return self.records("task", **kwargs)

    def in_period(self, queryset: QuerySet[Any], field_name: str) -> QuerySet[Any]:
        """`queryset` with `field_name` (a date-time) inside the period."""
        return queryset.filter(
            **{f"{field_name}__gte": self.period.start, f"{field_name}__lt": self.period.end}
        )

    # Drill-down ------------------------------------------------------------------------------

    def link(self, url_name: str, *, dates: str | None = None, **params: Any) -> str:
        """The list behind a number: `url_name` (an existing list, e.g. "leads:list") with its
        filters; `dates` names the list's date-range filter to carry the period; the viewer's
        team/manager filters are carried too (a manager's: "me")."""
        query: dict[str, Any] = {}
        if self.is_manager:
            query["owner"] = "me"
        elif self.filters.manager:
            query["owner"] = self.filters.manager
        if self.filters.team and not self.is_manager:
            query["team"] = self.filters.team
        if dates:
            query[f"{dates}_from"] = self.period.first.isoformat()
            query[f"{dates}_to"] = self.period.last.isoformat()
        query.update({k: v for k, v in params.items() if v not in (None, "")})
        return reverse(url_name) + "?" + urlencode(query)


def percent(part: Any, whole: Any) -> Decimal | None:
    """`part / whole` as a percentage with one decimal (None when there is no whole)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def change(current: Any, previous: Any) -> Decimal | None:
    """How much `current` moved against `previous`, in percent (None without a previous)."""
    if previous in (None, 0) or current is None:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def without_money(figures: list[Figure]) -> list[Figure]:
    """The figures with every money column (and chart series of one) taken out."""
    result = []
    for figure in figures:
        money = {c.key for c in figure.columns if c.kind == "money"}
        if not money:
            result.append(figure)
            continue
        columns = [c for c in figure.columns if c.key not in money]
        rows = [{k: v for k, v in row.items() if k not in money} for row in figure.rows]
        chart = figure.chart
        if chart is not None:
            series = [s for s in chart.series if s not in money]
            chart = replace(chart, series=series) if series else None
        footer = {k: v for k, v in figure.footer.items() if k not in money} if figure.footer else None
        result.append(replace(figure, columns=columns, rows=rows, chart=chart, footer=footer))
    return result


@dataclass
class ReportResult:
    report: Report
    filters: ReportFilters
    figures: list[Figure]


def run(report: Report, viewer: Any, data: Mapping[str, Any]) -> ReportResult:
    """The report for `viewer` with the query in `data` (raises BusinessError on bad filters)."""
    filters = parse_filters(viewer, data, report.filters)
    return run_with(report, viewer, filters)


def run_with(report: Report, viewer: Any, filters: ReportFilters) -> ReportResult:
    ctx = ReportContext(viewer=viewer, filters=filters, report_key=report.key)
    figures = report.build(ctx)
    if not ctx.money:
        figures = without_money(figures)
    return ReportResult(report=report, filters=filters, figures=figures)
