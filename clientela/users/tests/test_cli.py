"""The `clientela` command line: createuser, token, demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clientela.users.models import Team, User


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createuser_with_role_and_team(db):
    run(
        "createuser",
        "lena",
        "--role",
        "head",
        "--team",
        "Cluj",
        "--create-team",
        "--password",
        "cluj-sales-2026",
        "--email",
        "Lena@Example.com",
    )
    user = User.objects.get(username="lena")
    assert (user.role, user.team.name, user.email) == ("head", "Cluj", "lena@example.com")
    assert user.check_password("cluj-sales-2026")


def test_createuser_rejects_unknown_team_and_weak_password(db):
    Team.objects.create(name="Cluj")
    with pytest.raises(CommandError, match="No team named 'Iasi'"):
        run("createuser", "x", "--team", "Iasi", "--password", "long-enough-pass")
    with pytest.raises(CommandError, match="stronger password"):
        run("createuser", "x", "--password", "123")
    assert not User.objects.filter(username="x").exists()


def test_token_create_prints_a_working_token(client, world):
    raw = run("token", "create", "mnorth").strip()
    assert raw.startswith("clt_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).json()["username"] == "mnorth"
    listing = run("token", "list", "mnorth")
    assert raw[:12] in listing
    run("token", "revoke", raw[:12])
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user named"):
        run("token", "create", "ghost")


def test_demo_loads_teams_and_people_in_five_languages(client, db):
    out = run("demo")
    assert "Sign in as admin" in out
    assert Team.objects.count() == 3
    assert set(User.objects.values_list("language", flat=True)) == {"en", "ro", "ru", "hu", "ms"}
    assert all(team.head_id for team in Team.objects.all())
    assert client.post("/login/", {"username": "admin", "password": "clientela-demo"}).status_code == 302
    assert "already loaded" in run("demo")
