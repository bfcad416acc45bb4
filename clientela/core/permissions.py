"""What may this user see and do? The one place every door asks.

Two questions, answered here and nowhere else:

* **Records** — what a user may do with the records of a team-owned model, by action:
  `Action.VIEW` (see it), `Action.WORK` (change it: log calls, move stages, edit) and
  `Action.MANAGE` (decide over it: reassign across the team, settings of the team). Many records
  at once: `Model.objects.restrict(user, action)` (`visible_to(user)` is `restrict(user, VIEW)`);
  one record: `can(user, record, action)` or `require_record(user, record, action)`. Every list,
  card, search, autocomplete, export, report and service asks these, so a manager can never reach
  another team's records by any door.
* **Capabilities** — which kinds of action a role may take at all (`user_can`, `require`).

The role rules for records, in one table:

| role      | view                                   | work                 | manage                 |
|-----------|----------------------------------------|----------------------|------------------------|
| admin     | everything                             | everything           | everything             |
| head      | own + the teams they head or belong to | the same             | the same               |
| manager   | own + the team's unassigned            | the same             | nothing                |
| marketer  | own; the teams' where the model allows | nothing              | nothing                |

Work is for the roles with the `work_records` capability (marketers run sources, forms and
campaigns; they do not work leads, clients or deals, even one that names them). Managing a team
(its settings, calendar, policies): `can_manage_team`, the manage column read for a team.

Records owned this way have an `owner` (the responsible person) and a `team`; a record that
belongs to another one names the path (`scope_owner_field = "client__owner"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core.errors import PermissionDeniedError
from clientela.core.roles import Role

M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    """What a user wants to do with a record (see the table above)."""

    VIEW = "view"
    WORK = "work"
    MANAGE = "manage"


# Capabilities by role. Admins have every capability.
CAPABILITIES: dict[str, frozenset[str]] = {
    "manage_users": frozenset({Role.ADMIN}),
    "manage_teams": frozenset({Role.ADMIN}),
    "manage_settings": frozenset({Role.ADMIN}),
    "view_team_settings": frozenset({Role.ADMIN, Role.HEAD}),
    "distribute_leads": frozenset({Role.ADMIN, Role.HEAD}),
    "view_reports": frozenset({Role.ADMIN, Role.HEAD, Role.MARKETER}),
    "view_deal_amounts": frozenset({Role.ADMIN, Role.HEAD, Role.MANAGER}),
    "manage_intake": frozenset({Role.ADMIN, Role.HEAD, Role.MARKETER}),
    "work_records": frozenset({Role.ADMIN, Role.HEAD, Role.MANAGER}),
    "view_audit_log": frozenset({Role.ADMIN, Role.HEAD}),
}


def is_active_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def role_of(user: Any) -> str | None:
    if not is_active_user(user):
        return None
    if user.is_superuser:
        return Role.ADMIN
    return str(user.role)


def user_can(user: Any, capability: str) -> bool:
    """May this user take this kind of action at all (regardless of which record)?"""
    role = role_of(user)
    if role is None:
        return False
    if role == Role.ADMIN:
        return True
    return role in CAPABILITIES.get(capability, frozenset())


def require(user: Any, capability: str) -> None:
    """Raise PermissionDeniedError unless the user has the capability."""
    if not user_can(user, capability):
        raise PermissionDeniedError(_("You do not have permission to do this."))


# Within a web request, a head's teams are read once (a page asks 3–5 times: scope, owner and
# team pickers, totals). Outside requests (jobs, the shell, tests calling services) nothing is
# kept; a saved or deleted team forgets what a request has kept (`forget_headed_teams`).
_HEADED_TEAMS: ContextVar[dict[int, set[int]] | None] = ContextVar("clientela_headed_teams", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Keep what scoping reads for the length of one request (see `core.middleware`)."""
    token = _HEADED_TEAMS.set({})
    try:
        yield
    finally:
        _HEADED_TEAMS.reset(token)


def forget_headed_teams(**_signal: Any) -> None:
    kept = _HEADED_TEAMS.get()
    if kept is not None:
        kept.clear()


def _headed_team_ids(user: Any) -> set[int]:
    kept = _HEADED_TEAMS.get()
    if kept is None:
        return set(user.headed_teams.values_list("id", flat=True))
    if user.pk not in kept:
        kept[user.pk] = set(user.headed_teams.values_list("id", flat=True))
    return kept[user.pk]


def visible_team_ids(user: Any) -> set[int] | None:
    """Teams whose records the user may see; None means every team."""
    role = role_of(user)
    if role is None:
        return set()
    if role == Role.ADMIN:
        return None
    teams = {user.team_id} if user.team_id else set()
    if role == Role.HEAD:
        teams |= _headed_team_ids(user)
    return teams


def scope_queryset(
    queryset: models.QuerySet[M],
    user: Any,
    *,
    owner_field: str = "owner",
    team_field: str | None = "team",
    marketer_sees_team: bool = False,
) -> models.QuerySet[M]:
    """Only the records `user` may see.

    * admin: everything;
    * head of sales: everything of the teams they head or belong to, plus what they own;
    * manager: what they own, plus their team's unassigned records;
    * marketer: only where the model allows it (`marketer_sees_team`), then like a head;
    * anyone inactive or anonymous: nothing.
    """
    role = role_of(user)
    if role is None:
        return queryset.none()
    if role == Role.ADMIN:
        return queryset
    own = Q(**{owner_field: user})
    teams = visible_team_ids(user) or set()
    if role == Role.HEAD or (role == Role.MARKETER and marketer_sees_team):
        if team_field is None:
            return queryset.filter(own)
        return queryset.filter(own | Q(**{f"{team_field}__in": teams}))
    if role == Role.MANAGER:
        if team_field is None or not user.team_id:
            return queryset.filter(own)
        unassigned = Q(**{f"{owner_field}__isnull": True, team_field: user.team_id})
        return queryset.filter(own | unassigned)
    return queryset.none()


