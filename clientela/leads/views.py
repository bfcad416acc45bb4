"""Lead pages. Thin: selectors for reads, services for writes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from clientela.core.http import AuthedRequest
from clientela.core.permissions import get_visible_or_404
from clientela.leads.choices import LeadEventKind
from clientela.leads.models import Lead, RefusalReason
from clientela.leads.services import lead_event
from clientela.leads.tasks import lead_from_questionnaire_token


@login_required
def lead_list(request: AuthedRequest) -> HttpResponse:
    leads = Lead.objects.visible_to(request.user).select_related("owner")[:50]
    return render(request, "leads/lead_list.html", {"leads": leads})


@login_required
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = get_visible_or_404(Lead.objects.select_related("owner", "team"), request.user, pk=pk)
    return render(
        request, "leads/lead_detail.html", {"lead": lead, "events": lead.events.select_related("actor")[:100]}
    )


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
