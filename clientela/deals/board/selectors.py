"""Reads of the sales board, scoped to the viewer: the kanban's columns (cards per stage, counts
and totals from the kept `BoardTotal` rows), more cards of a column, the pipeline a viewer lands
on, and the pipeline's analytics (conversion and time per stage, objections raised)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Avg,
    Count,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clientela.clients.models import Client
from clientela.core.listspec import ListValues
from clientela.deals.choices import DealStatus
from clientela.deals.lists import DEALS
from clientela.deals.models import (
    BoardTotal,
    Deal,
    DealObjection,
    DealStageChange,
    Pipeline,
    Stage,
)
from clientela.deals.selectors import can_see_amounts, deals_visible_to

# Cards shown per board column before "show more"; closed columns show recent closings only.
BOARD_CARDS = 30
BOARD_CLOSED_DAYS = 30

# --- The board --------------------------------------------------------------------------------


class BoardCard(NamedTuple):
    """What a kanban card shows: a plain row, not a model instance (a board has hundreds)."""

    pk: int
    stage_id: int
    title: str
    amount: Decimal
    currency: str
    status: str
    version: int
    next_step_date: dt.date | None
    next_step_subject: str
    stage_entered_at: dt.datetime
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    client_id: int
    client_name: str


# BoardCard's fields but the last: the client's name is joined to a column's cards after its
# LIMIT (joined before, the database fetches a client for every deal of the stage it sorts).
CARD_FIELDS = (
    "id",
    "stage_id",
    "title",
    "amount",
    "currency",
    "status",
    "version",
    "next_step_date",
    "next_step_subject",
    "stage_entered_at",
    "owner_id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "client_id",
)
CARD_ORDER = ("-stage_entered_at", "-id")


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    cards: list[BoardCard] = field(default_factory=list)
    cards_html: str = ""

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]
    show_amounts: bool
    closed_since: dt.datetime


def _board_deals(
    viewer: Any,
    pipeline: Pipeline,
    filters: ListValues,
    since: dt.datetime,
    *,
    closed: bool,
    cards: bool = False,
    visible: QuerySet[Deal] | None = None,
) -> QuerySet[Deal]:
    """Open deals of the pipeline, or those closed since `since` — two index-friendly sets
    (an OR of both would make the database read every deal of the pipeline). `cards`: the same
    deals, said for walking the board indexes in card order (`_card_set`). `visible`: the
    viewer's deals when already scoped (a board builds three sets; scoping a head of sales
    reads their teams each time)."""
    deals = (visible if visible is not None else deals_visible_to(viewer)).filter(pipeline=pipeline)
    if closed and cards:
        deals = _card_set(deals.filter(status__in=[DealStatus.WON, DealStatus.LOST]), since, closed=True)
    elif closed:
        deals = deals.filter(status__in=[DealStatus.WON, DealStatus.LOST], closed_at__gte=since)
    else:
        deals = deals.filter(status=DealStatus.OPEN)
    narrowed = DEALS.values(
        q=filters.q,
        owner=filters.owner,
        unassigned=filters.unassigned,
        team=filters.team,
        next_step_overdue=filters.next_step_overdue,
    )
    return DEALS.filter(deals, narrowed)


def _card_set(deals: QuerySet[Deal], since: dt.datetime, *, closed: bool) -> QuerySet[Deal]:
    """The deals whose cards a column shows, said so that the database walks a board index in
    card order (newest in the stage first) and stops after the column's cards.

    For the closed columns: a closed deal entered its won/lost stage when it was closed or
    later (`deal_move` sets both; a move between closed stages keeps `closed_at`), so
    `stage_entered_at >= since` holds for every deal closed since then and can walk the
    closed-board index (pipeline, stage, stage_entered_at). The period itself is checked on
    `COALESCE(closed_at, stage_entered_at)` with `closed_at IS NOT NULL` — the same rows as
    `closed_at >= since` — because the planner, seeing both date ranges on the plain columns,
    multiplies their selectivities, expects a handful of rows and sorts every deal closed in
    the period instead (30 ms instead of 1 ms a column for a head of sales at 500k deals)."""
    if not closed:
        return deals
    return deals.alias(closed_since=Coalesce("closed_at", "stage_entered_at")).filter(
        stage_entered_at__gte=since, closed_at__isnull=False, closed_since__gte=since
    )


def _card_rows(deals: QuerySet[Deal]) -> QuerySet[Any]:
    return deals.order_by(*CARD_ORDER).values_list(*CARD_FIELDS)


# A stage id no row has: the card query is compiled once with it, then run for every column.
_STAGE_PLACEHOLDER = -2_000_000_011


_PARAMETER = re.compile(r"(?<!%)%s")


def _parameter_as(sql: str, position: int, expression: str) -> str:
    """Compiled SQL with its `position`-th parameter replaced by `expression`."""
    mark = list(_PARAMETER.finditer(sql))[position]
    return sql[: mark.start()] + expression + sql[mark.end() :]


def _column_cards(parts: list[tuple[QuerySet[Deal], int]], limit: int) -> dict[int, list[BoardCard]]:
    """The first `limit` cards of each stage over its (deal set, stage id) parts, in one round trip.

    Every column asks the same query but for its stage, so the query is compiled once per deal
    set (open / recently closed, per part of the viewer's scope) with a placeholder stage id.
    On PostgreSQL the stage becomes a column of `unnest(stage ids)` and the query a LATERAL
    subquery: one query to parse and plan per set, walking the board index once per column
    (7 ms where a UNION ALL of a copy per column took 11–15 ms, half of it planning). Elsewhere
    the columns' copies are joined with UNION ALL. Either way each column is a
    `SELECT … ORDER BY … LIMIT` for its stage, the client's name joined to its `limit` rows only.
    """
    if not parts:
        return {}
    database = connections[parts[0][0].db]
    quote = database.ops.quote_name
    client, name, pk, client_id = quote(Client._meta.db_table), quote("name"), quote("id"), quote("client_id")
    sets: dict[int, tuple[QuerySet[Deal], list[int]]] = {}
    for deals, stage_id in parts:
        sets.setdefault(id(deals), (deals, []))[1].append(stage_id)
    sql_parts: list[str] = []
    params: list[Any] = []
    compiler: Any = None

    def add(sql: str, part_params: list[Any], source: str = "") -> None:
        # The ORM's own SQL; every value stays a bound parameter.
        alias = f"column_{len(sql_parts)}"
        sql_parts.append(
            f"SELECT {alias}.*, {client}.{name} FROM {source}({sql}) AS {alias}"  # noqa: S608
            f" INNER JOIN {client} ON {client}.{pk} = {alias}.{client_id}"
        )
        params.extend(part_params)

    for deals, stage_ids in sets.values():
        query = _card_rows(deals.filter(stage_id=_STAGE_PLACEHOLDER))[:limit]
        compiler = query.query.get_compiler(using=query.db)
        try:
            sql, compiled = compiler.as_sql()
        except EmptyResultSet:
            continue
        template = list(compiled)
        positions = [i for i, value in enumerate(template) if value == _STAGE_PLACEHOLDER]
        if len(positions) != 1:
            # Should a filter value ever equal the placeholder: each column compiled on its own.
            for stage_id in stage_ids:
                query = _card_rows(deals.filter(stage_id=stage_id))[:limit]
                compiler = query.query.get_compiler(using=query.db)
                one_sql, one_params = compiler.as_sql()
                add(one_sql, list(one_params))
            continue
        position = positions[0]
        if database.vendor == "postgresql":
            lateral = _parameter_as(sql, position, "board_column.stage")
            rest = template[:position] + template[position + 1 :]
            add(
                lateral, [stage_ids, *rest], "unnest(%s::bigint[]) AS board_column(stage) CROSS JOIN LATERAL "
            )
            continue
        for stage_id in stage_ids:
            add(sql, [*template[:position], stage_id, *template[position + 1 :]])
    cards: dict[int, list[BoardCard]] = defaultdict(list)
    if not sql_parts:
        return cards
    with database.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql_parts), params)
        rows: Any = cursor.fetchall()
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    if converters:
        rows = compiler.apply_converters(rows, converters)
    for row in rows:
        card = BoardCard._make(row)
        cards[card.stage_id].append(card)
    for items in cards.values():  # UNION ALL does not promise to keep each part's order
        items.sort(key=lambda card: (card.stage_entered_at, card.pk), reverse=True)
        del items[limit:]  # a column read in several parts
    return cards


def _column_totals(
    viewer: Any, pipeline: Pipeline, filters: ListValues, deals: QuerySet[Deal], *, closed: bool
) -> list[tuple[int, str, int, Decimal]]:
    """(stage id, currency, deals, amount) of a board's open or recently closed deals.

    Open deals are counted from `BoardTotal` (kept by triggers; a few hundred rows whatever the
    number of deals), scoped and narrowed by owner and team like the deals themselves. A search
    or the next-step filter needs the deals, so those boards, and the closed columns (a moving
    30-day window), count the deals.
    """
    if not closed and not filters.q and not filters.next_step_overdue:
        narrowed = DEALS.values(owner=filters.owner, unassigned=filters.unassigned, team=filters.team)
        # BoardTotal names its owner and team like Deal, so the deals' own filter narrows it.
        totals = cast("QuerySet[Deal]", BoardTotal.objects.visible_to(viewer).filter(pipeline=pipeline))
        stored = (
            DEALS.filter(totals, narrowed)
            .order_by()
            .values("stage_id", "currency")
            .annotate(n=Sum("deals"), cents=Sum("amount_cents"))
            .values_list("stage_id", "currency", "n", "cents")
        )
        return [(stage_id, currency, n, Decimal(cents).scaleb(-2)) for stage_id, currency, n, cents in stored]
    # COUNT(*), not COUNT(id): the partial board indexes then answer without the table.
    rows = (
        deals.order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("*"), total=Sum("amount"))
        .values_list("stage_id", "currency", "n", "total")
    )
    return [(stage_id, currency, n, total or Decimal("0.00")) for stage_id, currency, n, total in rows]


def board(
    *,
    viewer: Any,
    pipeline: Pipeline,
    filters: ListValues | None = None,
    per_column: int = BOARD_CARDS,
) -> Board:
    """A pipeline's kanban: per stage the count and totals per currency (summed in SQL), and
    the newest `per_column` cards of each column (one query for all columns, each part a
    LIMIT walking the board index). Closed stages show the deals closed in the last
    BOARD_CLOSED_DAYS days."""
    filters = filters or DEALS.values()
    since = timezone.now() - dt.timedelta(days=BOARD_CLOSED_DAYS)
    stages = list(pipeline.stages.filter(is_active=True).order_by("position", "id"))
    columns = {stage.pk: BoardColumn(stage=stage) for stage in stages}
    visible = deals_visible_to(viewer)
    sets = {
        closed: _board_deals(viewer, pipeline, filters, since, closed=closed, visible=visible)
        for closed in (False, True)
        if any(stage.is_closed == closed for stage in stages)
    }
    show_amounts = can_see_amounts(viewer)
    totals: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for closed, deals in sets.items():
        figures = _column_totals(viewer, pipeline, filters, deals, closed=closed)
        for stage_id, currency, count, total in figures:
            column = columns.get(stage_id)
            if column is None or not count:
                continue
            column.count += count
            if show_amounts:
                totals[stage_id].append((currency, total))
    for stage_id, items in totals.items():
        columns[stage_id].totals = sorted(items)
    # Cards per part of the viewer's scope (a manager: own deals, then the team's unassigned
    # ones), each walking a board index in card order; their OR would fetch and sort every match.
    parts = Deal.objects.visible_parts(viewer)
    card_sets = {
        closed: [
            _board_deals(viewer, pipeline, filters, since, closed=closed, cards=True, visible=part)
            for part in parts
        ]
        for closed in sets
    }
    cards = _column_cards(
        [
            (card_set, column.stage.pk)
            for column in columns.values()
            if column.count
            for card_set in card_sets[column.stage.is_closed]
        ],
        per_column,
    )
    for column in columns.values():
        column.cards = cards.get(column.stage.pk, [])
    return Board(
        pipeline=pipeline, columns=list(columns.values()), show_amounts=show_amounts, closed_since=since
    )


def board_column_cards(
    *,
    viewer: Any,
    stage: Stage,
    filters: ListValues | None = None,
    offset: int = 0,
    limit: int = BOARD_CARDS,
) -> tuple[list[BoardCard], bool]:
    """More cards of one column ("show more"), in board order; and whether even more remain."""
    since = timezone.now() - dt.timedelta(days=BOARD_CLOSED_DAYS)
    base = _board_deals(
        viewer, stage.pipeline, filters or DEALS.values(), since, closed=stage.is_closed, cards=True
    )
    rows = _card_rows(base.filter(stage=stage)).values_list(*CARD_FIELDS, "client__name")[
        offset : offset + limit + 1
    ]
    cards = [BoardCard._make(row) for row in rows]
    return cards[:limit], len(cards) > limit


# --- Analytics helpers -------------------------------------------------------------------------


def stage_statistics(
    *, viewer: Any, pipeline: Pipeline, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Per stage: how many deals entered it, how many went on to a later open stage or won,
    and the average time deals spent in it before moving on (seconds)."""
    changes = DealStageChange.objects.filter(pipeline=pipeline, deal__in=deals_visible_to(viewer))
    if since is not None:
        changes = changes.filter(at__gte=since)
    entered = dict(
        changes.order_by()
        .values("to_stage")
        .annotate(n=Count("deal", distinct=True))
        .values_list("to_stage", "n")
    )
    left = {
        row["from_stage"]: row
        for row in changes.filter(from_stage__isnull=False)
        .order_by()
        .values("from_stage")
        .annotate(n=Count("deal", distinct=True), avg=Avg("seconds_in_previous"))
    }
    stages = list(pipeline.stages.order_by("position", "id"))
    result = []
    for stage in stages:
        later = [s.pk for s in stages if s.position > stage.position and not s.is_lost]
        advanced = (
            changes.filter(from_stage=stage, to_stage__in=later).order_by().values("deal").distinct().count()
            if later and not stage.is_closed
            else 0
        )
        count = entered.get(stage.pk, 0)
        result.append(
            {
                "stage": stage,
                "entered": count,
                "advanced": advanced,
                "conversion": round(100 * advanced / count) if count else None,
                "avg_seconds": int(left[stage.pk]["avg"])
                if stage.pk in left and left[stage.pk]["avg"]
                else None,
            }
        )
    return result


def objection_counts(*, viewer: Any, pipeline: Pipeline | None = None) -> list[dict[str, Any]]:
    """How often each objection was raised in the viewer's deals, per stage, most frequent first."""
    raised = DealObjection.objects.filter(deal__in=deals_visible_to(viewer))
    if pipeline is not None:
        raised = raised.filter(stage__pipeline=pipeline)
    rows = (
        raised.order_by()
        .values("objection", "objection__text", "stage")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    stages = {stage.pk: stage for stage in Stage.objects.filter(pk__in={row["stage"] for row in rows})}
    return [
        {
            "objection_id": row["objection"],
            "objection": row["objection__text"],
            "stage": stages.get(row["stage"]),
            "count": row["n"],
        }
        for row in rows
    ]


def board_pipeline(*, viewer: Any, choices: list[Pipeline]) -> Pipeline:
    """The board a viewer lands on: the first of `choices` (default pipeline first) where they
    have open deals, so a field-sales manager opens on their own pipeline, not an empty one;
    the first choice when they have none (read from the kept totals: a few hundred rows)."""
    working = set(
        BoardTotal.objects.visible_to(viewer)
        .filter(deals__gt=0)
        .values_list("pipeline_id", flat=True)
        .distinct()
    )
    return next((pipeline for pipeline in choices if pipeline.pk in working), choices[0])
