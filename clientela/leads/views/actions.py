"""The card's actions, thin doors: the form parses, one service of `leads.services` writes, a broken
rule shows next to its field (422), a refused permission is the 403 page; dialog forms for HTMX,
their own page otherwise. One-click actions (start, take, merge) answer with a message on the card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from clientela.clients.models import Client
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import Action as RecordAction
from clientela.core.permissions import can, user_can
from clientela.leads import selectors
from clientela.leads.choices import QualificationItem
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
from clientela.leads.models import Lead
from clientela.leads.services import convert, edit, lifecycle, merge, refuse
from clientela.leads.views.card import Action, card_action, convert_action, required_items


def action_done(request: AuthedRequest, url: str, message: str) -> HttpResponse:
    """After a successful action: a message, then the card (a full reload for HTMX too)."""
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render_action(request: AuthedRequest, lead: Lead, act: Action) -> HttpResponse:
    """The action's form alone (HTMX, into its dialog) or on its own page; 422 when invalid."""
    status = 422 if act.form.is_bound and act.form.errors else 200
    context = {"lead": lead, "act": act}
    if request.htmx:
        return render(request, "leads/_action_form.html", context, status=status)
    return render(request, "leads/lead_action.html", context, status=status)


def _workable_lead(request: AuthedRequest, pk: int) -> Lead:
    """A visible lead this user may act on (403 if they only may look at it)."""
    lead = selectors.lead_get(viewer=request.user, pk=pk)
    if not can(request.user, lead, RecordAction.WORK):
        raise PermissionDenied(_("You cannot change this lead."))
    return lead


@login_required
def lead_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _workable_lead(request, pk)
    form = LeadEditForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        stored = selectors.lead_get(viewer=request.user, pk=pk)
        raw = {name: form.cleaned_data[name] for name in form.EDITABLE}
        if perform(
            form,
            lambda: edit.lead_edit(by=request.user, lead=stored, raw=raw, door="manual", only_changed=True),
        ):
            return action_done(request, reverse("leads:detail", args=[pk]), _("Lead saved."))
    return _render_action(request, lead, card_action("edit", lead, form))


