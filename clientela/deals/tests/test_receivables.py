"""Overdue receivables: what was due by yesterday minus what came in, scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.deals import selectors
from clientela.deals.board import services as board_services
from clientela.deals.lists import DEALS, deal_list
from clientela.deals.payments import services as payment_services

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


def expected(world, deal, amount, days_from_today):
    return payment_services.payment_create(
        by=world.admin,
        deal=deal,
        kind="expected",
        amount=amount,
        due_date=timezone.localdate() + dt.timedelta(days=days_from_today),
    )


def received(world, deal, amount, days_ago=0):
    return payment_services.payment_create(
        by=world.admin,
        deal=deal,
        kind="received",
        amount=amount,
        paid_on=timezone.localdate() - dt.timedelta(days=days_ago),
    )


def test_overdue_is_what_was_due_minus_what_came_in(world, make_deal):
    deal = make_deal(amount="1000")
    expected(world, deal, "300", -40)
    expected(world, deal, "300", -10)
    expected(world, deal, "400", +20)  # not due yet
    received(world, deal, "250")
    rows = list(selectors.overdue_receivables(world.manager_north))
    assert [row.pk for row in rows] == [deal.pk]
    row = rows[0]
    assert row.overdue_amount == Decimal("350.00")
    assert row.expected_total == Decimal("1000.00") and row.received_total == Decimal("250.00")
    assert selectors.overdue_since(deal) == timezone.localdate() - dt.timedelta(days=40)
    card = selectors.deal_receivables(deal)
    assert card["overdue_amount"] == Decimal("350.00") and card["outstanding"] == Decimal("750.00")
    assert [r["state"] for r in card["expected"]] == ["overdue", "overdue", "upcoming"]
    received(world, deal, "100")
    assert selectors.overdue_since(deal) == timezone.localdate() - dt.timedelta(days=10)
    assert [r["state"] for r in selectors.deal_receivables(deal)["expected"]] == [
        "paid",
        "overdue",
        "upcoming",
    ]


def test_paid_up_and_future_schedules_are_not_overdue(world, make_deal):
    paid = make_deal()
    expected(world, paid, "500", -5)
    received(world, paid, "500", 6)
    future = make_deal()
    expected(world, future, "500", 0)  # due today: not overdue yet
    assert not selectors.overdue_receivables(world.admin).exists()
    assert selectors.overdue_since(paid) is None


def test_lost_deals_do_not_count(world, make_deal):
    from clientela.deals.models import LostReason

    deal = make_deal()
    expected(world, deal, "500", -5)
    board_services.deal_lose(
        by=world.manager_north, deal=deal, reason=LostReason.objects.get(code="no_budget")
    )
    assert not selectors.overdue_receivables(world.admin).exists()


def test_receivables_are_scoped_and_filter_by_client(world, make_deal, clients):
    north = make_deal()
    expected(world, north, "100", -3)
    south = make_deal(owner=world.manager_south, client=clients["south"])
    expected(world, south, "200", -3)

    def ids(user, **kwargs):
        return {deal.pk for deal in selectors.overdue_receivables(user, **kwargs)}

    assert ids(world.manager_north) == {north.pk}
    assert ids(world.manager_north2) == set()
    assert ids(world.head_north) == {north.pk}
    assert ids(world.manager_south) == {south.pk}
    assert ids(world.admin) == {north.pk, south.pk}
    assert ids(world.admin, client=clients["south"]) == {south.pk}
    assert ids(world.marketer_north) == {north.pk}  # the selector scopes; pages hide amounts


def test_the_list_filter_for_overdue_payments(world, make_deal):
    overdue = make_deal()
    expected(world, overdue, "100", -3)
    make_deal()
    filters = DEALS.values(overdue_receivables=True)
    assert [deal.pk for deal in deal_list(viewer=world.head_north, filters=filters)] == [overdue.pk]


def test_owners_and_heads_hear_once_about_each_overdue_payment(world, make_deal):
    from clientela.core.models import Notification
    from clientela.deals.tasks import notify_overdue_receivables

    deal = make_deal()
    first = expected(world, deal, "100", -10)
    expected(world, deal, "100", -2)
    expected(world, make_deal(), "100", +3)  # not due yet
    assert payment_services.receivables_notify_overdue() == 1
    assert payment_services.receivables_notify_overdue() == 0  # the same payment is not reported twice
    notes = Notification.objects.filter(verb="payment_overdue")
    assert {n.user for n in notes} == {world.manager_north, world.head_north}
    assert "200.00" in notes.first().text and first.due_date.isoformat() in notes.first().text
    received(world, deal, "100")  # the first is paid: the second is now the oldest unpaid
    assert notify_overdue_receivables.call() == 1
    assert Notification.objects.filter(verb="payment_overdue").count() == 4
