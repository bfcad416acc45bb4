"""Texts longer than their columns at the lead doors — API create and patch, interest upgrade,
the manual "new lead" form, the card's edit and convert dialogs: a field-level error (422 with
the error shape on the API, inline on the page), never a 500, never a cut value, never a
partial record. (SQLite does not enforce column sizes; the tests check nothing over-long is
stored, as PostgreSQL would refuse it.)"""

from __future__ import annotations

import pytest

from clientela.clients.models import Client
from clientela.conftest import login
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import Interest, Lead

LONG_EMAIL = "a" * 63 + "." + "b" * 63 + "@" + ".".join(["c" * 60] * 3) + ".example"


def post(client, path, headers, data):
    return client.post(path, data=data, content_type="application/json", headers=headers)


def patch(client, path, headers, data):
    return client.patch(path, data=data, content_type="application/json", headers=headers)


@pytest.fixture
def lead(world) -> Lead:
    ctx = IntakeContext(door="api", team=world.north, owner=world.manager_north)
    result = intake_submit(raw=RawLead(name="Ana Pop", phone="0721123456", company="Alpha"), ctx=ctx)
    return Lead.objects.get(pk=result.id)


def assert_field_error(response, field: str) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and field in body["errors"], body


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"interest": "x" * 201}, "interest"),
        ({"email": LONG_EMAIL}, "email"),
        ({"company": "c" * 201}, "company"),
        ({"position": "p" * 121}, "position"),
        ({"industry": "i" * 61}, "industry"),
        ({"region": "r" * 101}, "region"),
        ({"external_id": "e" * 101}, "external_id"),
        ({"name": "N" * 150 + " Pop"}, "name"),
    ],
)
def test_api_create_refuses_over_long_values(client, world, api_token, data, field):
    body = {"name": "Ana Pop", "phone": "0721123456", **data}
    response = post(client, "/api/v1/leads", api_token(world.manager_north), body)
    assert_field_error(response, field)
    assert not Lead.objects.exists() and not Interest.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": LONG_EMAIL}, "email"),
        ({"phone": "0" * 61}, "phone"),
        ({"company_name": "c" * 201}, "company_name"),
        ({"position": "p" * 121}, "position"),
        ({"product": "x" * 201}, "product"),
        ({"last_name": "Щ" * 101}, "last_name"),
    ],
)
def test_api_patch_refuses_over_long_values_and_changes_nothing(client, world, api_token, lead, data, field):
    response = patch(client, f"/api/v1/leads/{lead.pk}", api_token(world.manager_north), data)
    assert_field_error(response, field)
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.email, stored.phone, stored.company_name, stored.position, stored.product) == (
        lead.email,
        lead.phone,
        lead.company_name,
        lead.position,
        lead.product,
    )


def test_api_patch_with_a_long_cyrillic_name_keeps_the_name_key_in_its_column(client, world, api_token, lead):
    response = patch(
        client, f"/api/v1/leads/{lead.pk}", api_token(world.manager_north), {"last_name": "Щ" * 100}
    )
    assert response.status_code == 200, response.content
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.last_name == "Щ" * 100 and len(stored.name_key) <= 120


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_name": "Ana", "email": LONG_EMAIL}, "email"),
        ({"first_name": "Ana", "phone": "0" * 61}, "phone"),
        ({"first_name": "A" * 100, "last_name": "B" * 100}, "last_name"),
    ],
)
def test_api_interest_upgrade_refuses_over_long_values(client, world, api_token, data, field):
    ctx = IntakeContext(door="api", team=world.north)
    interest = Interest.objects.get(
        pk=intake_submit(raw=RawLead(company="Alpha", phone="0213004000"), ctx=ctx).id
    )
    response = post(client, f"/api/v1/interests/{interest.pk}/upgrade", api_token(world.manager_north), data)
    assert_field_error(response, field)
    assert not Lead.objects.exists()


def test_api_convert_with_a_too_long_client_name_is_a_field_error(client, world, api_token, lead):
    response = post(
        client, f"/api/v1/leads/{lead.pk}/convert", api_token(world.manager_north), {"client_name": "c" * 201}
    )
    assert_field_error(response, "client_name")
    assert not Client.objects.exists() and Lead.objects.get(pk=lead.pk).status == "new"


# --- Web pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "N" * 150 + " Pop", "phone": "0721123456"}, "name"),
        ({"name": "Ana Pop", "email": "a" * 250 + "@x.ro"}, "email"),
        ({"name": "Ana Pop", "phone": "0721123456", "company": "c" * 201}, "company"),
        ({"name": "Ana Pop", "phone": "0721123456", "interest": "x" * 201}, "interest"),
    ],
)
def test_manual_form_shows_over_long_values_inline(client, world, data, field):
    login(client, world.manager_north)
    response = client.post("/leads/new/", {"source": "manual", **data})
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert 'class="form-control is-invalid"' in response.content.decode()
    assert not Lead.objects.exists() and not Interest.objects.exists()


def test_edit_dialog_shows_an_over_long_position_inline(client, world, lead):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": "Ana",
            "last_name": "Pop",
            "phone": "0721123456",
            "source": "web_form",
            "position": "p" * 121,
        },
    )
    assert response.status_code == 422 and "position" in response.context["act"].form.errors
    assert Lead.objects.get(pk=lead.pk).position == ""


def test_convert_dialog_shows_an_over_long_client_name_inline(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/convert/", {"client_name": "c" * 201})
    assert response.status_code == 422 and "client_name" in response.context["act"].form.errors
    assert not Client.objects.exists()
