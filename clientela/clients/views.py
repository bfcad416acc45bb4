"""Client and contact pages: lists (filters, saved views, search, export), cards, forms, handover.

Thin doors: forms parse, `clients.selectors` read (scoped to the viewer), `clients.services`
write. A business rule broken shows next to its field; a permission refused by a service is
the 403 page; records the viewer may not see are 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from clientela.clients import export, selectors
from clientela.clients.choices import SavedViewList
from clientela.clients.completeness import card_completeness, norms
from clientela.clients.forms import (
    INDUSTRIES,
    ClientForm,
    ContactForm,
    ContactMoveForm,
    HandoverForm,
    HandoverPortfolioForm,
    LostForm,
    PolicyForm,
)
from clientela.clients.lists import CLIENTS, CONTACTS
from clientela.clients.models import Client, ClientPolicy, Contact, SavedView
from clientela.clients.rows import client_rows
from clientela.clients.services import client as client_services
from clientela.clients.services import contact as contact_services
from clientela.clients.services import handover as handover_services
from clientela.clients.services import loyalty
from clientela.clients.services import saved_view as saved_view_services
from clientela.core.audit import audit_bulk
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.lists import paginate_bounded, paginate_matches, querystring
from clientela.core.permissions import Action, can, role_of, user_can
from clientela.core.roles import Role
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

# --- small helpers -------------------------------------------------------------------------------


def _run(request: HttpRequest, action: Callable[[], Any]) -> bool:
    """Run a button's service: a business error becomes a message; a refusal is 403."""
    try:
        action()
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return False
    return True


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


def _saved_views(user: User, list_name: str, current_query: str) -> list[dict[str, Any]]:
    return [
        {"name": view.name, "query": view.query, "active": view.query == current_query}
        for view in SavedView.objects.filter(user=user, list_name=list_name)
    ]


# --- Clients list --------------------------------------------------------------------------------


LIST_ROW_FIELDS = (
    "kind",
    "name",
    "legal_form",
    "tax_id",
    "industry",
    "city",
    "country",
    "is_archived",
    "created_at",
    "lost_at",
    "last_contact_at",
    "completeness_filled",
    "headquarters__name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "team__name",
)


@login_required
@vary_on_headers("HX-Request")
def client_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    state = CLIENTS.read(request)
    filters = state.values
    policy = ClientPolicy.current()
    # The page loads only the columns its rows show (clients.rows): a client row has ~50.
    clients = (
        selectors.client_list(viewer=user, filters=filters, policy=policy)
        .only(*LIST_ROW_FIELDS)
        .prefetch_related(None)  # the rows read tag names themselves (clients.rows.tag_names)
    )
    if filters.q:
        # The search condition is the costly part: work it out once (ids), then load the page.
        unsearched = filters.replace(q="")
        rows, pager = paginate_matches(
            clients,
            request,
            lambda ids: (
                selectors.client_list(viewer=user, filters=unsearched, policy=policy)
                .only(*LIST_ROW_FIELDS)
                .prefetch_related(None)
                .filter(pk__in=ids)
            ),
        )
    else:
        parts = CLIENTS.count_parts(user, filters, policy=policy)
        rows, pager = paginate_bounded(clients, request, count_parts=parts)
    by_kind = norms(policy)
    for row in rows:
        norm = by_kind.get(row.kind, by_kind["company"])
        row.completeness_normal = row.completeness_filled >= norm.minimum
    current_query = state.current_query
    can_hand_over = handover_services.can_hand_over(user)
    context = state.context(
        clients=rows,
        client_rows=client_rows(rows, can_hand_over=can_hand_over),
        pager=pager,
        saved_views=_saved_views(user, SavedViewList.CLIENTS, current_query),
        show_team=bool(state.options["team"]),
        can_create=user_can(user, "work_records"),
        can_export=user_can(user, "work_records"),
        can_hand_over=can_hand_over,
        handover_people=state.options["owner"] if can_hand_over else [],
        industries=INDUSTRIES,
        list_url=request.get_full_path(),
        export_query=querystring(state.current, sort=filters.ordering),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "clients/client_list.html#client-table", context)
    return render(request, "clients/client_list.html", context)


@login_required
def client_export(request: AuthedRequest) -> HttpResponseBase:
    """The list as CSV or XLSX, with the same filters and the same scope as on screen."""
    user = request.user
    if not user_can(user, "work_records"):
        # Marketers see no clients (SPEC §1); nobody else exports what they cannot open.
        raise PermissionDenied(_("You do not have permission to do this."))
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    state = CLIENTS.read(request)
    form = state.form
    clients = selectors.client_list(viewer=user, filters=state.values)
    audit_bulk(
        actor=user,
        model=Client,
        event="export",
        details={"format": fmt, "filters": {k: v for k, v in form.cleaned_data.items() if v}},
    )
    return export.export_clients(clients, fmt)


