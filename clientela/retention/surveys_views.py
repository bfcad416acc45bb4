"""The survey pages: the public answer page `/s/<token>` (no sign-in; one answer per token; a
forged link is 404, an expired one 410, an answered one 409 — each a clear page, nothing recorded
twice), "send a survey" from the client card, and the index factors' settings page (admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.http import AuthedRequest
from clientela.core.permissions import Action, can, get_visible_or_404
from clientela.retention import satisfaction, surveys
from clientela.retention.models import ChurnReason
from clientela.retention.surveys_models import SatisfactionFactor, SurveyKind

STATE_STATUS = {"unknown": 404, "expired": 410, "answered": 409}


def _page_language(request: HttpRequest, survey: Any) -> str:
    chosen = request.GET.get("lang", "")
    if chosen in surveys.LANGUAGES:
        return chosen
    return survey.language if survey is not None and survey.language in surveys.LANGUAGES else "en"


def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The public survey page: the question(s) in the survey's language (switchable)."""
    survey = surveys.survey_for_token(token)
    language = _page_language(request, survey)
    with translation.override(language):
        state = surveys.survey_state(survey)
        context: dict[str, Any] = {"survey": survey, "language": language, "languages": surveys.LANGUAGES}
        if state != "open":
            return render(
                request,
                "retention/surveys/answer.html",
                {**context, "state": state},
                status=STATE_STATUS[state],
            )
        assert survey is not None
        data: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            data = request.POST.dict()
            try:
                surveys.survey_answer(token=token, data=data)
            except BusinessError as exc:
                if exc.status in (404, 409, 410):
                    state = {404: "unknown", 409: "answered", 410: "expired"}[exc.status]
                    return render(
                        request,
                        "retention/surveys/answer.html",
                        {**context, "state": state},
                        status=exc.status,
                    )
                errors = exc.errors or {"__all__": [exc.message]}
            else:
                return render(request, "retention/surveys/answer.html", {**context, "state": "thanks"})
        scale: list[int] = []
        if survey.kind == SurveyKind.NPS:
            scale = list(range(0, 11))
        elif survey.kind == SurveyKind.CSAT:
            scale = list(range(1, 6))
        factors = (
            [
                {
                    "code": f.code,
                    "label": f.label,
                    "name": f"factor_{f.code}",
                    "value": str(data.get(f"factor_{f.code}", "")),
                    "errors": errors.get(f"factor_{f.code}", []),
                }
                for f in SatisfactionFactor.objects.filter(is_active=True)
            ]
            if survey.kind == SurveyKind.INDEX
            else []
        )
        reasons = list(ChurnReason.objects.filter(is_active=True)) if survey.kind == SurveyKind.EXIT else []
        return render(
            request,
            "retention/surveys/answer.html",
            {
                **context,
                "state": "open",
                "scale": scale,
                "factors": factors,
                "reasons": reasons,
                "data": data,
                "errors": errors,
                "form_errors": errors.get("__all__", []),
            },
            status=422 if errors else 200,
        )


class SendSurveyForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Survey"), choices=[c for c in SurveyKind.choices if c[0] != SurveyKind.EXIT]
    )
    contact = forms.IntegerField(label=gettext_lazy("Contact"), required=False)
    subject = forms.CharField(
        label=gettext_lazy("About (a product or service)"), required=False, max_length=200
    )


@login_required
@require_POST
def survey_send(request: AuthedRequest, pk: int) -> HttpResponse:
    """ "Send a survey" from the client card."""
    client = get_visible_or_404(Client.objects.all(), request.user, pk=pk)
    if not can(request.user, client, Action.WORK):
        raise PermissionDenied
    form = SendSurveyForm(request.POST)
    target = f"/clients/{client.pk}/#client-satisfaction"
    if not form.is_valid():
        messages.error(request, _("Choose a survey to send."))
        return redirect(target)
    contact = None
    if form.cleaned_data.get("contact"):
        contact = Contact.objects.filter(pk=form.cleaned_data["contact"], client=client).first()
        if contact is None:
            messages.error(request, _("Choose a contact of this client."))
            return redirect(target)
    try:
        survey = surveys.survey_send(
            by=request.user,
            client=client,
            kind=form.cleaned_data["kind"],
            contact=contact,
            subject=form.cleaned_data.get("subject") or "",
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, _("The survey was not sent: %(why)s") % {"why": exc.message})
        return redirect(target)
    messages.success(request, _("The survey goes to %(email)s.") % {"email": survey.email})
    return redirect(target)


