"""The "new lead" page: a lead entered by hand goes through the one intake pipeline, like every
other door (its URL stays under /leads/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import role_of, visible_team_ids
from clientela.core.roles import OWNING_ROLES
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import Source
from clientela.leads.forms import ManualLeadForm
from clientela.leads.models import Lead
from clientela.leads.selectors import may_create_leads
from clientela.leads.views.actions import action_done
from clientela.users.models import Team, User

# --- manual entry --------------------------------------------------------------------------


def _manual_teams(user: User) -> QuerySet[Team] | None:
    teams = visible_team_ids(user)
    if teams is None:
        return Team.objects.filter(is_active=True).order_by("name")
    if len(teams) > 1:
        return Team.objects.filter(pk__in=teams).order_by("name")
    return None


@login_required
def lead_create(request: AuthedRequest) -> HttpResponse:
    """“New lead”: through the one intake pipeline, like every other door."""
    user = request.user
    if not may_create_leads(user):
        raise PermissionDenied
    may_own = role_of(user) in OWNING_ROLES
    teams = _manual_teams(user)
    initial = {"team": user.team_id, "referred_by_client": request.GET.get("referred_by_client") or None}
    form = ManualLeadForm(request.POST or None, teams=teams, may_own=may_own, viewer=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = data.get("team") or user.team
        raw = RawLead(
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            company=data["company"],
            position=data["position"],
            interest=data["interest"],
            source=data["source"],
            campaign=data["campaign"],
            message=data["message"],
        )
        ctx = IntakeContext(
            door="manual",
            by=user,
            team=team,
            owner=user if may_own and data.get("assign_to_me") else None,
            default_source=Source.MANUAL,
            referred_by_client=data.get("referred_by_client"),
        )
        result = perform(form, lambda: intake_submit(raw=raw, ctx=ctx))
        if result:
            return _after_intake(request, result)
    status = 422 if form.errors else 200
    return render(request, "leads/lead_form.html", {"form": form}, status=status)


def _after_intake(request: AuthedRequest, result: Any) -> HttpResponse:
    user = request.user
    if result.kind == "interest":
        messages.info(
            request,
            _(
                "Saved as an interest: there is no named person with a phone or e-mail yet. "
                "Upgrade it when there is."
            ),
        )
        return redirect("leads:interests")
    if result.kind in ("contact", "client"):
        messages.warning(
            request,
            _("Already a %(kind)s: %(who)s. The contact was logged as a new touch and the manager told.")
            % {"kind": _("contact") if result.kind == "contact" else _("client"), "who": result.record},
        )
        return redirect("leads:list")
    visible = Lead.objects.visible_to(user).filter(pk=result.id).exists()
    if result.duplicate_of:
        text = _("This person is already lead #%(id)s; the contact was logged there as a new touch.") % {
            "id": result.id
        }
        if not visible:
            text += " " + _("Its owner was told.")
    else:
        text = _("Lead %(lead)s created.") % {"lead": result.record}
        if not visible:
            text += " " + _("It went to %(owner)s.") % {"owner": result.record.owner or _("the team queue")}
    if visible:
        return action_done(request, reverse("leads:detail", args=[result.id]), text)
    messages.success(request, text)
    return redirect("leads:list")
