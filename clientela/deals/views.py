"""Deal pages: the kanban board, the list, the deal card with its products, payments, documents
and objections, moves between stages (won/lost ask for what they need), the receivables list.

Thin doors: forms parse, `deals.selectors` read (scoped to the viewer), `deals.services`
write. Invisible deals are 404; visible ones the user may not change are 403; business rules
broken show next to their field (422 for HTMX so the dialog shows them).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.forms import add_business_error, perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import paginate_bounded, querystring, sort_links
from clientela.core.normalise import fold
from clientela.core.permissions import user_can
from clientela.core.roles import OWNING_ROLES
from clientela.deals import selectors, services
from clientela.deals.cards import CardStyle, attach_html, render_cards
from clientela.deals.choices import DealEventKind, DealStatus, DocumentStatus, PaymentKind
from clientela.deals.forms import (
    DealFilterForm,
    DealForm,
    DocumentForm,
    LineForm,
    MoveForm,
    NoteForm,
    ObjectionRecordForm,
    PaymentForm,
    SendForm,
)
from clientela.deals.models import (
    Deal,
    DealLine,
    DealObjection,
    Document,
    DocumentVersion,
    Payment,
    Stage,
)
from clientela.deals.money import format_money
from clientela.deals.rows import RowStyle, render_rows
from clientela.leads.models import Lead
from clientela.users.models import User
from clientela.users.selectors import owner_choices, team_choices, users_visible_to

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


def _done(request: AuthedRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _form_status(form: Form) -> int:
    return 422 if form.is_bound and form.errors else 200


def _workable(request: AuthedRequest, pk: int) -> Deal:
    """A visible deal (404 otherwise) this user may change (403 otherwise)."""
    deal = selectors.deal_get(viewer=request.user, pk=pk)
    if not services.can_work(request.user, deal):
        raise PermissionDenied(_("You cannot change this deal."))
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


def _filters(user: User, form: DealFilterForm, ordering: str = "-created") -> selectors.DealFilters:
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    owner = data.get("owner") or ""
    team = data.get("team") or ""
    pipeline = data.get("pipeline") or ""
    attention = data.get("attention") or ""
    return selectors.DealFilters(
        q=data.get("q") or "",
        pipeline=int(pipeline) if pipeline.isdigit() else None,
        status=data.get("status") or "",
        owner=user.pk if owner == "me" else int(owner) if owner.isdigit() else None,
        unassigned=owner == "none",
        team=int(team) if team.isdigit() else None,
        next_step_overdue=attention == "next_step_overdue",
        no_next_step=attention == "no_next_step",
        overdue_receivables=attention == "overdue_receivables",
        ordering=ordering,
    )


def _card_style(user: User) -> CardStyle:
    """What every board card needs, computed once per page (a board has hundreds of cards)."""
    return CardStyle(
        root=reverse("deals:list"),  # cards link to <root><pk>/ and <root><pk>/move/ (urls.py)
        show_amounts=selectors.can_see_amounts(user),
        may_move=user_can(user, "work_records"),
    )


def _money_totals(rows: list[tuple[str, Decimal]]) -> str:
    return " · ".join(format_money(total, currency) for currency, total in rows)


# --- the board -----------------------------------------------------------------------------


def _board_context(request: AuthedRequest, params: QueryDict) -> dict[str, Any]:
    user = request.user
    pipelines = list(selectors.pipelines())
    if not pipelines:
        raise Http404(_("No pipeline is set up."))
    wanted = params.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == wanted), None) or selectors.board_pipeline(
        viewer=user, choices=pipelines
    )
    owners, teams = owner_choices(user), team_choices(user)
    form = DealFilterForm(params, owners=owners, teams=teams, pipelines=pipelines)
    form.is_valid()
    filters = _filters(user, form)
    board = selectors.board(viewer=user, pipeline=pipeline, filters=filters)
    attach_html(board.columns, _card_style(user))
    query = params.copy()
    query["pipeline"] = str(pipeline.pk)
    for column in board.columns:
        column.total_label = _money_totals(column.totals)  # type: ignore[attr-defined]
    return {
        "board": board,
        "pipeline": pipeline,
        "pipelines": pipelines,
        "form": form,
        "show_team": bool(teams),
        "show_owner_list": bool(owners),
        "board_query": query.urlencode(),
        "filter_query": querystring(query, pipeline=None).lstrip("?"),
        "can_create": user_can(user, "work_records"),
    }


@login_required
@vary_on_headers("HX-Request")
def deal_board(request: AuthedRequest) -> HttpResponse:
    context = _board_context(request, request.GET)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "deals/board.html#board", context)
    return render(request, "deals/board.html", context)


@login_required
@require_GET
def board_more(request: AuthedRequest, stage_id: int) -> HttpResponse:
    """More cards of one column (the "show more" button replaces itself with them)."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id, is_active=True)
    user = request.user
    form = DealFilterForm(
        request.GET,
        owners=owner_choices(user),
        teams=team_choices(user),
        pipelines=list(selectors.pipelines()),
    )
    form.is_valid()
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    cards, more = selectors.board_column_cards(
        viewer=user, stage=stage, filters=_filters(user, form), offset=offset
    )
    query = request.GET.copy()
    query["offset"] = str(offset + len(cards))
    context = {
        "cards_html": render_cards(cards, _card_style(user)),
        "more": more,
        "more_url": reverse("deals:board_more", args=[stage.pk]) + "?" + query.urlencode(),
    }
    return render(request, "deals/_board_cards.html", context)


