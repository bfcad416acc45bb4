"""Deal funnel of one pipeline: the deals that entered each stage in the period, how many of them
went on, how many were lost there and why, how long deals stay in a stage, the bottlenecks, and
the corporate practice benchmark beside the company's own funnel.

Read from the stage history (`deals.DealStageChange`: one row per move, with the seconds spent
in the stage left), scoped to the viewer's deals (a manager: their own):

* **entered**: deals with a move into the stage in the period (a deal counted once per stage);
* **went on**: of those, the deals with a later move into a later stage of the pipeline that is
  not a lost stage (won included), whenever it happened;
* **lost here**: of those, the deals with a later move from this stage into a lost stage;
* **median time in stage**: over the moves out of the stage in the period
  (`percentile_cont(0.5)` on PostgreSQL; on SQLite the same median from the period's durations);
* **bottleneck** (row highlighted): among the open stages with deals, the one(s) with the lowest
  conversion to a later stage, and any stage whose conversion is below half the average of the
  pipeline's open stages — at least two stages must have a conversion to compare;
* **benchmark**: the practice of corporate sales — of 100 % first calls, 40 % reach a meeting
  and 20 % a decision — against the deals that entered the pipeline's first open stage, its
  second open stage and its won stage in the period.

No amounts: marketers (who follow their team's deals for campaign results) may open it too."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Exists, FloatField, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.analytics.engine import ALL_ROLES, TARGETS, Report, ReportContext, percent, register
from clientela.core.figures import Chart, Column, Figure
from clientela.core.roles import Role
from clientela.deals.defaults import LOST_REASON_LABELS, seeded_text
from clientela.deals.models import DealObjection, DealStageChange, LostReason, Pipeline, Stage

# The corporate practice (SPEC §9): of 100 % first calls, 40 % meetings and 20 % decisions.
BENCHMARK = (Decimal(100), Decimal(40), Decimal(20))
DAY = Decimal(86400)
# Report filters the deal list cannot apply: with one of them set, numbers link nowhere (a
# link would show more deals than were counted).
NOT_ON_DEAL_LIST = ("source", "origin", "campaign", "temperature", "country", "region", "industry")


class Median(Aggregate):
    """PostgreSQL's continuous median (`percentile_cont(0.5) WITHIN GROUP (ORDER BY …)`)."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def pipeline_of(ctx: ReportContext) -> Pipeline | None:
    if ctx.filters.pipeline:
        return Pipeline.objects.filter(pk=ctx.filters.pipeline).first()
    return Pipeline.objects.order_by("-is_default", "-is_active", "position", "id").first()


def stage_changes(ctx: ReportContext, pipeline: Pipeline) -> Any:
    """The pipeline's moves of the viewer's deals (the deals' other filters applied). An admin
    without filters sees every deal: the moves are read by (pipeline, at) alone, without
    asking the deals table which deals they are."""
    changes = DealStageChange.objects.filter(pipeline=pipeline)
    narrowed = any(getattr(ctx.filters, name) for name in TARGETS["deal"].lookups if name != "pipeline")
    if ctx.role == Role.ADMIN and not narrowed:
        return changes
    return changes.filter(deal__in=ctx.deals(skip=("pipeline",)).order_by().values("pk"))


def _after() -> Q:
    """A move later than the outer one (ties on the moment broken by the id)."""
    return Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))


def stage_counts(ctx: ReportContext, pipeline: Pipeline) -> dict[int, dict[str, int]]:
    key = f"deal-funnel-counts-{pipeline.pk}"
    if key not in ctx.cache:
        ctx.cache[key] = _stage_counts(ctx, pipeline)
    return ctx.cache[key]


