"""Every report under `/api/v1/reports/`: the list of reports the caller may open, and each
report's figures as JSON with the same filters (query parameters) as its page. Bad filters are
a 422 with field errors; a report not for the caller's role a 403; an unknown one a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from clientela.analytics import engine
from clientela.core.errors import PermissionDeniedError

router = Router(tags=["reports"])


class ReportOut(Schema):
    key: str
    title: str
    summary: str
    section: str
    filters: list[str]


class ColumnOut(Schema):
    key: str
    label: str
    kind: str
    currency: str


class FigureOut(Schema):
    key: str
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    footer: dict[str, Any] | None


class PeriodOut(Schema):
    first: dt.date
    last: dt.date


class ReportResultOut(Schema):
    report: str
    title: str
    period: PeriodOut
    comparison: PeriodOut | None
    filters: dict[str, Any]
    figures: list[FigureOut]


def _report_out(report: engine.Report) -> dict[str, Any]:
    return {
        "key": report.key,
        "title": str(report.title),
        "summary": str(report.summary),
        "section": report.section,
        "filters": sorted(report.filters),
    }


@router.get("/reports", response=list[ReportOut], summary="Reports the caller may open")
def report_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_report_out(r) for r in engine.reports_for(request.user)]


@router.get(
    "/reports/{report}",
    response={200: ReportResultOut},
    summary="A report's figures",
    description=(
        "Query parameters: `period` (this_month, last_month, this_quarter, last_quarter, this_year, "
        "last_year, last_30, last_90, custom with `from` and `to`), `compare` (previous, year), "
        "`team`, `manager`, `pipeline`, `source`, `origin`, `campaign`, `temperature`, `country`, "
        "`region`, `industry` — those the report accepts (`GET /reports`). 422 with field errors "
        "for bad values or a team/person outside the caller's; 403 for a report not for the "
        "caller's role."
    ),
)
def report_detail(request: HttpRequest, report: str) -> dict[str, Any]:
    found = engine.REPORTS.get(report)
    if found is None:
        raise Http404
    if not found.allowed(request.user):
        raise PermissionDeniedError("This report is not for your role.")
    result = engine.run(found, request.user, request.GET)
    comparison = result.filters.comparison()
    return {
        "report": found.key,
        "title": str(found.title),
        "period": {"first": result.filters.period.first, "last": result.filters.period.last},
        "comparison": (
            {"first": comparison.period.first, "last": comparison.period.last} if comparison else None
        ),
        "filters": result.filters.values(),
        "figures": [figure.as_json() for figure in result.figures],
    }


# The plans' records (activity plans, sales plans, client forecasts) under /api/v1/plans/.
from clientela.analytics.plans_api import router as plans_router  # noqa: E402

router.add_router("", plans_router)