def scope_parts(
    user: Any,
    *,
    owner_field: str = "owner",
    team_field: str | None = "team",
    marketer_sees_team: bool = False,
) -> list[Q] | None:
    """The records `scope_queryset` lets `user` see, as disjoint conditions: None for everything,
    [] for nothing. A query per part can walk an index in order (a manager's own deals, then the
    team's unassigned ones) where one query with their OR has to fetch and sort every match."""
    role = role_of(user)
    if role is None:
        return []
    if role == Role.ADMIN:
        return None
    own = Q(**{owner_field: user})
    if role == Role.HEAD or (role == Role.MARKETER and marketer_sees_team):
        if team_field is None:
            return [own]
        teams = Q(**{f"{team_field}__in": visible_team_ids(user) or set()})
        return [teams, own & ~teams]
    if role == Role.MANAGER:
        if team_field is None or not user.team_id:
            return [own]
        return [own, Q(**{f"{owner_field}__isnull": True, team_field: user.team_id})]
    return []


def scope_options(model: type[models.Model]) -> dict[str, Any]:
    """How a team-owned model names its owner and team, and whether marketers see its team's
    records (class attributes `scope_owner_field`, `scope_team_field`,
    `scope_marketer_sees_team`)."""
    return {
        "owner_field": getattr(model, "scope_owner_field", "owner"),
        "team_field": getattr(model, "scope_team_field", "team"),
        "marketer_sees_team": getattr(model, "scope_marketer_sees_team", False),
    }


def restrict_queryset(
    queryset: models.QuerySet[M], user: Any, action: Action = Action.VIEW
) -> models.QuerySet[M]:
    """The records of `queryset` on which `user` may take `action` (see the table above)."""
    options = scope_options(queryset.model)
    role = role_of(user)
    if action == Action.VIEW or role == Role.ADMIN or role is None:
        return scope_queryset(queryset, user, **options)
    if role == Role.MARKETER:
        return queryset.none()  # a marketer works and manages no records
    if action == Action.MANAGE and role != Role.HEAD:
        return queryset.none()
    return scope_queryset(queryset, user, **options)


def can(user: Any, record: models.Model, action: Action = Action.VIEW) -> bool:
    """May `user` take `action` on this one record? The same rule as `restrict_queryset`, read
    from the record's own owner and team (no query, except a head's teams once per request)."""
    role = role_of(user)
    if role is None:
        return False
    if role == Role.ADMIN:
        return True
    options = scope_options(type(record))
    owner_id = _related_id(record, options["owner_field"])
    team_id = _related_id(record, options["team_field"]) if options["team_field"] else None
    own = owner_id is not None and owner_id == user.pk
    if role == Role.MARKETER:
        if action != Action.VIEW:
            return False
        if not options["marketer_sees_team"]:
            return own
        return own or (team_id is not None and team_id in (visible_team_ids(user) or set()))
    if role == Role.HEAD:
        return own or (team_id is not None and team_id in (visible_team_ids(user) or set()))
    if role == Role.MANAGER:
        if action == Action.MANAGE:
            return False
        return own or (owner_id is None and team_id is not None and team_id == user.team_id)
    return False


def _related_id(record: models.Model, path: str) -> Any:
    """The id behind a scope field: `owner` reads `owner_id`; `client__owner` reads the
    record's client's `owner_id` (loading the client if it is not loaded yet)."""
    *hops, last = path.split("__")
    target: Any = record
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


def can_manage_team(user: Any, team: Any) -> bool:
    """May `user` manage this team (its settings, working hours, policies)? The manage column of
    the table read for a team: admins any team, heads the teams they head or belong to. `team`
    None means the company-wide settings, which only admins manage."""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if role != Role.HEAD or team is None:
        return False
    return team.pk in (visible_team_ids(user) or set())


def require_record(
    user: Any, record: models.Model, action: Action = Action.WORK, message: str | Promise = ""
) -> None:
    """Raise PermissionDeniedError unless `user` may take `action` on `record`; `message` (a lazy
    text is read in the language of the moment) says what was refused."""
    if not can(user, record, action):
        raise PermissionDeniedError(str(message) if message else _("You do not have permission to do this."))


class ScopedQuerySet(models.QuerySet[M]):
    """QuerySet for team-owned models: `Model.objects.visible_to(user)`.

    A model sets `scope_owner_field`, `scope_team_field` and `scope_marketer_sees_team` as class
    attributes when its field names or marketer access differ from the defaults.
    """

    def _scope_options(self) -> dict[str, Any]:
        return scope_options(self.model)

    def restrict(self, user: Any, action: Action = Action.VIEW) -> models.QuerySet[M]:
        """The records on which `user` may take `action`."""
        return restrict_queryset(self, user, action)

    def visible_to(self, user: Any) -> models.QuerySet[M]:
        return self.restrict(user, Action.VIEW)

    def visible_parts(self, user: Any) -> list[models.QuerySet[M]]:
        """`visible_to` as disjoint querysets (see `scope_parts`); their union is the same records."""
        parts = scope_parts(user, **self._scope_options())
        return [self.all()] if parts is None else [self.filter(part) for part in parts]


def get_visible_or_404(queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    """Fetch one record the user may see; anything else is 404, so existence does not leak."""
    scoped = queryset.visible_to(user) if isinstance(queryset, ScopedQuerySet) else queryset
    try:
        return scoped.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("Not found.")) from exc
