"""Sign-in, throttling, passwords."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core import mail
from django.core.management import call_command

from clientela.conftest import PASSWORD, login


def test_login_and_logout(client, world):
    response = client.post("/login/", {"username": "mnorth", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/")["Location"].startswith("/login/")


def test_wrong_password_shows_a_clear_error(client, world):
    response = client.post("/login/", {"username": "mnorth", "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()


def test_login_is_throttled_after_repeated_failures(client, world, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.post("/login/", {"username": "mnorth", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    locked = client.post("/login/", {"username": "mnorth", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # the same person from another address, and another person from this one, can still sign in
    other_ip = client.post("/login/", {"username": "mnorth", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert other_ip.status_code == 302


def test_pages_require_sign_in(client, db):
    for path in ("/", "/profile/", "/settings/users/", "/settings/teams/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_production_settings_hash_passwords_with_argon2():
    production = importlib.import_module("clientela.settings")
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_change_password(client, world):
    login(client, world.manager_north)
    response = client.post(
        "/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "new-secret-sauce-42",
            "new_password2": "new-secret-sauce-42",
        },
    )
    assert response.status_code == 302
    world.manager_north.refresh_from_db()
    assert world.manager_north.check_password("new-secret-sauce-42")


def test_change_password_rejects_weak_one_with_field_error(client, world):
    login(client, world.manager_north)
    response = client.post(
        "/password/change/", {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_password_reset_by_email_end_to_end(client, world):
    response = client.post("/password/reset/", {"email": "mnorth@example.com"})
    assert response.status_code == 200
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(set_url, {"new_password1": "fresh-start-2026!", "new_password2": "fresh-start-2026!"})
    assert done.status_code == 302
    world.manager_north.refresh_from_db()
    assert world.manager_north.check_password("fresh-start-2026!")


def test_password_reset_does_not_reveal_unknown_addresses(client, world):
    response = client.post("/password/reset/", {"email": "stranger@example.com"})
    assert response.status_code == 200
    assert "If an account uses stranger@example.com" in response.content.decode()
    assert mail.outbox == []
