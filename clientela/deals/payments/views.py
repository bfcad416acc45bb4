"""Pages of payments: recording and removing a deal's payments, and the receivables list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import paginate_bounded
from clientela.deals import selectors
from clientela.deals.forms import (
    PaymentForm,
)
from clientela.deals.models import (
    Payment,
)
from clientela.deals.money import format_money
from clientela.deals.payments import services
from clientela.deals.views import (
    card_action_failed,
    workable_deal,
)


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


@login_required
@require_POST
def payment_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = workable_deal(request, pk)
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
    return card_action_failed(request, pk, form)


@login_required
@require_POST
def payment_delete(request: AuthedRequest, pk: int, payment_id: int) -> HttpResponse:
    deal = workable_deal(request, pk)
    payment = get_object_or_404(Payment, pk=payment_id, deal=deal)
    form = Form(request.POST)
    if perform(form, lambda: services.payment_delete(by=request.user, payment=payment)):
        messages.success(request, _("Payment removed."))
    return redirect(reverse("deals:detail", args=[pk]) + "#deal-payments")
