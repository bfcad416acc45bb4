"""Pages of the client lifecycle: the churn taxonomy (admins) and what the client card's
"mark lost" dialog and "client is back" button run (`clients.hooks.status_decisions`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.clients.models import Client
from clientela.core.errors import BusinessError
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import user_can
from clientela.retention import lifecycle
from clientela.retention.lifecycle_forms import LANGUAGE_NAMES, ChurnReasonForm, LostDecisionForm
from clientela.retention.models import ChurnReason

# --- What the client card runs (clients.hooks.StatusDecisions) -------------------------------------


def lost_form(*, client: Client, viewer: Any, data: Any = None) -> LostDecisionForm:
    return LostDecisionForm(data, client=client, viewer=viewer)


def lose(*, by: Any, client: Client, form: LostDecisionForm) -> Any:
    data = form.cleaned_data
    return lifecycle.client_lose(
        by=by,
        client=client,
        reason=data["reason"],
        lost_on=data["lost_on"],
        note=data.get("note") or "",
        options=form.options(),
    )


def win_back(*, by: Any, client: Client, note: str = "") -> Any:
    return lifecycle.client_win_back(by=by, client=client, note=note)


# --- The churn taxonomy page ------------------------------------------------------------------


def _require_admin(request: AuthedRequest) -> None:
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied(_("Only administrators change the churn reasons."))


def _row_form(reason: ChurnReason) -> ChurnReasonForm:
    initial = {f"name_{code}": reason.names.get(code, "") for code in LANGUAGE_NAMES}
    initial.update(
        practice_share=reason.practice_share, staff_attitude=reason.staff_attitude, is_active=reason.is_active
    )
    return ChurnReasonForm(initial=initial, prefix=f"r{reason.pk}")


def _page(request: AuthedRequest, new_form: ChurnReasonForm | None = None, status: int = 200) -> HttpResponse:
    reasons = list(ChurnReason.objects.order_by("position", "code"))
    rows = [(reason, _row_form(reason)) for reason in reasons]
    return render(
        request,
        "retention/lifecycle/churn_reasons.html",
        {
            "rows": rows,
            "new_form": new_form or ChurnReasonForm(prefix="new"),
            "languages": LANGUAGE_NAMES,
        },
        status=status,
    )


@login_required
def churn_reasons(request: AuthedRequest) -> HttpResponse:
    """The churn taxonomy: add, rename per language, reorder, take out of use; the shares known
    from practice and the staff-attitude flag (admins)."""
    _require_admin(request)
    if request.method == "POST":
        form = ChurnReasonForm(request.POST, prefix="new")
        if form.is_valid() and perform(
            form,
            lambda: lifecycle.churn_reason_create(
                by=request.user,
                names=form.names(),
                practice_share=form.cleaned_data.get("practice_share"),
                staff_attitude=bool(form.cleaned_data.get("staff_attitude")),
            ),
        ):
            messages.success(request, _("Churn reason added."))
            return redirect("retention:churn_reasons")
        return _page(request, form, status=422)
    return _page(request)


@login_required
@require_POST
def churn_reason_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    reason = get_object_or_404(ChurnReason, pk=pk)
    move = request.POST.get("move")
    try:
        if move in ("up", "down"):
            codes = list(ChurnReason.objects.order_by("position", "code").values_list("code", flat=True))
            index = codes.index(reason.code)
            other = index - 1 if move == "up" else index + 1
            if 0 <= other < len(codes):
                codes[index], codes[other] = codes[other], codes[index]
                lifecycle.churn_reasons_reorder(by=request.user, codes=codes)
            messages.success(request, _("Order saved."))
            return redirect("retention:churn_reasons")
        form = ChurnReasonForm(request.POST, prefix=f"r{reason.pk}")
        if not form.is_valid():
            errors = [str(message) for field_errors in form.errors.values() for message in field_errors]
            messages.error(request, " ".join(errors))
            return redirect("retention:churn_reasons")
        lifecycle.churn_reason_update(
            by=request.user,
            reason=reason,
            data={
                "names": form.names(),
                "practice_share": form.cleaned_data.get("practice_share"),
                "staff_attitude": form.cleaned_data.get("staff_attitude"),
                "is_active": form.cleaned_data.get("is_active"),
            },
        )
    except BusinessError as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms) or exc.message)
        return redirect("retention:churn_reasons")
    messages.success(request, _("Churn reason saved."))
    return redirect("retention:churn_reasons")
