"""Lead settings pages: per-team lead policy and distribution rules, temperature rules,
refusal reasons. Thin: forms parse, settings_services decide and write.

Admins and heads of sales open them (heads for their own teams); managers and marketers get
403. Records of a team the user may not manage are 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.core.permissions import can_manage_team, role_of, user_can
from clientela.core.roles import Role
from clientela.leads import settings_services as services
from clientela.leads.choices import AssignmentStrategy, Origin, QualificationItem, Source
from clientela.leads.distribution import policy_for
from clientela.leads.models import DistributionRule, LeadPolicy, RefusalReason, TemperatureRule
from clientela.leads.settings_forms import (
    DistributionRuleForm,
    LeadPolicyForm,
    RefusalReasonForm,
    TemperatureRuleForm,
)
from clientela.users.models import Team, User


def _require_settings(request: AuthedRequest) -> None:
    if not user_can(request.user, "view_team_settings"):
        raise PermissionDenied


def _team_or_404(request: AuthedRequest, team_id: int) -> Team:
    _require_settings(request)
    return get_object_or_404(services.teams_managed_by(request.user), pk=team_id)


def _call(form: Any, service: Any, **kwargs: Any) -> Any:
    """Run a service; its business errors go on the form. Returns the result or None."""
    try:
        return service(**kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    except BusinessError as exc:
        add_business_error(form, exc)
        return None


def _post_action(request: AuthedRequest, success: str, service: Any, **kwargs: Any) -> None:
    try:
        service(by=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


def _offset(request: AuthedRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


# --- Overview and team pages ---------------------------------------------------------------


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    _require_settings(request)
    teams = list(
        services.teams_managed_by(request.user)
        .select_related("head", "lead_policy")
        .annotate(
            rule_count=Count("distribution_rules", distinct=True),
            manager_count=Count("members", filter=Q(members__role=Role.MANAGER), distinct=True),
        )
        .order_by("name")
    )
    rows = []
    for team in teams:
        policy = getattr(team, "lead_policy", None) or LeadPolicy(team=team)
        rows.append({"team": team, "policy": policy})
    return render(
        request,
        "leads/settings/index.html",
        {"rows": rows, "tab": "teams", "is_admin": role_of(request.user) == Role.ADMIN},
    )


def _rules_of(team: Team) -> list[DistributionRule]:
    return list(
        DistributionRule.objects.filter(team=team)
        .select_related("last_assigned")
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("first_name", "username")))
        .order_by("position", "pk")
    )


@login_required
def team_detail(request: AuthedRequest, team_id: int) -> HttpResponse:
    team = _team_or_404(request, team_id)
    policy = policy_for(team)
    rules = _rules_of(team)
    active = [r for r in rules if r.is_active]
    context = {
        "team": team,
        "policy": policy,
        "active_rules": active,
        "inactive_rules": [r for r in rules if not r.is_active],
        "implicit_number": len(active) + 1,
        "qualification_labels": [QualificationItem(i).label for i in policy.required_items],
        "strategy_label": AssignmentStrategy(policy.strategy).label,
        "managers": User.objects.filter(team=team, role=Role.MANAGER).order_by("first_name", "username"),
        "tab": "teams",
    }
    return render(request, "leads/settings/team_detail.html", context)


@login_required
def policy_edit(request: AuthedRequest, team_id: int) -> HttpResponse:
    team = _team_or_404(request, team_id)
    form = LeadPolicyForm.for_policy(policy_for(team), request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _call(form, services.lead_policy_save, by=request.user, team=team, data=form.cleaned_data)
        if saved is not None:
            messages.success(request, _("Lead policy of %(team)s saved.") % {"team": team})
            return redirect("lead_settings:team", team_id=team.pk)
    return render(
        request,
        "leads/settings/form.html",
        {
            "form": form,
            "team": team,
            "title": _("Lead policy of %(team)s") % {"team": team},
            "back_url": reverse("lead_settings:team", args=[team.pk]),
            "tab": "teams",
        },
    )


# --- Distribution rules --------------------------------------------------------------------


@login_required
def rule_form(request: AuthedRequest, team_id: int | None = None, pk: int | None = None) -> HttpResponse:
    _require_settings(request)
    rule = None
    if pk is not None:
        rule = get_object_or_404(
            DistributionRule.objects.select_related("team").filter(
                team__in=services.teams_managed_by(request.user)
            ),
            pk=pk,
        )
        team = rule.team
    else:
        team = _team_or_404(request, team_id or 0)
    form = DistributionRuleForm(request.POST or None, team=team, rule=rule)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if rule is None:
            saved = _call(form, services.distribution_rule_create, by=request.user, team=team, data=data)
        else:
            saved = _call(form, services.distribution_rule_update, by=request.user, rule=rule, data=data)
        if saved is not None:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("lead_settings:team", team_id=team.pk)
    title = rule.name if rule else _("New distribution rule")
    return render(
        request,
        "leads/settings/form.html",
        {
            "form": form,
            "team": team,
            "title": title,
            "back_url": reverse("lead_settings:team", args=[team.pk]),
            "tab": "teams",
        },
    )


def _managed_rule(request: AuthedRequest, pk: int) -> DistributionRule:
    _require_settings(request)
    return get_object_or_404(
        DistributionRule.objects.select_related("team").filter(
            team__in=services.teams_managed_by(request.user)
        ),
        pk=pk,
    )


@login_required
@require_POST
def rule_move(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _managed_rule(request, pk)
    _post_action(
        request,
        _("Order saved."),
        services.distribution_rule_move,
        rule=rule,
        offset=_offset(request),
    )
    return redirect("lead_settings:team", team_id=rule.team_id)


@login_required
@require_POST
def rule_active(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _managed_rule(request, pk)
    active = request.POST.get("active") == "1"
    _post_action(
        request,
        _("Rule switched on.") if active else _("Rule switched off."),
        services.distribution_rule_set_active,
        rule=rule,
        active=active,
    )
    return redirect("lead_settings:team", team_id=rule.team_id)


# --- Temperature rules ---------------------------------------------------------------------


def _temperature_rules_visible(request: AuthedRequest) -> Any:
    """Company-wide rules and the rules of the teams the user manages."""
    teams = services.teams_managed_by(request.user)
    if role_of(request.user) == Role.ADMIN:
        return TemperatureRule.objects.all()
    return TemperatureRule.objects.filter(team__isnull=True) | TemperatureRule.objects.filter(team__in=teams)


@login_required
def temperature_list(request: AuthedRequest) -> HttpResponse:
    _require_settings(request)
    is_admin = role_of(request.user) == Role.ADMIN
    rules = list(_temperature_rules_visible(request).select_related("team").order_by("position", "pk"))
    teams = list(services.teams_managed_by(request.user).order_by("name"))
    sources, origins = dict(Source.choices), dict(Origin.choices)

    def section(team: Team | None, editable: bool) -> dict[str, Any]:
        items = [
            {
                "rule": r,
                "sources": [str(sources.get(s, s)) for s in r.sources],
                "origins": [str(origins.get(o, o)) for o in r.origins],
            }
            for r in rules
            if r.team_id == (team.pk if team else None)
        ]
        return {
            "team": team,
            "active": [i for i in items if i["rule"].is_active],
            "inactive": [i for i in items if not i["rule"].is_active],
            "editable": editable,
        }

    sections = [section(team, True) for team in teams]
    sections.append(section(None, is_admin))
    return render(
        request,
        "leads/settings/temperature_list.html",
        {"sections": sections, "tab": "temperature", "can_create": bool(teams) or is_admin},
    )


def _temperature_form(request: AuthedRequest, rule: TemperatureRule | None) -> TemperatureRuleForm:
    teams = list(services.teams_managed_by(request.user).order_by("name"))
    return TemperatureRuleForm(
        request.POST or None,
        teams=teams,
        company_wide=role_of(request.user) == Role.ADMIN,
        rule=rule,
        initial=None if rule else {"team": request.GET.get("team", ""), "min_touches": 0},
    )


@login_required
def temperature_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_settings(request)
    rule = get_object_or_404(_temperature_rules_visible(request), pk=pk) if pk is not None else None
    if rule is not None and not can_manage_team(request.user, rule.team):
        raise PermissionDenied
    form = _temperature_form(request, rule)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "team"}
        if rule is None:
            team = form.cleaned_data["team"]
            saved = _call(form, services.temperature_rule_create, by=request.user, team=team, data=data)
        else:
            saved = _call(form, services.temperature_rule_update, by=request.user, rule=rule, data=data)
        if saved is not None:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("lead_settings:temperature_list")
    return render(
        request,
        "leads/settings/form.html",
        {
            "form": form,
            "title": rule.name if rule else _("New temperature rule"),
            "back_url": reverse("lead_settings:temperature_list"),
            "tab": "temperature",
        },
    )


def _managed_temperature_rule(request: AuthedRequest, pk: int) -> TemperatureRule:
    _require_settings(request)
    rule = get_object_or_404(_temperature_rules_visible(request), pk=pk)
    if not can_manage_team(request.user, rule.team):
        raise PermissionDenied
    return rule


@login_required
@require_POST
def temperature_move(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _managed_temperature_rule(request, pk)
    _post_action(
        request,
        _("Order saved."),
        services.temperature_rule_move,
        rule=rule,
        offset=_offset(request),
    )
    return redirect("lead_settings:temperature_list")


@login_required
@require_POST
def temperature_active(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = _managed_temperature_rule(request, pk)
    active = request.POST.get("active") == "1"
    _post_action(
        request,
        _("Rule switched on.") if active else _("Rule switched off."),
        services.temperature_rule_set_active,
        rule=rule,
        active=active,
    )
    return redirect("lead_settings:temperature_list")


# --- Refusal reasons -----------------------------------------------------------------------


@login_required
def reason_list(request: AuthedRequest) -> HttpResponse:
    _require_settings(request)
    reasons = RefusalReason.objects.annotate(used=Count("lead")).order_by("-is_active", "position", "name")
    return render(
        request,
        "leads/settings/reason_list.html",
        {"reasons": reasons, "can_manage": user_can(request.user, "manage_settings"), "tab": "reasons"},
    )


@login_required
def reason_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied
    reason = get_object_or_404(RefusalReason, pk=pk) if pk is not None else None
    form = RefusalReasonForm(request.POST or None, reason=reason)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if reason is None:
            saved = _call(form, services.refusal_reason_create, by=request.user, data=data)
        else:
            saved = _call(form, services.refusal_reason_update, by=request.user, reason=reason, data=data)
        if saved is not None:
            messages.success(request, _("Reason “%(name)s” saved.") % {"name": saved})
            return redirect("lead_settings:reason_list")
    return render(
        request,
        "leads/settings/form.html",
        {
            "form": form,
            "title": str(reason) if reason else _("New refusal reason"),
            "back_url": reverse("lead_settings:reason_list"),
            "tab": "reasons",
        },
    )


@login_required
@require_POST
def reason_active(request: AuthedRequest, pk: int) -> HttpResponse:
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied
    reason = get_object_or_404(RefusalReason, pk=pk)
    active = request.POST.get("active") == "1"
    _post_action(
        request,
        _("Reason switched on.") if active else _("Reason switched off."),
        services.refusal_reason_set_active,
        reason=reason,
        active=active,
    )
    return redirect("lead_settings:reason_list")


@login_required
@require_POST
def reason_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied
    reason = get_object_or_404(RefusalReason, pk=pk)
    _post_action(
        request,
        _("Reason deleted."),
        services.refusal_reason_delete,
        reason=reason,
    )
    return redirect("lead_settings:reason_list")
