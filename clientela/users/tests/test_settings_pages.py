"""Users and teams settings pages: who may open them and what they do."""

from __future__ import annotations

import pytest

from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.users.models import Team, User


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("head", 200), ("manager", 403), ("marketer", 403)]
)
def test_user_list_access_by_role(client, world, role, status):
    assert login(client, world.by_role(role)).get("/settings/users/").status_code == status


def test_head_sees_only_their_teams_people(client, world):
    page = login(client, world.head_north).get("/settings/users/").content.decode()
    assert "mnorth2" in page
    assert "msouth" not in page


def test_user_search_partial_for_htmx(client, world):
    login(client, world.admin)
    response = client.get("/settings/users/?q=sánd", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "msouth" in body and "mnorth" not in body
    assert "<html" not in body, "HTMX requests get only the table"


@pytest.mark.parametrize("role", ["head", "manager", "marketer"])
def test_only_admin_creates_users(client, world, role):
    response = login(client, world.by_role(role)).post(
        "/settings/users/new/",
        {"username": "newbie", "password": "long-enough-pass-1", "role": "manager", "language": "en"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="newbie").exists()


def test_admin_creates_user_with_team_and_role(client, world):
    response = login(client, world.admin).post(
        "/settings/users/new/",
        {
            "username": "newbie",
            "first_name": "Nou",
            "password": "long-enough-pass-1",
            "role": "manager",
            "team": world.south.pk,
            "language": "hu",
            "email": "NEWBIE@Example.com",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert (user.team, user.role, user.language, user.email) == (
        world.south,
        "manager",
        "hu",
        "newbie@example.com",
    )
    assert history_for(user).get().actor == world.admin


def test_duplicate_username_and_weak_password_are_field_errors(client, world):
    response = login(client, world.admin).post(
        "/settings/users/new/", {"username": "MNORTH", "password": "123", "role": "manager", "language": "en"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A user with this username already exists." in page
    assert User.objects.filter(username__iexact="mnorth").count() == 1


def test_admin_edits_user_and_cannot_deactivate_self(client, world):
    login(client, world.admin)
    response = client.post(
        f"/settings/users/{world.manager_north.pk}/",
        {
            "first_name": "Mara",
            "last_name": "P",
            "email": "mnorth@example.com",
            "role": "head",
            "team": world.north.pk,
            "language": "ro",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    world.manager_north.refresh_from_db()
    assert world.manager_north.role == "head"
    response = client.post(
        f"/settings/users/{world.admin.pk}/", {"role": "admin", "language": "en", "email": "root@example.com"}
    )
    assert response.status_code == 200
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_team_create_and_edit(client, world):
    login(client, world.admin)
    response = client.post(
        "/settings/teams/new/",
        {
            "name": "Kuala Lumpur",
            "head": world.head_north.pk,
            "default_country": "my",
            "time_zone": "Asia/Kuala_Lumpur",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Kuala Lumpur")
    assert (team.default_country, team.head) == ("MY", world.head_north)
    bad = client.post(
        f"/settings/teams/{team.pk}/",
        {"name": "Kuala Lumpur", "default_country": "Malaysia", "time_zone": "UTC", "is_active": "on"},
    )
    assert bad.status_code == 200
    assert "two-letter country code" in bad.content.decode()


def test_head_sees_team_list_but_cannot_edit(client, world):
    login(client, world.head_north)
    page = client.get("/settings/teams/").content.decode()
    assert "North" in page and "South" not in page
    assert client.get(f"/settings/teams/{world.north.pk}/").status_code == 403


def test_profile_saves_language_and_creates_token(client, world):
    login(client, world.manager_north)
    response = client.post(
        "/profile/",
        {"first_name": "Mara", "last_name": "Pop", "email": "m@example.com", "phone": "", "language": "ru"},
    )
    assert response.status_code == 302
    world.manager_north.refresh_from_db()
    assert world.manager_north.language == "ru"
    page = client.post("/profile/tokens/", {"name": "website"}).content.decode()
    raw = page.split('data-testid="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
