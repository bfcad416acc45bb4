"""Pages of the sales board: the kanban (a column's further cards on demand), moving a deal
between stages (drag and drop, the card's buttons, or a page without JavaScript; won and lost ask
for what they need), recording an objection, and the pipeline's analytics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.forms import add_business_error, perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import querystring
from clientela.core.permissions import user_can
from clientela.deals import selectors
from clientela.deals.board import selectors as board_selectors
from clientela.deals.board import services
from clientela.deals.board.cards import CardStyle, attach_html, render_cards
from clientela.deals.forms import (
    MoveForm,
    ObjectionRecordForm,
)
from clientela.deals.lists import DEALS
from clientela.deals.models import (
    Stage,
)
from clientela.deals.money import format_money
from clientela.deals.rates.selectors import ConvertedTotal, base_currency, convert, rates_on
from clientela.deals.views import (
    active_objections,
    card_action_failed,
    done,
    form_status,
    workable_deal,
)
from clientela.users.models import User


def _card_style(user: User) -> CardStyle:
    """What every board card needs, computed once per page (a board has hundreds of cards)."""
    return CardStyle(
        root=reverse("deals:list"),  # cards link to <root><pk>/ and <root><pk>/move/ (urls.py)
        show_amounts=selectors.can_see_amounts(user),
        may_move=user_can(user, "work_records"),
    )


@dataclass
class TotalLabel:
    """A column's total as the board shows it: the figure in the base currency, the
    per-currency breakdown (its tooltip) and the currencies without a rate, shown apart."""

    text: str
    breakdown: str
    missing: list[str]


def column_total_label(money: ConvertedTotal) -> TotalLabel | None:
    if not money.parts:
        return None
    lines = []
    for part in money.converted:
        if part.currency == money.base:
            lines.append(format_money(part.amount, part.currency))
        else:
            lines.append(
                _("%(amount)s × %(rate)s = %(converted)s")
                % {
                    "amount": format_money(part.amount, part.currency),
                    "rate": f"{(part.rate or Decimal(0)).normalize():f}",
                    "converted": format_money(part.converted, money.base),
                }
            )
    missing = [
        _("no rate for %(currency)s: %(amount)s")
        % {"currency": part.currency, "amount": format_money(part.amount, part.currency)}
        for part in money.missing
    ]
    text = format_money(money.total, money.base) if money.converted else "—"
    return TotalLabel(text=text, breakdown="\n".join(lines + missing), missing=missing)


# --- the board -----------------------------------------------------------------------------


def _board_context(request: AuthedRequest, params: QueryDict) -> dict[str, Any]:
    user = request.user
    pipelines = list(selectors.pipelines())
    if not pipelines:
        raise Http404(_("No pipeline is set up."))
    wanted = params.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == wanted), None) or board_selectors.board_pipeline(
        viewer=user, choices=pipelines
    )
    state = DEALS.read(request, params=params, options={"pipeline": pipelines})
    form, filters = state.form, state.values
    board = board_selectors.board(viewer=user, pipeline=pipeline, filters=filters)
    attach_html(board.columns, _card_style(user))
    query = params.copy()
    query["pipeline"] = str(pipeline.pk)
    base = base_currency()
    rates = rates_on(base=base) if board.show_amounts else {}
    for column in board.columns:
        column.total_label = column_total_label(  # type: ignore[attr-defined]
            convert(column.totals, rates=rates, base=base)
        )
    return {
        "board": board,
        "pipeline": pipeline,
        "pipelines": pipelines,
        "form": form,
        "show_team": bool(state.options["team"]),
        "show_owner_list": bool(state.options["owner"]),
        "board_query": query.urlencode(),
        "filter_query": querystring(query, pipeline=None).lstrip("?"),
        "can_create": user_can(user, "work_records"),
        "base_currency": base,
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
    state = DEALS.read(request, options={"pipeline": list(selectors.pipelines())})
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    cards, more = board_selectors.board_column_cards(
        viewer=user, stage=stage, filters=state.values, offset=offset
    )
    query = request.GET.copy()
    query["offset"] = str(offset + len(cards))
    context = {
        "cards_html": render_cards(cards, _card_style(user)),
        "more": more,
        "more_url": reverse("deals:board_more", args=[stage.pk]) + "?" + query.urlencode(),
    }
    return render(request, "deals/_board_cards.html", context)


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
    deal = workable_deal(request, pk)
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
                return done(request, reverse("deals:detail", args=[pk]), text)
    context = {
        "deal": deal,
        "form": form,
        "from_board": from_board,
        "board_query": request.POST.get("board_query", "") or request.GET.get("board_query", ""),
        "target": target,
        "requires_schedule": deal.pipeline.requires_payment_schedule,
        "payment_term_days": services.payment_term_days(deal),
    }
    status = form_status(form)
    if request.htmx or from_board:
        return render(request, "deals/_move_form.html", context, status=status)
    return render(request, "deals/deal_move.html", context, status=status)


@login_required
@require_POST
def objection_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = workable_deal(request, pk)
    form = ObjectionRecordForm(request.POST, objections=active_objections())
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
    return card_action_failed(request, pk, form)


# --- analytics -----------------------------------------------------------------------------


@login_required
def pipeline_stats(request: AuthedRequest) -> HttpResponse:
    """The pipeline analytics moved to the reports (the deal funnel, `/reports/deal-funnel/`):
    old links and bookmarks land there, on the same pipeline. (Deals sit below the reports'
    app, so the report is named by its path, not imported.)"""
    target = get_script_prefix() + "reports/deal-funnel/"
    wanted = request.GET.get("pipeline", "")
    if wanted.isdigit():
        target += "?" + QueryDict.fromkeys(["pipeline"], wanted).urlencode()
    return redirect(target)
