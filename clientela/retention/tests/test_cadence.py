# ruff: noqa: F811  (the fixtures are imported by name and asked for by name)
"""The post-sale cadence: the "is the product in use?" call on the next business day, its three
branches, an offer every 45 days, the offer guard at 29 vs 30 days, keep-alive until delivered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.activities.choices import ActivityKind, Direction, Priority, TaskKind
from clientela.activities.keepalive import waiting_deals
from clientela.activities.models import Activity, Task
from clientela.activities.services.log import activity_log
from clientela.activities.services.task import task_complete
from clientela.comms.business_hours import Calendar, default_weekly_hours
from clientela.comms.team_settings import holiday_add
from clientela.core.errors import BusinessError
from clientela.core.models import AuditEntry, Notification
from clientela.deals.models import Deal, DealEvent
from clientela.deals.offer_guard import EarlyOfferError
from clientela.retention import cadence
from clientela.retention.cadence_models import CadenceKind, CadenceStep
from clientela.retention.models import RetentionPolicy
from clientela.retention.renewals import deal_dates_update, deal_mark_delivered
from clientela.retention.tests.cadence_fixtures import cadence_clients, win_deal  # noqa: F401

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def steps(kind: str, **filters) -> list[CadenceStep]:
    return list(CadenceStep.objects.filter(kind=kind, **filters).select_related("task").order_by("pk"))


# --- The next business day ------------------------------------------------------------------------


def test_next_business_day_skips_the_weekend_and_a_holiday():
    week = Calendar.build(weekly_hours=default_weekly_hours(), time_zone="Europe/Bucharest")
    # Friday 4 December 2026, 17:00 in Bucharest (15:00 UTC): Monday 7 December 09:00 local.
    friday = utc(2026, 12, 4, 15, 0)
    assert cadence.next_business_day(friday, week) == dt.datetime(2026, 12, 7, 9, 0, tzinfo=week.zone)
    # A Wednesday: Thursday.
    assert cadence.next_business_day(utc(2026, 12, 2, 8, 0), week).date() == dt.date(2026, 12, 3)
    # Monday 7 December a holiday: Tuesday 8 December.
    with_holiday = Calendar.build(
        weekly_hours=default_weekly_hours(), time_zone="Europe/Bucharest", holidays=[dt.date(2026, 12, 7)]
    )
    assert cadence.next_business_day(friday, with_holiday) == dt.datetime(
        2026, 12, 8, 9, 0, tzinfo=with_holiday.zone
    )


def test_a_won_deal_plans_the_in_use_call_on_the_teams_next_business_day(world, win_deal):
    today = timezone.localdate()
    friday = today - dt.timedelta(days=(today.weekday() - 4) % 7)  # the latest Friday, up to today
    monday = friday + dt.timedelta(days=3)
    holiday_add(by=world.head_north, team=world.north, date=monday)
    deal = win_deal(at=utc(friday.year, friday.month, friday.day, 16, 0))  # the team works in UTC
    [step] = steps(CadenceKind.IN_USE_CHECK)
    task = step.task
    assert (task.deal_id, task.client_id, task.assignee_id) == (
        deal.pk,
        deal.client_id,
        world.manager_north.pk,
    )
    assert task.kind == TaskKind.CALL
    tuesday = monday + dt.timedelta(days=1)
    assert task.due_at == utc(tuesday.year, tuesday.month, tuesday.day, 9, 0)  # weekend and holiday skipped
    with translation.override("ro"):
        ro = task.shown_title
    with translation.override("en"):
        assert task.shown_title == "Is the product in use? Call Ștefan & Fiii (Licences)"
    assert task.title_message["code"] == "retention.in_use"
    assert ro  # rendered in the reader's language from the stored code


def test_winning_again_after_a_reopen_plans_once_per_win_and_moving_between_won_stages_nothing(
    world, win_deal
):
    deal = win_deal()
    assert len(steps(CadenceKind.IN_USE_CHECK)) == 1
    # Saving the won deal again (no status change) plans nothing more.
    from clientela.deals.board.services import deal_move

    deal_move(by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), stage=deal.stage)
    assert len(steps(CadenceKind.IN_USE_CHECK)) == 1


# --- The three branches ---------------------------------------------------------------------------


@pytest.fixture
def in_use_call(world, win_deal):
    deal = win_deal()
    return steps(CadenceKind.IN_USE_CHECK)[0].task, deal


def test_the_in_use_call_asks_how_it_went(world, in_use_call):
    task, _deal = in_use_call
    with pytest.raises(BusinessError) as refused:
        task_complete(by=world.manager_north, task=task)
    assert "outcome" in refused.value.errors
    with pytest.raises(BusinessError) as refused:
        task_complete(by=world.manager_north, task=task, outcome="in_orbit")
    assert "outcome" in refused.value.errors
    # "Not yet in use" needs the day of use, today or later.
    with pytest.raises(BusinessError) as refused:
        task_complete(by=world.manager_north, task=task, outcome="not_in_use")
    assert "outcome_date" in refused.value.errors
    with pytest.raises(BusinessError) as refused:
        task_complete(
            by=world.manager_north,
            task=task,
            outcome="not_in_use",
            outcome_date=timezone.localdate() - dt.timedelta(days=1),
        )
    assert "outcome_date" in refused.value.errors
    assert Task.objects.get(pk=task.pk).done_at is None


def test_not_yet_in_use_plans_a_call_on_the_day_of_use(world, in_use_call):
    task, deal = in_use_call
    day = timezone.localdate() + dt.timedelta(days=10)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    task_complete(by=world.manager_north, task=task, outcome="not_in_use", outcome_date=day)
    [follow] = steps(CadenceKind.USE_DAY_CALL)
    assert follow.task.due_at == utc(day.year, day.month, day.day, 9, 0)
    assert (follow.task.kind, follow.task.assignee_id, follow.task.deal_id) == (
        TaskKind.CALL,
        world.manager_north.pk,
        deal.pk,
    )
    assert CadenceStep.objects.get(task=task).outcome == "not_in_use"
    # The call on the day of use asks the same question again.
    task_complete(by=world.manager_north, task=follow.task, outcome="satisfied")
    assert len(steps(CadenceKind.THANK)) == 1


def test_in_use_and_satisfied_plans_thanks_and_the_next_step(world, in_use_call):
    task, _deal = in_use_call
    task_complete(by=world.manager_north, task=task, outcome="satisfied")
    [thanks] = steps(CadenceKind.THANK)
    assert thanks.task.kind == TaskKind.CALL
    assert thanks.task.assignee_id == world.manager_north.pk
    assert thanks.task.due_at > timezone.now()
    assert thanks.task.due_at.astimezone(UTC).weekday() < 5
    assert not steps(CadenceKind.URGENT_MEETING)
    assert not Notification.objects.filter(user=world.head_north, verb="client_unhappy").exists()


def test_unhappy_plans_an_urgent_meeting_and_tells_the_head(world, in_use_call):
    task, _deal = in_use_call
    world.head_north.language = "ro"
    world.head_north.save(update_fields=["language"])
    task_complete(by=world.manager_north, task=task, outcome="unhappy")
    [meeting] = steps(CadenceKind.URGENT_MEETING)
    assert meeting.task.kind == TaskKind.MEETING
    assert meeting.task.priority == Priority.URGENT
    assert meeting.task.assignee_id == world.manager_north.pk
    [notice] = Notification.objects.filter(user=world.head_north, verb="client_unhappy")
    assert "Ștefan & Fiii" in notice.text
    assert not Notification.objects.filter(user=world.manager_north2, verb="client_unhappy").exists()
    entry = AuditEntry.objects.filter(event="task_completed", object_id=str(task.pk)).get()
    assert entry.changes["outcome"] == "unhappy"


def test_an_ordinary_call_asks_no_outcome(world, cadence_clients):
    from clientela.activities.services.task import task_create

    task = task_create(
        by=world.manager_north,
        title="Call",
        due_at=timezone.now(),
        kind=TaskKind.OTHER,
        client=cadence_clients["north"],
    )
    task_complete(by=world.manager_north, task=task)
    assert Task.objects.get(pk=task.pk).done_at is not None
    assert not CadenceStep.objects.exists()


# --- An offer every 45 days -----------------------------------------------------------------------


def _won_days_ago(win_deal, days: int, **kwargs) -> Deal:
    deal = win_deal(**kwargs)
    Deal.objects.filter(pk=deal.pk).update(closed_at=timezone.now() - dt.timedelta(days=days))
    return deal


def test_an_offer_task_every_45_days_after_the_last_purchase_or_offer(world, win_deal, cadence_clients):
    now = timezone.now()
    _won_days_ago(win_deal, 44)
    assert cadence.offer_sweep(now=now) == 0
    assert cadence.offer_sweep(now=now + dt.timedelta(days=1, minutes=1)) == 1  # 45 days after the purchase
    [offer] = steps(CadenceKind.OFFER)
    assert offer.client_id == cadence_clients["north"].pk
    assert offer.task.assignee_id == world.manager_north.pk
    assert offer.task.title_message["code"] == "retention.first_offer"
    # Never twice for one due moment, never while one is open.
    assert cadence.offer_sweep(now=now + dt.timedelta(days=2)) == 0
    # The offer goes out (a proposal logged today): the next one is due 45 days later.
    activity_log(
        by=world.manager_north,
        kind=ActivityKind.PROPOSAL,
        direction=Direction.OUT,
        client=cadence_clients["north"],
        subject="Offer",
    )
    task_complete(by=world.manager_north, task=offer.task)
    assert cadence.offer_sweep(now=now + dt.timedelta(days=44)) == 0
    assert cadence.offer_sweep(now=now + dt.timedelta(days=45, minutes=1)) == 1
    assert len(steps(CadenceKind.OFFER)) == 2
    # A team's own rhythm: every 30 days.
    RetentionPolicy.objects.create(team=world.north, offer_every_days=30)
    summary = cadence.client_cadence(cadence_clients["north"], world.manager_north)
    assert summary.offer_every_days == 30
    assert summary.next_offer_due is not None
    assert abs((summary.next_offer_due - (now + dt.timedelta(days=30))).total_seconds()) < 60


def test_a_client_who_never_bought_gets_no_offer_task(world, cadence_clients):
    activity_log(
        by=world.manager_north,
        kind=ActivityKind.PROPOSAL,
        client=cadence_clients["north"],
        occurred_at=timezone.now() - dt.timedelta(days=100),
    )
    assert cadence.offer_sweep(now=timezone.now()) == 0


# --- The offer guard: 29 vs 30 days ---------------------------------------------------------------


def _offer(world, client, *, days_ago: int = 0, confirm_early: bool = False, by=None, **extra) -> Activity:
    return activity_log(
        by=by or world.manager_north,
        kind=extra.pop("kind", ActivityKind.PRICE_LIST),
        direction=Direction.OUT,
        client=client,
        subject="Prices",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        confirm_early=confirm_early,
        **extra,
    )


def test_an_offer_29_days_after_the_last_one_warns_and_is_recorded_when_confirmed(world, cadence_clients):
    client = cadence_clients["north"]
    _offer(world, client, days_ago=29, kind=ActivityKind.PROPOSAL)
    with pytest.raises(EarlyOfferError) as warned:
        _offer(world, client)
    assert warned.value.status == 409
    assert "29 days ago" in warned.value.message and "30 days" in warned.value.message
    assert "confirm_early" in warned.value.errors
    assert Activity.objects.filter(client=client).count() == 1
    assert not AuditEntry.objects.filter(event="early_offer").exists()
    sent = _offer(world, client, confirm_early=True)
    assert sent.details["early_offer"] == {"days": 29, "min_days": 30}
    [entry] = AuditEntry.objects.filter(event="early_offer", object_id=str(client.pk))
    assert entry.changes["days"] == 29 and entry.changes["min_days"] == 30


def test_an_offer_30_days_after_the_last_one_is_not_warned(world, cadence_clients):
    client = cadence_clients["north"]
    _offer(world, client, days_ago=30)
    sent = _offer(world, client)
    assert "early_offer" not in sent.details
    assert not AuditEntry.objects.filter(event="early_offer").exists()


def test_the_guard_reads_the_teams_minimum_and_ignores_other_clients_and_inbound(world, cadence_clients):
    client = cadence_clients["north"]
    _offer(world, cadence_clients["north2"], days_ago=1, by=world.head_north)  # another client's offer
    activity_log(by=world.manager_north, kind=ActivityKind.PROPOSAL, direction=Direction.IN, client=client)
    _offer(world, client)  # the first offer to this client: no warning
    RetentionPolicy.objects.create(team=world.north, offer_min_gap_days=0)  # guard off
    _offer(world, client)
    assert not AuditEntry.objects.filter(event="early_offer").exists()


def test_an_early_proposal_document_needs_confirmation_and_lands_on_the_deal_timeline(world, cadence_clients):
    from clientela.deals import services as deal_services
    from clientela.deals.documents.services import document_create, document_revise, document_send
    from clientela.deals.models import Pipeline

    client = cadence_clients["north"]
    deal = deal_services.deal_create(
        by=world.manager_north, client=client, pipeline=Pipeline.objects.get(code="corporate"), currency="RON"
    )
    _offer(world, client, days_ago=5)
    first_line = {"name": "Licence", "quantity": 1, "unit_price": "1000.00"}
    document = document_create(by=world.manager_north, deal=deal, first_line=first_line)
    version = document.versions.get()
    with pytest.raises(EarlyOfferError):
        document_send(by=world.manager_north, version=version)
    document_send(by=world.manager_north, version=version, confirm_early=True)
    event = DealEvent.objects.filter(deal=deal, data__early_offer__days=5).get()
    with translation.override("en"):
        assert "5 days after the previous one" in event.shown_text
    # A later version of the same proposal is not a new offer.
    second = document_revise(by=world.manager_north, document=document)
    document_send(by=world.manager_north, version=second)


# --- Keep-alive after the sale --------------------------------------------------------------------


def test_keep_alive_runs_after_the_win_until_the_deal_is_delivered(world, win_deal, cadence_clients):
    deal = win_deal()
    activity_log(
        by=None,
        kind=ActivityKind.EMAIL,
        direction=Direction.IN,
        deal=deal,
        occurred_at=timezone.now() - dt.timedelta(days=4),
    )
    now = timezone.now()
    assert [d.pk for d, _since in waiting_deals(now=now)] == []  # won, nothing being delivered
    deal_dates_update(
        by=world.manager_north,
        deal=deal,
        delivery_ends_on=timezone.localdate() + dt.timedelta(days=20),
        ends_on=None,
    )
    assert [d.pk for d, _since in waiting_deals(now=now)] == [deal.pk]  # like an open deal
    deal_mark_delivered(by=world.manager_north, deal=Deal.objects.get(pk=deal.pk))
    assert [d.pk for d, _since in waiting_deals(now=now)] == []
    assert Deal.objects.get(pk=deal.pk).delivered_at is not None
    assert AuditEntry.objects.filter(event="delivered", object_id=str(deal.pk)).exists()


def test_a_win_recorded_long_after_the_fact_plans_no_in_use_call(world, win_deal):
    win_deal(at=timezone.now() - dt.timedelta(days=30))
    assert steps(CadenceKind.IN_USE_CHECK) == []
    win_deal(at=timezone.now() - dt.timedelta(days=3), title="Recent")
    assert len(steps(CadenceKind.IN_USE_CHECK)) == 1
