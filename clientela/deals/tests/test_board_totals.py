"""The board's open-deal totals kept by database triggers (`deals/board_totals.py`): every way a
deal is written keeps them equal to a count of the deals, the board reads them scoped and
filtered like the deals, and a migrate puts lost triggers back. Runs on SQLite and PostgreSQL
(each has its own triggers)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.conftest import login
from clientela.deals import board_totals, services
from clientela.deals.board import services as board_services
from clientela.deals.board.selectors import BOARD_CARDS, board
from clientela.deals.choices import DealStatus
from clientela.deals.client_card import move_deals_on_handover
from clientela.deals.lists import DEALS
from clientela.deals.models import BoardTotal, Deal, LostReason
from clientela.deals.tests.conftest import pipeline, stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")

Key = tuple[int, int, str, int | None, int | None]


def stored() -> dict[Key, tuple[int, int]]:
    """The kept totals, rows of zeros left out."""
    return {
        (row.pipeline_id, row.stage_id, row.currency, row.owner_id, row.team_id): (
            row.deals,
            row.amount_cents,
        )
        for row in BoardTotal.objects.all()
        if row.deals or row.amount_cents
    }


def counted() -> dict[Key, tuple[int, int]]:
    """The same totals counted from the open deals."""
    numbers: Counter[Key] = Counter()
    cents: Counter[Key] = Counter()
    for deal in Deal.objects.filter(status=DealStatus.OPEN):
        key = (deal.pipeline_id, deal.stage_id, deal.currency, deal.owner_id, deal.team_id)
        numbers[key] += 1
        cents[key] += int(deal.amount * 100)
    return {key: (numbers[key], cents[key]) for key in numbers}


def assert_kept() -> None:
    assert stored() == counted()


def test_every_way_of_writing_deals_keeps_the_totals(world, make_deal, clients):
    north, team = world.manager_north, world.north.pk
    first, corporate = stage("first_contact").pk, pipeline().pk
    a = make_deal(amount="1000.10")
    b = make_deal(amount="250.45")
    c = make_deal(amount="99", currency="EUR")
    assert stored() == {
        (corporate, first, "RON", north.pk, team): (2, 125055),
        (corporate, first, "EUR", north.pk, team): (1, 9900),
    }
    services.deal_update(by=north, deal=a, data={"amount": "1000.20"}, version=1)
    assert_kept()
    services.deal_update(by=north, deal=c, data={"currency": "RON"}, version=1)
    assert_kept()
    services.deal_update(by=north, deal=b, data={"next_step_subject": "Call the CFO"}, version=1)
    assert_kept()
    board_services.deal_move(by=north, deal=Deal.objects.get(pk=b.pk), stage=stage("negotiation"))
    assert_kept()
    schedule = [board_services.ScheduledPayment(dt.date(2030, 1, 1), "1000.20")]
    board_services.deal_win(by=north, deal=Deal.objects.get(pk=a.pk), payments=schedule)
    board_services.deal_lose(by=north, deal=Deal.objects.get(pk=c.pk), reason=LostReason.objects.first())
    assert_kept()
    assert stored() == {(corporate, stage("negotiation").pk, "RON", north.pk, team): (1, 25045)}
    d = make_deal(amount="10.01", pipeline_code="direct")
    services.deal_update(by=world.head_north, deal=d, data={"owner": None}, version=1)
    assert_kept()
    assert (pipeline("direct").pk, stage("first_contact", "direct").pk, "RON", None, team) in stored()
    # A handover is one bulk UPDATE of many deals.
    make_deal(amount="5")
    make_deal(amount="7.77", currency="EUR")
    move_deals_on_handover(
        by=world.head_north,
        handover=None,
        client_ids=[clients["north"].pk],
        from_user_ids=[north.pk],
        to_user=world.manager_north2,
    )
    assert_kept()
    assert not any(key[3] == north.pk for key in stored())
    # Rows written without the services: bulk_create, a queryset update, deletes.
    Deal.objects.bulk_create(
        [
            Deal(
                title=f"Imported {number}",
                client=clients["south"],
                owner=world.manager_south,
                team=world.south,
                pipeline=pipeline("retail"),
                stage=pipeline("retail").stages.order_by("position")[0],
                amount=Decimal("1.50") * number,
                currency="HUF",
            )
            for number in range(1, 6)
        ]
    )
    assert_kept()
    Deal.objects.filter(currency="HUF").update(amount=F("amount") + 1)
    assert_kept()
    Deal.objects.filter(currency="HUF", amount__lt=5).delete()
    assert_kept()
    Deal.objects.filter(currency="HUF").update(status=DealStatus.LOST)
    assert_kept()
    assert not any(key[2] == "HUF" for key in stored())


def column_figures(viewer, **filters) -> dict[str, tuple[int, list[tuple[str, Decimal]]]]:
    shown = board(viewer=viewer, pipeline=pipeline(), filters=DEALS.values(**filters))
    return {column.stage.code: (column.count, column.totals) for column in shown.columns if column.count}


def test_board_columns_are_scoped_and_filtered_from_the_totals(world, make_deal, clients):
    make_deal(amount="100")
    make_deal(amount="20", currency="EUR")
    make_deal(owner=world.manager_north2, client=clients["north2"], amount="3")
    queued = make_deal(owner=world.manager_north2, client=clients["north2"], amount="4")
    services.deal_update(by=world.head_north, deal=queued, data={"owner": None}, version=1)
    make_deal(owner=world.manager_south, client=clients["south"], amount="5000")
    with CaptureQueriesContext(connection) as queries:
        figures = column_figures(world.head_north)
    assert figures == {"first_contact": (4, [("EUR", Decimal("20.00")), ("RON", Decimal("107.00"))])}
    sums = [query["sql"] for query in queries.captured_queries if "SUM(" in query["sql"].upper()]
    # The open columns are summed from the kept totals; only the closed ones (last 30 days) read deals.
    assert any(BoardTotal._meta.db_table in sql for sql in sums)
    assert all("closed_at" in sql for sql in sums if BoardTotal._meta.db_table not in sql)
    # A manager: their deals and the team's unassigned ones, never a colleague's or another team's.
    assert column_figures(world.manager_north) == {
        "first_contact": (3, [("EUR", Decimal("20.00")), ("RON", Decimal("104.00"))])
    }
    assert column_figures(world.manager_south) == {"first_contact": (1, [("RON", Decimal("5000.00"))])}
    assert column_figures(world.admin)["first_contact"][0] == 5
    assert column_figures(world.head_north, owner=world.manager_north2.pk) == {
        "first_contact": (1, [("RON", Decimal("3.00"))])
    }
    queue = column_figures(world.head_north, unassigned=True)
    assert queue == {"first_contact": (1, [("RON", Decimal("4.00"))])}
    south = column_figures(world.admin, team=world.south.pk)
    assert south == {"first_contact": (1, [("RON", Decimal("5000.00"))])}
    # A search reads the deals themselves, with the same figures for what it finds.
    found = column_figures(world.head_north, q="Kovács")
    assert found == {"first_contact": (2, [("RON", Decimal("7.00"))])}


def test_marketers_get_counts_from_the_totals_without_amounts(client, world, make_deal):
    make_deal(amount="1234.56")
    make_deal(amount="1", currency="EUR")
    login(client, world.marketer_north)
    response = client.get(f"{reverse('deals:board')}?pipeline={pipeline().pk}")
    page = re.sub(r"\s+", " ", response.content.decode())
    assert 'data-testid="column-count">2<' in page and "1 234.56" not in page


def test_migrate_puts_lost_triggers_back_and_recounts(world, make_deal):
    make_deal(amount="10")
    board_totals.uninstall(connection)  # as a SQLite table rebuild does
    assert not board_totals.installed(connection)
    make_deal(amount="20")  # not counted: no triggers
    assert stored() != counted()
    assert board_totals.ensure(connection) is True
    assert board_totals.installed(connection)
    assert_kept()
    make_deal(amount="30")
    assert_kept()
    assert board_totals.ensure(connection) is False


def test_a_total_below_zero_is_recounted(world, make_deal):
    # SQLite's flush empties the totals before the deals, whose delete triggers then subtract.
    make_deal(amount="10")
    BoardTotal.objects.update(deals=-1, amount_cents=-1000)
    assert board_totals.ensure(connection) is True
    assert_kept()
    assert stored()


def test_a_managers_column_merges_own_and_unassigned_cards_newest_first(world, make_deal):
    start = timezone.now() - dt.timedelta(days=2)
    made = []
    for number in range(BOARD_CARDS + 4):
        deal = make_deal(title=f"deal {number}")
        if number % 3 == 0:  # every third one waits in the team queue
            services.deal_update(by=world.head_north, deal=deal, data={"owner": None}, version=1)
        Deal.objects.filter(pk=deal.pk).update(stage_entered_at=start + dt.timedelta(minutes=number))
        made.append(deal.pk)
    column = board(viewer=world.manager_north, pipeline=pipeline()).columns[0]
    assert column.count == BOARD_CARDS + 4 and column.more == 4
    assert [card.pk for card in column.cards] == list(reversed(made))[:BOARD_CARDS]
    assert {card.owner_id for card in column.cards} == {world.manager_north.pk, None}