def _stage_counts(ctx: ReportContext, pipeline: Pipeline) -> dict[int, dict[str, int]]:
    entries = ctx.in_period(stage_changes(ctx, pipeline), "at")
    forward = DealStageChange.objects.filter(
        _after(),
        deal=OuterRef("deal"),
        to_stage__pipeline=pipeline,
        to_stage__position__gt=OuterRef("to_stage__position"),
        to_stage__is_lost=False,
    )
    lost = DealStageChange.objects.filter(
        _after(), deal=OuterRef("deal"), from_stage=OuterRef("to_stage"), to_stage__is_lost=True
    )
    rows = (
        entries.order_by()
        .values("to_stage")
        .annotate(
            entered=Count("deal", distinct=True),
            advanced=Count("deal", distinct=True, filter=Q(Exists(forward))),
            lost=Count("deal", distinct=True, filter=Q(Exists(lost))),
        )
    )
    return {row["to_stage"]: row for row in rows}


def median_seconds(ctx: ReportContext, pipeline: Pipeline) -> dict[int, float]:
    """Per stage, the median time deals spent in it before leaving it in the period."""
    leaving = ctx.in_period(stage_changes(ctx, pipeline), "at").filter(
        from_stage__isnull=False, seconds_in_previous__isnull=False
    )
    if connection.vendor == "postgresql":
        rows = leaving.order_by().values("from_stage").annotate(median=Median("seconds_in_previous"))
        return {row["from_stage"]: row["median"] for row in rows}
    durations: dict[int, list[int]] = defaultdict(list)
    for stage, seconds in leaving.order_by().values_list("from_stage", "seconds_in_previous"):
        durations[stage].append(seconds)
    return {stage: float(statistics.median(values)) for stage, values in durations.items()}


def _days(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / DAY).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def bottlenecks(conversions: dict[int, Decimal]) -> set[int]:
    """The stages with the lowest conversion, and those below half the average (see above)."""
    if len(conversions) < 2:
        return set()
    lowest = min(conversions.values())
    average = sum(conversions.values()) / len(conversions)
    return {pk for pk, value in conversions.items() if value == lowest or value < average / 2}


def _links_ok(ctx: ReportContext) -> bool:
    return not any(getattr(ctx.filters, name) for name in NOT_ON_DEAL_LIST)


def _deals_link(ctx: ReportContext, **params: Any) -> str:
    return ctx.link("deals:list", dates="entered", **params)


def stages_figure(ctx: ReportContext, pipeline: Pipeline, stages: list[Stage]) -> Figure:
    counts = stage_counts(ctx, pipeline)
    medians = median_seconds(ctx, pipeline)
    links_ok = _links_ok(ctx)
    conversions: dict[int, Decimal] = {}
    for stage in stages:
        row = counts.get(stage.pk)
        if not stage.is_closed and row and row["entered"]:
            value = percent(row["advanced"], row["entered"])
            if value is not None:
                conversions[stage.pk] = value
    marked = bottlenecks(conversions)
    lost_stage = next((s for s in stages if s.is_lost), None)
    other = ctx.comparison()
    previous = stage_counts(other, pipeline) if other is not None else None
    rows = []
    for stage in stages:
        row = counts.get(stage.pk) or {"entered": 0, "advanced": 0, "lost": 0}
        closed = stage.is_closed
        values: dict[str, Any] = {
            "stage": stage.label,
            "entered": row["entered"],
            "advanced": None if closed else row["advanced"],
            "conversion": None if closed else conversions.get(stage.pk),
            "lost": None if closed else row["lost"],
            "lost_share": None if closed else percent(row["lost"], row["entered"]),
            "median_days": None if closed else _days(medians.get(stage.pk)),
            "bottleneck": _("Bottleneck") if stage.pk in marked else "",
        }
        if previous is not None:
            before = previous.get(stage.pk) or {"entered": 0, "advanced": 0}
            values["previous"] = before["entered"]
            values["previous_conversion"] = None if closed else percent(before["advanced"], before["entered"])
        if stage.pk in marked:
            values["_mark"] = "danger"
        if links_ok:
            links = {"entered": _deals_link(ctx, entered_stage=stage.pk)}
            if lost_stage is not None and not closed:
                links["lost"] = _deals_link(ctx, entered_stage=lost_stage.pk, left_stage=stage.pk)
            values["_links"] = links
        rows.append(values)
    average = sum(conversions.values()) / len(conversions) if conversions else None
    note = _(
        "Deals that entered each stage in the period; “went on”: those that later reached a "
        "later stage (won included, lost not). Bottleneck: the open stage with the lowest "
        "conversion, and any stage converting less than half the pipeline's average "
        "(%(average)s %%). Median time in stage: deals that left the stage in the period."
    ) % {"average": "—" if average is None else f"{average:.1f}"}
    return Figure(
        key="deal-funnel-stages",
        title=_("%(pipeline)s: stages") % {"pipeline": pipeline.label},
        columns=[
            Column("stage", _("Stage")),
            Column("entered", _("Entered"), kind="int"),
            Column("advanced", _("Went on"), kind="int"),
            Column("conversion", _("Conversion to a later stage"), kind="percent"),
            Column("lost", _("Lost here"), kind="int"),
            Column("lost_share", _("Lost here, share"), kind="percent"),
            Column("median_days", _("Median days in stage"), kind="decimal"),
            Column("bottleneck", _("Bottleneck")),
            *(
                [
                    Column("previous", _("Entered, previous period"), kind="int"),
                    Column("previous_conversion", _("Conversion, previous period"), kind="percent"),
                ]
                if previous is not None
                else []
            ),
        ],
        rows=rows if any(r["entered"] or r.get("previous") for r in rows) else [],
        chart=Chart(kind="bar", x="stage", series=["entered", "advanced"]),
        note=note,
    )


