"""Time left, status, the open clocks a person sees, and first-response statistics."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.comms import clocks, selectors, team_settings
from clientela.comms.choices import ClockStatus, StopReason
from clientela.comms.models import ResponseClock
from clientela.comms.tests.conftest import local
from clientela.users.models import Team

pytestmark = pytest.mark.django_db

MONDAY_10 = local(2025, 3, 3, 10, 0)


def test_time_left_is_in_business_minutes_and_negative_once_overdue(make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=local(2025, 3, 3, 17, 0))
    assert clock.due_at == local(2025, 3, 4, 10, 0)
    assert selectors.clock_time_left(clock, now=local(2025, 3, 3, 17, 0)) == 120
    assert selectors.clock_time_left(clock, now=local(2025, 3, 3, 22, 0)) == 60, "paused overnight"
    assert selectors.clock_time_left(clock, now=local(2025, 3, 4, 10, 30)) == -30


def test_status_ok_near_breached(make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)  # 120 min, due 12:00
    assert selectors.clock_status(clock, now=local(2025, 3, 3, 10, 0)) == ClockStatus.OK
    assert selectors.clock_status(clock, now=local(2025, 3, 3, 11, 30)) == ClockStatus.OK  # 30 left = 25%
    assert selectors.clock_status(clock, now=local(2025, 3, 3, 11, 31)) == ClockStatus.NEAR  # 29 left
    assert selectors.clock_status(clock, now=local(2025, 3, 3, 12, 0)) == ClockStatus.BREACHED
    hot = clocks.clock_start_first_response(lead=make_lead(temperature="hot"), at=MONDAY_10)  # 15 min
    assert selectors.clock_status(hot, now=local(2025, 3, 3, 10, 11)) == ClockStatus.OK
    assert selectors.clock_status(hot, now=local(2025, 3, 3, 10, 12)) == ClockStatus.NEAR


def test_a_stopped_clock_answers_as_of_its_stop(world, make_lead):
    clock = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    clocks.clock_stop(clock=clock, by=world.manager_north, at=local(2025, 3, 3, 10, 45))
    clock.refresh_from_db()
    assert selectors.clock_time_left(clock, now=local(2025, 3, 5, 10, 0)) == 75
    assert selectors.clock_status(clock, now=local(2025, 3, 5, 10, 0)) == ClockStatus.OK


def test_open_clocks_list_is_scoped_ordered_and_query_bounded(
    world, make_lead, django_assert_max_num_queries
):
    world.south.time_zone = "Asia/Kuala_Lumpur"
    world.south.save(update_fields=["time_zone"])
    team_settings.holiday_add(by=world.admin, team=world.south, date=dt.date(2025, 3, 4), name="Holiday")
    ok = clocks.clock_start_first_response(lead=make_lead(), at=local(2025, 3, 3, 10, 30))
    near = clocks.clock_start_first_response(lead=make_lead(), at=local(2025, 3, 3, 9, 0))
    late = clocks.clock_start_first_response(lead=make_lead(temperature="hot"), at=local(2025, 3, 3, 10, 0))
    other = clocks.clock_start_first_response(lead=make_lead(owner=world.manager_north2), at=MONDAY_10)
    south = clocks.clock_start_first_response(
        lead=make_lead(owner=world.manager_south, team=world.south), at=local(2025, 3, 3, 11, 0)
    )
    done = clocks.clock_start_first_response(lead=make_lead(), at=MONDAY_10)
    clocks.clock_stop(clock=done, by=world.manager_north, at=local(2025, 3, 3, 10, 1))
    now = local(2025, 3, 3, 10, 40)

    views = selectors.open_clocks_for(user=world.manager_north, now=now)
    assert [view.clock.pk for view in views] == [late.pk, near.pk, ok.pk]
    assert [view.status for view in views] == [ClockStatus.BREACHED, ClockStatus.NEAR, ClockStatus.OK]
    assert [view.minutes_left for view in views] == [-25, 20, 110]

    head_sees = {view.clock.pk for view in selectors.open_clocks_for(user=world.head_north, now=now)}
    assert head_sees == {late.pk, near.pk, ok.pk, other.pk}
    assert {v.clock.pk for v in selectors.open_clocks_for(user=world.manager_south, now=now)} == {south.pk}
    assert selectors.open_clocks_for(user=world.marketer_north, now=now) == []

    # 11:00 in Bucharest is 17:00 in Kuala Lumpur: one hour on Monday there, Tuesday is the South
    # team's holiday, the second hour is Wednesday 09:00–10:00 KL (02:00 UTC).
    assert south.due_at == dt.datetime(2025, 3, 5, 2, 0, tzinfo=dt.UTC)
    later = local(2025, 3, 3, 11, 30)  # 17:30 in Kuala Lumpur
    admin_views = {view.clock.pk: view for view in selectors.open_clocks_for(user=world.admin, now=later)}
    assert admin_views[south.pk].minutes_left == 90
    assert admin_views[south.pk].status == ClockStatus.OK
    with django_assert_max_num_queries(5):
        for view in selectors.open_clocks_for(user=world.admin, now=now):
            str(view.clock.lead), str(view.clock.owner), str(view.clock.team)


def test_lead_clock_shows_the_running_clock_then_the_last_one(world, make_lead):
    lead = make_lead()
    assert selectors.lead_clock(lead=lead) is None
    clock = clocks.clock_start_first_response(lead=lead, at=MONDAY_10)
    view = selectors.lead_clock(lead=lead, now=local(2025, 3, 3, 11, 0))
    assert view is not None and view.clock == clock and view.minutes_left == 60 and view.is_open
    ack = clocks.clock_acknowledge(
        clock=clock, by=world.manager_north, promised_minutes=30, at=local(2025, 3, 3, 11, 0)
    )
    view = selectors.lead_clock(lead=lead, now=local(2025, 3, 3, 11, 10))
    assert view is not None and view.clock == ack.promise and view.minutes_left == 20
    clocks.clock_stop(clock=ack.promise, by=world.manager_north, reason=StopReason.PROMISE_KEPT)
    view = selectors.lead_clock(lead=lead)
    assert view is not None and view.clock == ack.promise and not view.is_open


def _answered(make_lead, owner, start, minutes, *, breach=False):
    clock = clocks.clock_start_first_response(lead=make_lead(owner=owner), at=start)
    if breach:
        clocks.clock_check(clock=clock, now=clock.due_at)
    clocks.clock_stop(clock=clock, by=owner, at=start + dt.timedelta(minutes=minutes))
    return clock


def test_first_response_stats_per_manager(world, make_lead, django_assert_max_num_queries):
    mara, nelu = world.manager_north, world.manager_north2
    _answered(make_lead, mara, MONDAY_10, 30)
    _answered(make_lead, mara, local(2025, 3, 4, 10, 0), 90)
    _answered(make_lead, mara, local(2025, 3, 5, 9, 0), 200, breach=True)
    clocks.clocks_stop_for_lead(
        lead=clocks.clock_start_first_response(lead=make_lead(owner=mara), at=MONDAY_10).lead,
        by=None,
        reason=StopReason.CANCELLED,
        at=local(2025, 3, 3, 10, 5),
    )
    clocks.clock_start_first_response(lead=make_lead(owner=nelu), at=MONDAY_10)  # still open
    unanswered = clocks.clock_start_first_response(lead=make_lead(owner=nelu), at=MONDAY_10)
    clocks.clock_check(clock=unanswered, now=local(2025, 3, 3, 13, 0))
    _answered(make_lead, nelu, MONDAY_10, 10)
    _answered(make_lead, nelu, dt.datetime(2025, 2, 1, 10, 0, tzinfo=dt.UTC), 10)  # before the period

    since, until = local(2025, 3, 1, 0, 0), local(2025, 4, 1, 0, 0)
    with django_assert_max_num_queries(3):
        stats = {
            row.owner: row
            for row in selectors.first_response_stats(user=world.head_north, since=since, until=until)
        }
    assert set(stats) == {mara, nelu}
    m = stats[mara]
    assert (m.count, m.answered, m.breached, m.open) == (4, 3, 1, 0)
    assert m.median_minutes == 90
    assert m.breached_share == pytest.approx(1 / 3)
    n = stats[nelu]
    assert (n.count, n.answered, n.breached, n.open) == (3, 1, 1, 2)
    assert n.median_minutes == 10
    assert n.breached_share == pytest.approx(1 / 2)

    mine = selectors.first_response_stats(user=mara, since=since, until=until)
    assert [row.owner for row in mine] == [mara]
    assert selectors.first_response_stats(user=world.manager_south, since=since, until=until) == []
    assert (
        selectors.first_response_stats(user=world.admin, since=since, until=until, team_id=world.south.pk)
        == []
    )


def test_breaches_are_kept_for_analytics_after_the_clock_stops(world, make_lead):
    clock = _answered(make_lead, world.manager_north, MONDAY_10, 150, breach=True)
    clock.refresh_from_db()
    assert clock.breached_at == local(2025, 3, 3, 12, 0) and clock.minutes_taken == 150
    assert ResponseClock.objects.filter(breached_at__isnull=False).count() == 1
    assert Team.objects.count() == 2
