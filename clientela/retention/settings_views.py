"""The retention settings page (`/settings/retention/`): admins change the company's status limits,
heads their teams' retention policies (admins any team's)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import can_manage_team, user_can
from clientela.retention.models import RetentionPolicy, RetentionSettings
from clientela.retention.settings_services import (
    POLICY_FIELDS,
    policy_of,
    retention_policy_update,
    retention_settings_update,
    settings_row,
)
from clientela.users.selectors import teams_visible_to


class CompanyForm(forms.ModelForm):
    class Meta:
        model = RetentionSettings
        fields = ["new_days", "passive_days"]


class PolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = list(POLICY_FIELDS)


@login_required
def retention_settings(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user_can(user, "view_team_settings"):
        raise PermissionDenied(_("You cannot see team settings."))
    teams = list(teams_visible_to(user).filter(is_active=True).order_by("name"))
    team_param = request.GET.get("team") or request.POST.get("team") or ""
    team = next((t for t in teams if str(t.pk) == team_param), teams[0] if teams else None)
    if team_param and (team is None or str(team.pk) != team_param):
        raise Http404(_("No team."))
    may_edit_company = user_can(user, "manage_settings")
    company = (
        settings_row()
        if may_edit_company
        else RetentionSettings.objects.filter(pk=1).first() or RetentionSettings()
    )
    which = request.POST.get("form", "") if request.method == "POST" else ""
    company_form = CompanyForm(request.POST if which == "company" else None, instance=company)
    policy = policy_of(team) if team is not None else None
    policy_form = (
        PolicyForm(request.POST if which == "policy" else None, instance=policy)
        if policy is not None
        else None
    )
    may_edit_team = team is not None and can_manage_team(user, team)
    here = reverse("retention:settings") + (f"?team={team.pk}" if team is not None else "")
    if which == "company":
        if not may_edit_company:
            raise PermissionDenied(_("Only an administrator can change the company's settings."))
        if company_form.is_valid() and perform(
            company_form,
            lambda: retention_settings_update(
                by=user,
                new_days=company_form.cleaned_data["new_days"],
                passive_days=company_form.cleaned_data["passive_days"],
            ),
        ):
            messages.success(request, _("Client status limits saved."))
            return redirect(here)
    elif which == "policy":
        if team is None or policy_form is None:
            raise Http404(_("No team."))
        if not may_edit_team:
            raise PermissionDenied(_("You cannot change this team's retention policy."))
        if policy_form.is_valid() and perform(
            policy_form,
            lambda: retention_policy_update(
                by=user, team=team, **{name: policy_form.cleaned_data[name] for name in POLICY_FIELDS}
            ),
        ):
            messages.success(request, _("Retention policy saved."))
            return redirect(here)
    elif request.method == "POST":
        raise Http404(_("No such form."))
    return render(
        request,
        "retention/settings/settings.html",
        {
            "company_form": company_form,
            "policy_form": policy_form,
            "team": team,
            "teams": teams,
            "may_edit_company": may_edit_company,
            "may_edit_team": may_edit_team,
        },
        status=422 if which else 200,
    )
