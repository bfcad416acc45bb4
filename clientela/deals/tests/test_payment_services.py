"""Payment services: expected and received payments in the deal's currency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.core.errors import BusinessError
from clientela.deals.choices import DealEventKind
from clientela.deals.models import (
    DealEvent,
)
from clientela.deals.payments import services as payment_services

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


# --- payments ------------------------------------------------------------------------------------


def test_payments_are_in_the_deals_currency_with_their_dates(world, make_deal):
    deal = make_deal()
    with pytest.raises(BusinessError) as caught:
        payment_services.payment_create(by=world.manager_north, deal=deal, kind="expected", amount="10")
    assert "due_date" in caught.value.errors
    with pytest.raises(BusinessError) as caught:
        payment_services.payment_create(
            by=world.manager_north,
            deal=deal,
            kind="received",
            amount="10",
            paid_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "paid_on" in caught.value.errors
    with pytest.raises(BusinessError) as caught:
        payment_services.payment_create(by=world.manager_north, deal=deal, kind="received", amount="0")
    assert "amount" in caught.value.errors
    payment = payment_services.payment_create(by=world.manager_north, deal=deal, kind="received", amount="10")
    assert payment.currency == "RON" and payment.paid_on == timezone.localdate()
    assert DealEvent.objects.filter(deal=deal, kind=DealEventKind.PAYMENT).count() == 1
