"""A client's field rules live in `clients.services.rules` (`clean_client_values`, limits from the
Client columns): the page, the API and the service refuse the same over-long or NUL-carrying
value under the same field name with the same message, and nothing is written."""

from __future__ import annotations

import pytest

from clientela.clients.models import Client
from clientela.clients.services.client import client_create
from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.core.validation import null_characters, too_long

BAD_CITIES = [("c" * 101, too_long(100)), ("Cluj\x00", null_characters())]
LONG_PHONE = "0" * 61


@pytest.mark.parametrize(("city", "message"), BAD_CITIES)
def test_create_page(client, world, city, message):
    login(client, world.manager_north)
    response = client.post(
        "/clients/new/", {"kind": "company", "name": "Alpha", "country": "RO", "city": city}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["city"] == [message]
    assert not Client.objects.exists()


@pytest.mark.parametrize(("city", "message"), BAD_CITIES)
def test_api_create(client, world, api_token, city, message):
    response = client.post(
        "/api/v1/clients",
        {"kind": "company", "name": "Alpha", "country": "RO", "city": city},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["city"] == [message]
    assert not Client.objects.exists()


@pytest.mark.parametrize(("city", "message"), BAD_CITIES)
def test_service(world, city, message):
    with pytest.raises(BusinessError) as caught:
        client_create(by=world.manager_north, data={"kind": "company", "name": "Alpha", "city": city})
    assert caught.value.errors == {"city": [message]}
    assert not Client.objects.exists()


def test_an_over_long_phone_is_refused_not_cut(world):
    with pytest.raises(BusinessError) as caught:
        client_create(by=world.manager_north, data={"kind": "company", "name": "Alpha", "phone": LONG_PHONE})
    assert caught.value.errors == {"phone": [too_long(60)]}
    assert not Client.objects.exists()
