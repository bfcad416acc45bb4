"""Acknowledging a leak-rate alert (the home page's banner and the dashboard)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest, safe_next
from clientela.retention.leak_alerts import alerts_visible_to, leak_alert_acknowledge


@login_required
@require_POST
def alert_acknowledge(request: AuthedRequest, pk: int) -> HttpResponse:
    alert = alerts_visible_to(request.user).filter(pk=pk).first()
    if alert is None:
        raise Http404(_("No such alert."))
    try:
        leak_alert_acknowledge(by=request.user, alert=alert)
        messages.success(request, _("Alert acknowledged."))
    except BusinessError as error:
        messages.info(request, error.message)
    return redirect(safe_next(request, "/"))
