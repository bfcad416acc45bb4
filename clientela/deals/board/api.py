"""API of the sales board: moving a deal (to a stage, won, lost), its stage history, the
objections raised, pipelines with their stages (admins change them) and the lost reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import require
from clientela.deals import selectors
from clientela.deals import settings_services as config
from clientela.deals.board import services
from clientela.deals.choices import PipelineKind
from clientela.deals.models import Deal, DealStageChange, LostReason, Objection, Pipeline, Stage
from clientela.deals.money import invalid
from clientela.deals.schemas import DealDetailOut, Ref, choice, deal_for, ref

# Endpoints keep the operation ids they had when the deals API was one module (`clientela.deals.api`),
# so clients generated from the schema keep working.
router = Router()  # tagged "deals" by the deals router it is mounted on


class StageOut(Schema):
    id: int
    name: str
    code: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool
    is_active: bool

    @staticmethod
    def resolve_name(obj: Stage) -> str:
        return obj.label


class PipelineOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    is_default: bool
    is_active: bool
    notify_head_on_stage_change: bool
    requires_payment_schedule: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_name(obj: Pipeline) -> str:
        return obj.label

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[Stage]:
        return list(obj.stages.all())


class StageChangeOut(Schema):
    id: int
    at: dt.datetime
    from_stage: Ref | None
    to_stage: Ref
    by: Ref | None
    seconds_in_previous: int | None

    @staticmethod
    def resolve_from_stage(obj: DealStageChange) -> dict[str, Any] | None:
        return ref(obj.from_stage) if obj.from_stage_id else None

    @staticmethod
    def resolve_to_stage(obj: DealStageChange) -> dict[str, Any] | None:
        return ref(obj.to_stage)

    @staticmethod
    def resolve_by(obj: DealStageChange) -> dict[str, Any] | None:
        return ref(obj.by) if obj.by_id else None


@router.get(
    "/deals/{deal_id}/stage-history",
    response=list[StageChangeOut],
    summary="A deal's moves between stages",
    operation_id="clientela_deals_api_deal_stage_history",
)
def deal_stage_history(request: AuthedRequest, deal_id: int) -> list[DealStageChange]:
    """Each move with the time spent in the stage it left (`seconds_in_previous`)."""
    return selectors.stage_history(deal_for(request, deal_id))


def pipeline_for(pipeline_id: int | None) -> Pipeline | None:
    if pipeline_id is None:
        return None
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise invalid("pipeline", _("No such pipeline."))
    return pipeline


def stage_for(stage_id: int | None, field: str = "stage") -> Stage | None:
    if stage_id is None:
        return None
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise invalid(field, _("No such stage."))
    return stage


class ScheduleIn(Schema):
    due_date: dt.date
    amount: Any


class MoveIn(Schema):
    stage: int
    version: int | None = None
    lost_reason: str = ""
    lost_note: str = ""
    amount: Any = None
    payments: list[ScheduleIn] = []


def _reason(code: str, field: str) -> LostReason | None:
    code = (code or "").strip()
    if not code:
        return None
    reason = LostReason.objects.filter(code=code).first()
    if reason is None:
        codes = LostReason.objects.filter(is_active=True).values_list("code", flat=True)
        raise invalid(field, _("Choose one of: %s.") % ", ".join(codes))
    return reason


def _schedule(rows: list[ScheduleIn]) -> list[services.ScheduledPayment]:
    return [services.ScheduledPayment(due_date=row.due_date, amount=row.amount) for row in rows]


@router.post(
    "/deals/{deal_id}/move",
    response=DealDetailOut,
    summary="Move a deal to a stage",
    operation_id="clientela_deals_api_move_deal",
)
def move_deal(request: AuthedRequest, deal_id: int, payload: MoveIn) -> Deal:
    """Moving to a lost stage needs `lost_reason` (a code: price, competitor, no_budget, timing,
    no_decision, quality, staff_attitude, other or one configured); to a won stage an amount
    above zero (`amount`, when the deal has no lines) and, where the pipeline asks, `payments`
    adding up to it. A missing requirement is 422 naming the field, and nothing changes."""
    deal = deal_for(request, deal_id)
    require(request.user, "work_records")
    stage = stage_for(payload.stage)
    assert stage is not None
    services.deal_move(
        by=request.user,
        deal=deal,
        stage=stage,
        version=payload.version,
        lost_reason=_reason(payload.lost_reason, "lost_reason"),
        lost_note=payload.lost_note,
        amount=payload.amount,
        payments=_schedule(payload.payments),
    )
    return deal_for(request, deal_id)


class WinIn(Schema):
    version: int | None = None
    amount: Any = None
    payments: list[ScheduleIn] = []


@router.post(
    "/deals/{deal_id}/win",
    response=DealDetailOut,
    summary="Close a deal as won",
    operation_id="clientela_deals_api_win_deal",
)
def win_deal(request: AuthedRequest, deal_id: int, payload: WinIn) -> Deal:
    deal = deal_for(request, deal_id)
    require(request.user, "work_records")
    services.deal_win(
        by=request.user,
        deal=deal,
        version=payload.version,
        amount=payload.amount,
        payments=_schedule(payload.payments),
    )
    return deal_for(request, deal_id)


class LoseIn(Schema):
    reason: str = ""
    note: str = ""
    version: int | None = None


@router.post(
    "/deals/{deal_id}/lose",
    response=DealDetailOut,
    summary="Close a deal as lost",
    operation_id="clientela_deals_api_lose_deal",
)
def lose_deal(request: AuthedRequest, deal_id: int, payload: LoseIn) -> Deal:
    """`reason` is required: a lost-reason code."""
    deal = deal_for(request, deal_id)
    require(request.user, "work_records")
    try:
        services.deal_lose(
            by=request.user,
            deal=deal,
            reason=_reason(payload.reason, "reason"),
            note=payload.note,
            version=payload.version,
        )
    except BusinessError as exc:
        if "lost_reason" in exc.errors:
            exc.errors["reason"] = exc.errors.pop("lost_reason")
        raise
    return deal_for(request, deal_id)


class ObjectionIn(Schema):
    objection: int
    note: str = ""


class RaisedOut(Schema):
    id: int
    objection: Ref
    stage: Ref
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_objection(obj: Any) -> dict[str, Any] | None:
        return ref(obj.objection)

    @staticmethod
    def resolve_stage(obj: Any) -> dict[str, Any] | None:
        return ref(obj.stage)


@router.post(
    "/deals/{deal_id}/objections",
    response={201: RaisedOut},
    summary="Record an objection raised",
    operation_id="clientela_deals_api_raise_objection",
)
def raise_objection(request: AuthedRequest, deal_id: int, payload: ObjectionIn) -> Status[Any]:
    deal = deal_for(request, deal_id)
    objection = Objection.objects.filter(pk=payload.objection).first()
    if objection is None:
        raise invalid("objection", _("No such objection."))
    return Status(
        201, services.objection_record(by=request.user, deal=deal, objection=objection, note=payload.note)
    )


# --- Pipelines ----------------------------------------------------------------------------------


def _pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )


class PipelineQuery(PageParams):
    active: bool | None = True


@router.get(
    "/pipelines",
    response=Page[PipelineOut],
    summary="Pipelines and their stages",
    operation_id="clientela_deals_api_list_pipelines",
)
def list_pipelines(request: AuthedRequest, query: Query[PipelineQuery]) -> dict[str, Any]:
    pipelines = _pipelines().order_by("-is_default", "position", "name")
    if query.active is not None:
        pipelines = pipelines.filter(is_active=query.active)
    return paginate(pipelines, query)


@router.get(
    "/pipelines/{pipeline_id}",
    response=PipelineOut,
    summary="One pipeline",
    operation_id="clientela_deals_api_get_pipeline",
)
def get_pipeline(request: AuthedRequest, pipeline_id: int) -> Pipeline:
    pipeline = _pipelines().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise Http404
    return pipeline


class StageIn(Schema):
    name: str
    probability: int = 0
    is_won: bool = False
    is_lost: bool = False
    is_active: bool = True
    position: int | None = None


class PipelineIn(Schema):
    name: str
    kind: str = PipelineKind.OTHER
    is_default: bool = False
    is_active: bool = True
    notify_head_on_stage_change: bool = False
    requires_payment_schedule: bool = False
    stages: list[StageIn] = []

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return choice(value, list(PipelineKind.values)) or PipelineKind.OTHER


def _stage_data(row: StageIn | dict[str, Any]) -> dict[str, Any]:
    data = row if isinstance(row, dict) else row.model_dump()
    return {key: value for key, value in data.items() if value is not None}


@router.post(
    "/pipelines",
    response={201: PipelineOut},
    summary="Create a pipeline (admins)",
    operation_id="clientela_deals_api_create_pipeline",
)
def create_pipeline(request: AuthedRequest, payload: PipelineIn) -> Status[Pipeline]:
    data = payload.model_dump(exclude={"stages"})
    stages = [_stage_data(row) for row in payload.stages] or None
    pipeline = config.pipeline_create(by=request.user, data=data, stages=stages)
    return Status(201, get_pipeline(request, pipeline.pk))


class PipelinePatchIn(Schema):
    name: str | None = None
    kind: str | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    notify_head_on_stage_change: bool | None = None
    requires_payment_schedule: bool | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        return choice(value, list(PipelineKind.values)) if value is not None else None


@router.patch(
    "/pipelines/{pipeline_id}",
    response=PipelineOut,
    summary="Change a pipeline (admins)",
    operation_id="clientela_deals_api_update_pipeline",
)
def update_pipeline(request: AuthedRequest, pipeline_id: int, payload: PipelinePatchIn) -> Pipeline:
    pipeline = get_pipeline(request, pipeline_id)
    data = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    config.pipeline_update(by=request.user, pipeline=pipeline, data=data)
    return get_pipeline(request, pipeline_id)


@router.post(
    "/pipelines/{pipeline_id}/stages",
    response={201: PipelineOut},
    summary="Add a stage (admins)",
    operation_id="clientela_deals_api_create_stage",
)
def create_stage(request: AuthedRequest, pipeline_id: int, payload: StageIn) -> Status[Pipeline]:
    pipeline = get_pipeline(request, pipeline_id)
    config.stage_create(by=request.user, pipeline=pipeline, data=_stage_data(payload))
    return Status(201, get_pipeline(request, pipeline_id))


class StagePatchIn(Schema):
    name: str | None = None
    probability: int | None = None
    is_won: bool | None = None
    is_lost: bool | None = None
    is_active: bool | None = None
    position: int | None = None


@router.patch(
    "/pipelines/{pipeline_id}/stages/{stage_id}",
    response=PipelineOut,
    summary="Change a stage (admins)",
    operation_id="clientela_deals_api_update_stage",
)
def update_stage(request: AuthedRequest, pipeline_id: int, stage_id: int, payload: StagePatchIn) -> Pipeline:
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=pipeline_id).select_related("pipeline").first()
    if stage is None:
        raise Http404
    data = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    config.stage_update(by=request.user, stage=stage, data=data)
    return get_pipeline(request, pipeline_id)


class LostReasonOut(Schema):
    code: str
    name: str
    is_active: bool

    @staticmethod
    def resolve_name(obj: LostReason) -> str:
        return str(obj)


@router.get(
    "/lost-reasons",
    response=list[LostReasonOut],
    summary="Why deals are lost: the configured list",
    operation_id="clientela_deals_api_list_lost_reasons",
)
def list_lost_reasons(request: AuthedRequest) -> QuerySet[LostReason]:
    return LostReason.objects.order_by("position", "name")
