"""Which stage a deal starts or closes in: the lookups of a pipeline's stages that starting a
deal (`deals.services`) and moving it (`deals.board.services`) share."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError
from clientela.deals.models import Pipeline, Stage


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    if pipeline is None:
        raise BusinessError(
            _("No active pipeline: an administrator must set one up first."),
            errors={"pipeline": [_("No active pipeline.")]},
        )
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = (
        pipeline.stages.filter(is_active=True, is_won=False, is_lost=False).order_by("position", "id").first()
    )
    if stage is None:
        raise BusinessError(
            _("The pipeline has no open stage."), errors={"pipeline": [_("The pipeline has no open stage.")]}
        )
    return stage


def closing_stage(pipeline: Pipeline, *, won: bool) -> Stage:
    stages = pipeline.stages.filter(is_active=True)
    stage = (stages.filter(is_won=True) if won else stages.filter(is_lost=True)).order_by("position").first()
    if stage is None:
        message = _("The pipeline has no won stage.") if won else _("The pipeline has no lost stage.")
        raise BusinessError(message, errors={"stage": [message]})
    return stage
