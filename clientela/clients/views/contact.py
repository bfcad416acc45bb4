"""Contact pages: the list (filters, saved views, export), the card with its employment history,
the create and edit forms, archive/restore, and the move to another client.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from clientela.clients import export, selectors
from clientela.clients.choices import SavedViewList
from clientela.clients.forms import ContactForm, ContactMoveForm
from clientela.clients.lists import CONTACTS
from clientela.clients.models import Client, Contact
from clientela.clients.services import contact as contact_services
from clientela.clients.views.client import client_for_work
from clientela.clients.views.common import int_or_none, run_button
from clientela.clients.views.saved_view import saved_views
from clientela.core.audit import audit_bulk
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import paginate_bounded, querystring
from clientela.core.permissions import Action, can, user_can

# --- Contacts ------------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def contact_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    state = CONTACTS.read(request)
    rows, pager = paginate_bounded(selectors.contact_list(viewer=user, filters=state.values), request)
    context = state.context(
        contacts=rows,
        pager=pager,
        saved_views=saved_views(user, SavedViewList.CONTACTS, state.current_query),
        show_team=bool(state.options["team"]),
        can_export=user_can(user, "work_records"),
        export_query=querystring(state.current, sort=state.sort),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "clients/contact_list.html#contact-table", context)
    return render(request, "clients/contact_list.html", context)


@login_required
def contact_export(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    if not user_can(user, "work_records"):
        raise PermissionDenied(_("You do not have permission to do this."))
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    state = CONTACTS.read(request)
    form = state.form
    audit_bulk(
        actor=user,
        model=Contact,
        event="export",
        details={"format": fmt, "filters": {k: v for k, v in form.cleaned_data.items() if v}},
    )
    return export.export_contacts(selectors.contact_list(viewer=user, filters=state.values), fmt)


def _contact_for_work(request: AuthedRequest, pk: int) -> Contact:
    contact = selectors.contact_get(viewer=request.user, pk=pk)
    if not can(request.user, contact, Action.WORK):
        raise PermissionDenied(_("You cannot change this contact."))
    return contact


@login_required
def contact_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(viewer=request.user, pk=pk)
    return render(
        request,
        "clients/contact_detail.html",
        {
            "contact": contact,
            "history": selectors.contact_history(contact=contact),
            "source_leads": list(contact.source_leads.select_related("owner").order_by("-converted_at")),
            "may_work": can(request.user, contact, Action.WORK),
        },
    )


@login_required
def contact_create(request: AuthedRequest, pk: int) -> HttpResponse:
    client = client_for_work(request, pk)
    form = ContactForm(request.POST or None, initial={"preferred_language": ""})
    if request.method == "POST" and form.is_valid():
        contact = perform(
            form, lambda: contact_services.contact_create(by=request.user, client=client, data=form.values())
        )
        if contact:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact})
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/contact_form.html",
        {
            "form": form,
            "client": client,
            "contact": None,
            "title": _("New contact at %(client)s") % {"client": client},
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = _contact_for_work(request, pk)
    form = ContactForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes or perform(
            form, lambda: contact_services.contact_update(by=request.user, contact=contact, data=changes)
        ):
            messages.success(request, _("Contact saved."))
            return redirect("clients:contact_detail", pk=pk)
    return render(
        request,
        "clients/contact_form.html",
        {
            "form": form,
            "client": contact.client,
            "contact": contact,
            "title": _("Edit %(name)s") % {"name": contact},
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def contact_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = _contact_for_work(request, pk)
    if run_button(request, lambda: contact_services.contact_archive(by=request.user, contact=contact)):
        messages.success(request, _("Contact archived."))
    return redirect("clients:contact_detail", pk=pk)


@login_required
@require_POST
def contact_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = _contact_for_work(request, pk)
    if run_button(request, lambda: contact_services.contact_restore(by=request.user, contact=contact)):
        messages.success(request, _("Contact restored."))
    return redirect("clients:contact_detail", pk=pk)


@login_required
def contact_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """The person moved to another client: history kept, the old period closed."""
    contact = _contact_for_work(request, pk)
    choice_id = int_or_none(request.POST.get("to_client"))
    choice = Client.objects.visible_to(request.user).filter(pk=choice_id).first() if choice_id else None
    form = ContactMoveForm(request.POST or None, choice=choice)
    if request.method == "POST" and form.is_valid():
        if choice is None:
            form.add_error("to_client", _("Choose a client you can see."))
        else:
            data = form.cleaned_data
            moved = perform(
                form,
                lambda: contact_services.contact_move(
                    by=request.user,
                    contact=contact,
                    to_client=choice,
                    on=data.get("on"),
                    position=data.get("position") or None,
                    role=data.get("role") or None,
                ),
            )
            if moved:
                messages.success(
                    request, _("%(name)s now works at %(client)s.") % {"name": contact, "client": choice}
                )
                return redirect("clients:contact_detail", pk=pk)
    return render(
        request,
        "clients/contact_move.html",
        {"form": form, "contact": contact, "title": _("Move %(name)s to another client") % {"name": contact}},
        status=422 if form.is_bound and form.errors else 200,
    )
