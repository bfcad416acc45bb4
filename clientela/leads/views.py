"""Lead and interest pages: the list, the card with its quick actions, interests, manual entry.

Thin doors: forms parse and normalise, `leads.selectors` read (scoped to the viewer), and
`leads.services` / `intake.pipeline` write. A business rule broken shows next to its field; a
permission refused by a service is the 403 page; invisible records are 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, push_url

from clientela.clients import services as client_services
from clientela.clients.models import Client, SavedView
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.lists import paginate_bounded, querystring
from clientela.core.permissions import Action as RecordAction
from clientela.core.permissions import can, get_visible_or_404, role_of, user_can
from clientela.core.roles import Role
from clientela.deals.models import Deal
from clientela.leads import selectors
from clientela.leads.choices import LeadEventKind, LeadStatus, QualificationItem, Source
from clientela.leads.forms import (
    AssignForm,
    BulkForm,
    ConvertForm,
    InterestFilterForm,
    InterestUpgradeForm,
    LeadEditForm,
    NoteForm,
    PostponeForm,
    QualificationForm,
    RefuseForm,
    active_reasons,
    owner_candidates,
)
from clientela.leads.lists import LEADS
from clientela.leads.models import Interest, Lead, LeadPolicy, RefusalReason
from clientela.leads.scoring import explain
from clientela.leads.services import bulk, convert, edit, lifecycle, merge, refuse, upgrade
from clientela.leads.services.lifecycle import lead_event
from clientela.leads.tasks import lead_from_questionnaire_token
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

# Saved views live in the clients app's SavedView table under this list name.
SAVED_VIEWS_LIST = "leads"
MAX_SAVED_VIEWS = 12


# --- small helpers -------------------------------------------------------------------------


def _optional_url(name: str) -> str:
    """The URL called `name`, or "" while the capability that serves it has not landed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _is_visible(user: Any, model: type[Lead], pk: int) -> bool:
    return model.objects.visible_to(user).filter(pk=pk).exists()


