from __future__ import annotations

from unittest import mock

from django.db import DatabaseError


def test_health_ok(client, db):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_health_503_when_database_fails(client, db):
    with mock.patch("clientela.core.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "unavailable",
        "version": response.json()["version"],
    }
