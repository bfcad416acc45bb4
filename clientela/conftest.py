"""Fixtures shared by every app's tests: two teams and one person of each role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from clientela.core.roles import Role
from clientela.users import services
from clientela.users.models import Team, User

PASSWORD = "correct-horse-battery"  # noqa: S105 (test fixture)


@dataclass
class World:
    north: Team
    south: Team
    admin: User
    head_north: User
    manager_north: User
    manager_north2: User
    manager_south: User
    marketer_north: User

    def by_role(self, role: str) -> User:
        return {
            Role.ADMIN: self.admin,
            Role.HEAD: self.head_north,
            Role.MANAGER: self.manager_north,
            Role.MARKETER: self.marketer_north,
        }[role]


def make_user(username: str, role: str, team: Team | None, **extra) -> User:
    return services.user_create(
        by=None,
        username=username,
        password=PASSWORD,
        role=role,
        team=team,
        check_permission=False,
        email=f"{username}@example.com",
        **extra,
    )


@pytest.fixture
def world(db) -> World:
    north = services.team_create(by=None, name="North", default_country="RO", check_permission=False)
    south = services.team_create(by=None, name="South", default_country="HU", check_permission=False)
    admin = make_user("root", Role.ADMIN, None, first_name="Ada")
    head_north = make_user("hnorth", Role.HEAD, north, first_name="Helga")
    north.head = head_north
    north.save(update_fields=["head"])
    return World(
        north=north,
        south=south,
        admin=admin,
        head_north=head_north,
        manager_north=make_user("mnorth", Role.MANAGER, north, first_name="Mara"),
        manager_north2=make_user("mnorth2", Role.MANAGER, north, first_name="Nelu"),
        manager_south=make_user("msouth", Role.MANAGER, south, first_name="Sándor"),
        marketer_north=make_user("kt", Role.MARKETER, north, first_name="Kati"),
    )


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def api_token():
    """Make a bearer token for a user: `api_token(user)` → header dict."""

    def make(user: User) -> dict[str, str]:
        _token, raw = services.token_create(user=user)
        return {"Authorization": f"Bearer {raw}"}

    return make


@pytest.fixture(autouse=True)
def _default_policy_rows(request):
    """Rows that data migrations create (refusal reasons, message templates) are wiped by
    transactional tests' flush; put them back so every test starts from what a fresh install has."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if not uses_db:
        return
    request.getfixturevalue("db")
    from clientela.leads.policy import ensure_default_refusal_reasons

    ensure_default_refusal_reasons()
    from clientela.comms.template_defaults import ensure_default_templates

    ensure_default_templates()
    from clientela.retention.lifecycle import ensure_default_reasons

    ensure_default_reasons()


@pytest.fixture(autouse=True)
def _language_reset():
    """A request of a user who reads another language activates it for the thread (as each
    request does in the server); the next test starts in the site's language again."""
    yield
    from django.utils import translation

    translation.deactivate()
