"""The overdue-payment job tells each person in their own language (owner and head may differ)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.core.models import Notification
from clientela.deals.money import format_money
from clientela.deals.payments import services as payment_services

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")

OVERDUE = "Payment overdue on %(deal)s: %(amount)s was due on %(date)s."


def test_the_overdue_notice_is_written_per_reader_in_their_language(world, make_deal):
    world.manager_north.language = "ro"
    world.manager_north.save(update_fields=["language"])
    deal = make_deal()
    due = timezone.localdate() - dt.timedelta(days=5)
    payment_services.payment_create(by=world.admin, deal=deal, kind="expected", amount="100", due_date=due)
    with translation.override("en"):  # the job runs in the site's language
        assert payment_services.receivables_notify_overdue() == 1
    params: dict[str, Any] = {
        "deal": deal,
        "amount": format_money(Decimal("100"), deal.currency),
        "date": due.isoformat(),
    }
    with translation.override("ro"):
        romanian = _(OVERDUE) % params
    english = OVERDUE % params
    assert romanian != english, "the Romanian catalogue translates this text"
    texts = {n.user: n.text for n in Notification.objects.filter(verb="payment_overdue")}
    assert texts == {world.manager_north: romanian, world.head_north: english}
