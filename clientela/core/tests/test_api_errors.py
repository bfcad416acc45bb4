"""The API's one error shape and its status codes; the OpenAPI document and docs page."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from clientela.core import api as api_module


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)


def test_401_without_token(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert_error_shape(response.json())


def test_401_with_unknown_or_revoked_token(client, world, api_token):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer clt_nope"}).status_code == 401
    headers = api_token(world.manager_north)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = world.manager_north.api_tokens.get()
    from clientela.users.services import token_revoke

    token_revoke(token=token, by=world.manager_north)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_401_for_deactivated_user(client, world, api_token):
    headers = api_token(world.manager_north)
    world.manager_north.is_active = False
    world.manager_north.save()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_422_names_the_bad_field(client, world, api_token):
    response = client.get("/api/v1/users?limit=0", headers=api_token(world.admin))
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    assert list(body["errors"]) == ["limit"]


def test_404_has_error_shape(client, world, api_token):
    response = client.get("/api/v1/no-such-thing", headers=api_token(world.admin))
    assert response.status_code == 404


def test_429_when_rate_exceeded(client, world, api_token, monkeypatch):
    cache.clear()
    headers = api_token(world.manager_north)
    throttle = next(t for t in api_module.api.throttle if t.__class__.__name__ == "AuthRateThrottle")
    monkeypatch.setattr(throttle, "num_requests", 3)
    statuses = [client.get("/api/v1/me", headers=headers).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    last = client.get("/api/v1/me", headers=headers)
    assert_error_shape(last.json())
    assert int(last["Retry-After"]) >= 1


def test_session_auth_works_for_the_web_app(client, world):
    client.force_login(world.manager_north)
    assert client.get("/api/v1/me").json()["username"] == "mnorth"


def test_openapi_document_and_docs(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/me" in spec["paths"]
    assert "BearerTokenAuth" in spec["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content, "docs must not load code from a CDN"


@pytest.mark.parametrize("role", ["admin", "head", "manager", "marketer"])
def test_me_lists_capabilities_by_role(client, world, api_token, role):
    user = world.by_role(role)
    body = client.get("/api/v1/me", headers=api_token(user)).json()
    assert body["role"] == role
    assert ("manage_users" in body["capabilities"]) is (role == "admin")
