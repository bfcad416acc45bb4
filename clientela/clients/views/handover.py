"""Handover pages: one client, the clients selected on the list or a whole portfolio to another
personal manager (heads and admins), and the summary the new manager gets.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clientela.clients import selectors
from clientela.clients.forms import HandoverForm, HandoverPortfolioForm
from clientela.clients.services import client as client_services
from clientela.clients.services import handover as handover_services
from clientela.clients.views.client import client_for_work
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest, safe_next
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

# --- Handover ------------------------------------------------------------------------------------


def _require_hand_over(user: User) -> None:
    if not handover_services.can_hand_over(user):
        raise PermissionDenied(_("Only a head of sales or an admin hands clients over."))


@login_required
def client_handover(request: AuthedRequest, pk: int) -> HttpResponse:
    """Hand one client to another manager."""
    user = request.user
    _require_hand_over(user)
    client = client_for_work(request, pk)
    form = HandoverForm(
        request.POST or None, people=client_services.owner_candidates(user).exclude(pk=client.owner_id or 0)
    )
    if request.method == "POST" and form.is_valid():
        handover = perform(
            form,
            lambda: handover_services.client_handover(
                by=user,
                clients=[client],
                to_user=form.cleaned_data["to_user"],
                note=form.cleaned_data["note"],
            ),
        )
        if handover:
            messages.success(
                request,
                _("%(client)s handed over to %(user)s.") % {"client": client, "user": handover.to_user},
            )
            return redirect("clients:handover", pk=handover.pk)
    return render(
        request,
        "clients/handover_form.html",
        {"form": form, "client": client, "title": _("Hand over %(client)s") % {"client": client}},
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def client_handover_many(request: AuthedRequest) -> HttpResponse:
    """Hand over the clients selected on the list, or a manager's whole portfolio."""
    user = request.user
    _require_hand_over(user)
    people = client_services.owner_candidates(user)
    back = safe_next(request, reverse("clients:list"))
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    if request.method == "POST" and ids:
        form: HandoverForm = HandoverForm(request.POST, people=people)
        clients = list(selectors.clients_visible_to(user).filter(pk__in=ids))
        if len(clients) != len(set(ids)):
            messages.error(
                request, _("Some selected clients are no longer available to you; nothing changed.")
            )
            return redirect(back)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return redirect(back)
        handover = perform(
            form,
            lambda: handover_services.client_handover(
                by=user, clients=clients, to_user=form.cleaned_data["to_user"], note=form.cleaned_data["note"]
            ),
        )
        if not handover:
            for error in form.non_field_errors() + form.errors.get("to_user", []):
                messages.error(request, str(error))
            return redirect(back)
        messages.success(
            request,
            _("%(count)d clients handed over to %(user)s.")
            % {"count": handover.items.count(), "user": handover.to_user},
        )
        return redirect("clients:handover", pk=handover.pk)
    # Someone who left (deactivated) still has a portfolio to hand over.
    sources = (
        users_visible_to(user).filter(clients__isnull=False).distinct().order_by("first_name", "username")
    )
    form = HandoverPortfolioForm(request.POST or None, people=people, sources=sources)
    if request.method == "POST" and form.is_valid():
        handover = perform(
            form,
            lambda: handover_services.client_handover_all(
                by=user,
                from_user=form.cleaned_data["from_user"],
                to_user=form.cleaned_data["to_user"],
                note=form.cleaned_data["note"],
            ),
        )
        if handover:
            messages.success(
                request,
                _("%(count)d clients handed over to %(user)s.")
                % {"count": handover.items.count(), "user": handover.to_user},
            )
            return redirect("clients:handover", pk=handover.pk)
    return render(
        request,
        "clients/handover_form.html",
        {"form": form, "client": None, "title": _("Hand over a portfolio")},
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def handover_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The summary the new personal manager gets: each relationship at a glance."""
    handover = selectors.handover_get(viewer=request.user, pk=pk)
    summary = selectors.handover_summary(viewer=request.user, handover=handover)
    return render(
        request,
        "clients/handover_detail.html",
        {
            "handover": handover,
            "summary": summary,
            "card_sections": selectors.client_card_sections(),
            "viewer": request.user,
        },
    )
