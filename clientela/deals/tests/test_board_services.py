"""Board services: stage history, moving between pipelines, the won/lost rules (amount, payment
schedule, lost reasons), reopening, who hears of a move, and objections raised at a stage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.core.audit import history_for
from clientela.core.errors import BusinessError
from clientela.core.models import Notification
from clientela.deals.board import selectors as board_selectors
from clientela.deals.board import services as board_services
from clientela.deals.board.services import ScheduledPayment
from clientela.deals.choices import DealEventKind, DealStatus, PaymentKind
from clientela.deals.models import (
    Deal,
    DealEvent,
    DealStageChange,
    LostReason,
    Objection,
)
from clientela.deals.payments import services as payment_services
from clientela.deals.tests.conftest import days_ago, pipeline, snapshot, stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


# --- stage history -------------------------------------------------------------------------------


def test_stage_history_records_the_time_spent_in_each_stage(world, make_deal):
    start = days_ago(10)
    deal = make_deal(at=start)
    board_services.deal_move(
        by=world.manager_north, deal=deal, stage=stage("needs_identified"), at=start + dt.timedelta(days=3)
    )
    board_services.deal_move(
        by=world.manager_north,
        deal=Deal.objects.get(pk=deal.pk),
        stage=stage("proposal_sent"),
        at=start + dt.timedelta(days=3, hours=12),
    )
    changes = list(DealStageChange.objects.filter(deal=deal).order_by("at"))
    assert [(c.from_stage and c.from_stage.code, c.to_stage.code) for c in changes] == [
        (None, "first_contact"),
        ("first_contact", "needs_identified"),
        ("needs_identified", "proposal_sent"),
    ]
    assert [c.seconds_in_previous for c in changes] == [None, 3 * 86400, 12 * 3600]
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.stage_entered_at == start + dt.timedelta(days=3, hours=12)
    stats = {
        row["stage"].code: row
        for row in board_selectors.stage_statistics(viewer=world.admin, pipeline=pipeline())
    }
    assert stats["first_contact"]["entered"] == 1 and stats["first_contact"]["advanced"] == 1
    assert stats["first_contact"]["conversion"] == 100
    assert stats["first_contact"]["avg_seconds"] == 3 * 86400
    assert stats["needs_identified"]["avg_seconds"] == 12 * 3600
    assert stats["proposal_sent"]["entered"] == 1 and stats["proposal_sent"]["advanced"] == 0


def test_moving_to_the_current_stage_changes_nothing(world, make_deal):
    deal = make_deal()
    before = snapshot(deal)
    board_services.deal_move(by=world.manager_north, deal=deal, stage=deal.stage)
    assert snapshot(deal) == before


# --- lost and won ---------------------------------------------------------------------------------


def test_lost_needs_a_reason_and_writes_nothing_without_one(world, make_deal):
    deal = make_deal()
    before = snapshot(deal)
    with pytest.raises(BusinessError) as caught:
        board_services.deal_lose(by=world.manager_north, deal=deal, reason=None)
    assert caught.value.status == 422 and "lost_reason" in caught.value.errors
    with pytest.raises(BusinessError):
        board_services.deal_move(by=world.manager_north, deal=deal, stage=stage("lost"))
    assert snapshot(deal) == before


def test_lost_with_a_reason_closes_the_deal(world, make_deal):
    deal = make_deal()
    reason = LostReason.objects.get(code="staff_attitude")
    board_services.deal_lose(by=world.manager_north, deal=deal, reason=reason, note="  Rude   reply ")
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == DealStatus.LOST and stored.stage.code == "lost"
    assert stored.lost_reason == reason and stored.lost_note == "Rude reply"
    assert stored.closed_at is not None
    assert DealEvent.objects.filter(deal=deal, kind=DealEventKind.LOST).exists()
    assert history_for(stored).filter(event="moved_lost").exists()


def test_a_switched_off_reason_is_refused(world, make_deal):
    deal = make_deal()
    reason = LostReason.objects.get(code="price")
    reason.is_active = False
    reason.save()
    with pytest.raises(BusinessError) as caught:
        board_services.deal_lose(by=world.manager_north, deal=deal, reason=reason)
    assert "lost_reason" in caught.value.errors


def test_won_needs_an_amount_above_zero(world, make_deal):
    deal = make_deal(amount="0", pipeline_code="direct")
    before = snapshot(deal)
    with pytest.raises(BusinessError) as caught:
        board_services.deal_win(by=world.manager_north, deal=deal)
    assert "amount" in caught.value.errors
    assert snapshot(deal) == before
    board_services.deal_win(by=world.manager_north, deal=deal, amount="700")
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == DealStatus.WON and stored.amount == Decimal("700.00")


def test_corporate_won_needs_a_payment_schedule_covering_the_amount(world, make_deal):
    deal = make_deal(amount="1000.00")
    assert deal.pipeline.requires_payment_schedule
    before = snapshot(deal)
    short = [ScheduledPayment(dt.date(2030, 1, 1), "400"), ScheduledPayment(dt.date(2030, 2, 1), "500")]
    with pytest.raises(BusinessError) as caught:
        board_services.deal_win(by=world.manager_north, deal=deal, payments=short)
    assert "payments" in caught.value.errors and "900.00" in caught.value.errors["payments"][0]
    bad_row = [ScheduledPayment(dt.date(2030, 1, 1), "1000"), ScheduledPayment(dt.date(2030, 2, 1), "0")]
    with pytest.raises(BusinessError) as caught:
        board_services.deal_win(by=world.manager_north, deal=deal, payments=bad_row)
    assert "payments.1.amount" in caught.value.errors
    assert snapshot(deal) == before  # no partial writes: no payments, no move
    full = [ScheduledPayment(dt.date(2030, 1, 1), "400"), ScheduledPayment(dt.date(2030, 2, 1), "600.00")]
    board_services.deal_win(by=world.manager_north, deal=deal, payments=full)
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == DealStatus.WON and stored.closed_at is not None
    assert sorted(p.amount for p in stored.payments.filter(kind=PaymentKind.EXPECTED)) == [
        Decimal("400.00"),
        Decimal("600.00"),
    ]


def test_won_without_a_schedule_gets_one_payment_at_the_default_term(world, make_deal):
    deal = make_deal(amount="1000.00")
    assert deal.pipeline.requires_payment_schedule and deal.client.payment_terms_days is None
    board_services.deal_win(by=world.manager_north, deal=deal)
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == DealStatus.WON
    due = dt.date.today() + dt.timedelta(days=board_services.DEFAULT_PAYMENT_TERM_DAYS)
    assert [(p.amount, p.due_date) for p in stored.payments.filter(kind=PaymentKind.EXPECTED)] == [
        (Decimal("1000.00"), due)
    ]
    event = DealEvent.objects.filter(deal=deal).order_by("-at", "-id").first()
    assert event is not None and f"Payment schedule: {due.isoformat()}" in event.text


def test_the_default_payment_is_the_rest_due_at_the_clients_payment_terms(world, make_deal):
    deal = make_deal(amount="1000.00")
    type(deal.client).objects.filter(pk=deal.client_id).update(payment_terms_days=14)
    payment_services.payment_create(
        by=world.manager_north, deal=deal, kind="expected", amount="250", due_date=dt.date(2030, 1, 1)
    )
    board_services.deal_win(by=world.manager_north, deal=Deal.objects.get(pk=deal.pk))
    rows = sorted(
        (p.amount, p.due_date)
        for p in Deal.objects.get(pk=deal.pk).payments.filter(kind=PaymentKind.EXPECTED)
    )
    assert rows == [
        (Decimal("250.00"), dt.date(2030, 1, 1)),
        (Decimal("750.00"), dt.date.today() + dt.timedelta(days=14)),
    ]


def test_payments_already_scheduled_count_towards_the_schedule(world, make_deal):
    deal = make_deal(amount="1000.00")
    payment_services.payment_create(
        by=world.manager_north, deal=deal, kind="expected", amount="1000", due_date=dt.date(2030, 1, 1)
    )
    board_services.deal_win(by=world.manager_north, deal=deal)
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.WON


def test_reopening_a_lost_deal_clears_the_loss(world, make_deal):
    deal = make_deal()
    board_services.deal_lose(by=world.manager_north, deal=deal, reason=LostReason.objects.get(code="price"))
    board_services.deal_move(
        by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), stage=stage("negotiation")
    )
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == DealStatus.OPEN and stored.lost_reason is None and stored.closed_at is None
    assert DealEvent.objects.filter(deal=deal, kind=DealEventKind.REOPENED).exists()


def test_a_deal_can_move_to_another_pipeline(world, make_deal):
    deal = make_deal()
    board_services.deal_move(by=world.manager_north, deal=deal, stage=stage("quote", "retail"))
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.pipeline.code == "retail" and stored.stage.code == "quote"
    assert DealStageChange.objects.filter(deal=deal, pipeline=stored.pipeline).exists()


# --- notifications ---------------------------------------------------------------------------------


def test_the_head_hears_of_stage_changes_when_the_pipeline_says_so(world, make_deal):
    corporate = make_deal()
    board_services.deal_move(by=world.manager_north, deal=corporate, stage=stage("needs_identified"))
    assert Notification.objects.filter(user=world.head_north, verb="deal_stage").count() == 1
    direct = make_deal(pipeline_code="direct")
    board_services.deal_move(by=world.manager_north, deal=direct, stage=stage("meeting", "direct"))
    assert Notification.objects.filter(user=world.head_north, verb="deal_stage").count() == 1
    assert not Notification.objects.filter(user=world.manager_north, verb="deal_stage").exists()


def test_the_owner_hears_when_someone_else_moves_their_deal(world, make_deal):
    deal = make_deal()
    board_services.deal_move(by=world.head_north, deal=deal, stage=stage("negotiation"))
    assert Notification.objects.filter(user=world.manager_north, verb="deal_stage").exists()
    assert not Notification.objects.filter(user=world.head_north, verb="deal_stage").exists()


# --- objections ---------------------------------------------------------------------------------


def test_objections_are_recorded_at_the_current_stage_and_counted(world, make_deal):
    deal = make_deal()
    objection = Objection.objects.create(text="Too expensive", answer="Show the value.")
    board_services.deal_move(by=world.manager_north, deal=deal, stage=stage("negotiation"))
    board_services.objection_record(
        by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), objection=objection
    )
    board_services.objection_record(
        by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), objection=objection
    )
    counts = board_selectors.objection_counts(viewer=world.head_north, pipeline=pipeline())
    assert [(row["objection"], row["stage"].code, row["count"]) for row in counts] == [
        ("Too expensive", "negotiation", 2)
    ]
    assert board_selectors.objection_counts(viewer=world.manager_south) == []
