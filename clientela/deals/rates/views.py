"""The exchange rates page (Settings → Sales): everyone who sees the sales settings reads the
rates in force and their history; admins record a rate or correct one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import user_can
from clientela.deals.rates import selectors, services


class ExchangeRateForm(forms.Form):
    """Raw values: the service checks them (the same rules as the API's bulk load)."""

    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        widget=forms.TextInput(attrs={"placeholder": "HUF", "autocapitalize": "characters", "size": 4}),
    )
    rate = forms.CharField(
        label=gettext_lazy("Rate: one unit is worth, in the base currency"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.0025"}),
    )
    valid_from = forms.CharField(
        label=gettext_lazy("Valid from"), max_length=10, widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def exchange_rates(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user_can(user, "view_team_settings"):
        raise PermissionDenied
    can_manage = user_can(user, "manage_settings")
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    form = ExchangeRateForm(request.POST or None, initial={"valid_from": timezone.localdate().isoformat()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        saved = perform(
            form,
            lambda: services.exchange_rate_set(
                by=user, currency=data["currency"], rate=data["rate"], valid_from=data["valid_from"]
            ),
        )
        if saved:
            messages.success(request, _("Rate saved: %(rate)s.") % {"rate": saved})
            return redirect("deals:exchange_rates")
    base = selectors.base_currency()
    in_force = {rate.pk for rate in selectors.rates_on(base=base).values()}
    context = {
        "tab": "rates",
        "can_manage": can_manage,
        "form": form,
        "base": base,
        "rates": selectors.recorded_rates(base=base)[:500],
        "in_force": in_force,
        "today": timezone.localdate(),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "deals/settings/exchange_rates.html", context, status=status)
