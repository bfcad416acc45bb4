"""The Plans page (`/plans/`): daily activity plans, monthly sales plans and client forecasts.

Heads and admins set the activity and sales plans of their people and teams; managers see
their own plans and enter the forecasts of their clients (heads: their teams' clients). Each
form posts to its own door, runs one service (`analytics.plans`) and comes back to the page
with a message; a refused value is shown next to its field (the page answers 422)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.analytics import plans
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import can_manage_team, role_of, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.core.zones import local_date
from clientela.users.models import Team

CLIENT_CHOICES = 500  # clients offered in the forecast form (by name); the API takes any of them


class ActivityPlanForm(forms.Form):
    user = forms.CharField(label=gettext_lazy("Person"))
    calls_per_day = forms.CharField(label=gettext_lazy("Calls a day"), required=False)
    meetings_per_day = forms.CharField(label=gettext_lazy("Meetings a day"), required=False)


class SalesPlanForm(forms.Form):
    team = forms.CharField(label=gettext_lazy("Team"))
    manager = forms.CharField(label=gettext_lazy("Manager (empty: the whole team)"), required=False)
    month = forms.CharField(label=gettext_lazy("Month"))
    market_growth_percent = forms.CharField(label=gettext_lazy("Market growth, %"), required=False)
    ambition_percent = forms.CharField(label=gettext_lazy("Own ambition, %"), required=False)


class ForecastForm(forms.Form):
    client = forms.CharField(label=gettext_lazy("Client"))
    month = forms.CharField(label=gettext_lazy("Month"))
    amount = forms.CharField(label=gettext_lazy("Amount"), required=False)


def _require_page(user: Any) -> None:
    if not user_can(user, "work_records"):
        raise PermissionDenied(_("Plans are for the people who sell and their heads."))


def _month_param(request: AuthedRequest) -> dt.date:
    today = plans.month_start(local_date(request.user))
    text = request.GET.get("month", "")
    try:
        month = dt.date.fromisoformat(text + "-01") if len(text) == 7 else today
    except ValueError:
        month = today
    return month if abs((month.year - today.year) * 12 + month.month - today.month) <= 24 else today


def _context(request: AuthedRequest, **forms_: Any) -> dict[str, Any]:
    user = request.user
    month = _month_param(request)
    people = list(plans.planned_people(user))
    activity = plans.activity_plans(user)
    may_set = plans.may_set_plans(user)
    role = role_of(user)
    teams = (
        list(Team.objects.order_by("name"))
        if role == Role.ADMIN
        else list(Team.objects.filter(pk__in=visible_team_ids(user) or set()).order_by("name"))
    )
    editable_teams = [team for team in teams if can_manage_team(user, team)] if may_set else []
    first = plans.add_months(month, -2)
    sales = list(
        plans.sales_plans(user)
        .filter(month__gte=first, month__lte=plans.add_months(month, 9))
        .order_by("month", "team__name", "manager__first_name")
    )
    clients = list(plans.forecast_clients(user).order_by("name").only("id", "name")[:CLIENT_CHOICES])
    forecasts = list(plans.client_forecasts(user).filter(month=month).order_by("client__name"))
    settable = [p for p in people if may_set and (p.pk != user.pk or role == Role.ADMIN)]
    return {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "previous_month": f"{plans.add_months(month, -1):%Y-%m}",
        "next_month": f"{plans.add_months(month, 1):%Y-%m}",
        "people": [(person, activity.get(person.pk)) for person in people],
        "may_set": may_set,
        "settable_people": settable,
        "editable_teams": editable_teams,
        "sales_plans": sales,
        "clients": clients,
        "clients_capped": len(clients) == CLIENT_CHOICES,
        "forecasts": forecasts,
        "forecast_total": sum((f.amount for f in forecasts), Decimal("0.00")),
        "currency": plans.base_currency(),
        "activity_form": forms_.get("activity_form") or ActivityPlanForm(),
        "sales_form": forms_.get("sales_form") or SalesPlanForm(initial={"month": f"{month:%Y-%m}"}),
        "forecast_form": forms_.get("forecast_form") or ForecastForm(initial={"month": f"{month:%Y-%m}"}),
        "progress": plans.plan_progress(user),
    }


@login_required
def plans_page(request: AuthedRequest) -> HttpResponseBase:
    _require_page(request.user)
    return render(request, "analytics/plans/page.html", _context(request))


def _back(request: AuthedRequest, month: str = "") -> HttpResponse:
    url = reverse("analytics:plans")
    text = str(month or "")[:7]
    if len(text) == 7 and text[:4].isdigit() and text[5:].isdigit():
        url += f"?month={text}"
    return redirect(url)


def _failed(request: AuthedRequest, **bound: Any) -> HttpResponse:
    messages.error(request, _("The plan was not saved: check the fields marked below."))
    return render(request, "analytics/plans/page.html", _context(request, **bound), status=422)


@login_required
@require_POST
def activity_plan_save(request: AuthedRequest) -> HttpResponseBase:
    if not plans.may_set_plans(request.user):
        raise PermissionDenied(_("Daily plans are set by the head of the team or an admin."))
    form = ActivityPlanForm(request.POST)
    saved = form.is_valid() and perform(
        form,
        lambda: plans.activity_plan_set(
            by=request.user,
            user=form.cleaned_data["user"],
            calls_per_day=form.cleaned_data["calls_per_day"] or 0,
            meetings_per_day=form.cleaned_data["meetings_per_day"] or 0,
        ),
    )
    if not saved:
        return _failed(request, activity_form=form)
    plan = saved
    messages.success(
        request,
        _("Daily plan of %(person)s saved: %(calls)s calls and %(meetings)s meetings a day.")
        % {"person": plan.user, "calls": plan.calls_per_day, "meetings": plan.meetings_per_day},
    )
    return _back(request)


@login_required
@require_POST
def sales_plan_save(request: AuthedRequest) -> HttpResponseBase:
    if not plans.may_set_plans(request.user):
        raise PermissionDenied(_("Sales plans are set by the head of the team or an admin."))
    form = SalesPlanForm(request.POST)
    saved = form.is_valid() and perform(
        form,
        lambda: plans.sales_plan_set(
            by=request.user,
            team=form.cleaned_data["team"],
            manager=form.cleaned_data["manager"] or None,
            month=form.cleaned_data["month"],
            market_growth_percent=form.cleaned_data["market_growth_percent"] or 0,
            ambition_percent=form.cleaned_data["ambition_percent"] or 0,
        ),
    )
    if not saved:
        return _failed(request, sales_form=form)
    plan = saved
    messages.success(
        request,
        _("Sales plan for %(month)s saved: %(target)s %(currency)s (last year %(base)s %(currency)s).")
        % {
            "month": f"{plan.month:%Y-%m}",
            "target": plan.target,
            "base": plan.base_amount,
            "currency": plan.currency,
        },
    )
    return _back(request, f"{plan.month:%Y-%m}")


@login_required
@require_POST
def forecast_save(request: AuthedRequest) -> HttpResponseBase:
    _require_page(request.user)
    form = ForecastForm(request.POST)
    saved = form.is_valid() and perform(
        form,
        lambda: plans.client_forecast_set(
            by=request.user,
            client=form.cleaned_data["client"],
            month=form.cleaned_data["month"],
            amount=form.cleaned_data["amount"],
        ),
    )
    if not saved:
        return _failed(request, forecast_form=form)
    forecast = saved
    messages.success(
        request,
        _("Forecast for %(client)s in %(month)s saved: %(amount)s %(currency)s.")
        % {
            "client": forecast.client.name,
            "month": f"{forecast.month:%Y-%m}",
            "amount": forecast.amount,
            "currency": forecast.currency,
        },
    )
    return _back(request, f"{forecast.month:%Y-%m}")


# --- the home block --------------------------------------------------------------------------------


def home_block(request: Any) -> str:
    """This month's won amount against the plan under the work list (a manager's own, a head's
    teams'); nothing when there is no plan for the month."""
    user = request.user
    if role_of(user) not in (Role.MANAGER, Role.HEAD):
        return ""
    progress = plans.plan_progress(user)
    if progress is None:
        return ""
    from django.template.loader import render_to_string

    width = min(100, int(progress.percent or 0))
    return render_to_string(
        "analytics/plans/_home_block.html",
        {
            "progress": progress,
            "width": width,
            "report_url": reverse("analytics:report", args=["sales-plan"]),
        },
        request=request,
    )


def register() -> None:
    from clientela.activities.worklist_views import HOME_BLOCKS

    HOME_BLOCKS.register(home_block)
