"""Deal pages: the list, starting and editing a deal, the deal card with its products, payments,
documents and objections, notes — and what every deal page shares (a deal the user may change,
the answer after a change, the list filters). The sub-domains' pages live beside: the board and
moves between stages (`deals.board.views`), product lines (`deals.catalogue.views`), documents
(`deals.documents.views`), payments and receivables (`deals.payments.views`).

Thin doors: forms parse, `deals.selectors` read (scoped to the viewer), the services write.
Invisible deals are 404; visible ones the user may not change are 403; business rules broken show
next to their field (422 for HTMX so the dialog shows them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.forms import Form
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from clientela.clients.models import Client, Contact
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import paginate_bounded
from clientela.core.normalise import fold
from clientela.core.permissions import Action, can, user_can
from clientela.core.roles import OWNING_ROLES
from clientela.deals import lists, selectors, services
from clientela.deals.choices import DealEventKind, DealStatus, PaymentKind
from clientela.deals.forms import (
    DealForm,
    DocumentForm,
    LineForm,
    NoteForm,
    ObjectionRecordForm,
    PaymentForm,
    SendForm,
)
from clientela.deals.lists import DEALS
from clientela.deals.models import (
    Deal,
    DealObjection,
    Document,
    DocumentVersion,
    Objection,
    Stage,
)
from clientela.deals.rows import RowStyle, render_rows
from clientela.deals.services import CANNOT_CHANGE
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

EVENT_ICONS: dict[str, str] = {
    DealEventKind.CREATED: "ti-sparkles",
    DealEventKind.EDITED: "ti-pencil",
    DealEventKind.STAGE: "ti-arrow-right",
    DealEventKind.WON: "ti-trophy",
    DealEventKind.LOST: "ti-circle-x",
    DealEventKind.REOPENED: "ti-refresh",
    DealEventKind.ASSIGNED: "ti-user-share",
    DealEventKind.LINE: "ti-package",
    DealEventKind.DOCUMENT: "ti-file-text",
    DealEventKind.DOCUMENT_SENT: "ti-send",
    DealEventKind.PAYMENT: "ti-cash",
    DealEventKind.OBJECTION: "ti-message-report",
    DealEventKind.NOTE: "ti-note",
}
TIMELINE_LIMIT = 200


# --- small helpers -------------------------------------------------------------------------


def done(request: AuthedRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def form_status(form: Form) -> int:
    return 422 if form.is_bound and form.errors else 200


def workable_deal(request: AuthedRequest, pk: int) -> Deal:
    """A visible deal (404 otherwise) this user may change (403 otherwise)."""
    deal = selectors.deal_get(viewer=request.user, pk=pk)
    if not can(request.user, deal, Action.WORK):
        raise PermissionDenied(str(CANNOT_CHANGE))
    return deal


def _owner_choices(user: User) -> list[User] | None:
    """Whom a deal may be given to: heads and admins choose among their people; others do not."""
    if not user_can(user, "distribute_leads"):
        return None
    return list(
        users_visible_to(user)
        .filter(is_active=True, role__in=OWNING_ROLES)
        .order_by("first_name", "last_name", "username")
    )


# --- the list ------------------------------------------------------------------------------


LIST_FIELDS = (
    "id",
    "title",
    "status",
    "amount",
    "currency",
    "next_step_date",
    "next_step_subject",
    "expected_close_date",
    "created_at",
    "pipeline_id",
    "stage_id",
    "client__id",
    "client__name",
    "owner__id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


def _label_rows(rows: list[Deal], pipelines: list[Any]) -> None:
    """Give each list row `stage_label`, `pipeline_label` and `status_label` (a page has 50
    rows on a few stages: each label is computed once)."""
    pipeline_labels = {pipeline.pk: str(pipeline) for pipeline in pipelines}
    stage_ids = {deal.stage_id for deal in rows}
    stage_labels = {stage.pk: str(stage) for stage in Stage.objects.filter(pk__in=stage_ids)} if rows else {}
    status_labels = dict(DealStatus.choices)
    for deal in rows:
        deal.stage_label = stage_labels.get(deal.stage_id, "")  # type: ignore[attr-defined]
        deal.pipeline_label = pipeline_labels.get(deal.pipeline_id, "")  # type: ignore[attr-defined]
        deal.status_label = status_labels.get(deal.status, deal.status)  # type: ignore[attr-defined]


@login_required
@vary_on_headers("HX-Request")
def deal_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    state = DEALS.read(request)
    filters = state.values
    show_amounts = selectors.can_see_amounts(user)
    # A row shows the deal, its client's name and its owner: stages and pipelines come from the
    # handful already known (their labels computed once), not joined to every row.
    deals = (
        lists.deal_list(viewer=user, filters=filters)
        .select_related(None)
        .select_related("client", "owner")
        .only(*LIST_FIELDS)
    )
    rows, pager = paginate_bounded(deals, request, count_parts=DEALS.count_parts(user, filters))
    if show_amounts:
        selectors.attach_overdue(rows)
    _label_rows(rows, state.options["pipeline"])
    context = state.context(
        hide=() if show_amounts else ("amount",),
        deals=rows,
        pager=pager,
        show_team=bool(state.options["team"]),
        show_owner_list=bool(state.options["owner"]),
        show_amounts=show_amounts,
        today=timezone.localdate(),
        can_create=user_can(user, "work_records"),
        rows_html=render_rows(rows, RowStyle(root=reverse("deals:list"), show_amounts=show_amounts)),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "deals/deal_list.html#deal-table", context)
    return render(request, "deals/deal_list.html", context)


# --- create and edit -----------------------------------------------------------------------


def _visible_clients(user: User) -> QuerySet[Client]:
    return Client.objects.visible_to(user).filter(is_archived=False)


# The client picker lists this many clients for use without JavaScript; typing searches them all.
CLIENT_CHOICES = 200


def _client_choices(user: User, selected: Any) -> list[Client]:
    clients = list(_visible_clients(user).only("id", "name").order_by("name")[:CLIENT_CHOICES])
    selected_id = getattr(selected, "pk", selected)
    if selected_id and str(selected_id).isdigit() and all(str(c.pk) != str(selected_id) for c in clients):
        chosen = Client.objects.visible_to(user).filter(pk=int(selected_id)).only("id", "name").first()
        if chosen is not None:
            clients.insert(0, chosen)
    return clients


@login_required
def deal_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user_can(user, "work_records"):
        raise PermissionDenied(_("Your role cannot start deals."))
    initial: dict[str, Any] = {"owner": user.pk}
    lead: Any = None  # the lead the deal comes from (leads sit above deals: no model import)
    lead_id = request.GET.get("lead", "")
    if lead_id.isdigit():
        lead = selectors.source_lead_visible(viewer=user, pk=int(lead_id))
        if lead is not None and lead.client_id:
            initial.update(client=lead.client_id, title=lead.product or lead.company_name)
            if lead.contact_id:
                initial["contacts"] = [lead.contact_id]
    client_id = request.GET.get("client", "")
    if client_id.isdigit():
        initial["client"] = int(client_id)
    pipelines = selectors.pipelines()
    pipeline_id = request.GET.get("pipeline", "")
    default = next((p for p in pipelines if str(p.pk) == pipeline_id), None) or pipelines.first()
    initial["pipeline"] = default
    form = DealForm(
        request.POST or None,
        initial=initial,
        clients=_visible_clients(user),
        owners=_owner_choices(user),
        pipelines=pipelines,
    )
    stage: Stage | None = None
    stage_id = request.GET.get("stage", "")
    if stage_id.isdigit():
        stage = Stage.objects.filter(pk=int(stage_id), is_active=True, is_won=False, is_lost=False).first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen_stage = stage if stage is not None and stage.pipeline_id == data["pipeline"].pk else None
        deal = perform(
            form,
            lambda: services.deal_create(
                by=user,
                client=data["client"],
                title=data["title"],
                pipeline=data["pipeline"],
                stage=chosen_stage,
                owner=data.get("owner") if "owner" in form.fields else None,
                amount=data["amount"] or None,
                currency=data["currency"],
                expected_close_date=data["expected_close_date"],
                next_step_date=data["next_step_date"],
                next_step_subject=data["next_step_subject"],
                contacts=data["contacts"],
                source_lead=lead,
            ),
        )
        if deal:
            return done(
                request,
                reverse("deals:detail", args=[deal.pk]),
                _("Deal “%(deal)s” started.") % {"deal": deal},
            )
    selected = form.data.get("client") if form.is_bound else initial.get("client")
    context = {
        "form": form,
        "deal": None,
        "lead": lead,
        "title": _("New deal"),
        "client_choices": _client_choices(user, selected),
    }
    return render(request, "deals/deal_form.html", context, status=form_status(form))


@login_required
def deal_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = workable_deal(request, pk)
    initial = {
        "title": deal.title,
        "client": deal.client,
        "contacts": list(deal.contacts.all()),
        "owner": deal.owner,
        "amount": f"{deal.amount}",
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "next_step_date": deal.next_step_date,
        "next_step_subject": deal.next_step_subject,
        "version": deal.version,
    }
    form = DealForm(
        request.POST or None,
        initial=initial,
        clients=_visible_clients(user) | Client.objects.filter(pk=deal.client_id),
        owners=_owner_choices(user),
        pipelines=selectors.pipelines(),
        deal=deal,
    )
    if request.method == "POST" and form.is_valid():
        values = form.values()
        version = form.cleaned_data.get("version")
        if perform(form, lambda: services.deal_update(by=user, deal=deal, data=values, version=version)):
            return done(request, reverse("deals:detail", args=[pk]), _("Deal saved."))
    selected = form.data.get("client") if form.is_bound else deal.client_id
    context = {
        "form": form,
        "deal": deal,
        "title": _("Edit deal"),
        "conflict": "version" in form.errors,
        "client_choices": _client_choices(user, selected),
    }
    return render(request, "deals/deal_form.html", context, status=form_status(form))


@login_required
@require_GET
def client_options(request: AuthedRequest) -> JsonResponse:
    """Autocomplete for the client picker: clients the user may see whose name matches."""
    term = " ".join(request.GET.get("q", "").split())[:100]
    clients = _visible_clients(request.user)
    if term:
        condition = Q(name__icontains=term)
        if selectors.client_has_search_text():
            condition |= Q(search_text__contains=fold(term))
        clients = clients.filter(condition)
    rows = clients.order_by("name").values("id", "name", "city")[:20]
    return JsonResponse(
        {"items": [{"value": row["id"], "text": row["name"], "city": row["city"]} for row in rows]}
    )


@login_required
@require_GET
def contact_options(request: AuthedRequest) -> HttpResponse:
    """The contacts of a client the user may see, as <option>s for the contacts picker."""
    client_id = request.GET.get("client", "")
    client = _visible_clients(request.user).filter(pk=int(client_id)).first() if client_id.isdigit() else None
    contacts = (
        list(Contact.objects.filter(client=client).order_by("last_name", "first_name")) if client else []
    )
    return render(request, "deals/_contact_options.html", {"contacts": contacts})


# --- the card ------------------------------------------------------------------------------


def _stage_path(deal: Deal, history: list[Any]) -> list[dict[str, Any]]:
    """The pipeline's stages with where the deal is and how long it spent in each."""
    spent: dict[int, int] = {}
    for change in history:
        if change.from_stage_id and change.seconds_in_previous is not None:
            spent[change.from_stage_id] = spent.get(change.from_stage_id, 0) + change.seconds_in_previous
    now_seconds = int((timezone.now() - deal.stage_entered_at).total_seconds())
    spent[deal.stage_id] = spent.get(deal.stage_id, 0) + max(0, now_seconds)
    path = []
    for stage in deal.pipeline.stages.filter(is_active=True).order_by("position", "id"):
        if stage.is_closed and stage.pk != deal.stage_id:
            continue
        seconds = spent.get(stage.pk)
        path.append(
            {
                "stage": stage,
                "current": stage.pk == deal.stage_id,
                "passed": stage.position < deal.stage.position and not deal.stage.is_lost,
                "days": seconds // 86400 if seconds is not None else None,
            }
        )
    return path


