"""Pages of the catalogue on a deal's card: adding and removing product lines."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.deals.catalogue import services
from clientela.deals.forms import (
    LineForm,
)
from clientela.deals.models import (
    DealLine,
)
from clientela.deals.views import (
    card_action_failed,
    workable_deal,
)


@login_required
@require_POST
def line_add(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = workable_deal(request, pk)
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
                discount_percent=data["discount_percent"],
                version=data.get("version"),
            ),
        )
        if done:
            messages.success(request, _("Product added."))
            return redirect(reverse("deals:detail", args=[pk]) + "#deal-lines")
    return card_action_failed(request, pk, form)


@login_required
@require_POST
def line_remove(request: AuthedRequest, pk: int, line_id: int) -> HttpResponse:
    deal = workable_deal(request, pk)
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
    return card_action_failed(request, pk, form)
