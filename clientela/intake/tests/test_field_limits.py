"""Texts longer than their columns: at the public intake endpoint and in the pipeline itself,
a field-level error (422 with the error shape) — never a 500, never a value silently cut,
never a partial record. SQLite does not enforce column sizes, so these tests check that
nothing over-long is stored, as PostgreSQL would refuse it."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from clientela.core.errors import BusinessError
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.intake.services import intake_form_create
from clientela.leads.models import Interest, Lead

LONG_EMAIL = "a" * 63 + "." + "b" * 63 + "@" + ".".join(["c" * 60] * 3) + ".example"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web_form(world):
    return intake_form_create(by=world.marketer_north, name="Pricing page", rate_limit_per_hour=500)


def post_json(client, form, body):
    return client.post(f"/api/v1/intake/{form.key}", data=json.dumps(body), content_type="application/json")


def nothing_written() -> bool:
    return not Lead.objects.exists() and not Interest.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ana Pop", "phone": "0721123456", "interest": "x" * 201}, "interest"),
        ({"name": "Ana Pop", "email": LONG_EMAIL}, "email"),
        ({"name": "Ana Pop", "phone": "0721123456", "company": "c" * 201}, "company"),
        ({"name": "Ana Pop", "phone": "0721123456", "position": "p" * 121}, "position"),
        ({"name": "Ana Pop", "phone": "0721123456", "city": "c" * 101}, "city"),
        ({"name": "N" * 150 + " Pop", "phone": "0721123456"}, "name"),
        ({"first_name": "A" * 100, "last_name": "B" * 100, "company": "Alpha"}, "last_name"),
    ],
)
def test_public_endpoint_refuses_over_long_values_field_by_field(client, web_form, body, field):
    response = post_json(client, web_form, body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert set(payload) == {"detail", "errors"} and field in payload["errors"]
    assert "at most" in " ".join(payload["errors"][field])
    assert nothing_written()


def test_public_endpoint_takes_values_at_their_limits(client, web_form):
    body = {
        "first_name": "A" * 100,
        "last_name": "B" * 99,
        "phone": "0721123456",
        "company": "c" * 200,
        "position": "p" * 120,
        "interest": "i" * 200,
    }
    response = post_json(client, web_form, body)
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert (len(lead.company_name), len(lead.position), len(lead.product)) == (200, 120, 200)


def test_long_cyrillic_name_keeps_its_name_key_within_the_column(client, web_form):
    """'Щ' transliterates to 'shch': a 100-letter last name makes a 400-letter key."""
    response = post_json(
        client, web_form, {"first_name": "Щука", "last_name": "Щ" * 100, "phone": "0721123456"}
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.last_name == "Щ" * 100 and 0 < len(lead.name_key) <= 120


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "Ana Pop", "phone": "0721123456", "interest": "x" * 201}, "interest"),
        ({"name": "Ana Pop", "email": LONG_EMAIL}, "email"),
        ({"name": "Ana Pop", "phone": "0721123456", "company": "c" * 201}, "company"),
        ({"name": "Ana Pop", "phone": "0721123456", "position": "p" * 121}, "position"),
        ({"name": "Ana Pop", "phone": "0721123456", "industry": "i" * 61}, "industry"),
        ({"name": "Ana Pop", "phone": "0721123456", "external_id": "e" * 101}, "external_id"),
        ({"name": "Ana Pop", "phone": "0" * 61}, "phone"),
        ({"name": "N" * 201}, "name"),
        ({"first_name": "A" * 101, "phone": "0721123456"}, "first_name"),
    ],
)
def test_pipeline_refuses_over_long_values_for_every_door(world, raw, field):
    """Doors without a schema of their own (e-mail, demo, scripts) get the same answer."""
    ctx = IntakeContext(door="manual", team=world.north)
    with pytest.raises(BusinessError) as caught:
        intake_submit(raw=RawLead(**raw), ctx=ctx)
    assert caught.value.status == 422 and field in caught.value.errors
    assert nothing_written()
