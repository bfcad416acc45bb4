"""Satisfaction surveys under /api/v1/retention/ (scoped like the client card: a manager sees the
surveys of the clients they see, never another team's).

* `GET /retention/surveys` (filters: client, kind, answered), `GET /retention/surveys/{id}` —
  the survey and its answer (score, index and factor scores, exit reason, comment).
* `POST /retention/surveys` — send one (422 with the field when the contact may not be asked).
* `GET /retention/satisfaction?period=month&periods=12&team=…&client=…` — NPS, CSAT and index
  totals and per period, over what the caller sees.
* `GET/POST/PATCH/DELETE /retention/satisfaction-factors` — the index's factors (admins change).
The answer itself comes through the public page, not the API.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import Action, get_visible_or_404, require
from clientela.retention import satisfaction, surveys
from clientela.retention.models import ChurnReason
from clientela.retention.surveys_models import SatisfactionFactor, Survey, SurveyKind

router = Router(tags=["retention"])


class FactorScoreOut(Schema):
    factor: str
    label: str
    score: int
    weight: Decimal


class SurveyOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    client_id: int
    contact_id: int | None
    deal_id: int | None
    subject: str
    email: str
    language: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    expires_at: dt.datetime | None
    answered_at: dt.datetime | None
    score: int | None
    index: Decimal | None
    index_percent: Decimal | None
    churn_reason: str
    churn_reason_label: str
    comment: str
    factor_scores: list[FactorScoreOut]


def _out(survey: Survey, *, reasons: dict[str, str] | None = None, factors: bool = False) -> dict[str, Any]:
    reasons = reasons if reasons is not None else {}
    return {
        "id": survey.pk,
        "kind": survey.kind,
        "kind_label": str(survey.get_kind_display()),
        "status": survey.status,
        "client_id": survey.client_id,
        "contact_id": survey.contact_id,
        "deal_id": survey.deal_id,
        "subject": survey.subject,
        "email": survey.email,
        "language": survey.language,
        "created_at": survey.created_at,
        "sent_at": survey.sent_at,
        "expires_at": survey.expires_at,
        "answered_at": survey.answered_at,
        "score": survey.score,
        "index": survey.index_value,
        "index_percent": satisfaction.index_percent(survey.index_value),
        "churn_reason": survey.churn_reason,
        "churn_reason_label": str(reasons.get(survey.churn_reason, survey.churn_reason)),
        "comment": survey.comment,
        "factor_scores": [
            {"factor": row.factor.code, "label": row.factor.label, "score": row.score, "weight": row.weight}
            for row in survey.factor_scores.select_related("factor")
        ]
        if factors
        else [],
    }


def _reasons() -> dict[str, str]:
    return {r.code: r.label for r in ChurnReason.objects.all()}


class SurveyQuery(PageParams):
    client: int | None = Field(None, description="Only this client's surveys.")
    kind: Literal["csat", "nps", "index", "exit"] | None = None
    answered: bool | None = Field(None, description="Only answered (true) or unanswered (false) ones.")


@router.get("/retention/surveys", response=Page[SurveyOut], summary="Satisfaction surveys and their answers")
def survey_list(request: HttpRequest, filters: Query[SurveyQuery]) -> dict[str, Any]:
    rows = Survey.objects.restrict(request.user, Action.VIEW).order_by("-created_at", "-id")
    if filters.client:
        rows = rows.filter(client_id=filters.client)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.answered is not None:
        rows = rows.filter(answered_at__isnull=not filters.answered)
    page = paginate(rows, filters)
    reasons = _reasons()
    page["items"] = [_out(item, reasons=reasons) for item in page["items"]]
    return page


@router.get("/retention/surveys/{survey_id}", response=SurveyOut, summary="One survey and its answer")
def survey_detail(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = get_visible_or_404(Survey.objects.all(), request.user, pk=survey_id)
    return _out(survey, reasons=_reasons(), factors=True)


class SurveyIn(Schema):
    client: int
    kind: Literal["csat", "nps", "index", "exit"]
    contact: int | None = None
    deal: int | None = None
    subject: str = Field("", max_length=200)


@router.post("/retention/surveys", response={201: SurveyOut}, summary="Send a survey to a client's contact")
def survey_create(request: AuthedRequest, payload: SurveyIn) -> Status:
    require(request.user, "work_records")
    client = Client.objects.visible_to(request.user).filter(pk=payload.client).first()
    if client is None:
        raise BusinessError(
            _("Choose a client you work with."), errors={"client": [_("Choose a client you work with.")]}
        )
    contact = None
    if payload.contact is not None:
        contact = Contact.objects.filter(pk=payload.contact, client=client).first()
        if contact is None:
            raise BusinessError(
                _("Choose a contact of this client."),
                errors={"contact": [_("Choose a contact of this client.")]},
            )
    deal = None
    if payload.deal is not None:
        from clientela.deals.models import Deal

        deal = Deal.objects.filter(pk=payload.deal, client=client).first()
        if deal is None:
            raise BusinessError(
                _("Choose a deal of this client."), errors={"deal": [_("Choose a deal of this client.")]}
            )
    survey = surveys.survey_send(
        by=request.user, client=client, kind=payload.kind, contact=contact, deal=deal, subject=payload.subject
    )
    return Status(201, _out(survey, reasons=_reasons()))


class FiguresQuery(Schema):
    period: Literal["month", "quarter", "year"] = "month"
    periods: int = Field(12, ge=1, le=60)
    team: int | None = None
    client: int | None = None
    owner: int | None = None


class FiguresRow(Schema):
    answers: int
    nps: Decimal | None
    nps_answers: int
    promoters: int
    detractors: int
    csat: Decimal | None
    csat_answers: int
    csat_satisfied_percent: Decimal | None
    index: Decimal | None
    index_percent: Decimal | None
    index_answers: int


class FiguresPeriod(FiguresRow):
    start: dt.date


class FiguresOut(Schema):
    period: str
    total: FiguresRow
    rows: list[FiguresPeriod]


@router.get(
    "/retention/satisfaction", response=FiguresOut, summary="NPS, CSAT and satisfaction index, per period"
)
def satisfaction_figures(request: HttpRequest, filters: Query[FiguresQuery]) -> dict[str, Any]:
    return satisfaction.satisfaction_figures(
        viewer=request.user,
        period=filters.period,
        periods=filters.periods,
        team_id=filters.team,
        client_id=filters.client,
        owner_id=filters.owner,
    )


class FactorOut(Schema):
    id: int
    code: str
    label: str
    weight: Decimal
    position: int
    is_active: bool


def _factor_out(factor: SatisfactionFactor) -> dict[str, Any]:
    return {
        "id": factor.pk,
        "code": factor.code,
        "label": factor.label,
        "weight": factor.weight,
        "position": factor.position,
        "is_active": factor.is_active,
    }


@router.get(
    "/retention/satisfaction-factors", response=list[FactorOut], summary="The satisfaction index's factors"
)
def factor_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_factor_out(f) for f in SatisfactionFactor.objects.all()]


class FactorIn(Schema):
    name: str = Field(..., max_length=80)
    weight: Decimal = Field(..., gt=0, le=1000)
    position: int = Field(100, ge=0, le=1000)


@router.post("/retention/satisfaction-factors", response={201: FactorOut}, summary="Add a factor (admins)")
def factor_create(request: AuthedRequest, payload: FactorIn) -> Status:
    factor = satisfaction.factor_create(
        by=request.user, name=payload.name, weight=payload.weight, position=payload.position
    )
    return Status(201, _factor_out(factor))


class FactorPatch(Schema):
    name: str | None = Field(None, max_length=80)
    weight: Decimal | None = Field(None, gt=0, le=1000)
    position: int | None = Field(None, ge=0, le=1000)
    is_active: bool | None = None


@router.patch(
    "/retention/satisfaction-factors/{factor_id}",
    response=FactorOut,
    summary="Change a factor's weight (admins)",
)
def factor_update(request: AuthedRequest, factor_id: int, payload: FactorPatch) -> dict[str, Any]:
    satisfaction._require_factor_editor(request.user)
    factor = get_object_or_404(SatisfactionFactor, pk=factor_id)
    values = payload.dict(exclude_none=True)
    return _factor_out(satisfaction.factor_update(by=request.user, factor=factor, values=values))


@router.delete(
    "/retention/satisfaction-factors/{factor_id}",
    response={204: None},
    summary="Remove a factor (one already scored is switched off instead; admins)",
)
def factor_delete(request: AuthedRequest, factor_id: int) -> Status:
    satisfaction._require_factor_editor(request.user)
    factor = get_object_or_404(SatisfactionFactor, pk=factor_id)
    satisfaction.factor_delete(by=request.user, factor=factor)
    return Status(204, None)


__all__ = ["SurveyKind", "router"]
