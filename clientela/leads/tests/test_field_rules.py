"""A lead's field rules live in one place (`leads.rules`, checked by the services): every door —
the card's edit dialog, `PATCH /leads/{id}`, `POST /leads`, the public intake endpoint, the
pipeline that e-mail and imports use, the interest upgrade page and API — refuses the same
over-long or NUL-carrying value under the same field name with the same message, and loses
nothing (the stored lead is unchanged, nothing is created)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.core.validation import null_characters, too_long
from clientela.intake.pipeline import IntakeContext, RawLead, RowNormaliser, intake_submit
from clientela.intake.services import intake_form_create
from clientela.leads.models import Interest, Lead

POSITION_LIMIT = 120
LONG_POSITION = "p" * (POSITION_LIMIT + 1)
NUL_POSITION = "Dir\x00ector"
BAD_VALUES = [(LONG_POSITION, too_long(POSITION_LIMIT)), (NUL_POSITION, null_characters())]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead(world) -> Lead:
    ctx = IntakeContext(door="api", team=world.north, owner=world.manager_north)
    result = intake_submit(raw=RawLead(name="Ana Pop", phone="0721123456", position="Buyer"), ctx=ctx)
    return Lead.objects.get(pk=result.id)


@pytest.fixture
def interest(world) -> Interest:
    ctx = IntakeContext(door="api", team=world.north)
    return Interest.objects.get(
        pk=intake_submit(raw=RawLead(company="Alpha", phone="0213004000"), ctx=ctx).id
    )


def unchanged(lead: Lead) -> bool:
    stored = Lead.objects.get(pk=lead.pk)
    return (stored.position, stored.first_name, stored.phone, stored.updated_at) == (
        lead.position,
        lead.first_name,
        lead.phone,
        lead.updated_at,
    )


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_api_patch(client, world, api_token, lead, value, message):
    response = client.patch(
        f"/api/v1/leads/{lead.pk}",
        data={"position": value, "first_name": "Ioana"},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"position": [message]}
    assert unchanged(lead)


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_edit_dialog(client, world, lead, value, message):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": "Ioana",
            "last_name": "Pop",
            "phone": "0721123456",
            "source": "web_form",
            "position": value,
        },
    )
    assert response.status_code == 422
    assert response.context["act"].form.errors["position"] == [message]
    assert unchanged(lead)


def test_edit_dialog_refuses_an_over_long_email_instead_of_cutting_it(client, world, lead):
    login(client, world.manager_north)
    email = "a" * 250 + "@x.ro"
    response = client.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": "Ana",
            "last_name": "Pop",
            "phone": "0721123456",
            "source": "web_form",
            "email": email,
        },
    )
    assert response.status_code == 422
    assert response.context["act"].form.errors["email"] == [too_long(254)]
    assert Lead.objects.get(pk=lead.pk).email_raw == ""


def test_edit_dialog_saves_only_what_changed(client, world, lead):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": "Ana",
            "last_name": "Pop",
            "phone": "0721 123 456",
            "source": lead.source,
            "position": "CEO",
        },
    )
    assert response.status_code in (200, 302), response.content
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.position, stored.phone, stored.phone_raw) == ("CEO", lead.phone, lead.phone_raw)


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_api_create(client, world, api_token, value, message):
    response = client.post(
        "/api/v1/leads",
        data={"name": "Ana Pop", "phone": "0721123456", "position": value},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["position"] == [message]
    assert not Lead.objects.exists() and not Interest.objects.exists()


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_public_intake_endpoint(client, world, value, message):
    form = intake_form_create(by=world.marketer_north, name="Pricing page", rate_limit_per_hour=500)
    response = client.post(
        f"/api/v1/intake/{form.key}",
        data=json.dumps({"name": "Ana Pop", "phone": "0721123456", "position": value}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["position"] == [message]
    assert not Lead.objects.exists() and not Interest.objects.exists()


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_pipeline_for_email_and_scripts(world, value, message):
    with pytest.raises(BusinessError) as caught:
        intake_submit(
            raw=RawLead(name="Ana Pop", phone="0721123456", position=value),
            ctx=IntakeContext(door="email", team=world.north),
        )
    assert caught.value.errors["position"] == [message]
    assert not Lead.objects.exists() and not Interest.objects.exists()


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_import_rows(world, value, message):
    normaliser = RowNormaliser(IntakeContext(door="import", team=world.north))
    _values, errors = normaliser.normalise({"name": "Ana Pop", "phone": "+40721123456", "position": value})
    assert errors == {"position": [message]}


def test_nul_in_a_field_without_a_limit_is_refused_too(world):
    with pytest.raises(BusinessError) as caught:
        intake_submit(
            raw=RawLead(name="Ana Pop", phone="0721123456", message="hi\x00"),
            ctx=IntakeContext(door="email", team=world.north),
        )
    assert caught.value.errors == {"message": [null_characters()]}


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_api_interest_upgrade(client, world, api_token, interest, value, message):
    response = client.post(
        f"/api/v1/interests/{interest.pk}/upgrade",
        data={"first_name": "Ana", "position": value},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"position": [message]}
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("value", "message"), BAD_VALUES)
def test_interest_upgrade_page(client, world, interest, value, message):
    login(client, world.manager_north)
    response = client.post(f"/interests/{interest.pk}/upgrade/", {"first_name": "Ana", "position": value})
    assert response.status_code == 422
    assert response.context["form"].errors["position"] == [message]
    assert not Lead.objects.exists()


def test_forms_tell_the_browser_the_limits_from_the_model(client, world, lead):
    login(client, world.manager_north)
    response = client.get(f"/leads/{lead.pk}/edit/")
    assert 'maxlength="120"' in response.content.decode()
