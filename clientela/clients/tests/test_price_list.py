"""A client's loyalty price list has one source of truth — `deals.ClientPriceList` — read and
written from the client form, card, API and export, and used by deal pricing; the old free-text
field is migrated into it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps as global_apps

from clientela.clients.services.client import client_create, client_update
from clientela.clients.services.loyalty import client_price_list
from clientela.clients.tests.factories import make_client
from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError
from clientela.deals.catalogue.pricing import price_for
from clientela.deals.models import ClientPriceList, PriceList, PriceListItem, Product

pytestmark = pytest.mark.urls("clientela.clients.tests.urls")


@pytest.fixture
def lists(db):
    standard = PriceList.objects.create(name="Standard RON", currency="RON", is_default=True)
    loyal = PriceList.objects.create(name="Key accounts", currency="RON")
    off = PriceList.objects.create(name="Old 2019", currency="RON", is_active=False)
    return {"standard": standard, "loyal": loyal, "off": off}


def test_head_sets_it_through_the_client_service_and_pricing_uses_it(world, lists):
    client = make_client(world.manager_north, name="Loyal SRL")
    product = Product.objects.create(code="P-1", name="Audit")
    PriceListItem.objects.create(price_list=lists["standard"], product=product, price=Decimal("100.00"))
    PriceListItem.objects.create(price_list=lists["loyal"], product=product, price=Decimal("90.00"))
    assert price_for(product=product, client=client, currency="RON").price == Decimal("100.00")

    client_update(by=world.head_north, client=client, data={"price_list": lists["loyal"].pk})

    assert ClientPriceList.objects.get(client=client).price_list == lists["loyal"]
    assert client_price_list(client) == (lists["loyal"].pk, "Key accounts (RON)")
    quote = price_for(product=product, client=client, currency="RON")
    assert quote is not None and quote.price == Decimal("90.00") and quote.loyalty
    assert history_for(client).filter(event="price_list").exists()

    client_update(by=world.head_north, client=client, data={"price_list": None})
    assert not ClientPriceList.objects.filter(client=client).exists()


def test_rules_managers_unknown_and_switched_off_lists(world, lists):
    client = make_client(world.manager_north)
    with pytest.raises(BusinessError) as excinfo:
        client_update(by=world.manager_north, client=client, data={"price_list": lists["loyal"].pk})
    assert "price_list" in excinfo.value.errors
    for bad in (999999, "abc", lists["off"].pk):
        with pytest.raises(BusinessError) as excinfo:
            client_update(by=world.head_north, client=client, data={"price_list": bad})
        assert "price_list" in excinfo.value.errors
    assert not ClientPriceList.objects.filter(client=client).exists()
    # Saving the card without touching the price list is fine for the manager.
    client_update(by=world.head_north, client=client, data={"price_list": lists["loyal"].pk})
    client_update(
        by=world.manager_north, client=client, data={"price_list": lists["loyal"].pk, "city": "Iași"}
    )
    client.refresh_from_db()
    assert client.city == "Iași"


def test_created_with_a_price_list(world, lists):
    client = client_create(
        by=world.head_north,
        data={"name": "New Loyal", "price_list": str(lists["loyal"].pk)},
        owner=world.manager_north,
    )
    assert ClientPriceList.objects.get(client=client).price_list == lists["loyal"]


def test_form_card_and_export(client, world, lists):
    record = make_client(world.manager_north, name="Formed SRL")
    login(client, world.head_north)
    page = client.get(f"/clients/{record.pk}/edit/").content.decode()
    assert "Key accounts (RON)" in page and "Old 2019" not in page  # active lists only
    response = client.post(
        f"/clients/{record.pk}/edit/",
        {"kind": "company", "name": "Formed SRL", "price_list": lists["loyal"].pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ClientPriceList.objects.get(client=record).price_list == lists["loyal"]
    card = client.get(f"/clients/{record.pk}/").content.decode()
    assert "Key accounts (RON)" in card
    export = b"".join(client.get("/clients/export/").streaming_content).decode("utf-8-sig")
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(export))}
    assert rows["Formed SRL"]["Loyalty price list"] == "Key accounts (RON)"

    # A manager sees the list on the form but cannot change it; saving keeps it.
    login(client, world.manager_north)
    page = client.get(f"/clients/{record.pk}/edit/").content.decode()
    assert "Key accounts (RON)" in page
    response = client.post(
        f"/clients/{record.pk}/edit/",
        {"kind": "company", "name": "Formed SRL", "city": "Cluj", "price_list": ""},
    )
    assert response.status_code == 302
    assert ClientPriceList.objects.get(client=record).price_list == lists["loyal"]


def test_api_reads_and_writes_it(client, world, lists, api_token):
    record = make_client(world.manager_north, name="Api SRL")
    url = f"/api/v1/clients/{record.pk}"
    body = client.patch(
        url,
        {"price_list": lists["loyal"].pk},
        content_type="application/json",
        headers=api_token(world.head_north),
    ).json()
    assert body["price_list"] == {"id": lists["loyal"].pk, "name": "Key accounts (RON)"}
    response = client.patch(
        url, {"price_list": None}, content_type="application/json", headers=api_token(world.manager_north)
    )
    assert response.status_code == 422
    assert "price_list" in response.json()["errors"]
    response = client.patch(
        url, {"price_list": 424242}, content_type="application/json", headers=api_token(world.head_north)
    )
    assert response.status_code == 422 and "price_list" in response.json()["errors"]
    body = client.patch(
        url, {"price_list": None}, content_type="application/json", headers=api_token(world.head_north)
    ).json()
    assert body["price_list"] is None


def test_migration_turns_the_text_into_links_and_keeps_unknown_text(world, lists):
    """The data step of deals/0003 on today's models (the text field is gone, so it is handed
    the values the old column held)."""
    migration = import_module("clientela.deals.migrations.0003_client_price_list_from_text")
    named = make_client(world.manager_north, name="Named", credit_currency="RON", credit_limit="10")
    with_currency = make_client(world.manager_north, name="With currency")
    unknown = make_client(world.manager_north, name="Unknown", bonuses="2% volume bonus")
    old_text = {named.pk: "key ACCOUNTS", with_currency.pk: "Key accounts (RON)", unknown.pk: "Gold 2024"}

    class OldClients:
        """The historical Client manager: the same rows, with the old `price_list` text."""

        @staticmethod
        def exclude(**_kwargs):
            rows = []
            for record in global_apps.get_model("clients", "Client").objects.filter(pk__in=old_text):
                record.price_list = old_text[record.pk]
                rows.append(record)
            return type("Rows", (), {"iterator": lambda self: iter(rows)})()

    class FakeApps:
        @staticmethod
        def get_model(app: str, name: str):
            if name == "Client":
                return type("Client", (), {"objects": OldClients()})
            return global_apps.get_model(app, name)

    migration.text_to_links(FakeApps(), None)
    assert ClientPriceList.objects.get(client=named).price_list == lists["loyal"]
    assert ClientPriceList.objects.get(client=with_currency).price_list == lists["loyal"]
    assert not ClientPriceList.objects.filter(client=unknown).exists()
    unknown.refresh_from_db()
    assert unknown.bonuses == f"2% volume bonus\n{migration.KEPT_PREFIX}Gold 2024"
