"""The reports section: `/reports/` (the reports the viewer may open) and `/reports/<key>/`
(filters, then each figure's chart, table with links to the records, CSV and XLSX).

Thin: the filters are parsed and the report run by the engine; bad filters are shown next to
their fields (and the report is shown for the default period, so the page is never empty)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics import engine
from clientela.analytics.filters import COMPARISONS, PERIODS, ReportFilters, parse_filters
from clientela.core.errors import BusinessError
from clientela.core.figures import export_response
from clientela.core.http import AuthedRequest
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.zones import local_date, zone_of
from clientela.leads.choices import Origin, Source, Temperature
from clientela.users.selectors import owner_choices, team_choices

SECTIONS = [
    ("sales", gettext_lazy("Sales")),
    ("marketing", gettext_lazy("Marketing")),
    ("team", gettext_lazy("Team and plans")),
]


def report_or_404(user: Any, key: str) -> engine.Report:
    report = engine.REPORTS.get(key)
    if report is None:
        raise Http404
    if not report.allowed(user):
        raise PermissionDenied(_("This report is not for your role."))
    return report


@login_required
def report_index(request: AuthedRequest) -> HttpResponseBase:
    reports = engine.reports_for(request.user)
    sections = [(label, [r for r in reports if r.section == key]) for key, label in SECTIONS]
    return render(
        request,
        "analytics/index.html",
        {"sections": [(label, items) for label, items in sections if items]},
    )


def filter_form(user: Any, report: engine.Report, filters: ReportFilters, data: Any) -> dict[str, Any]:
    """What the filter form offers: only the filters the report accepts, the pickers limited to
    what the viewer may choose."""
    from clientela.deals.selectors import pipelines

    accepted = report.filters
    is_manager = role_of(user) == Role.MANAGER
    return {
        "periods": PERIODS,
        "comparisons": COMPARISONS,
        "accepted": accepted,
        "teams": team_choices(user) if "team" in accepted and not is_manager else [],
        "managers": owner_choices(user) if "manager" in accepted and not is_manager else [],
        "pipelines": list(pipelines(active_only=False)) if "pipeline" in accepted else [],
        "sources": Source.choices,
        "origins": Origin.choices,
        "temperatures": Temperature.choices,
        "values": data,
        "filters": filters,
    }


@login_required
def report_page(request: AuthedRequest, report: str) -> HttpResponseBase:
    user = request.user
    found = report_or_404(user, report)
    errors: dict[str, list[str]] = {}
    try:
        filters = parse_filters(user, request.GET, found.filters)
    except BusinessError as error:
        errors = error.errors
        from clientela.analytics.filters import period_named

        filters = ReportFilters(period=period_named("this_month", local_date(user), zone_of(user)))
    result = engine.run_with(found, user, filters)
    if not errors and (response := export_response(request, result.figures)) is not None:
        return response
    comparison = filters.comparison()
    context = {
        "report": found,
        "figures": result.figures,
        "errors": errors,
        "period": filters.period,
        "comparison": comparison.period if comparison else None,
        **filter_form(user, found, filters, request.GET),
    }
    status = 422 if errors else 200
    template = "analytics/_figures.html" if request.headers.get("HX-Request") else "analytics/report.html"
    return render(request, template, context, status=status)