def benchmark_figure(ctx: ReportContext, pipeline: Pipeline, stages: list[Stage]) -> Figure:
    counts = stage_counts(ctx, pipeline)
    open_stages = [s for s in stages if not s.is_closed]
    won = [s for s in stages if s.is_won]
    steps: list[tuple[Any, list[Stage], Decimal]] = []
    if open_stages:
        steps.append((_("First calls"), open_stages[:1], BENCHMARK[0]))
    if len(open_stages) > 1:
        steps.append((_("Meetings"), open_stages[1:2], BENCHMARK[1]))
    if won:
        steps.append((_("Decisions"), won, BENCHMARK[2]))
    base = sum(counts.get(s.pk, {}).get("entered", 0) for s in open_stages[:1])
    links_ok = _links_ok(ctx)
    rows = []
    for label, step_stages, benchmark in steps:
        entered = sum(counts.get(s.pk, {}).get("entered", 0) for s in step_stages)
        row: dict[str, Any] = {
            "step": label,
            "stage": ", ".join(s.label for s in step_stages),
            "deals": entered,
            "own": percent(entered, base),
            "benchmark": benchmark,
        }
        if links_ok and len(step_stages) == 1:
            row["_links"] = {"deals": _deals_link(ctx, entered_stage=step_stages[0].pk)}
        rows.append(row)
    return Figure(
        key="deal-funnel-benchmark",
        title=_("Against the corporate practice"),
        columns=[
            Column("step", _("Step")),
            Column("stage", _("Stage")),
            Column("deals", _("Deals"), kind="int"),
            Column("own", _("Your funnel"), kind="percent"),
            Column("benchmark", _("Practice"), kind="percent"),
        ],
        rows=rows if base else [],
        chart=Chart(kind="bar", x="step", series=["own", "benchmark"]),
        note=_(
            "The practice of corporate sales: of 100 % first calls, 40 % reach a meeting and "
            "20 % a decision. Yours: the deals that entered the pipeline's first stage, its "
            "second stage and its won stage in the period, against the first."
        ),
        extra={"half": True},
    )


