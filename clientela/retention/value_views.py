"""The key-client page (`/retention/value/`): concentration, ABC split, RFM grid and the
repeat-purchase rate, scoped to what the viewer sees; marketers see no money (403)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.retention import value
from clientela.users.selectors import team_choices

PERIOD_CHOICES = [("month", "month"), ("quarter", "quarter"), ("year", "year")]


@login_required
def value_page(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    if not value.may_see_value(user):
        raise PermissionDenied(_("You do not have permission to do this."))
    from clientela.core.figures import export_response
    from clientela.retention import value_figures

    teams = team_choices(user)
    team_text = request.GET.get("team", "")
    team = int(team_text) if team_text.isdigit() and any(t.pk == int(team_text) for t in teams) else None
    period = request.GET.get("period", "quarter")
    if period not in value.PERIODS:
        period = "quarter"
    try:
        figures = value_figures.page_figures(request, team=team, period=period)
    except BusinessError as error:  # pragma: no cover (the team is checked above)
        raise PermissionDenied(error.message) from error
    exported = [figures[key] for key in ("concentration", "top", "abc", "rfm", "repeat")]
    if (response := export_response(request, exported)) is not None:
        return response
    periods = [("month", _("Months")), ("quarter", _("Quarters")), ("year", _("Years"))]
    return render(
        request,
        "retention/value/page.html",
        {
            **figures,
            "teams": teams,
            "team": team,
            "period": period,
            "periods": periods,
            "run": figures["data"].run,
        },
    )