# --- the list ------------------------------------------------------------------------------


SORTABLE = {
    "title": "title",
    "amount": "-amount",
    "close": "close",
    "created": "-created",
    "next_step": "next_step",
}


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
    pipelines = list(selectors.pipelines(active_only=False))
    owners, teams = owner_choices(user), team_choices(user)
    form = DealFilterForm(request.GET, owners=owners, teams=teams, pipelines=pipelines)
    form.is_valid()
    sort = request.GET.get("sort", "-created")
    show_amounts = selectors.can_see_amounts(user)
    if sort not in selectors.DEAL_ORDERINGS or (sort in selectors.AMOUNT_ORDERINGS and not show_amounts):
        sort = "-created"
    filters = _filters(user, form, sort)
    # A row shows the deal, its client's name and its owner: stages and pipelines come from the
    # handful already known (their labels computed once), not joined to every row.
    deals = (
        selectors.deal_list(viewer=user, filters=filters)
        .select_related(None)
        .select_related("client", "owner")
        .only(*LIST_FIELDS)
    )
    parts = [
        selectors.deal_list(viewer=user, filters=filters, visible=part)
        for part in Deal.objects.visible_parts(user)
    ]
    rows, pager = paginate_bounded(deals, request, count_parts=parts)
    if show_amounts:
        selectors.attach_overdue(rows)
    _label_rows(rows, pipelines)
    current = request.GET.copy()
    current.pop("page", None)
    links = sort_links(current, sort, SORTABLE)
    context = {
        "deals": rows,
        "pager": pager,
        "form": form,
        "sort": sort,
        "sort_links": links,
        "filtering": any(
            request.GET.get(key) for key in ("q", "pipeline", "status", "owner", "team", "attention")
        ),
        "show_team": bool(teams),
        "show_owner_list": bool(owners),
        "show_amounts": show_amounts,
        "today": timezone.localdate(),
        "can_create": user_can(user, "work_records"),
        "rows_html": render_rows(rows, RowStyle(root=reverse("deals:list"), show_amounts=show_amounts)),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "deals/deal_list.html#deal-table", context)
    return render(request, "deals/deal_list.html", context)


