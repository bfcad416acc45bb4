"""Key-client figures under /api/v1/retention/: concentration, ABC split, RFM grid and the
repeat-purchase rate, scoped like the page (managers: their own clients; heads: their teams;
admins: all; marketers: refused, no money). The rules are in `retention.value`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Query, Router, Schema

from clientela.core.http import AuthedRequest
from clientela.retention import value

router = Router()  # tagged "retention" by the router it is mounted on


class ScopeQuery(Schema):
    team: int | None = None


class RepeatQuery(ScopeQuery):
    period: str = "quarter"


def _run(run: Any) -> dict[str, Any]:
    if run is None:
        return {"computed_at": None, "window_from": None, "window_to": None}
    return {"computed_at": run.at, "window_from": run.window_from, "window_to": run.window_to}


class TopOut(Schema):
    n: int
    revenue: Decimal
    share: Decimal | None


class ClientShareOut(Schema):
    id: int
    name: str
    owner: str
    team: str
    abc_class: str
    revenue: Decimal
    share: Decimal
    cumulative_share: Decimal | None
    above_alert: bool


class ConcentrationOut(Schema):
    base_currency: str
    computed_at: dt.datetime | None
    window_from: dt.date | None
    window_to: dt.date | None
    revenue: Decimal
    clients_with_revenue: int
    alert_percent: Decimal
    clients_above_alert: int
    top: list[TopOut]
    clients: list[ClientShareOut]
    without_rate: dict[str, str]


@router.get(
    "/retention/concentration",
    response=ConcentrationOut,
    summary="Revenue concentration: each client's share of the trailing 12 months' revenue, top-N shares",
)
def concentration(request: AuthedRequest, query: Query[ScopeQuery]) -> dict[str, Any]:
    figure = value.concentration(request.user, team=query.team)
    return {
        "base_currency": figure.base,
        **_run(figure.run),
        "revenue": figure.total,
        "clients_with_revenue": figure.clients,
        "alert_percent": figure.limit,
        "clients_above_alert": figure.over,
        "top": figure.top,
        "clients": [
            {
                "id": row["client_id"],
                "name": row["client"],
                "owner": row["owner"],
                "team": row["team"],
                "abc_class": row["abc"],
                "revenue": row["revenue"],
                "share": row["share"],
                "cumulative_share": row["cumulative"],
                "above_alert": row["over"],
            }
            for row in figure.rows
        ],
        "without_rate": figure.missing,
    }


class AbcRowOut(Schema):
    abc_class: str
    clients: int
    client_share: Decimal | None
    revenue: Decimal
    revenue_share: Decimal | None


class AbcOut(Schema):
    base_currency: str
    computed_at: dt.datetime | None
    classes: list[AbcRowOut]


@router.get("/retention/abc", response=AbcOut, summary="ABC split: clients and revenue per class")
def abc(request: AuthedRequest, query: Query[ScopeQuery]) -> dict[str, Any]:
    rows = value.abc_split(request.user, team=query.team)
    run = value.latest_run()
    return {
        "base_currency": run.base_currency if run else value.base_currency(),
        "computed_at": run.at if run else None,
        "classes": [
            {
                "abc_class": "" if row["abc"] == "none" else row["abc"],
                "clients": row["clients"],
                "client_share": row["client_share"],
                "revenue": row["revenue"],
                "revenue_share": row["share"],
            }
            for row in rows
        ],
    }


class RfmCellOut(Schema):
    r: int
    f: int
    clients: int
    revenue: Decimal


class RfmOut(Schema):
    base_currency: str
    computed_at: dt.datetime | None
    cells: list[RfmCellOut]


@router.get(
    "/retention/rfm", response=RfmOut, summary="RFM grid: clients and revenue per recency × frequency"
)
def rfm(request: AuthedRequest, query: Query[ScopeQuery]) -> dict[str, Any]:
    grid = value.rfm_grid(request.user, team=query.team)
    run = value.latest_run()
    return {
        "base_currency": run.base_currency if run else value.base_currency(),
        "computed_at": run.at if run else None,
        "cells": [
            {"r": row["r"], "f": f, "clients": row[f"f{f}"], "revenue": row[f"f{f}_revenue"]}
            for row in grid
            for f in range(1, 6)
        ],
    }


class RepeatRowOut(Schema):
    period: str
    start: dt.date
    end: dt.date
    first_purchase: int
    repeat: int
    pending: int
    rate: Decimal | None


class RepeatOut(Schema):
    target_percent: Decimal
    periods: list[RepeatRowOut]


@router.get(
    "/retention/repeat-purchase",
    response=RepeatOut,
    summary="Repeat-purchase rate per period (month, quarter or year) against the target",
)
def repeat_purchase(request: AuthedRequest, query: Query[RepeatQuery]) -> dict[str, Any]:
    rows = value.repeat_purchase(request.user, period=query.period, team=query.team)
    return {
        "target_percent": value.repeat_target(request.user, query.team),
        "periods": [
            {
                "period": row["period"],
                "start": row["start"],
                "end": row["end"],
                "first_purchase": row["first"],
                "repeat": row["repeat"],
                "pending": row["pending"],
                "rate": row["rate"],
            }
            for row in rows
        ],
    }