def losses_figure(ctx: ReportContext, pipeline: Pipeline, stages: list[Stage]) -> Figure:
    lost = ctx.in_period(stage_changes(ctx, pipeline), "at").filter(to_stage__is_lost=True)
    rows_by = (
        lost.order_by()
        .values("from_stage", "to_stage", "deal__lost_reason")
        .annotate(n=Count("deal", distinct=True))
    )
    reasons = {r.pk: r for r in LostReason.objects.all()}
    names = {s.pk: s for s in stages}
    position = {s.pk: (s.position, s.pk) for s in stages}
    links_ok = _links_ok(ctx)
    rows = []
    for row in rows_by:
        reason = reasons.get(row["deal__lost_reason"])
        stage = names.get(row["from_stage"])
        values: dict[str, Any] = {
            "stage": stage.label if stage else _("Another pipeline"),
            "reason": str(LOST_REASON_LABELS.get(reason.code, reason.name)) if reason else _("No reason"),
            "deals": row["n"],
            "_order": position.get(row["from_stage"], (999, 0)),
        }
        if links_ok and row["from_stage"]:
            values["_links"] = {
                "deals": _deals_link(
                    ctx,
                    entered_stage=row["to_stage"],
                    left_stage=row["from_stage"],
                    lost_reason=row["deal__lost_reason"],
                )
            }
        rows.append(values)
    rows.sort(key=lambda r: (r["_order"], -r["deals"], str(r["reason"])))
    for row in rows:
        del row["_order"]
    return Figure(
        key="deal-funnel-losses",
        title=_("Losses per stage and reason"),
        columns=[
            Column("stage", _("Lost at stage")),
            Column("reason", _("Reason")),
            Column("deals", _("Deals"), kind="int"),
        ],
        rows=rows,
        chart=Chart(kind="hbar", x="reason", series=["deals"]),
        footer={"stage": _("Total"), "deals": sum(r["deals"] for r in rows)} if rows else None,
        note=_("Deals lost in the period, by the stage they were lost at and the reason given."),
        extra={"half": True},
    )


def objections_figure(ctx: ReportContext, pipeline: Pipeline) -> Figure:
    deals = ctx.deals(skip=("pipeline",)).order_by().values("pk")
    raised = ctx.in_period(DealObjection.objects.filter(stage__pipeline=pipeline, deal__in=deals), "at")
    rows = [
        {
            "objection": seeded_text(row["objection__text"]),
            "stage": "",
            "stage_id": row["stage"],
            "times": row["n"],
        }
        for row in raised.order_by().values("objection__text", "stage").annotate(n=Count("id"))
    ]
    stages = {s.pk: s.label for s in Stage.objects.filter(pk__in={r["stage_id"] for r in rows})}
    for row in rows:
        row["stage"] = stages.get(row.pop("stage_id"), "")
    rows.sort(key=lambda r: (-r["times"], str(r["objection"])))
    return Figure(
        key="deal-funnel-objections",
        title=_("Objections raised"),
        columns=[
            Column("objection", _("Objection")),
            Column("stage", _("Stage")),
            Column("times", _("Times"), kind="int"),
        ],
        rows=rows,
        empty=_("No objections recorded in the period."),
    )


def build(ctx: ReportContext) -> list[Figure]:
    pipeline = pipeline_of(ctx)
    if pipeline is None:
        return []
    stages = list(pipeline.stages.order_by("position", "id"))
    return [
        stages_figure(ctx, pipeline, stages),
        benchmark_figure(ctx, pipeline, stages),
        losses_figure(ctx, pipeline, stages),
        objections_figure(ctx, pipeline),
    ]


REPORT = register(
    Report(
        key="deal-funnel",
        title=gettext_lazy("Deal funnel"),
        summary=gettext_lazy(
            "Per pipeline: deals that entered each stage, conversion to the next, losses and "
            "their reasons, time in stage, the bottlenecks, and the corporate practice beside "
            "your own funnel."
        ),
        build=build,
        icon="ti-chart-funnel",
        section="sales",
        position=20,
        roles=ALL_ROLES,
    )
)
