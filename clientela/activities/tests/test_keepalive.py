"""Keep-alive: a waiting client who heard nothing for the team's days gets one reminder per period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.activities import keepalive
from clientela.activities.choices import ActivityKind, Direction, TaskKind
from clientela.activities.keepalive import keep_alive_policy_update
from clientela.activities.models import Activity, KeepAlivePolicy, Task
from clientela.activities.services.log import activity_log
from clientela.activities.services.task import task_complete, task_create
from clientela.core.errors import PermissionDeniedError
from clientela.core.models import Notification

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))


def touch(deal, direction: str, at: dt.datetime, kind: str = ActivityKind.EMAIL, **links) -> Activity:
    links = links or {"deal": deal}
    activity = activity_log(by=None, kind=kind, direction=direction, **links)
    Activity.objects.filter(pk=activity.pk).update(occurred_at=at)
    return activity


def keep_alive_tasks(deal):
    return Task.objects.filter(deal=deal, kind=TaskKind.KEEP_ALIVE)


def test_fires_after_three_days_only_when_waiting_on_us_and_only_once(world, records):
    deal = records["deal"]
    touch(deal, Direction.OUT, T0)
    touch(deal, Direction.IN, T0 + dt.timedelta(days=1))  # the client asked something
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=3, hours=23)) == 0, "not 3 days since"
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=4, minutes=1)) == 1
    task = keep_alive_tasks(deal).get()
    assert task.assignee == world.manager_north and task.done_at is None
    note = Notification.objects.get(user=world.manager_north, verb="keep_alive")
    assert note.url == f"/deals/{deal.pk}/keep-alive/"
    # Still silent a day later: no second reminder (open task), nor after it is done (same period).
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=5)) == 0
    task_complete(by=world.manager_north, task=task)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=6)) == 0
    assert keep_alive_tasks(deal).count() == 1


def test_a_client_not_waiting_gets_nothing(world, records):
    deal = records["deal"]
    touch(deal, Direction.IN, T0)
    touch(deal, Direction.OUT, T0 + dt.timedelta(hours=2))  # we answered: the ball is with the client
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=30)) == 0


def test_our_answer_ends_the_period_and_a_new_question_starts_another(world, records):
    deal = records["deal"]
    touch(deal, Direction.IN, T0)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=3)) == 1
    task = keep_alive_tasks(deal).get()
    task_complete(by=world.manager_north, task=task)
    touch(deal, Direction.OUT, T0 + dt.timedelta(days=3, hours=1))
    touch(deal, Direction.IN, T0 + dt.timedelta(days=4))
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=6)) == 0
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=7)) == 1
    assert keep_alive_tasks(deal).count() == 2


def test_an_open_promise_makes_the_client_wait(world, records):
    deal = records["deal"]
    touch(deal, Direction.OUT, T0 - dt.timedelta(days=10))
    promise = task_create(
        by=world.manager_north,
        title="Send stock list",
        due_at=timezone.now(),
        kind=TaskKind.PROMISE,
        deal=deal,
    )
    Task.objects.filter(pk=promise.pk).update(created_at=T0)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=2)) == 0
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=3)) == 1


def test_an_outbound_touch_on_the_clients_contact_counts_as_hearing_from_us(world, records):
    deal = records["deal"]
    touch(deal, Direction.IN, T0)
    touch(deal, Direction.OUT, T0 + dt.timedelta(days=2), kind=ActivityKind.CALL, contact=records["ioana"])
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=4)) == 0, (
        "the contact heard from us on day 2"
    )


def test_team_policy_days_and_switch(world, records):
    deal = records["deal"]
    touch(deal, Direction.IN, T0)
    keep_alive_policy_update(by=world.head_north, team=world.north, enabled=True, days=5)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=4)) == 0
    keep_alive_policy_update(by=world.head_north, team=world.north, enabled=False, days=5)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=6)) == 0
    KeepAlivePolicy.objects.filter(team=world.north).update(enabled=True)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=6)) == 1


def test_closed_deals_are_left_alone(world, records):
    from clientela.deals.board import services as deal_services
    from clientela.deals.models import LostReason

    deal = records["deal"]
    touch(deal, Direction.IN, T0)
    deal_services.deal_lose(by=world.manager_north, deal=deal, reason=LostReason.objects.first())
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=10)) == 0


def test_only_heads_of_the_team_change_the_policy(world):
    with pytest.raises(PermissionDeniedError):
        keep_alive_policy_update(by=world.manager_north, team=world.north, enabled=True, days=2)
    with pytest.raises(PermissionDeniedError):
        keep_alive_policy_update(by=world.head_north, team=world.south, enabled=True, days=2)


def test_compose_url_uses_the_template_or_is_empty(world, records):
    url = keepalive.keep_alive_compose_url(deal=records["deal"], language="en")
    if url:
        assert "to=ioana%40stefan.example" in url and f"deal={records['deal'].pk}" in url


def test_the_reminder_is_written_in_the_owners_language(world, records):
    from clientela.users.models import User

    deal = records["deal"]
    User.objects.filter(pk=world.manager_north.pk).update(language="ro")
    deal.owner.refresh_from_db()
    touch(deal, Direction.IN, T0)
    assert keepalive.keep_alive_sweep(now=T0 + dt.timedelta(days=4)) == 1
    task = keep_alive_tasks(deal).get()
    with translation.override("ro"):  # the title is shown in its reader's language
        assert not task.shown_title.startswith("Keep in touch"), task.shown_title
    with translation.override("ru"):
        assert task.shown_title.startswith("Поддержите контакт"), task.shown_title
    note = Notification.objects.get(user=world.manager_north, verb="keep_alive")
    assert "heard nothing from us" not in note.text, note.text
