"""Pages of comms: message templates (with preview), each team's working hours, holidays and
response policy, notification preferences and the bell's live unread count.

Templates: everyone signed in reads and previews; admins and heads of sales save. Team settings:
admins for every team, heads for their own (others 404); managers and marketers 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.comms.api import preview
from clientela.comms.forms import (
    HolidayForm,
    MessageTemplateForm,
    PreferencesForm,
    ResponsePolicyForm,
    WorkingHoursForm,
)
from clientela.comms.models import BusinessCalendar, Holiday, MessageTemplate
from clientela.comms.team_settings import (
    business_calendar_update,
    holiday_add,
    holiday_remove,
    policy_for_team,
    response_policy_update,
)
from clientela.comms.templates import may_edit_templates, message_template_update, variables_for
from clientela.core import notifications
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.core.permissions import can_manage_team, user_can, visible_team_ids
from clientela.users.models import Team

# --- Message templates -------------------------------------------------------------------


@login_required
def template_list(request: AuthedRequest) -> HttpResponse:
    rows = list(MessageTemplate.objects.order_by("key", "language").select_related("updated_by"))
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = grouped.setdefault(row.key, {"key": row.key, "label": row.get_key_display(), "variants": []})
        group["variants"].append(row)
    return render(
        request,
        "comms/template_list.html",
        {
            "groups": list(grouped.values()),
            "can_edit": may_edit_templates(request.user),
            "show_team_tab": user_can(request.user, "view_team_settings"),
        },
    )


@login_required
def template_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(MessageTemplate, pk=pk)
    can_edit = may_edit_templates(request.user)
    rendered: dict[str, str] | None = None
    if request.method == "POST":
        form = MessageTemplateForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            if "preview" in request.POST:
                try:
                    rendered = preview(key=row.key, language=row.language, subject=subject, body=body)
                except BusinessError as exc:
                    add_business_error(form, exc)
            else:
                if not can_edit:
                    raise PermissionDenied
                try:
                    message_template_update(by=request.user, template=row, subject=subject, body=body)
                except PermissionDeniedError as exc:
                    raise PermissionDenied from exc
                except BusinessError as exc:
                    add_business_error(form, exc)
                else:
                    messages.success(request, _("The template was saved."))
                    return redirect("comms:template_edit", pk=row.pk)
    else:
        form = MessageTemplateForm(initial={"subject": row.subject, "body": row.body})
        rendered = preview(key=row.key, language=row.language, subject=row.subject, body=row.body)
    context = {
        "row": row,
        "form": form,
        "can_edit": can_edit,
        "rendered": rendered,
        "variables": variables_for(row.key),
        "siblings": MessageTemplate.objects.filter(key=row.key).order_by("language"),
    }
    if request.htmx and rendered is not None and "preview" in request.POST:
        return render(request, "comms/template_edit.html#preview", context)
    return render(request, "comms/template_edit.html", context)


# --- Team settings: working hours, holidays, response policy -----------------------------


def _managed_teams(user: Any) -> Any:
    if not user_can(user, "view_team_settings"):
        raise PermissionDenied
    teams = Team.objects.all()
    ids = visible_team_ids(user)
    if ids is not None:
        teams = teams.filter(pk__in=ids)
    return teams


def _team_or_404(request: AuthedRequest, team_id: int) -> Team:
    team = get_object_or_404(_managed_teams(request.user), pk=team_id)
    if not can_manage_team(request.user, team):
        raise PermissionDenied
    return team


@login_required
def settings_index(request: AuthedRequest) -> HttpResponse:
    teams = list(
        _managed_teams(request.user)
        .select_related("response_policy", "business_calendar", "head")
        .annotate(holiday_count=Count("business_calendar__holidays"))
        .order_by("name")
    )
    rows = [
        {
            "team": team,
            "policy": getattr(team, "response_policy", None) or policy_for_team(None),
            "calendar": getattr(team, "business_calendar", None),
        }
        for team in teams
    ]
    return render(request, "comms/settings_index.html", {"rows": rows, "show_team_tab": True})


@login_required
def team_settings(request: AuthedRequest, team_id: int) -> HttpResponse:
    team = _team_or_404(request, team_id)
    calendar_row = BusinessCalendar.objects.filter(team=team).first()
    weekly = calendar_row.weekly_hours if calendar_row else BusinessCalendar().weekly_hours
    hours_initial = WorkingHoursForm.initial_for(weekly, calendar_row.time_zone if calendar_row else "")
    policy = policy_for_team(team)
    hours_form = WorkingHoursForm(initial=hours_initial, team_time_zone=team.time_zone)
    holiday_form = HolidayForm()
    policy_form = ResponsePolicyForm(instance=policy)
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "hours":
                hours_form = WorkingHoursForm(request.POST, team_time_zone=team.time_zone)
                if hours_form.is_valid() and _apply(
                    hours_form,
                    business_calendar_update,
                    by=request.user,
                    team=team,
                    weekly_hours=hours_form.cleaned_data["weekly_hours"],
                    time_zone=hours_form.cleaned_data["time_zone"],
                ):
                    messages.success(request, _("Working hours saved."))
                    return redirect("comms:team_settings", team_id=team.pk)
            elif which == "holiday":
                holiday_form = HolidayForm(request.POST)
                if holiday_form.is_valid() and _apply(
                    holiday_form,
                    holiday_add,
                    by=request.user,
                    team=team,
                    **holiday_form.cleaned_data,
                ):
                    messages.success(request, _("Holiday added."))
                    return redirect("comms:team_settings", team_id=team.pk)
            elif which == "policy":
                policy_form = ResponsePolicyForm(request.POST, instance=policy_for_team(team))
                if policy_form.is_valid() and _apply(
                    policy_form,
                    response_policy_update,
                    by=request.user,
                    team=team,
                    data={name: policy_form.cleaned_data[name] for name in policy_form.Meta.fields},
                ):
                    messages.success(request, _("Response policy saved."))
                    return redirect("comms:team_settings", team_id=team.pk)
        except PermissionDeniedError as exc:
            raise PermissionDenied from exc
    holidays = list(Holiday.objects.filter(calendar__team=team).order_by("date"))
    context = {
        "team": team,
        "hours_form": hours_form,
        "holiday_form": holiday_form,
        "policy_form": policy_form,
        "holidays": holidays,
        "day_fields": [hours_form[day] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")],
    }
    return render(request, "comms/team_settings.html", context)


def _apply(form: Any, service: Any, **kwargs: Any) -> bool:
    """Run a service; its business errors go on the form. Returns whether it succeeded."""
    try:
        service(**kwargs)
    except PermissionDeniedError:
        raise
    except BusinessError as exc:
        add_business_error(form, exc)
        return False
    return True


@login_required
@require_POST
def holiday_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    holiday = get_object_or_404(Holiday.objects.select_related("calendar__team"), pk=pk)
    team = _team_or_404(request, holiday.calendar.team_id)
    try:
        holiday_remove(by=request.user, holiday=holiday)
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    messages.success(request, _("Holiday removed."))
    return redirect("comms:team_settings", team_id=team.pk)


# --- Notifications -----------------------------------------------------------------------


@login_required
def notification_preferences(request: AuthedRequest) -> HttpResponse:
    digest, rows = notifications.preferences_for(request.user)
    verbs = [row.verb for row in rows]
    if request.method == "POST":
        form = PreferencesForm(request.POST, verbs=verbs)
        if form.is_valid():
            try:
                notifications.notification_preferences_update(
                    user=request.user, digest=form.cleaned_data["digest"], events=form.events()
                )
            except BusinessError as exc:
                add_business_error(form, exc)
            else:
                messages.success(request, _("Your notification preferences were saved."))
                return redirect("comms:notification_preferences")
    else:
        initial: dict[str, Any] = {"digest": digest}
        for row in rows:
            initial[f"app_{row.verb}"] = row.in_app
            initial[f"digest_{row.verb}"] = row.in_digest
        form = PreferencesForm(initial=initial, verbs=verbs)
    table = [
        {"row": row, "app": form[f"app_{row.verb}"], "digest": form[f"digest_{row.verb}"]} for row in rows
    ]
    return render(request, "comms/notification_preferences.html", {"form": form, "table": table})


@login_required
def unread_badge(request: AuthedRequest) -> HttpResponse:
    """The bell's badge alone, for HTMX polling (`hx-trigger="every 30s"`)."""
    response = render(
        request,
        "comms/_unread_badge.html",
        {"unread_notifications": notifications.unread_count(request.user)},
    )
    response["Cache-Control"] = "no-store"
    return response
