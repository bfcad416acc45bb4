"""The "Marketing spend and plan" page (`/reports/marketing/spend/`): the campaign spend and the
marketing plans the viewer may see, with add, edit and delete — for marketers, heads and admins
(managers are refused). Thin: the forms only carry text; `analytics.marketing` validates, checks
who may do it, writes and audits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.analytics import marketing
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.core.permissions import get_visible_or_404, visible_team_ids
from clientela.leads.choices import Source
from clientela.users.models import Team

SHOWN = 200  # rows of each table on the page (the newest)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class _MonthInput(forms.TextInput):
    input_type = "month"


def _team_choices(user: Any) -> list[tuple[str, str]]:
    teams = visible_team_ids(user)
    queryset = Team.objects.order_by("name")
    queryset = queryset.filter(is_active=True) if teams is None else queryset.filter(pk__in=teams)
    return [("", str(gettext_lazy("The whole company"))), *((str(t.pk), t.name) for t in queryset)]


def _channel_choices() -> list[tuple[str, Any]]:
    return [("", gettext_lazy("Choose a channel")), *Source.choices]


class SpendForm(forms.Form):
    campaign = forms.CharField(
        label=gettext_lazy("Campaign"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "As the leads carry it (capitals do not matter); empty: the channel as a whole."
        ),
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=_channel_choices)
    first_day = forms.CharField(label=gettext_lazy("First day"), widget=_DateInput())
    last_day = forms.CharField(label=gettext_lazy("Last day"), widget=_DateInput())
    amount = forms.CharField(
        label=gettext_lazy("Amount"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["team"]
        team_field.choices = _team_choices(user)


class PlanForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month"), widget=_MonthInput(attrs={"placeholder": "YYYY-MM"}))
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=_channel_choices)
    target_leads = forms.CharField(
        label=gettext_lazy("Target leads"),
        max_length=9,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    acceptable_cpl = forms.CharField(
        label=gettext_lazy("Acceptable cost per lead"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["team"]
        team_field.choices = _team_choices(user)


def _require(request: AuthedRequest) -> None:
    if not marketing.may_plan_marketing(request.user):
        raise PermissionDenied(_("Marketing spend and plans are for marketers, heads and admins."))


def _base_currency() -> str:
    from clientela.deals.rates.selectors import base_currency

    return base_currency()


def _defaults(request: AuthedRequest) -> dict[str, Any]:
    team = request.user.team_id if visible_team_ids(request.user) is not None else None
    return {"currency": _base_currency(), "team": str(team or "")}


@login_required
def marketing_spend(request: AuthedRequest) -> HttpResponse:
    _require(request)
    spends = list(marketing.visible_spend(request.user)[:SHOWN])
    plans = list(marketing.visible_plans(request.user)[:SHOWN])
    return render(
        request,
        "analytics/marketing/spend.html",
        {"spends": spends, "plans": plans, "shown": SHOWN},
    )


def _save(
    request: AuthedRequest, form: forms.Form, service: Any, success: str, **kwargs: Any
) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        saved = service(by=request.user, data=form.cleaned_data, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        add_business_error(form, exc)
        return None
    messages.success(request, success % {"name": saved})
    return redirect("analytics:marketing_spend")


def _form_page(request: AuthedRequest, form: forms.Form, title: str, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "analytics/marketing/form.html",
        {"form": form, "title": title, "back_url": reverse("analytics:marketing_spend")},
        status=422 if form.is_bound and form.errors else status,
    )


@login_required
def spend_new(request: AuthedRequest) -> HttpResponse:
    _require(request)
    form = SpendForm(request.POST or None, user=request.user, initial=_defaults(request))
    if request.method == "POST":
        done = _save(request, form, marketing.campaign_spend_create, _("Spend “%(name)s” added."))
        if done is not None:
            return done
    return _form_page(request, form, _("New campaign spend"))


@login_required
def spend_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    spend = get_visible_or_404(marketing.visible_spend(request.user), request.user, pk=pk)
    initial = {
        "campaign": spend.campaign,
        "channel": spend.channel,
        "first_day": spend.first_day.isoformat(),
        "last_day": spend.last_day.isoformat(),
        "amount": f"{spend.amount}",
        "currency": spend.currency,
        "team": str(spend.team_id or ""),
        "note": spend.note,
    }
    form = SpendForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        done = _save(
            request, form, marketing.campaign_spend_update, _("Spend “%(name)s” saved."), spend=spend
        )
        if done is not None:
            return done
    return _form_page(request, form, _("Campaign spend: %(name)s") % {"name": spend})


@login_required
@require_POST
def spend_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    spend = get_visible_or_404(marketing.visible_spend(request.user), request.user, pk=pk)
    return _delete(
        request,
        spend,
        lambda: marketing.campaign_spend_delete(by=request.user, spend=spend),
        _("Spend “%(name)s” deleted."),
    )


@login_required
def plan_new(request: AuthedRequest) -> HttpResponse:
    _require(request)
    form = PlanForm(request.POST or None, user=request.user, initial=_defaults(request))
    if request.method == "POST":
        done = _save(request, form, marketing.marketing_plan_create, _("Plan “%(name)s” added."))
        if done is not None:
            return done
    return _form_page(request, form, _("New marketing plan"))


@login_required
def plan_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    plan = get_visible_or_404(marketing.visible_plans(request.user), request.user, pk=pk)
    initial = {
        "month": plan.month.strftime("%Y-%m"),
        "channel": plan.channel,
        "target_leads": str(plan.target_leads),
        "acceptable_cpl": f"{plan.acceptable_cpl}",
        "currency": plan.currency,
        "team": str(plan.team_id or ""),
        "note": plan.note,
    }
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        done = _save(request, form, marketing.marketing_plan_update, _("Plan “%(name)s” saved."), plan=plan)
        if done is not None:
            return done
    return _form_page(request, form, _("Marketing plan: %(name)s") % {"name": plan})


@login_required
@require_POST
def plan_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    plan = get_visible_or_404(marketing.visible_plans(request.user), request.user, pk=pk)
    return _delete(
        request,
        plan,
        lambda: marketing.marketing_plan_delete(by=request.user, plan=plan),
        _("Plan “%(name)s” deleted."),
    )


def _delete(request: AuthedRequest, record: Any, delete: Callable[[], Any], done: str) -> HttpResponse:
    """Delete a spend or plan row (its service checks the permission), say so, back to the page."""
    name = str(record)
    try:
        delete()
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, done % {"name": name})
    return redirect("analytics:marketing_spend")