@login_required
def lead_qualify(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _workable_lead(request, pk)
    form = QualificationForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        result = perform(
            form, lambda: lifecycle.lead_qualify(by=request.user, lead=lead, answers=form.answers())
        )
        if result:
            _lead, missing = result
            if missing:
                text = _("Checklist saved. Still missing: %(items)s.") % {
                    "items": ", ".join(str(QualificationItem(item).label) for item in missing)
                }
            else:
                text = _("Checklist saved: the lead is qualified.")
            return action_done(request, reverse("leads:detail", args=[pk]), text)
    return _render_action(request, lead, card_action("qualify", lead, form, required=required_items(lead)))


@login_required
def lead_convert(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _workable_lead(request, pk)
    form = ConvertForm(
        request.POST or None,
        initial=ConvertForm.initial_for(lead),
        clients=Client.objects.visible_to(user),
        owners=owner_candidates(user, lead.team),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        conversion = perform(
            form,
            lambda: convert.lead_convert(
                by=user,
                lead=lead,
                client=data["client"],
                client_name="" if data["client"] else data["client_name"],
                client_owner=data["client_owner"],
                contact_role=data["contact_role"],
                deal=form.deal_placeholder(),
                loyalty_reasons=data.get("loyalty_reasons") or [],
            ),
        )
        if conversion:
            text = _("Converted: %(contact)s at client %(client)s.") % {
                "contact": conversion.contact,
                "client": conversion.client,
            }
            # The work goes on where the lead went: its new deal, else its client.
            if conversion.deal is not None:
                text += " " + _("Deal “%(deal)s” started.") % {"deal": conversion.deal}
                target = reverse("deals:detail", args=[conversion.deal.pk])
            else:
                target = reverse("clients:detail", args=[conversion.client.pk])
            return action_done(request, target, text)
    return _render_action(request, lead, convert_action(request, lead, form))


@login_required
def convert_clients(request: AuthedRequest, pk: int) -> HttpResponse:
    """Client search inside the convert dialog: only clients this user may see."""
    lead = _workable_lead(request, pk)
    act = convert_action(request, lead)
    return render(request, "leads/_client_options.html", {"lead": lead, "act": act})


@login_required
def lead_refuse(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _workable_lead(request, pk)
    form = RefuseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = perform(
            form,
            lambda: refuse.lead_refuse(
                by=request.user,
                lead=lead,
                reason=data["reason"],
                note=data["note"],
                farewell=data["farewell"],
                postpone_until=data["postpone_until"],
            ),
        )
        if done:
            text = _("Lead refused: %(reason)s.") % {"reason": data["reason"]}
            if data["postpone_until"]:
                text += " " + _("It comes back on %(date)s.") % {"date": data["postpone_until"].isoformat()}
            return action_done(request, reverse("leads:detail", args=[pk]), text)
    return _render_action(request, lead, card_action("refuse", lead, form))


@login_required
def lead_postpone(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _workable_lead(request, pk)
    form = PostponeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        until = form.cleaned_data["until"]
        done = perform(
            form,
            lambda: refuse.lead_postpone(
                by=request.user, lead=lead, until=until, note=form.cleaned_data["note"]
            ),
        )
        if done:
            text = _("Lead postponed until %(date)s.") % {"date": until.isoformat()}
            return action_done(request, reverse("leads:detail", args=[pk]), text)
    return _render_action(request, lead, card_action("postpone", lead, form))


@login_required
def lead_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(viewer=user, pk=pk)
    if not user_can(user, "distribute_leads"):
        raise PermissionDenied(_("Only a head of sales can reassign leads."))
    form = AssignForm(request.POST or None, owners=owner_candidates(user, lead.team))
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data["owner"]
        done = perform(
            form,
            lambda: lifecycle.lead_assign(
                by=user, lead=lead, owner=owner, reason=form.cleaned_data["reason"]
            ),
        )
        if done:
            text = _("Lead assigned to %(owner)s.") % {"owner": owner or _("the team queue")}
            return action_done(request, reverse("leads:detail", args=[pk]), text)
    return _render_action(request, lead, card_action("assign", lead, form))


def _simple_action(request: AuthedRequest, pk: int, run: Callable[[Lead], Any], message: str) -> HttpResponse:
    """A one-click action without fields: errors come back as a message on the card."""
    lead = selectors.lead_get(viewer=request.user, pk=pk)
    url = reverse("leads:detail", args=[pk])
    try:
        run(lead)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return action_done(request, url, message)


@login_required
@require_POST
def lead_start(request: AuthedRequest, pk: int) -> HttpResponse:
    return _simple_action(
        request,
        pk,
        lambda lead: lifecycle.lead_start_work(by=request.user, lead=lead),
        _("The lead is in work."),
    )


@login_required
@require_POST
def lead_take(request: AuthedRequest, pk: int) -> HttpResponse:
    """A manager takes an unassigned lead of their team (the service checks the rule)."""
    return _simple_action(
        request,
        pk,
        lambda lead: lifecycle.lead_assign(by=request.user, lead=lead, owner=request.user),
        _("The lead is yours now."),
    )


@login_required
@require_POST
def lead_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    """Merge a duplicate candidate into this lead; both histories are kept."""
    user = request.user
    other_id = request.POST.get("other", "")
    if not other_id.isdigit():
        messages.error(request, _("Choose the lead to merge."))
        return redirect("leads:detail", pk=pk)
    other = selectors.lead_get(viewer=user, pk=int(other_id))
    return _simple_action(
        request,
        pk,
        lambda lead: merge.lead_merge(by=user, target=lead, other=other),
        _("Lead #%(id)s merged into this one; its history is below.") % {"id": other.pk},
    )


@transaction.atomic
@login_required
@require_POST
def lead_note(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(viewer=request.user, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid() and perform(
        form, lambda: lifecycle.lead_note_add(by=request.user, lead=lead, text=form.cleaned_data["text"])
    ):
        return action_done(request, reverse("leads:detail", args=[pk]), _("Note added."))
    context = {"lead": lead, "note_form": form}
    if request.htmx:
        return render(request, "leads/_note_form.html", context, status=422)
    return render(request, "leads/lead_note.html", context, status=422)
