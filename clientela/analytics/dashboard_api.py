"""The dashboard under the API: `GET /api/v1/dashboard` (the caller's tiles — a manager's strip
of their own figures), `GET`/`PUT /api/v1/dashboard/digest` (a head's weekly digest opt-in)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Schema

from clientela.analytics import digest
from clientela.analytics.api import router
from clientela.analytics.dashboard import dashboard_for, may_see_dashboard, strip_for
from clientela.core.errors import PermissionDeniedError
from clientela.core.http import AuthedRequest
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.zones import zone_of


class PeriodOut(Schema):
    first: dt.date
    last: dt.date


class TileOut(Schema):
    key: str
    title: str
    value: Any
    previous: Any
    change: Any
    direction: str
    good: bool | None
    up_is_good: bool
    kind: str
    currency: str
    target: Any
    note: str
    shown: str
    url: str


class DashboardOut(Schema):
    kind: str  # "dashboard" (heads, admins, marketers) or "strip" (a manager's own figures)
    period: PeriodOut
    previous: PeriodOut | None
    tiles: list[TileOut]


class DigestIn(Schema):
    weekly: bool


class DigestOut(Schema):
    weekly: bool


@router.get(
    "/dashboard",
    response=DashboardOut,
    summary="The caller's dashboard",
    description=(
        "The tiles of the caller's home page: this month so far against the same days of the "
        "month before, each with its value, previous value, change and the link to its report. "
        "Heads, admins and marketers get the dashboard (marketers without money tiles); a manager "
        "the strip of their own figures. `team` (a team id among the caller's) narrows a head's "
        "or admin's dashboard."
    ),
)
def dashboard(request: AuthedRequest, team: int | None = None) -> dict[str, Any]:
    user = request.user
    with timezone.override(zone_of(user)):
        if may_see_dashboard(user):
            if team is not None:
                from clientela.analytics.filters import parse_filters

                team = parse_filters(user, {"team": team}, frozenset({"team"})).team
            board, kind = dashboard_for(user, team=team), "dashboard"
        elif role_of(user) == Role.MANAGER:
            board, kind = strip_for(user), "strip"
        else:
            raise PermissionDeniedError("The dashboard is not for your role.")
        previous = board.previous
        return {
            "kind": kind,
            "period": {"first": board.period.first, "last": board.period.last},
            "previous": {"first": previous.first, "last": previous.last} if previous else None,
            "tiles": [tile.as_json() for tile in board.tiles],
        }


@router.get("/dashboard/digest", response=DigestOut, summary="Whether the caller receives the weekly digest")
def digest_get(request: AuthedRequest) -> dict[str, Any]:
    if not digest.may_receive_digest(request.user):
        raise PermissionDenied
    return {"weekly": digest.digest_enabled(request.user)}


@router.put("/dashboard/digest", response=DigestOut, summary="Turn the weekly digest on or off (heads)")
def digest_put(request: AuthedRequest, payload: DigestIn) -> dict[str, Any]:
    subscription = digest.digest_set(by=request.user, weekly=payload.weekly)
    return {"weekly": subscription.weekly}
