"""What the board and the list were made faster by (issue 4, third round) still shows the same
things: cards of every column from one query (newest first, closed columns only the last 30
days), rows and cards built in Python with every value escaped, labels and owners right."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.conftest import login
from clientela.deals.board import selectors as board_selectors
from clientela.deals.board import services as board_services
from clientela.deals.board.services import ScheduledPayment
from clientela.deals.lists import DEALS
from clientela.deals.models import Deal, LostReason
from clientela.deals.tests.conftest import pipeline, stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")
PAID = [ScheduledPayment(dt.date(2030, 1, 1), "10")]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("\u00a0", " "))


def card_titles(page: str, stage_pk: int) -> list[str]:
    column = page.split(f'data-testid="column-{stage_pk}"')[1].split("</section>")[0]
    return re.findall(r'class="kanban-card-title text-reset" href="[^"]+">([^<]+)</a>', column)


def board_url() -> str:
    return f"{reverse('deals:board')}?pipeline={pipeline().pk}"


def test_every_column_gets_its_newest_cards_from_one_query(world, make_deal, django_assert_num_queries):
    now = timezone.now()
    for index, days in enumerate([5, 1, 3]):
        deal = make_deal(title=f"Open {index}")
        Deal.objects.filter(pk=deal.pk).update(stage_entered_at=now - dt.timedelta(days=days))
    moved = make_deal(title="Negotiating")
    board_services.deal_move(by=world.manager_north, deal=moved, stage=stage("negotiation"))
    won = make_deal(title="Won lately", amount="10")
    board_services.deal_move(by=world.manager_north, deal=won, stage=stage("won"), amount="10", payments=PAID)
    board = board_selectors.board(viewer=world.manager_north, pipeline=pipeline())
    since = now - dt.timedelta(days=board_selectors.BOARD_CLOSED_DAYS)
    sets = {
        closed: board_selectors._board_deals(
            world.manager_north, pipeline(), DEALS.values(), since, closed=closed, cards=True
        )
        for closed in (False, True)
    }
    with django_assert_num_queries(1):
        cards = board_selectors._column_cards(
            [(sets[column.stage.is_closed], column.stage.pk) for column in board.columns if column.count],
            board_selectors.BOARD_CARDS,
        )
    assert [card.title for card in cards[stage("first_contact").pk]] == ["Open 1", "Open 2", "Open 0"]
    assert [card.title for card in cards[stage("negotiation").pk]] == ["Negotiating"]
    assert [card.title for card in cards[stage("won").pk]] == ["Won lately"]
    by_stage = {column.stage.pk: column for column in board.columns}
    assert [card.title for card in by_stage[stage("first_contact").pk].cards] == [
        "Open 1",
        "Open 2",
        "Open 0",
    ]
    assert by_stage[stage("won").pk].cards[0].client_name == "Ștefan & Fiii"


def test_closed_columns_show_only_deals_closed_in_the_last_30_days(client, world, make_deal):
    reason = LostReason.objects.get(code="price")
    old = make_deal(title="Lost long ago")
    board_services.deal_move(
        by=world.manager_north,
        deal=old,
        stage=stage("lost"),
        lost_reason=reason,
        at=timezone.now() - dt.timedelta(days=45),
    )
    recent = make_deal(title="Lost last week")
    board_services.deal_move(
        by=world.manager_north,
        deal=recent,
        stage=stage("lost"),
        lost_reason=reason,
        at=timezone.now() - dt.timedelta(days=7),
    )
    # A closed deal entered its closed stage when it closed, or later: moved on within the
    # closed stages after the period began, it still counts from when it closed.
    Deal.objects.filter(pk=old.pk).update(stage_entered_at=timezone.now() - dt.timedelta(days=2))
    login(client, world.manager_north)
    page = text_of(client.get(board_url()))
    lost = stage("lost").pk
    assert card_titles(page, lost) == ["Lost last week"]
    column = page.split(f'data-testid="column-{lost}"')[1].split("</section>")[0]
    assert 'data-testid="column-count">1<' in column


def test_cards_escape_everything_and_show_owner_and_next_step(client, world, make_deal, clients):
    evil = make_deal(title='<script>alert("x")</script> & Co', next_step_subject="Call <b>them</b>")
    Deal.objects.filter(pk=evil.pk).update(next_step_date=timezone.localdate() - dt.timedelta(days=1))
    nobody = make_deal(title="Nobody's")
    Deal.objects.filter(pk=nobody.pk).update(owner=None)
    login(client, world.head_north)
    body = client.get(board_url()).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in body
    assert 'title="Call &lt;b&gt;them&lt;/b&gt;"' in body and "kanban-overdue" in body
    assert "Ștefan &amp; Fiii" in body
    owner = world.manager_north
    initials = ("".join(p[0] for p in (owner.first_name, owner.last_name) if p) or owner.username[:2]).upper()
    assert f'<span class="avatar avatar-xs" title="{owner}">{initials[:2]}</span>' in body
    assert '<span class="badge bg-secondary-lt" title="Unassigned">—</span>' in body
    assert f'data-move-url="{reverse("deals:move", args=[evil.pk])}"' in body
    assert f'href="{reverse("deals:detail", args=[evil.pk])}"' in body


def test_list_rows_show_labels_owner_status_and_escape(client, world, make_deal):
    evil = make_deal(title="<i>Big</i> deal", amount="1234.5")
    won = make_deal(title="Done deal", amount="10")
    board_services.deal_move(by=world.manager_north, deal=won, stage=stage("won"), amount="10", payments=PAID)
    queued = make_deal(title="Queued deal")
    Deal.objects.filter(pk=queued.pk).update(owner=None)
    login(client, world.manager_north)
    body = client.get(reverse("deals:list")).content.decode()
    page = re.sub(r"\s+", " ", body.replace("\u00a0", " "))
    assert "<i>Big</i>" not in body and "&lt;i&gt;Big&lt;/i&gt; deal" in body
    assert f'<tr data-href="{reverse("deals:detail", args=[evil.pk])}">' in body
    row = page.split(f'data-href="{reverse("deals:detail", args=[evil.pk])}"')[1].split("</tr>")[0]
    assert "1 234.50 RON" in row and "First contact" in row and "Corporate" in row
    assert str(world.manager_north) in row
    done = page.split(f'data-href="{reverse("deals:detail", args=[won.pk])}"')[1].split("</tr>")[0]
    assert '<span class="badge bg-green-lt">Won</span>' in done
    queue = page.split(f'data-href="{reverse("deals:detail", args=[queued.pk])}"')[1].split("</tr>")[0]
    assert "Team queue" in queue
    login(client, world.marketer_north)
    assert "1 234.50" not in text_of(client.get(reverse("deals:list")))


def test_card_query_falls_back_when_a_filter_value_equals_the_placeholder(world, make_deal):
    first = make_deal(title="First")
    second = make_deal(title="Second")
    board_services.deal_move(by=world.manager_north, deal=second, stage=stage("negotiation"))
    odd = Deal.objects.filter(pipeline=pipeline(), status="open").exclude(
        pk=board_selectors._STAGE_PLACEHOLDER
    )
    cards = board_selectors._column_cards(
        [(odd, stage("first_contact").pk), (odd, stage("negotiation").pk)], board_selectors.BOARD_CARDS
    )
    assert [card.pk for card in cards[stage("first_contact").pk]] == [first.pk]
    assert [card.pk for card in cards[stage("negotiation").pk]] == [second.pk]
