"""Catalogue services: a deal's product lines, priced from the client's price list or the default
list of the deal's currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clientela.core.errors import BusinessError, ConflictError
from clientela.deals.board import services as board_services
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.models import (
    ClientPriceList,
    Deal,
    PriceList,
    PriceListItem,
)

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


# --- lines and prices ----------------------------------------------------------------------------


def test_prices_come_from_the_default_list_unless_the_client_has_a_loyalty_list(world, make_deal, products):
    deal = make_deal(amount="0")
    line = catalogue_services.line_add(
        by=world.manager_north, deal=deal, product=products["licence"], quantity="10"
    )
    assert line.unit_price == Decimal("99.90") and line.total == Decimal("999.00") and line.unit == "pcs"
    loyal = PriceList.objects.create(name="Loyal RON", currency="RON")
    PriceListItem.objects.create(price_list=loyal, product=products["licence"], price=Decimal("80.00"))
    ClientPriceList.objects.create(client=deal.client, price_list=loyal)
    line = catalogue_services.line_add(
        by=world.manager_north, deal=deal, product=products["licence"], quantity="1"
    )
    assert line.unit_price == Decimal("80.00")
    line = catalogue_services.line_add(
        by=world.manager_north, deal=deal, product=products["audit"], quantity="1"
    )
    assert line.unit_price == Decimal("1500.00")  # not on the loyalty list: the default list applies


def test_no_price_in_the_deals_currency_is_a_field_error(world, make_deal, products):
    deal = make_deal(currency="HUF")
    with pytest.raises(BusinessError) as caught:
        catalogue_services.line_add(
            by=world.manager_north, deal=deal, product=products["audit"], quantity="1"
        )
    assert "unit_price" in caught.value.errors and "HUF" in caught.value.errors["unit_price"][0]
    assert not deal.lines.exists()


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("quantity", {"quantity": "0"}),
        ("quantity", {"quantity": 1.5}),
        ("discount_percent", {"discount_percent": "101"}),
        ("unit_price", {"unit_price": "1.999"}),
        ("name", {"name": ""}),
    ],
)
def test_bad_lines_are_field_errors(world, make_deal, field, values):
    deal = make_deal()
    kwargs = {"name": "Service", "quantity": "1", "unit_price": "10", **values}
    with pytest.raises(BusinessError) as caught:
        catalogue_services.line_add(by=world.manager_north, deal=deal, **kwargs)
    assert field in caught.value.errors
    assert not deal.lines.exists() and Deal.objects.get(pk=deal.pk).version == 1


def test_closed_deals_keep_their_lines(world, make_deal):
    deal = make_deal(pipeline_code="direct")
    board_services.deal_win(by=world.manager_north, deal=deal)
    with pytest.raises(ConflictError):
        catalogue_services.line_add(
            by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), name="X", unit_price="1"
        )