@login_required
def client_autocomplete(request: AuthedRequest) -> JsonResponse:
    """Pickers: `[{"id", "text"}]` of working clients the viewer may see."""
    exclude = _int(request.GET.get("exclude"))
    clients = selectors.client_autocomplete(
        viewer=request.user, q=request.GET.get("q", "")[:200], exclude=exclude
    )
    items = []
    for client in clients:
        where = ", ".join(part for part in (client.city, client.country) if part)
        text = (
            client.name + (f" · {where}" if where else "") + (f" · {client.tax_id}" if client.tax_id else "")
        )
        items.append({"id": client.pk, "text": text})
    return JsonResponse({"items": items})


@login_required
@require_POST
def saved_view_save(request: AuthedRequest) -> HttpResponse:
    """Remember the current filters under a name (kept per person)."""
    list_name = request.POST.get("list", SavedViewList.CLIENTS)
    if list_name not in SavedViewList.values:
        raise Http404
    target = reverse("clients:list" if list_name == SavedViewList.CLIENTS else "clients:contacts")
    query = request.POST.get("query", "?")
    try:
        saved_view_services.saved_view_save(
            user=request.user, list_name=list_name, name=request.POST.get("name", ""), query=query
        )
    except BusinessError as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms) or exc.message)
        return redirect(target + (query if query.startswith("?") else ""))
    messages.success(request, _("View “%(name)s” saved.") % {"name": request.POST.get("name", "").strip()})
    return redirect(target + (query if query.startswith("?") else ""))


@login_required
@require_POST
def saved_view_delete(request: AuthedRequest) -> HttpResponse:
    list_name = request.POST.get("list", SavedViewList.CLIENTS)
    if list_name not in SavedViewList.values:
        raise Http404
    name = request.POST.get("name", "")
    saved_view_services.saved_view_delete(user=request.user, list_name=list_name, name=name)
    messages.success(request, _("View “%(name)s” removed.") % {"name": name})
    return redirect("clients:list" if list_name == SavedViewList.CLIENTS else "clients:contacts")


# --- Client card ---------------------------------------------------------------------------------


def _client_for_work(request: AuthedRequest, pk: int) -> Client:
    client = selectors.client_get(viewer=request.user, pk=pk)
    if not can(request.user, client, Action.WORK):
        raise PermissionDenied(_("You cannot change this client."))
    return client


@login_required
def client_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    policy = ClientPolicy.current()
    client = selectors.client_get(viewer=user, pk=pk, policy=policy)
    may_work = can(user, client, Action.WORK)
    branches, hidden_branches = selectors.client_branches(viewer=user, client=client)
    is_hq = bool(branches or hidden_branches)
    context = {
        "client": client,
        "status": client.status,  # type: ignore[attr-defined]
        "completeness": card_completeness(client, policy=policy),
        "contacts": selectors.client_contacts(client=client),
        "former_contacts": selectors.former_contacts(client=client),
        "source_leads": selectors.client_source_leads(client=client),
        "branches": branches,
        "hidden_branches": hidden_branches,
        "is_hq": is_hq,
        "figures": selectors.client_family_figures(client=client, viewer=user) if is_hq else None,
        "headquarters_visible": bool(
            client.headquarters_id
            and Client.objects.visible_to(user).filter(pk=client.headquarters_id).exists()
        ),
        "timeline": selectors.client_timeline(client=client),
        "card_sections": selectors.client_card_sections(),
        "family_ids": selectors.client_family_ids(client),
        "tags": list(client.tags.all()),
        "price_list": loyalty.client_price_list(client),
        "may_work": may_work,
        "can_hand_over": handover_services.can_hand_over(user) and may_work,
        "can_delete": user_can(user, "manage_settings") and client_services.client_can_delete(client),
        "lost_form": LostForm(),
        "viewer": user,
    }
    return render(request, "clients/client_detail.html", context)


def _headquarters_from(request: AuthedRequest, form: ClientForm) -> Client | str | None:
    """The chosen head office (only one the viewer may see), None for none, or "invalid"."""
    hq_id = form.cleaned_data.get("headquarters")
    if not hq_id:
        return None
    hq = Client.objects.visible_to(request.user).filter(pk=hq_id).first()
    if hq is None:
        form.add_error("headquarters", _("Choose a client you can see."))
        return "invalid"
    return hq


def _hq_choice(request: AuthedRequest) -> Client | None:
    hq_id = _int(request.POST.get("headquarters") or request.GET.get("headquarters"))
    return Client.objects.visible_to(request.user).filter(pk=hq_id).first() if hq_id else None


