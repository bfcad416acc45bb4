"""The public one-question page linked from the farewell letter (no sign-in; a signed token names
the lead): why did you decline? The answer goes on the lead's timeline.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from clientela.core.texts import Label, Message
from clientela.leads import texts
from clientela.leads.choices import LeadEventKind
from clientela.leads.models import RefusalReason
from clientela.leads.services.lifecycle import lead_event
from clientela.leads.tasks import lead_from_questionnaire_token


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
            Message(texts.QUESTIONNAIRE, reason=Label("refusal_reason", reason.code, reason.name)),
            questionnaire_reason=reason.code,
            comment=comment,
        )
        return render(request, "leads/questionnaire.html", {"thanks": True})
    return render(request, "leads/questionnaire.html", {"reasons": reasons})