@login_required
def receivables(request: AuthedRequest) -> HttpResponse:
    """Deals with overdue payments, largest debt first, with totals per currency."""
    user = request.user
    if not selectors.can_see_amounts(user):
        raise PermissionDenied(_("Your role does not see deal amounts."))
    deals = selectors.overdue_receivables(user)
    rows, pager = paginate_bounded(deals, request)
    totals = (
        selectors.overdue_receivables(user)
        .order_by()
        .values("currency")
        .annotate(total=Sum("overdue_amount"), n=Count("id"))
    )
    today = timezone.localdate()
    for deal in rows:
        deal.overdue_from = selectors.overdue_since(deal, today=today)  # type: ignore[attr-defined]
    context = {
        "deals": rows,
        "pager": pager,
        "totals": [
            (row["currency"], format_money(row["total"], row["currency"]), row["n"]) for row in totals
        ],
        "today": today,
    }
    return render(request, "deals/receivables.html", context)


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
    lead: Lead | None = None
    lead_id = request.GET.get("lead", "")
    if lead_id.isdigit():
        lead = Lead.objects.visible_to(user).filter(pk=int(lead_id)).first()
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
            return _done(
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
    return render(request, "deals/deal_form.html", context, status=_form_status(form))


@login_required
def deal_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = _workable(request, pk)
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
            return _done(request, reverse("deals:detail", args=[pk]), _("Deal saved."))
    selected = form.data.get("client") if form.is_bound else deal.client_id
    context = {
        "form": form,
        "deal": deal,
        "title": _("Edit deal"),
        "conflict": "version" in form.errors,
        "client_choices": _client_choices(user, selected),
    }
    return render(request, "deals/deal_form.html", context, status=_form_status(form))


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
    may_work = services.can_work(user, deal)
    show_amounts = selectors.can_see_amounts(user)
    events = selectors.deal_timeline(deal, limit=TIMELINE_LIMIT + 1, show_amounts=show_amounts)
    for event in events:
        event.icon = EVENT_ICONS.get(event.kind, "ti-point")  # type: ignore[attr-defined]
    history = selectors.stage_history(deal)
    documents: list[Document] = []
    receivable: dict[str, Any] | None = None
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
        "receivable": receivable,
        "raised": raised,
        "objection_hints": list(objections[:5]),
        "line_form": LineForm(initial={"version": deal.version}) if may_work and deal.is_open else None,
        "payment_form": PaymentForm(initial={"kind": PaymentKind.EXPECTED})
        if may_work and show_amounts
        else None,
        "objection_form": ObjectionRecordForm(objections=_all_objections().order_by("text"))
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


def _optional_url(name: str, pk: int | None) -> str:
    if pk is None:
        return ""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


# --- moving between stages -----------------------------------------------------------------


def _move_stages() -> QuerySet[Stage]:
    return (
        Stage.objects.filter(is_active=True, pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__position", "pipeline_id", "position", "id")
    )


def _board_response(
    request: AuthedRequest, *, status: int = 200, alert: str = "", alert_level: str = "success"
) -> HttpResponse:
    params = QueryDict(request.POST.get("board_query", ""), mutable=True)
    context = _board_context(request, params)
    context.update(alert=alert, alert_level=alert_level)
    return render(request, "deals/board.html#board", context, status=status)


def _schedule_errors(exc: BusinessError) -> BusinessError:
    """The service names schedule rows `payments.N.amount`; the form's fields are pay_N/due_N."""
    errors: dict[str, list[str]] = {}
    for field, texts in exc.errors.items():
        match = re.fullmatch(r"payments\.(\d+)\.(amount|due_date)", field)
        name = f"{'pay' if match.group(2) == 'amount' else 'due'}_{match.group(1)}" if match else field
        errors.setdefault(name, []).extend(texts)
    return BusinessError(exc.message, errors=errors, status=exc.status)


@login_required
def deal_move(request: AuthedRequest, pk: int, target: str = "") -> HttpResponse:
    """Move a deal (the board's drag and drop, the card's buttons, or this page without JS).

    From the board (`board=1`): success answers the refreshed board; when the target stage
    needs input (lost reason, won amount or payment schedule) the answer is this form (422)
    for the board to show in a dialog; a stale card (someone moved or edited the deal) gets
    the refreshed board with a message (409).
    """
    user = request.user
    deal = _workable(request, pk)
    stages = _move_stages()
    from_board = (request.POST.get("board") or request.GET.get("board")) == "1"
    initial_stage: Stage | None = None
    if target in ("won", "lost"):
        initial_stage = (
            deal.pipeline.stages.filter(is_active=True, **{f"is_{target}": True}).order_by("position").first()
        )
    wanted = request.GET.get("stage", "")
    if wanted.isdigit():
        initial_stage = stages.filter(pk=int(wanted)).first() or initial_stage
    form = MoveForm(
        request.POST or None,
        deal=deal,
        stages=stages,
        initial={"stage": initial_stage or deal.stage, "version": deal.version},
    )
    if request.method == "POST" and form.is_valid():
        schedule = form.schedule()
        data = form.cleaned_data
        if not form.errors:
            try:
                services.deal_move(
                    by=user,
                    deal=deal,
                    stage=data["stage"],
                    version=data.get("version"),
                    lost_reason=data.get("lost_reason"),
                    lost_note=data.get("lost_note") or "",
                    amount=(data.get("amount") or "").strip() or None,
                    payments=schedule,
                )
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from exc
            except ConflictError as exc:
                if from_board:
                    return _board_response(request, status=409, alert=exc.message, alert_level="warning")
                add_business_error(form, exc)
            except BusinessError as exc:
                add_business_error(form, _schedule_errors(exc))
            else:
                text = _("%(deal)s moved to %(stage)s.") % {"deal": deal, "stage": data["stage"]}
                if from_board:
                    response = _board_response(request, alert=text)
                    if request.htmx:
                        response = reswap(retarget(response, "#deal-board"), "innerHTML")
                        response = trigger_client_event(response, "dealMoved", {"deal": deal.pk})
                    return response
                return _done(request, reverse("deals:detail", args=[pk]), text)
    context = {
        "deal": deal,
        "form": form,
        "from_board": from_board,
        "board_query": request.POST.get("board_query", "") or request.GET.get("board_query", ""),
        "target": target,
        "requires_schedule": deal.pipeline.requires_payment_schedule,
    }
    status = _form_status(form)
    if request.htmx or from_board:
        return render(request, "deals/_move_form.html", context, status=status)
    return render(request, "deals/deal_move.html", context, status=status)


# --- lines, payments, objections, notes --------------------------------------------------------


def _card_action_failed(request: AuthedRequest, pk: int, form: Form) -> HttpResponse:
    for field, errors in form.errors.items():
        for error in errors:
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {error}" if label else str(error))
    return redirect(reverse("deals:detail", args=[pk]))


@login_required
@require_POST
def line_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = _workable(request, pk)
    form = LineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = perform(
            form,
            lambda: services.line_add(
                by=request.user,
                deal=deal,
                product=data["product"],
                name=data["name"],
                quantity=data["quantity"],
                unit_price=data["unit_price"] or None,
                discount_percent=data["discount_percent"] or 0,
                version=data.get("version"),
            ),
        )
        if done:
            messages.success(request, _("Product added."))
            return redirect(reverse("deals:detail", args=[pk]) + "#deal-lines")
    return _card_action_failed(request, pk, form)


@login_required
@require_POST
def line_remove(request: AuthedRequest, pk: int, line_id: int) -> HttpResponse:
    deal = _workable(request, pk)
    line = get_object_or_404(DealLine, pk=line_id, deal=deal)
    form = Form(request.POST)
    version = request.POST.get("version", "")
    if perform(
        form,
        lambda: services.line_remove(
            by=request.user, line=line, version=int(version) if version.isdigit() else None
        ),
    ):
        messages.success(request, _("Product removed."))
        return redirect(reverse("deals:detail", args=[pk]) + "#deal-lines")
    return _card_action_failed(request, pk, form)


@login_required
@require_POST
def payment_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = _workable(request, pk)
    if not selectors.can_see_amounts(request.user):
        raise PermissionDenied
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if perform(
            form,
            lambda: services.payment_create(
                by=request.user,
                deal=deal,
                kind=data["kind"],
                amount=data["amount"],
                due_date=data["due_date"],
                paid_on=data["paid_on"],
                note=data["note"],
            ),
        ):
            messages.success(request, _("Payment recorded."))
            return redirect(reverse("deals:detail", args=[pk]) + "#deal-payments")
    return _card_action_failed(request, pk, form)


@login_required
@require_POST
def payment_delete(request: AuthedRequest, pk: int, payment_id: int) -> HttpResponse:
    deal = _workable(request, pk)
    payment = get_object_or_404(Payment, pk=payment_id, deal=deal)
    form = Form(request.POST)
    if perform(form, lambda: services.payment_delete(by=request.user, payment=payment)):
        messages.success(request, _("Payment removed."))
    return redirect(reverse("deals:detail", args=[pk]) + "#deal-payments")


@login_required
@require_POST
def objection_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = _workable(request, pk)
    form = ObjectionRecordForm(request.POST, objections=_all_objections())
    if form.is_valid():
        data = form.cleaned_data
        if perform(
            form,
            lambda: services.objection_record(
                by=request.user, deal=deal, objection=data["objection"], note=data["note"]
            ),
        ):
            messages.success(request, _("Objection recorded."))
            return redirect(reverse("deals:detail", args=[pk]) + "#deal-objections")
    return _card_action_failed(request, pk, form)


def _all_objections() -> QuerySet[Any]:
    from clientela.deals.models import Objection

    return Objection.objects.filter(is_active=True)


@login_required
@require_POST
def note_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = _workable(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid() and perform(
        form, lambda: services.deal_note(by=request.user, deal=deal, text=form.cleaned_data["text"])
    ):
        messages.success(request, _("Note added."))
        return redirect("deals:detail", pk=pk)
    return _card_action_failed(request, pk, form)


# --- documents -----------------------------------------------------------------------------


@login_required
def document_create(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = _workable(request, pk)
    if not selectors.can_see_amounts(request.user):
        raise PermissionDenied
    form = DocumentForm(
        request.POST or None, initial={"language": deal.owner.language if deal.owner else "en"}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document = perform(
            form,
            lambda: services.document_create(
                by=request.user,
                deal=deal,
                kind=data["kind"],
                title=data["title"],
                language=data["language"],
                valid_until=data["valid_until"],
                template=data["template"],
            ),
        )
        if document:
            return _done(
                request,
                reverse("deals:detail", args=[pk]) + "#deal-documents",
                _("%(number)s prepared.") % {"number": document.number},
            )
    context = {"deal": deal, "form": form}
    status = _form_status(form)
    if request.htmx:
        return render(request, "deals/_document_form.html", context, status=status)
    return render(request, "deals/document_form.html", context, status=status)


def _visible_document(request: AuthedRequest, document_id: int) -> Document:
    document = (
        selectors.documents_visible_to(request.user).select_related("deal").filter(pk=document_id).first()
    )
    if document is None:
        raise Http404(_("Not found."))
    return document


@login_required
@require_POST
def document_revise(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = _visible_document(request, document_id)
    form = Form(request.POST)
    version = perform(form, lambda: services.document_revise(by=request.user, document=document))
    if version:
        messages.success(
            request,
            _("Version %(version)s of %(number)s prepared.")
            % {"version": version.version, "number": document.number},
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(reverse("deals:detail", args=[document.deal_id]) + "#deal-documents")


@login_required
@require_POST
def document_send(request: AuthedRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document__deal"),
        pk=version_id,
        document__in=selectors.documents_visible_to(request.user),
    )
    form = SendForm(request.POST)
    if form.is_valid() and perform(
        form, lambda: services.document_send(by=request.user, version=version, to=form.cleaned_data["to"])
    ):
        messages.success(
            request,
            _("%(number)s version %(version)s marked as sent.")
            % {"number": version.document.number, "version": version.version},
        )
        return redirect(reverse("deals:detail", args=[version.document.deal_id]) + "#deal-documents")
    return _card_action_failed(request, version.document.deal_id, form)


@login_required
@require_POST
def document_status(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = _visible_document(request, document_id)
    status = request.POST.get("status", "")
    form = Form(request.POST)
    if perform(form, lambda: services.document_set_status(by=request.user, document=document, status=status)):
        messages.success(
            request,
            _("%(number)s: %(status)s.")
            % {"number": document.number, "status": DocumentStatus(status).label},
        )
        return redirect(reverse("deals:detail", args=[document.deal_id]) + "#deal-documents")
    return _card_action_failed(request, document.deal_id, form)


@login_required
@require_GET
def document_pdf(request: AuthedRequest, version_id: int) -> FileResponse:
    """The PDF of one version exactly as issued (inline with ?inline=1, else a download)."""
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document"),
        pk=version_id,
        document__in=selectors.documents_visible_to(request.user),
    )
    if not version.pdf:
        raise Http404(_("This version has no PDF."))
    return FileResponse(
        version.pdf.open("rb"),
        as_attachment=request.GET.get("inline") != "1",
        filename=version.filename,
        content_type="application/pdf",
    )


# --- analytics -----------------------------------------------------------------------------


@login_required
def pipeline_stats(request: AuthedRequest) -> HttpResponse:
    """Stage conversion and time in stage for a pipeline, and how often objections come up."""
    user = request.user
    pipelines = list(selectors.pipelines(active_only=False))
    if not pipelines:
        raise Http404
    wanted = request.GET.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == wanted), pipelines[0])
    stats = selectors.stage_statistics(viewer=user, pipeline=pipeline)
    for row in stats:
        row["avg_days"] = round(row["avg_seconds"] / 86400, 1) if row["avg_seconds"] is not None else None
    lost = (
        selectors.deals_visible_to(user)
        .filter(pipeline=pipeline, status=DealStatus.LOST)
        .order_by()
        .values("lost_reason__code", "lost_reason__name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    from clientela.deals.defaults import LOST_REASON_LABELS

    context = {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "stats": stats,
        "objections": selectors.objection_counts(viewer=user, pipeline=pipeline),
        "lost": [
            (str(LOST_REASON_LABELS.get(row["lost_reason__code"], row["lost_reason__name"] or "—")), row["n"])
            for row in lost
        ],
    }
    return render(request, "deals/stats.html", context)