@login_required
def client_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user_can(user, "work_records"):
        raise PermissionDenied(_("You do not have permission to do this."))
    owners = client_services.owner_candidates(user) if role_of(user) in (Role.HEAD, Role.ADMIN) else None
    initial: dict[str, Any] = {"kind": "company", "country": user.team.default_country if user.team else ""}
    if owners is not None and role_of(user) == Role.HEAD:
        initial["owner"] = user.pk
    form = ClientForm(
        request.POST or None, owners=owners, hq_choice=_hq_choice(request), initial=initial, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        hq = _headquarters_from(request, form)
        if hq != "invalid":
            owner = form.cleaned_data.get("owner") if owners is not None else None
            client = perform(
                form,
                lambda: client_services.client_create(
                    by=user,
                    data=form.values(),
                    owner=owner,
                    headquarters=hq if isinstance(hq, Client) else None,
                    tags=form.tag_names(),
                ),
            )
            if client:
                messages.success(request, _("Client %(name)s created.") % {"name": client})
                return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "title": _("New client"), "industries": INDUSTRIES, "client": None},
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def client_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client_for_work(request, pk)
    form = ClientForm(request.POST or None, client=client, hq_choice=_hq_choice(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        hq = _headquarters_from(request, form)
        if hq != "invalid":
            hq_change: Client | str | None = (
                hq if (hq.pk if isinstance(hq, Client) else None) != client.headquarters_id else "unchanged"
            )
            tags = form.tag_names()
            current_tags = sorted(t.name for t in client.tags.all())
            result = perform(
                form,
                lambda: client_services.client_update(
                    by=request.user,
                    client=client,
                    data=form.changes(),
                    headquarters=hq_change,
                    tags=tags if sorted(tags) != current_tags else None,
                ),
            )
            if result:
                messages.success(request, _("Client saved."))
                return redirect("clients:detail", pk=pk)
    return render(
        request,
        "clients/client_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": client},
            "industries": INDUSTRIES,
            "client": client,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def client_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client_for_work(request, pk)
    if _run(request, lambda: client_services.client_archive(by=request.user, client=client)):
        messages.success(request, _("Client archived. It stays searchable under “Archived”."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client_for_work(request, pk)
    if _run(request, lambda: client_services.client_restore(by=request.user, client=client)):
        messages.success(request, _("Client restored."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(viewer=request.user, pk=pk)
    if _run(request, lambda: client_services.client_delete(by=request.user, client=client)):
        messages.success(request, _("Client deleted."))
        return redirect("clients:list")
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_lost(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client_for_work(request, pk)
    form = LostForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the client left."))
        return redirect("clients:detail", pk=pk)
    if _run(
        request,
        lambda: client_services.client_mark_lost(
            by=request.user, client=client, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        ),
    ):
        messages.success(request, _("Client marked as lost."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_reactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client_for_work(request, pk)
    if _run(request, lambda: client_services.client_reactivate(by=request.user, client=client)):
        messages.success(request, _("Client reactivated."))
    return redirect("clients:detail", pk=pk)


# --- Handover ------------------------------------------------------------------------------------


def _require_hand_over(user: User) -> None:
    if not handover_services.can_hand_over(user):
        raise PermissionDenied(_("Only a head of sales or an admin hands clients over."))


@login_required
def client_handover(request: AuthedRequest, pk: int) -> HttpResponse:
    """Hand one client to another manager."""
    user = request.user
    _require_hand_over(user)
    client = _client_for_work(request, pk)
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


# --- Settings ------------------------------------------------------------------------------------


@login_required
def client_settings(request: AuthedRequest) -> HttpResponse:
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied(_("You do not have permission to do this."))
    policy = ClientPolicy.current()
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        # The service reads the stored row itself, so the audit shows old → new.
        data = {name: form.cleaned_data[name] for name in form.fields}
        if perform(form, lambda: client_services.client_policy_update(by=request.user, data=data)):
            messages.success(request, _("Settings saved."))
            return redirect("clients:settings")
    return render(request, "clients/settings.html", {"form": form}, status=422 if form.errors else 200)


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
        saved_views=_saved_views(user, SavedViewList.CONTACTS, state.current_query),
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
    client = _client_for_work(request, pk)
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
    if _run(request, lambda: contact_services.contact_archive(by=request.user, contact=contact)):
        messages.success(request, _("Contact archived."))
    return redirect("clients:contact_detail", pk=pk)


@login_required
@require_POST
def contact_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = _contact_for_work(request, pk)
    if _run(request, lambda: contact_services.contact_restore(by=request.user, contact=contact)):
        messages.success(request, _("Contact restored."))
    return redirect("clients:contact_detail", pk=pk)


@login_required
def contact_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """The person moved to another client: history kept, the old period closed."""
    contact = _contact_for_work(request, pk)
    choice_id = _int(request.POST.get("to_client"))
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
