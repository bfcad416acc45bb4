"""Team working calendars and response policies: who may change them, validation, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.comms import team_settings
from clientela.comms.models import BusinessCalendar, Holiday, ResponsePolicy
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError

pytestmark = pytest.mark.django_db

SPLIT = {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "tue": [["10:00", "16:00"]]}


def test_defaults_without_rows(world):
    world.north.time_zone = "Asia/Kuala_Lumpur"
    world.north.save(update_fields=["time_zone"])
    policy = team_settings.policy_for_team(world.north)
    assert policy.pk is None
    assert (policy.first_response_minutes, policy.target_minutes, policy.hot_minutes) == (120, 60, 15)
    assert (policy.escalation_delay_minutes, policy.keep_alive_days) == (30, 3)
    assert (
        policy.budget_for("hot") == 15 and policy.budget_for("warm") == 120 and policy.budget_for("") == 120
    )
    calendar = team_settings.calendar_for_team(world.north)
    assert str(calendar.zone) == "Asia/Kuala_Lumpur"
    assert calendar.week[0] == ((9 * 60, 18 * 60),) and calendar.week[5] == ()
    assert not BusinessCalendar.objects.exists() and not ResponsePolicy.objects.exists()


def test_head_changes_own_team_calendar_and_it_follows_the_team_time_zone(world):
    row = team_settings.business_calendar_update(by=world.head_north, team=world.north, weekly_hours=SPLIT)
    assert row.weekly_hours == SPLIT and row.time_zone == ""
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    assert str(team_settings.calendar_for_team(world.north).zone) == "Europe/Bucharest"
    team_settings.business_calendar_update(
        by=world.head_north, team=world.north, time_zone="Asia/Kuala_Lumpur"
    )
    assert str(team_settings.calendar_for_team(world.north).zone) == "Asia/Kuala_Lumpur"
    assert history_for(row).filter(action="update").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weekly_hours": {"mon": [["18:00", "09:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"mon": []}}, "weekly_hours"),
        ({"weekly_hours": {"moon": [["09:00", "18:00"]]}}, "weekly_hours"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
    ],
)
def test_bad_calendars_are_field_errors_and_change_nothing(world, kwargs, field):
    team_settings.business_calendar_update(by=world.admin, team=world.north, weekly_hours=SPLIT)
    with pytest.raises(BusinessError) as caught:
        team_settings.business_calendar_update(by=world.admin, team=world.north, **kwargs)
    assert field in caught.value.errors
    row = BusinessCalendar.objects.get(team=world.north)
    assert row.weekly_hours == SPLIT and row.time_zone == ""


@pytest.mark.parametrize("who", ["manager_north", "marketer_north", "manager_south"])
def test_only_admins_and_the_team_head_change_settings(world, who):
    user = getattr(world, who)
    with pytest.raises(PermissionDeniedError):
        team_settings.business_calendar_update(by=user, team=world.north, weekly_hours=SPLIT)
    with pytest.raises(PermissionDeniedError):
        team_settings.response_policy_update(by=user, team=world.north, data={"first_response_minutes": 60})
    with pytest.raises(PermissionDeniedError):
        team_settings.holiday_add(by=user, team=world.north, date=dt.date(2025, 12, 25))
    with pytest.raises(PermissionDeniedError):
        team_settings.response_policy_update(by=world.head_north, team=world.south, data={"hot_minutes": 5})
    assert not BusinessCalendar.objects.exists() and not ResponsePolicy.objects.exists()
    assert not Holiday.objects.exists()


def test_policy_update_validates_per_field(world):
    policy = team_settings.response_policy_update(
        by=world.head_north, team=world.north, data={"hot_minutes": 5, "cold_minutes": 240}
    )
    assert policy.budget_for("hot") == 5 and policy.budget_for("cold") == 240
    for data, field in [
        ({"target_minutes": 200}, "target_minutes"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"keep_alive_days": 0}, "keep_alive_days"),
        ({"colour": "red"}, "colour"),
    ]:
        with pytest.raises(BusinessError) as caught:
            team_settings.response_policy_update(by=world.head_north, team=world.north, data=data)
        assert field in caught.value.errors, data
    policy.refresh_from_db()
    assert (policy.target_minutes, policy.first_response_minutes, policy.keep_alive_days) == (60, 120, 3)
    assert history_for(policy).filter(action="update").count() == 1


def test_holidays_add_and_remove(world):
    holiday = team_settings.holiday_add(
        by=world.head_north, team=world.north, date=dt.date(2025, 12, 25), name="Xmas"
    )
    with pytest.raises(ConflictError) as caught:
        team_settings.holiday_add(by=world.head_north, team=world.north, date=dt.date(2025, 12, 25))
    assert "date" in caught.value.errors
    assert dt.date(2025, 12, 25) in team_settings.calendar_for_team(world.north).holidays
    with pytest.raises(PermissionDeniedError):
        team_settings.holiday_remove(by=world.manager_north, holiday=holiday)
    team_settings.holiday_remove(by=world.head_north, holiday=holiday)
    assert team_settings.calendar_for_team(world.north).holidays == frozenset()
    row = BusinessCalendar.objects.get(team=world.north)
    assert list(history_for(row).filter(action="event").values_list("event", flat=True)) == [
        "holiday_removed",
        "holiday_added",
    ]
