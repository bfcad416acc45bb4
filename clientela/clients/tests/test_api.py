"""API: /api/v1/clients and /api/v1/contacts — scoping, filters, search, pagination, the
error shape, writes through the services, handover and contact moves."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.clients.models import Client, Contact
from clientela.clients.tests.factories import make_client, make_contact

pytestmark = pytest.mark.urls("clientela.clients.tests.urls")

API = "/api/v1"


@pytest.fixture
def spread(world):
    clients = {
        "own": make_client(world.manager_north, name="Own Alpha", country="RO"),
        "colleague": make_client(world.manager_north2, name="Colleague Beta"),
        "queue": make_client(None, world.north, name="Queue Gamma"),
        "south": make_client(world.manager_south, name="South Delta", country="HU", tax_id="10773381-2-44"),
    }
    for key, client in clients.items():
        make_contact(client, first_name=key.title(), email=f"{key}@example.com")
    return clients


def get(client, url, headers, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content[:500]
    return response.json()


ROLES = [
    ("manager_north", {"own", "queue"}),
    ("head_north", {"own", "colleague", "queue"}),
    ("marketer_north", set()),
    ("admin", {"own", "colleague", "queue", "south"}),
]


@pytest.mark.parametrize(("who", "expected"), ROLES)
def test_lists_are_scoped_per_role(client, world, spread, api_token, who, expected):
    headers = api_token(getattr(world, who))
    body = get(client, f"{API}/clients", headers)
    assert body["count"] == len(expected)
    assert {item["id"] for item in body["items"]} == {spread[n].pk for n in expected}
    contacts = get(client, f"{API}/contacts", headers)
    assert {item["client"]["id"] for item in contacts["items"]} == {spread[n].pk for n in expected}


def test_other_teams_records_are_404_everywhere(client, world, spread, api_token):
    headers = api_token(world.manager_north)
    south = spread["south"]
    contact = south.contacts.get()
    for method, url in [
        ("get", f"{API}/clients/{south.pk}"),
        ("patch", f"{API}/clients/{south.pk}"),
        ("post", f"{API}/clients/{south.pk}/archive"),
        ("get", f"{API}/contacts/{contact.pk}"),
        ("patch", f"{API}/contacts/{contact.pk}"),
        ("get", f"{API}/contacts/{contact.pk}/history"),
    ]:
        response = getattr(client, method)(url, data={}, content_type="application/json", headers=headers)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found.", "errors": {}}


def test_search_filters_and_pagination(client, world, spread, api_token):
    headers = api_token(world.admin)
    assert {i["id"] for i in get(client, f"{API}/clients?q=delta", headers)["items"]} == {spread["south"].pk}
    assert {i["id"] for i in get(client, f"{API}/clients?q=10773381", headers)["items"]} == {
        spread["south"].pk
    }
    assert {i["id"] for i in get(client, f"{API}/clients?q=own@example", headers)["items"]} == {
        spread["own"].pk
    }
    assert {i["id"] for i in get(client, f"{API}/clients?country=hu", headers)["items"]} == {
        spread["south"].pk
    }
    assert {i["id"] for i in get(client, f"{API}/clients?unassigned=true", headers)["items"]} == {
        spread["queue"].pk
    }
    assert get(client, f"{API}/clients?status=new", headers)["count"] == 4
    page = get(client, f"{API}/clients?limit=2&offset=1&ordering=name", headers)
    assert page["count"] == 4 and [i["name"] for i in page["items"]] == ["Own Alpha", "Queue Gamma"]
    item = page["items"][0]
    assert item["status"] == "new" and item["owner"]["id"] == world.manager_north.pk
    assert item["contact_count"] == 1 and 0 < item["completeness_percent"] < 100


def test_bad_query_values_are_422_with_the_field(client, world, api_token):
    headers = api_token(world.admin)
    body = get(client, f"{API}/clients?status=sleepy&ordering=drop&limit=0", headers, status=422)
    assert set(body["errors"]) == {"status", "ordering", "limit"}
    body = get(client, f"{API}/clients?country=Romania", headers, status=422)
    assert "country" in body["errors"]


def test_list_queries_do_not_grow_with_rows(client, world, api_token, django_assert_max_num_queries):
    headers = api_token(world.manager_north)
    make_contact(make_client(world.manager_north, tags=["vip"]))
    with CaptureQueriesContext(connection) as few:
        get(client, f"{API}/clients", headers)
    for n in range(30):
        make_contact(make_client(world.manager_north, name=f"N{n}", tags=["vip", f"t{n}"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert get(client, f"{API}/clients?limit=100", headers)["count"] == 31
    with CaptureQueriesContext(connection) as few_contacts:
        get(client, f"{API}/contacts?limit=1", headers)
    with django_assert_max_num_queries(len(few_contacts.captured_queries)):
        assert len(get(client, f"{API}/contacts?limit=100", headers)["items"]) == 31


def test_create_checks_fields_and_uniqueness(client, world, spread, api_token):
    headers = api_token(world.manager_north)
    response = client.post(
        f"{API}/clients",
        {"name": "New SRL", "country": "RO", "tax_id": "18547291", "email": "x", "credit_limit": 12.5},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) >= {"tax_id", "email", "credit_currency"}
    response = client.post(
        f"{API}/clients",
        {
            "name": "New SRL",
            "country": "RO",
            "tax_id": "RO18547290",
            "tags": ["vip"],
            "headquarters": spread["own"].pk,
        },
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tax_id"] == "18547290" and body["owner"]["id"] == world.manager_north.pk
    assert body["headquarters"]["id"] == spread["own"].pk and body["tags"] == ["vip"]
    assert body["completeness"]["missing"] and body["completeness"]["percent"] < 100
    response = client.post(
        f"{API}/clients",
        {"name": "Copy", "country": "RO", "tax_id": "18547290"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 409 and "tax_id" in response.json()["errors"]
    response = client.post(
        f"{API}/clients", {"country": "RO"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 422 and "name" in response.json()["errors"]


def test_create_with_an_invisible_hq_or_foreign_owner_is_refused(client, world, spread, api_token):
    headers = api_token(world.manager_north)
    response = client.post(
        f"{API}/clients",
        {"name": "X", "headquarters": spread["south"].pk},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422 and "headquarters" in response.json()["errors"]
    response = client.post(
        f"{API}/clients",
        {"name": "X", "owner": world.manager_north2.pk},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 403
    head = api_token(world.head_north)
    response = client.post(
        f"{API}/clients",
        {"name": "X", "owner": world.manager_south.pk},
        content_type="application/json",
        headers=head,
    )
    assert response.status_code == 422 and "owner" in response.json()["errors"]
    assert not Client.objects.filter(name="X").exists()


def test_marketers_cannot_create(client, world, api_token):
    response = client.post(
        f"{API}/clients",
        {"name": "X"},
        content_type="application/json",
        headers=api_token(world.marketer_north),
    )
    assert response.status_code == 403


def test_patch_changes_what_was_sent(client, world, spread, api_token):
    headers = api_token(world.manager_north)
    own = spread["own"]
    response = client.patch(
        f"{API}/clients/{own.pk}",
        {"city": "Cluj", "employees": 80, "discount_percent": "5", "tags": ["a", "b"]},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["employees"], body["discount_percent"], body["tags"]) == (
        "Cluj",
        80,
        "5.00",
        ["a", "b"],
    )
    assert body["name"] == "Own Alpha"
    response = client.patch(
        f"{API}/clients/{own.pk}", {"name": None}, content_type="application/json", headers=headers
    )
    assert response.status_code == 422 and "name" in response.json()["errors"]
    response = client.patch(
        f"{API}/clients/{own.pk}",
        {"headquarters": spread["queue"].pk},
        content_type="application/json",
        headers=headers,
    )
    assert response.json()["headquarters"]["id"] == spread["queue"].pk
    response = client.patch(
        f"{API}/clients/{own.pk}", {"headquarters": None}, content_type="application/json", headers=headers
    )
    assert response.json()["headquarters"] is None


def test_archive_and_restore(client, world, spread, api_token):
    headers = api_token(world.manager_north)
    own = spread["own"]
    assert client.post(f"{API}/clients/{own.pk}/archive", headers=headers).json()["is_archived"] is True
    assert own.pk not in {i["id"] for i in get(client, f"{API}/clients", headers)["items"]}
    assert own.pk in {i["id"] for i in get(client, f"{API}/clients?archived=yes", headers)["items"]}
    assert client.post(f"{API}/clients/{own.pk}/restore", headers=headers).json()["is_archived"] is False


def test_handover_endpoint(client, world, spread, api_token):
    own = spread["own"]
    manager = api_token(world.manager_north)
    response = client.post(
        f"{API}/clients/{own.pk}/handover",
        {"to_user": world.manager_north2.pk},
        content_type="application/json",
        headers=manager,
    )
    assert response.status_code == 403
    assert Client.objects.get(pk=own.pk).owner == world.manager_north
    head = api_token(world.head_north)
    response = client.post(
        f"{API}/clients/{own.pk}/handover",
        {"to_user": world.manager_south.pk},
        content_type="application/json",
        headers=head,
    )
    assert response.status_code == 422 and "to_user" in response.json()["errors"]
    response = client.post(
        f"{API}/clients/{own.pk}/handover",
        {"to_user": world.manager_north2.pk, "note": "hi"},
        content_type="application/json",
        headers=head,
    )
    assert response.status_code == 200, response.content
    assert response.json()["client_ids"] == [own.pk]
    assert Client.objects.get(pk=own.pk).owner == world.manager_north2


def test_bulk_and_portfolio_handover_endpoint(client, world, spread, api_token):
    head = api_token(world.head_north)
    response = client.post(
        f"{API}/clients/handover",
        {"to_user": world.head_north.pk, "client_ids": [spread["own"].pk, spread["south"].pk]},
        content_type="application/json",
        headers=head,
    )
    assert response.status_code == 422 and "client_ids" in response.json()["errors"]
    response = client.post(
        f"{API}/clients/handover",
        {"to_user": world.head_north.pk, "from_user": world.manager_north2.pk},
        content_type="application/json",
        headers=head,
    )
    assert response.status_code == 200 and response.json()["client_ids"] == [spread["colleague"].pk]


def test_contacts_crud_move_and_history(client, world, spread, api_token):
    headers = api_token(world.manager_north)
    response = client.post(
        f"{API}/contacts",
        {
            "client": spread["own"].pk,
            "first_name": "Ioana",
            "last_name": "Pop",
            "role": "ceo",
            "email": "nope",
        },
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422 and set(response.json()["errors"]) == {"role", "email"}
    response = client.post(
        f"{API}/contacts",
        {"client": spread["south"].pk, "first_name": "Ioana"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422 and "client" in response.json()["errors"]
    response = client.post(
        f"{API}/contacts",
        {
            "client": spread["own"].pk,
            "first_name": "Ioana",
            "last_name": "Pop",
            "role": "decision_maker",
            "phone": "0722 000 111",
            "consent": True,
            "birthday": "1980-02-03",
        },
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    contact = response.json()
    assert contact["phone"] == "+40722000111" and contact["consent_source"] == "api"
    response = client.patch(
        f"{API}/contacts/{contact['id']}",
        {"position": "CFO"},
        content_type="application/json",
        headers=headers,
    )
    assert response.json()["position"] == "CFO"
    response = client.post(
        f"{API}/contacts/{contact['id']}/move",
        {"to_client": spread["queue"].pk, "role": "influencer"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200 and response.json()["client"]["id"] == spread["queue"].pk
    history = get(client, f"{API}/contacts/{contact['id']}/history", headers)
    assert [(h["client"]["id"], h["ended_on"] is None) for h in history] == [
        (spread["queue"].pk, True),
        (spread["own"].pk, False),
    ]
    filtered = get(client, f"{API}/contacts?role=influencer&q=pop", headers)
    assert [c["id"] for c in filtered["items"]] == [contact["id"]]
    assert Contact.objects.get(pk=contact["id"]).role == "influencer"


def test_unauthenticated_is_401(client, db):
    response = client.get(f"{API}/clients")
    assert response.status_code == 401 and set(response.json()) == {"detail", "errors"}


def test_the_endpoints_are_documented(client, world):
    from clientela.conftest import login

    login(client, world.admin)
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/clients",
        "/api/v1/clients/{client_id}",
        "/api/v1/clients/{client_id}/handover",
        "/api/v1/clients/handover",
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}/move",
    ):
        assert path in paths, path