@login_required
def factor_settings(request: AuthedRequest) -> HttpResponse:
    """The weighted index's factors and weights (admins change them)."""
    if not satisfaction.may_edit_factors(request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            if request.POST.get("action") == "add":
                satisfaction.factor_create(
                    by=request.user, name=request.POST.get("name", ""), weight=request.POST.get("weight", "")
                )
            else:
                for factor in SatisfactionFactor.objects.all():
                    values: dict[str, Any] = {"is_active": request.POST.get(f"active_{factor.pk}") == "on"}
                    if f"weight_{factor.pk}" in request.POST:
                        values["weight"] = request.POST[f"weight_{factor.pk}"]
                    satisfaction.factor_update(by=request.user, factor=factor, values=values)
        except BusinessError as exc:
            for problems in exc.errors.values():
                for problem in problems:
                    messages.error(request, problem)
            if not exc.errors:
                messages.error(request, exc.message)
        else:
            messages.success(request, _("Satisfaction factors saved."))
        return redirect("retention:survey_factors")
    factors = list(SatisfactionFactor.objects.all())
    total = sum((f.weight for f in factors if f.is_active), start=satisfaction.Decimal(0))
    rows = [
        {
            "factor": f,
            "share": satisfaction._q(f.weight * 100 / total, "0.1") if total and f.is_active else None,
        }
        for f in factors
    ]
    return render(request, "retention/surveys/factors.html", {"rows": rows})


GROUPS = {
    "promoters": {"score__gte": satisfaction.PROMOTER_MIN},
    "detractors": {"score__lte": satisfaction.DETRACTOR_MAX},
    "satisfied": {"score__gte": satisfaction.SATISFIED_MIN},
}


@login_required
def survey_list(request: AuthedRequest) -> HttpResponse:
    """The survey answers the viewer may see (the records behind the satisfaction figures):
    filtered by kind, month (YYYY-MM), team, client and group (promoters, detractors, satisfied)."""
    import datetime as dt

    from django.core.paginator import Paginator
    from django.utils import timezone

    from clientela.retention.surveys_models import Survey

    rows = (
        Survey.objects.restrict(request.user, Action.VIEW)
        .filter(answered_at__isnull=False)
        .select_related("client", "contact", "deal")
        .order_by("-answered_at", "-id")
    )
    filters: dict[str, str] = {}
    kind = request.GET.get("kind", "")
    if kind in SurveyKind.values:
        rows, filters["kind"] = rows.filter(kind=kind), kind
    group = request.GET.get("group", "")
    if group in GROUPS:
        rows, filters["group"] = rows.filter(**GROUPS[group]), group
    for name, field in (("team", "client__team_id"), ("client", "client_id")):
        raw = request.GET.get(name, "")
        if raw.isdigit():
            rows, filters[name] = rows.filter(**{field: int(raw)}), raw
    month = request.GET.get("month", "")
    try:
        start = dt.datetime.strptime(month, "%Y-%m")
    except ValueError:
        start = None
    if start is not None:
        zone = timezone.get_current_timezone()
        first = start.replace(tzinfo=zone)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        rows, filters["month"] = rows.filter(answered_at__gte=first, answered_at__lt=following), month
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    reasons = {r.code: r.label for r in ChurnReason.objects.all()}
    return render(
        request,
        "retention/surveys/list.html",
        {
            "page": page,
            "filters": filters,
            "kinds": SurveyKind.choices,
            "reasons": reasons,
            "may_edit_factors": satisfaction.may_edit_factors(request.user),
        },
    )
