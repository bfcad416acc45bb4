"""Client pages: the list (filters, saved views, search, export), the pickers' autocomplete, the
card, the create and edit forms, the card's buttons (archive, restore, delete, lost, reactivate)
and the clients settings (the card norm).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from clientela.clients import export, hooks, selectors
from clientela.clients.choices import ChurnReason, SavedViewList
from clientela.clients.completeness import card_completeness, norms
from clientela.clients.forms import INDUSTRIES, ClientForm, LostForm, PolicyForm
from clientela.clients.lists import CLIENTS
from clientela.clients.models import Client, ClientPolicy
from clientela.clients.rows import client_rows
from clientela.clients.services import client as client_services
from clientela.clients.services import handover as handover_services
from clientela.clients.services import loyalty
from clientela.clients.views.common import int_or_none, run_button
from clientela.clients.views.saved_view import saved_views
from clientela.core.audit import audit_bulk
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import paginate_bounded, paginate_matches, querystring
from clientela.core.permissions import Action, can, role_of, user_can
from clientela.core.roles import Role

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
    "abc_class",
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
        saved_views=saved_views(user, SavedViewList.CLIENTS, current_query),
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
    exclude = int_or_none(request.GET.get("exclude"))
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


# --- Client card ---------------------------------------------------------------------------------


def client_for_work(request: AuthedRequest, pk: int) -> Client:
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
        "lost_form": _lost_form(client, user) if may_work and not client.lost_at else None,
        "lost_reason_label": _lost_reason_label(client.lost_reason) if client.lost_at else "",
        "viewer": user,
        "reach_through": _reach_through(client) if may_work and not client.is_archived else None,
    }
    return render(request, "clients/client_detail.html", context)


def _reach_through(client: Client) -> dict[str, Any] | None:
    """The main contact whose phone or e-mail the card offers to use, and what it would fill."""
    if client.phone and client.email:
        return None
    contact = client_services.main_contact(client)
    values = client_services.contact_details_to_fill(client, contact)
    if not values:
        return None
    return {"contact": contact, "phone": values.get("phone", ""), "email": values.get("email", "")}


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
    hq_id = int_or_none(request.POST.get("headquarters") or request.GET.get("headquarters"))
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
    client = client_for_work(request, pk)
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
    client = client_for_work(request, pk)
    if run_button(request, lambda: client_services.client_archive(by=request.user, client=client)):
        messages.success(request, _("Client archived. It stays searchable under “Archived”."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    client = client_for_work(request, pk)
    if run_button(request, lambda: client_services.client_restore(by=request.user, client=client)):
        messages.success(request, _("Client restored."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    client = selectors.client_get(viewer=request.user, pk=pk)
    if run_button(request, lambda: client_services.client_delete(by=request.user, client=client)):
        messages.success(request, _("Client deleted."))
        return redirect("clients:list")
    return redirect("clients:detail", pk=pk)


def _lost_form(client: Client, viewer: Any, data: Any = None) -> Any:
    """The card's "mark lost" dialog: the provider's (retention: the taxonomy, the date, the exit
    questionnaire), else the built-in reasons."""
    decisions = hooks.status_decisions.one()
    if decisions is not None:
        return decisions.lost_form(client=client, viewer=viewer, data=data)
    return LostForm(data)


def _lost_reason_label(code: str) -> str:
    decisions = hooks.status_decisions.one()
    if decisions is not None:
        return str(decisions.reason_label(code))
    return str(ChurnReason(code).label) if code in ChurnReason.values else code


@login_required
@require_POST
def client_lost(request: AuthedRequest, pk: int) -> HttpResponse:
    client = client_for_work(request, pk)
    form = _lost_form(client, request.user, request.POST)
    if not form.is_valid():
        errors = [str(message) for messages_ in form.errors.values() for message in messages_]
        messages.error(request, " ".join(errors) or _("Choose why the client left."))
        return redirect("clients:detail", pk=pk)
    decisions = hooks.status_decisions.one()
    if decisions is not None:
        done = run_button(request, lambda: decisions.lose(by=request.user, client=client, form=form))
    else:
        done = run_button(
            request,
            lambda: client_services.client_mark_lost(
                by=request.user,
                client=client,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            ),
        )
    if done:
        messages.success(request, _("Client marked as lost."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_reactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    client = client_for_work(request, pk)
    decisions = hooks.status_decisions.one()
    note = str(request.POST.get("note", ""))
    if decisions is not None:
        done = run_button(request, lambda: decisions.win_back(by=request.user, client=client, note=note))
    else:
        done = run_button(request, lambda: client_services.client_reactivate(by=request.user, client=client))
    if done:
        messages.success(request, _("Client reactivated."))
    return redirect("clients:detail", pk=pk)


@login_required
@require_POST
def client_use_contact(request: AuthedRequest, pk: int) -> HttpResponse:
    """The card's one click: the client's empty phone and e-mail from its main contact."""
    client = client_for_work(request, pk)
    filled: list[str] = []

    def use() -> None:
        filled.extend(client_services.client_use_main_contact(by=request.user, client=client))

    if run_button(request, use):
        messages.success(request, _("The client's phone and e-mail now come from its main contact."))
    return redirect("clients:detail", pk=pk)


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
