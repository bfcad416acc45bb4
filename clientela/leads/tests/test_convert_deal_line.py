"""A lead converted with a deal amount: the deal gets one product line for that amount, so its
proposal can be prepared at once (a document lists the deal's lines)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clientela.deals.defaults import ensure_defaults
from clientela.deals.documents.services import document_create
from clientela.leads.services.convert import DealPlaceholder, lead_convert
from clientela.leads.tests.test_convert_deal import make_lead


@pytest.fixture(autouse=True)
def _pipelines(db):
    ensure_defaults()


def test_a_deal_converted_with_an_amount_gets_a_line_for_it(world):
    lead = make_lead(world)
    deal = lead_convert(
        by=world.manager_north, lead=lead, deal=DealPlaceholder(amount="12500.50", currency="EUR")
    ).deal
    line = deal.lines.get()
    assert (line.name, line.quantity, line.unit_price, line.total) == (
        "Fleet tracking",
        1,
        Decimal("12500.50"),
        Decimal("12500.50"),
    )
    deal.refresh_from_db()
    assert deal.amount == Decimal("12500.50")
    document = document_create(by=world.manager_north, deal=deal)
    assert document.versions.get().total == Decimal("12500.50")


def test_a_deal_converted_without_an_amount_has_no_line(world):
    deal = lead_convert(by=world.manager_north, lead=make_lead(world), deal=DealPlaceholder()).deal
    assert not deal.lines.exists()
