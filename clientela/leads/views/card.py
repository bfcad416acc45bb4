"""The lead card: timeline, duplicate candidates, score factors, completeness and the qualification
checklist, the converted lead's client and deals, and the quick actions this user may take now
(each an `Action` with a fresh form, posted to `views/actions.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.models import Client
from clientela.core.http import AuthedRequest
from clientela.core.permissions import Action as RecordAction
from clientela.core.permissions import can, role_of, user_can
from clientela.core.roles import Role
from clientela.deals.models import Deal
from clientela.leads import selectors
from clientela.leads.choices import LeadEventKind, LeadStatus, QualificationItem, Source
from clientela.leads.forms import (
    AssignForm,
    ConvertForm,
    LeadEditForm,
    NoteForm,
    PostponeForm,
    QualificationForm,
    RefuseForm,
    owner_candidates,
)
from clientela.leads.models import Lead, LeadPolicy
from clientela.leads.scoring import explain
from clientela.users.models import User

EVENT_ICONS = {
    LeadEventKind.CREATED: "ti-sparkles",
    LeadEventKind.TOUCH: "ti-hand-finger",
    LeadEventKind.STATUS: "ti-arrows-exchange",
    LeadEventKind.ASSIGNED: "ti-user-share",
    LeadEventKind.TEMPERATURE: "ti-temperature",
    LeadEventKind.QUALIFICATION: "ti-checklist",
    LeadEventKind.CONVERTED: "ti-building-store",
    LeadEventKind.REFUSED: "ti-circle-x",
    LeadEventKind.POSTPONED: "ti-calendar-pause",
    LeadEventKind.RETURNED: "ti-calendar-event",
    LeadEventKind.MERGED: "ti-git-merge",
    LeadEventKind.EDITED: "ti-pencil",
    LeadEventKind.NOTE: "ti-note",
    LeadEventKind.FAREWELL: "ti-mail",
}
TIMELINE_LIMIT = 200


def _completeness(lead: Lead) -> dict[str, Any]:
    """The lead card norm (SPEC §2): name, phone or e-mail, interest, company, source."""
    checks = [
        (_("Name"), bool(lead.full_name)),
        (_("Phone or e-mail"), bool(lead.phone or lead.email)),
        (_("Interested in"), bool(lead.product)),
        (_("Company"), bool(lead.company_name)),
        (_("Source"), bool(lead.source) and lead.source != Source.OTHER),
    ]
    filled = sum(ok for _label, ok in checks)
    return {
        "filled": filled,
        "total": len(checks),
        "percent": round(100 * filled / len(checks)),
        "missing": [label for label, ok in checks if not ok],
        "normal": filled >= 3,
    }


def required_items(lead: Lead) -> set[str]:
    """The checklist items the lead's team requires (read only: no policy row is created here)."""
    policy = LeadPolicy.objects.filter(team_id=lead.team_id).first() if lead.team_id else None
    return set((policy or LeadPolicy()).required_items)


def _qualification(lead: Lead, required: set[str]) -> list[dict[str, Any]]:
    answers = lead.qualification or {}
    return [
        {"name": value, "label": label, "checked": bool(answers.get(value)), "required": value in required}
        for value, label in QualificationItem.choices
    ]


@dataclass
class Action:
    """A quick action of the card: its form, where it posts, and how it is labelled."""

    name: str
    title: Any
    submit: Any
    form: Form
    url: str
    button: str = "btn-primary"
    icon: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


ACTION_META: dict[str, tuple[Any, Any, str, str]] = {
    # name: (title, submit label, button class, icon)
    "edit": (gettext_lazy("Edit lead"), gettext_lazy("Save"), "btn-primary", "ti-pencil"),
    "qualify": (
        gettext_lazy("Qualification checklist"),
        gettext_lazy("Save checklist"),
        "btn-primary",
        "ti-checklist",
    ),
    "convert": (
        gettext_lazy("Convert to client"),
        gettext_lazy("Convert"),
        "btn-success",
        "ti-building-store",
    ),
    "refuse": (gettext_lazy("Refuse"), gettext_lazy("Refuse"), "btn-danger", "ti-circle-x"),
    "postpone": (gettext_lazy("Postpone"), gettext_lazy("Postpone"), "btn-warning", "ti-calendar-pause"),
    "assign": (gettext_lazy("Reassign"), gettext_lazy("Reassign"), "btn-primary", "ti-user-share"),
}


def card_action(name: str, lead: Lead, form: Form, **extra: Any) -> Action:
    title, submit, button, icon = ACTION_META[name]
    return Action(
        name=name,
        title=title,
        submit=submit,
        form=form,
        url=reverse(f"leads:{name}", args=[lead.pk]),
        button=button,
        icon=icon,
        extra=extra,
    )


def _client_matches(user: User, q: str, lead: Lead) -> list[Client]:
    clients = Client.objects.visible_to(user).filter(is_archived=False)
    term = " ".join(q.split()) or lead.company_name
    if not term:
        return []
    return list(clients.filter(name__icontains=term).order_by("name")[:10])