def _partial(request: AuthedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A list's table for HTMX, with the address bar showing only the filters in use."""
    response = render(request, template, context)
    query = querystring(request.GET, page=request.GET.get("page") if request.GET.get("page") != "1" else None)
    return push_url(response, request.path + (query if query != "?" else ""))


def action_done(request: AuthedRequest, url: str, message: str) -> HttpResponse:
    """After a successful action: a message, then the card (a full reload for HTMX too)."""
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# --- the list ------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def lead_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    state = LEADS.read(request)
    leads = state.narrow(selectors.lead_list(viewer=user, filters=state.values))
    rows, pager = paginate_bounded(leads, request)
    current_query = state.current_query
    context = state.context(
        leads=rows,
        pager=pager,
        saved_views=[{**view, "active": view["query"] == current_query} for view in _saved_views(user)],
        show_team=bool(state.options["team"]),
        can_distribute=user_can(user, "distribute_leads"),
        can_refuse=user_can(user, "work_records"),
        bulk_owners=state.options["owner"],
        reasons=list(active_reasons()) if user_can(user, "work_records") else [],
        can_create=selectors.may_create_leads(user),
        import_url=_optional_url("imports:list") if selectors.may_create_leads(user) else "",
        forms_url=_optional_url("intake:form_list") if user_can(user, "manage_intake") else "",
        list_url=request.get_full_path(),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return _partial(request, "leads/lead_list.html#lead-table", context)
    return render(request, "leads/lead_list.html", context)


@login_required
@require_POST
def lead_bulk(request: AuthedRequest) -> HttpResponse:
    """Assign or refuse many leads: all in one transaction with one bulk audit entry, or nothing."""
    user = request.user
    back = safe_next(request, reverse("leads:list"))
    form = BulkForm(request.POST)
    action = request.POST.get("action", "")
    if action == "assign" and not user_can(user, "distribute_leads"):
        raise PermissionDenied(_("Only a head of sales can reassign leads."))
    if action == "refuse" and not user_can(user, "work_records"):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    ids: list[int] = form.cleaned_data["ids"]
    owner: User | None = None
    if action == "assign":
        owner_id = form.cleaned_data.get("owner") or ""
        if owner_id != "queue":
            owner = users_visible_to(user).filter(pk=int(owner_id) if owner_id.isdigit() else 0).first()
            if owner is None:
                messages.error(request, _("Choose an owner from the list, or the team queue."))
                return redirect(back)
    try:
        if action == "assign":
            leads = bulk.leads_assign(by=user, ids=ids, owner=owner)
        else:
            leads = bulk.leads_refuse(
                by=user, ids=ids, reason=form.cleaned_data["reason"], note=form.cleaned_data.get("note", "")
            )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if action == "assign":
        text = _("%(count)s leads assigned to %(owner)s.") % {
            "count": len(leads),
            "owner": owner or _("the team queue"),
        }
    else:
        text = _("%(count)s leads refused.") % {"count": len(leads)}
    messages.success(request, text)
    return redirect(back)


def _saved_views(user: User) -> list[dict[str, str]]:
    """The person's saved views of the lead list, oldest first (kept in the database, so they
    follow the person to every browser and survive signing out)."""
    return [
        {"name": view.name, "query": view.query}
        for view in SavedView.objects.filter(user=user, list_name=SAVED_VIEWS_LIST).order_by(
            "created_at", "id"
        )
    ]


@login_required
@require_POST
def saved_view_save(request: AuthedRequest) -> HttpResponse:
    """Remember the current filters under a name (per person; the oldest go beyond the cap)."""
    name = " ".join(request.POST.get("name", "").split())[:60]
    query = request.POST.get("query", "")
    if not query.startswith("?"):
        query = "?"
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(reverse("leads:list") + query)
    with transaction.atomic():
        client_services.saved_view_save(user=request.user, list_name=SAVED_VIEWS_LIST, name=name, query=query)
        extra = SavedView.objects.filter(user=request.user, list_name=SAVED_VIEWS_LIST).order_by(
            "-created_at", "-id"
        )[MAX_SAVED_VIEWS:]
        SavedView.objects.filter(pk__in=[view.pk for view in extra]).delete()
    messages.success(request, _("View “%(name)s” saved.") % {"name": name})
    return redirect(reverse("leads:list") + query)


@login_required
@require_POST
def saved_view_delete(request: AuthedRequest) -> HttpResponse:
    name = request.POST.get("name", "")
    client_services.saved_view_delete(user=request.user, list_name=SAVED_VIEWS_LIST, name=name)
    messages.success(request, _("View “%(name)s” removed.") % {"name": name})
    return redirect("leads:list")


# --- the card ------------------------------------------------------------------------------

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


def _required_items(lead: Lead) -> set[str]:
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


def _action(name: str, lead: Lead, form: Form, **extra: Any) -> Action:
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


def _convert_action(request: AuthedRequest, lead: Lead, form: ConvertForm | None = None) -> Action:
    user = request.user
    if form is None:
        form = ConvertForm(
            initial={"client_name": lead.company_name or lead.full_name},
            clients=Client.objects.visible_to(user),
            owners=owner_candidates(user, lead.team),
        )
    q = request.GET.get("client_q", "") or request.POST.get("client_q", "")
    matches = _client_matches(user, q, lead)
    chosen = form.data.get("client") if form.is_bound else None
    selected = str(chosen) if chosen else ""
    if selected and selected.isdigit() and all(str(c.pk) != selected for c in matches):
        matches = [*Client.objects.visible_to(user).filter(pk=int(selected)), *matches]
    return _action(
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
        actions["edit"] = _action("edit", lead, LeadEditForm(lead=lead))
    if may_work and not closed:
        actions["qualify"] = _action("qualify", lead, QualificationForm(lead=lead), required=required)
        actions["convert"] = _convert_action(request, lead)
        if lead.status != LeadStatus.REFUSED:
            actions["refuse"] = _action("refuse", lead, RefuseForm())
        actions["postpone"] = _action("postpone", lead, PostponeForm())
    if user_can(user, "distribute_leads") and lead.merged_into_id is None:
        actions["assign"] = _action(
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
    required = _required_items(lead)
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
    return _render_action(request, lead, _action("edit", lead, form))


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
    return _render_action(request, lead, _action("qualify", lead, form, required=_required_items(lead)))


@login_required
def lead_convert(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _workable_lead(request, pk)
    form = ConvertForm(
        request.POST or None,
        initial={"client_name": lead.company_name or lead.full_name},
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
            ),
        )
        if conversion:
            text = _("Converted: %(contact)s at client %(client)s.") % {
                "contact": conversion.contact,
                "client": conversion.client,
            }
            if conversion.deal is not None:
                text += " " + _("Deal “%(deal)s” started.") % {"deal": conversion.deal}
            return action_done(request, reverse("leads:detail", args=[pk]), text)
    return _render_action(request, lead, _convert_action(request, lead, form))


@login_required
def convert_clients(request: AuthedRequest, pk: int) -> HttpResponse:
    """Client search inside the convert dialog: only clients this user may see."""
    lead = _workable_lead(request, pk)
    act = _convert_action(request, lead)
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
    return _render_action(request, lead, _action("refuse", lead, form))


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
    return _render_action(request, lead, _action("postpone", lead, form))


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
    return _render_action(request, lead, _action("assign", lead, form))


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


# --- interests -----------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def interest_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = InterestFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    upgraded = {"yes": True, "no": False}.get(data.get("upgraded") or "")
    interests = selectors.interest_list(
        viewer=user, q=data.get("q") or "", source=data.get("source") or "", upgraded=upgraded
    )
    rows, pager = paginate_bounded(interests, request)
    labels = dict(Source.choices)
    counts = [
        {"source": row["source"], "label": labels.get(row["source"], row["source"]), "count": row["count"]}
        for row in selectors.interest_counts_by_source(viewer=user)
    ]
    context = {
        "interests": rows,
        "pager": pager,
        "form": form,
        "counts": counts,
        "total": sum(row["count"] for row in counts),
        "filtering": any(data.get(key) for key in ("q", "source", "upgraded")),
        "can_upgrade": user_can(user, "work_records"),
        "source": data.get("source") or "",
    }
    if request.htmx and not request.htmx.history_restore_request:
        return _partial(request, "leads/interest_list.html#interest-table", context)
    return render(request, "leads/interest_list.html", context)


@login_required
def interest_upgrade(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    interest = get_visible_or_404(Interest.objects.select_related("team", "upgraded_to"), user, pk=pk)
    if not user_can(user, "work_records"):
        raise PermissionDenied(_("You cannot turn interests into leads."))
    if interest.upgraded_to_id:
        messages.info(request, _("This interest is already a lead."))
        if _is_visible(user, Lead, interest.upgraded_to_id):
            return redirect("leads:detail", pk=interest.upgraded_to_id)
        return redirect("leads:interests")
    first, _space, last = interest.name.partition(" ")
    form = InterestUpgradeForm(
        request.POST or None,
        initial={
            "first_name": first,
            "last_name": last,
            "phone": interest.phone or interest.phone_raw,
            "email": interest.email or interest.email_raw,
        },
    )
    if request.method == "POST" and form.is_valid():
        lead = perform(
            form, lambda: upgrade.interest_upgrade(by=user, interest=interest, raw=form.cleaned_data)
        )
        if lead:
            text = _("The interest is now lead %(lead)s.") % {"lead": lead}
            if _is_visible(user, Lead, lead.pk):
                return action_done(request, reverse("leads:detail", args=[lead.pk]), text)
            messages.success(
                request,
                text + " " + _("It went to %(owner)s.") % {"owner": lead.owner or _("the team queue")},
            )
            return redirect("leads:interests")
    status = 422 if form.errors else 200
    return render(request, "leads/interest_upgrade.html", {"form": form, "interest": interest}, status=status)


# --- the public questionnaire of the farewell letter ---------------------------------------


def refusal_questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    """Public one-question page linked from the farewell letter: why did you decline?"""
    lead = lead_from_questionnaire_token(token)
    if lead is None:
        return render(request, "leads/questionnaire.html", {"invalid": True}, status=404)
    reasons = RefusalReason.objects.filter(is_active=True)
    if request.method == "POST":
        reason = reasons.filter(code=request.POST.get("reason", "")).first()
        comment = request.POST.get("comment", "").strip()[:2000]
        if reason is None:
            return render(
                request,
                "leads/questionnaire.html",
                {"reasons": reasons, "error": _("Choose one answer."), "comment": comment},
                status=422,
            )
        lead_event(
            lead,
            LeadEventKind.NOTE,
            None,
            _("Questionnaire answer: %(reason)s") % {"reason": reason},
            questionnaire_reason=reason.code,
            comment=comment,
        )
        return render(request, "leads/questionnaire.html", {"thanks": True})
    return render(request, "leads/questionnaire.html", {"reasons": reasons})
