"""Pages of the passive list (reactivation) and of greetings: thin doors on `reactivation.py` and
`greetings.py`.

* `/retention/passive/` — the passive list (filters, sort, bounded paging), its bulk actions
  (reactivation tasks here; hand-over through the clients' own handover door) and the
  reactivation rate of the last 12 months.
* `/retention/greetings/` — the coming week's greetings, each skippable while planned.
* `/retention/greetings/holidays/` — the holidays greeted per country (heads and admins).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.figures import export_response
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.lists import paginate_bounded, paginate_matches
from clientela.core.permissions import get_visible_or_404
from clientela.core.zones import zone_of
from clientela.deals.rates.selectors import base_currency
from clientela.retention import greetings, reactivation
from clientela.retention.greetings_models import Greeting, GreetingHoliday, GreetingStatus
from clientela.retention.reactivation import PASSIVE


def _refuse(exc: PermissionDeniedError) -> PermissionDenied:
    return PermissionDenied(exc.message)


# --- The passive list ----------------------------------------------------------------------------

RATE_PERIODS = {"month": 6, "quarter": 4, "year": 3}  # how many of each the page shows


@login_required
@vary_on_headers("HX-Request")
def passive_list(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    try:
        reactivation.require_passive_list(user)
    except PermissionDeniedError as exc:
        raise _refuse(exc) from exc
    state = PASSIVE.read(request)
    values = state.values
    rows_query = reactivation.passive_list(viewer=user, values=values)
    if values.q:
        unsearched = values.replace(q="")
        rows, pager = paginate_matches(
            rows_query,
            request,
            lambda ids: reactivation.passive_list(viewer=user, values=unsearched).filter(pk__in=ids),
        )
    else:
        rows, pager = paginate_bounded(rows_query, request, count_parts=PASSIVE.count_parts(user, values))
    can_hand_over = reactivation.may_hand_over(user)
    period = request.GET.get("period", "month")
    period = period if period in RATE_PERIODS else "month"
    rate_figure = reactivation.rate_figure(user, kind=period, count=RATE_PERIODS[period])
    if (exported := export_response(request, [rate_figure])) is not None:
        return exported
    context = state.context(
        clients=rows,
        pager=pager,
        show_team=bool(state.options["team"]),
        can_hand_over=can_hand_over,
        handover_people=state.options["owner"] if can_hand_over else [],
        base_currency=base_currency(),
        list_url=request.get_full_path(),
        rate_figure=rate_figure,
        rate_period=period,
        rate_periods=[
            ("month", _("Months")),
            ("quarter", _("Quarters")),
            ("year", _("Years")),
        ],
        tomorrow=(dt.datetime.now(zone_of(user)).date() + dt.timedelta(days=1)).isoformat(),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "retention/reactivation/passive_list.html#passive-table", context)
    return render(request, "retention/reactivation/passive_list.html", context)


@login_required
@require_POST
def passive_tasks(request: AuthedRequest) -> HttpResponse:
    """Bulk: one reactivation task per selected passive client."""
    user = request.user
    back = safe_next(request, reverse("retention:passive"))
    try:
        reactivation.require_passive_list(user)
    except PermissionDeniedError as exc:
        raise _refuse(exc) from exc
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    due_at = None
    raw_due = request.POST.get("due_on", "")
    if raw_due:
        try:
            day = dt.date.fromisoformat(raw_due)
        except ValueError:
            messages.error(request, _("Enter a valid date."))
            return redirect(back)
        due_at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=zone_of(user))
    try:
        result = reactivation.reactivation_tasks_create(by=user, client_ids=ids, due_at=due_at)
    except PermissionDeniedError as exc:
        raise _refuse(exc) from exc
    except BusinessError as exc:
        for errors in (exc.errors or {}).values():
            for error in errors:
                messages.error(request, str(error))
        if not exc.errors:
            messages.error(request, exc.message)
        return redirect(back)
    created = len(result.created)
    if created:
        messages.success(
            request,
            ngettext("%(count)d reactivation task created.", "%(count)d reactivation tasks created.", created)
            % {"count": created},
        )
    if result.skipped:
        messages.info(
            request,
            ngettext(
                "%(count)d client already has an open reactivation task.",
                "%(count)d clients already have an open reactivation task.",
                len(result.skipped),
            )
            % {"count": len(result.skipped)},
        )
    return redirect(back)


# --- Greetings -----------------------------------------------------------------------------------


@login_required
def greeting_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    try:
        rows = list(greetings.greetings_upcoming(viewer=user))
    except PermissionDeniedError as exc:
        raise _refuse(exc) from exc
    return render(
        request,
        "retention/greetings/greeting_list.html",
        {
            "greetings": rows,
            "planned": GreetingStatus.PLANNED,
            "may_edit_holidays": greetings.may_edit_holidays(user),
        },
    )


@login_required
@require_POST
def greeting_skip(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        greetings.require_greetings(user)
    except PermissionDeniedError as exc:
        raise _refuse(exc) from exc
    greeting = get_visible_or_404(Greeting.objects.all(), user, pk=pk)
    try:
        greetings.greeting_skip(by=user, greeting=greeting)
    except PermissionDeniedError as exc:
        raise _refuse(exc) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The greeting is skipped; it will not be sent."))
    return redirect(safe_next(request, reverse("retention:greetings")))


# --- Holidays ------------------------------------------------------------------------------------


class HolidayForm(forms.Form):
    country = forms.CharField(
        label=gettext_lazy("Country"), max_length=2, widget=forms.TextInput(attrs={"maxlength": 2})
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    is_active = forms.BooleanField(label=gettext_lazy("Greet on this day"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, language in settings.LANGUAGES:
            self.fields[f"wish_{code}"] = forms.CharField(
                label=_("Wish in %(language)s") % {"language": language}, max_length=300, required=False
            )

    def data_for_service(self) -> dict[str, Any]:
        data = {key: self.cleaned_data[key] for key in ("country", "date", "name", "is_active")}
        data["wishes"] = {
            code: self.cleaned_data.get(f"wish_{code}", "") for code, _name in settings.LANGUAGES
        }
        return data


def _require_holidays(request: AuthedRequest) -> None:
    if not greetings.may_edit_holidays(request.user):
        raise PermissionDenied(_("Only a head of sales or an admin changes the holidays."))


@login_required
def holiday_list(request: AuthedRequest) -> HttpResponse:
    _require_holidays(request)
    user = request.user
    form = HolidayForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        holiday = perform(form, lambda: greetings.holiday_create(by=user, data=form.data_for_service()))
        if holiday:
            messages.success(request, _("Holiday added: %(name)s.") % {"name": holiday.label})
            return redirect("retention:holidays")
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdigit() and 2000 <= int(year_raw) <= 2100 else None
    country = request.GET.get("country", "")[:2]
    rows = greetings.holidays_list(viewer=user, year=year, country=country if country.isalpha() else "")
    return render(
        request,
        "retention/greetings/holiday_list.html",
        {"holidays": rows, "form": form, "year": year or "", "country": country},
    )


@login_required
def holiday_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_holidays(request)
    holiday = get_object_or_404(GreetingHoliday, pk=pk)
    initial = {
        "country": holiday.country,
        "date": holiday.date,
        "name": holiday.name,
        "is_active": holiday.is_active,
        **{f"wish_{code}": holiday.wishes.get(code, "") for code, _name in settings.LANGUAGES},
    }
    form = HolidayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = perform(
            form,
            lambda: greetings.holiday_update(by=request.user, holiday=holiday, data=form.data_for_service()),
        )
        if done:
            messages.success(request, _("Holiday saved."))
            return redirect("retention:holidays")
    return render(request, "retention/greetings/holiday_form.html", {"form": form, "holiday": holiday})


@login_required
@require_POST
def holiday_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_holidays(request)
    holiday = get_object_or_404(GreetingHoliday, pk=pk)
    try:
        greetings.holiday_delete(by=request.user, holiday=holiday)
    except BusinessError as exc:  # pragma: no cover - the service refuses nothing else today
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Holiday removed."))
    return redirect("retention:holidays")


urlpatterns = [
    path("retention/passive/", passive_list, name="passive"),
    path("retention/passive/reactivation-tasks/", passive_tasks, name="passive_tasks"),
    path("retention/greetings/", greeting_list, name="greetings"),
    path("retention/greetings/<int:pk>/skip/", greeting_skip, name="greeting_skip"),
    path("retention/greetings/holidays/", holiday_list, name="holidays"),
    path("retention/greetings/holidays/<int:pk>/", holiday_edit, name="holiday_edit"),
    path("retention/greetings/holidays/<int:pk>/delete/", holiday_delete, name="holiday_delete"),
]