def convert_action(request: AuthedRequest, lead: Lead, form: ConvertForm | None = None) -> Action:
    user = request.user
    if form is None:
        form = ConvertForm(
            initial=ConvertForm.initial_for(lead),
            clients=Client.objects.visible_to(user),
            owners=owner_candidates(user, lead.team),
        )
    q = request.GET.get("client_q", "") or request.POST.get("client_q", "")
    matches = _client_matches(user, q, lead)
    chosen = form.data.get("client") if form.is_bound else None
    selected = str(chosen) if chosen else ""
    if selected and selected.isdigit() and all(str(c.pk) != selected for c in matches):
        matches = [*Client.objects.visible_to(user).filter(pk=int(selected)), *matches]
    return card_action(
        "convert",
        lead,
        form,
        client_q=q,
        client_matches=matches,
        selected_client=selected,
        clients_url=reverse("leads:convert_clients", args=[lead.pk]),
    )


def _card_actions(
    request: AuthedRequest, lead: Lead, may_work: bool, required: set[str]
) -> dict[str, Action]:
    """The actions this user may take on this lead now, with fresh forms."""
    user = request.user
    actions: dict[str, Action] = {}
    closed = lead.merged_into_id is not None or lead.status == LeadStatus.CONVERTED
    if may_work and lead.merged_into_id is None:
        actions["edit"] = card_action("edit", lead, LeadEditForm(lead=lead))
    if may_work and not closed:
        actions["qualify"] = card_action("qualify", lead, QualificationForm(lead=lead), required=required)
        actions["convert"] = convert_action(request, lead)
        if lead.status != LeadStatus.REFUSED:
            actions["refuse"] = card_action("refuse", lead, RefuseForm())
        actions["postpone"] = card_action("postpone", lead, PostponeForm())
    if user_can(user, "distribute_leads") and lead.merged_into_id is None:
        actions["assign"] = card_action(
            "assign",
            lead,
            AssignForm(initial={"owner": lead.owner_id}, owners=owner_candidates(user, lead.team)),
        )
    return actions


@login_required
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(viewer=user, pk=pk)
    may_work = can(user, lead, RecordAction.WORK)
    events = list(selectors.lead_history(lead=lead)[: TIMELINE_LIMIT + 1])
    for event in events:
        event.icon = EVENT_ICONS.get(event.kind, "ti-point")  # type: ignore[attr-defined]
    candidates = (
        selectors.fuzzy_candidates(viewer=user, lead=lead)
        if lead.merged_into_id is None and lead.status != LeadStatus.CONVERTED
        else []
    )
    can_take = (
        role_of(user) == Role.MANAGER
        and lead.owner_id is None
        and lead.team_id == user.team_id
        and lead.merged_into_id is None
    )
    required = required_items(lead)
    context = {
        "lead": lead,
        "events": events[:TIMELINE_LIMIT],
        "more_events": len(events) > TIMELINE_LIMIT,
        "candidates": candidates,
        "may_work": may_work,
        "may_merge": may_work and lead.merged_into_id is None and lead.status != LeadStatus.CONVERTED,
        "can_take": can_take,
        "can_start": may_work
        and not can_take
        and lead.status == LeadStatus.NEW
        and lead.merged_into_id is None,
        "actions": _card_actions(request, lead, may_work, required),
        "note_form": NoteForm(),
        "factors": explain(lead.score_factors),
        "completeness": _completeness(lead),
        "checklist": _qualification(lead, required),
        "now": timezone.now(),
        "client_url": _client_url(lead),
        # The client who recommended the lead, when the viewer sees it (its name is theirs to see).
        "referrer": Client.objects.visible_to(user).filter(pk=lead.referred_by_client_id).first()
        if lead.referred_by_client_id
        else None,
        "deals": _lead_deals(user, lead),
        "new_deal_url": _new_deal_url(lead) if may_work and user_can(user, "work_records") else "",
    }
    return render(request, "leads/lead_detail.html", context)


def _lead_deals(user: User, lead: Lead) -> list[Deal]:
    """Deals started from this lead that the viewer may see (no amounts on the card)."""
    if not lead.client_id:
        return []
    return list(
        Deal.objects.visible_to(user)
        .filter(source_lead=lead)
        .select_related("stage", "pipeline")
        .order_by("-created_at", "-id")[:10]
    )


def _new_deal_url(lead: Lead) -> str:
    """A converted lead's "start a deal" link (the deal form, prefilled from the lead)."""
    if lead.status != LeadStatus.CONVERTED or not lead.client_id:
        return ""
    try:
        return reverse("deals:create") + "?" + urlencode({"lead": lead.pk})
    except NoReverseMatch:
        return ""


def _client_url(lead: Lead) -> str:
    if not lead.client_id:
        return ""
    try:
        return reverse("clients:detail", args=[lead.client_id])
    except NoReverseMatch:
        return ""