@login_required
def deal_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = selectors.deal_get(viewer=user, pk=pk)
    may_work = can(user, deal, Action.WORK)
    show_amounts = selectors.can_see_amounts(user)
    events = selectors.deal_timeline(deal, limit=TIMELINE_LIMIT + 1, show_amounts=show_amounts)
    for event in events:
        event.icon = EVENT_ICONS.get(event.kind, "ti-point")  # type: ignore[attr-defined]
    history = selectors.stage_history(deal)
    documents: list[Document] = []
    receivable: dict[str, Any] | None = None
    preview: DocumentVersion | None = None
    if show_amounts:
        documents = list(
            Document.objects.filter(deal=deal)
            .prefetch_related(
                Prefetch(
                    "versions",
                    queryset=DocumentVersion.objects.select_related("sent_by").order_by("-version"),
                )
            )
            .order_by("-created_at", "-id")
        )
        receivable = selectors.deal_receivables(deal)
        preview = _preview_version(request, documents)
    raised = list(
        DealObjection.objects.filter(deal=deal).select_related("objection", "stage", "by").order_by("-at")
    )
    objections = selectors.objections_for(deal)
    context = {
        "deal": deal,
        "lines": list(deal.lines.all()),
        "may_work": may_work,
        "show_amounts": show_amounts,
        "events": events[:TIMELINE_LIMIT],
        "more_events": len(events) > TIMELINE_LIMIT,
        "path": _stage_path(deal, history),
        "history": history,
        "documents": documents,
        "preview": preview,
        "receivable": receivable,
        "raised": raised,
        "objection_hints": list(objections[:5]),
        "line_form": LineForm(initial={"version": deal.version}) if may_work and deal.is_open else None,
        "payment_form": PaymentForm(initial={"kind": PaymentKind.EXPECTED})
        if may_work and show_amounts
        else None,
        "objection_form": ObjectionRecordForm(objections=active_objections().order_by("text"))
        if may_work
        else None,
        "note_form": NoteForm() if may_work else None,
        "document_form": DocumentForm(initial={"language": deal.owner.language if deal.owner else "en"})
        if may_work and show_amounts
        else None,
        "send_form": SendForm(),
        "client_url": _optional_url("clients:detail", deal.client_id),
        "lead_url": _optional_url("leads:detail", deal.source_lead_id) if deal.source_lead_id else "",
        "today": timezone.localdate(),
        "won_stage": deal.pipeline.stages.filter(is_won=True, is_active=True).order_by("position").first(),
        "lost_stage": deal.pipeline.stages.filter(is_lost=True, is_active=True).order_by("position").first(),
    }
    return render(request, "deals/deal_detail.html", context)


def _preview_version(request: AuthedRequest, documents: list[Document]) -> DocumentVersion | None:
    """The version whose PDF the card shows (?preview=<version id>), among this deal's documents."""
    wanted = request.GET.get("preview", "")
    if not wanted.isdigit():
        return None
    for document in documents:
        for version in document.versions.all():
            if version.pk == int(wanted):
                return version
    return None


def _optional_url(name: str, pk: int | None) -> str:
    if pk is None:
        return ""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def card_action_failed(request: AuthedRequest, pk: int, form: Form) -> HttpResponse:
    for field, errors in form.errors.items():
        for error in errors:
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {error}" if label else str(error))
    return redirect(reverse("deals:detail", args=[pk]))


def active_objections() -> QuerySet[Objection]:
    return Objection.objects.filter(is_active=True)


@login_required
@require_POST
def note_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = workable_deal(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid() and perform(
        form, lambda: services.deal_note(by=request.user, deal=deal, text=form.cleaned_data["text"])
    ):
        messages.success(request, _("Note added."))
        return redirect("deals:detail", pk=pk)
    return card_action_failed(request, pk, form)
