"""API: who am I, and the users and teams I may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import CAPABILITIES, user_can
from clientela.core.zones import zone_name_of
from clientela.users import selectors

router = Router(tags=["users"])


class TeamRef(Schema):
    id: int
    name: str


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    team: TeamRef | None
    language: str
    time_zone: str = Field(description="The user's own zone; empty means the team's")
    effective_time_zone: str = Field(description="The zone the user reads times in")
    is_active: bool

    @staticmethod
    def resolve_effective_time_zone(obj: Any) -> str:
        if isinstance(obj, dict):  # already resolved (`me` adds the capabilities to it)
            return str(obj.get("effective_time_zone", ""))
        return zone_name_of(obj)


class MeOut(UserOut):
    capabilities: list[str]


class TeamOut(Schema):
    id: int
    name: str
    head_id: int | None
    default_country: str
    time_zone: str
    member_count: int


class UserFilters(PageParams):
    q: str = ""
    role: str = ""
    team: int | None = None


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> dict:

    user = request.user
    data = UserOut.from_orm(user).dict()
    data["capabilities"] = sorted(cap for cap in CAPABILITIES if user_can(user, cap))
    return data


@router.get("/users", response=Page[UserOut], summary="Users visible to you")
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> dict:
    users = selectors.user_list(viewer=request.user, q=filters.q, role=filters.role, team_id=filters.team)
    return paginate(users, filters)


@router.get("/teams", response=Page[TeamOut], summary="Teams visible to you")
def list_teams(request: HttpRequest, filters: Query[PageParams]) -> dict:
    return paginate(selectors.teams_visible_to(request.user).order_by("name"), filters)
