"""Comms settings pages: working hours, holidays and response policy per team, with field errors
and the right doors (heads for their teams, admins for all, others 403/404)."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.comms.models import BusinessCalendar, Holiday, ResponsePolicy
from clientela.conftest import login

pytestmark = pytest.mark.django_db

HOURS = {
    "form": "hours",
    "mon": "09:00–13:00, 14:00-18:00",
    "tue": "9:00-18:00",
    "wed": "09:00-18:00",
    "thu": "09:00-18:00",
    "fri": "09:00-16:00",
    "sat": "",
    "sun": "",
    "time_zone": "Europe/Bucharest",
}


def test_who_opens_the_pages(client, world):
    for person in (world.manager_north, world.marketer_north):
        assert login(client, person).get("/settings/comms/").status_code == 403
    login(client, world.head_north)
    index = client.get("/settings/comms/").content.decode()
    assert "North" in index and "South" not in index
    assert client.get(f"/settings/comms/teams/{world.south.pk}/").status_code == 404
    assert client.get(f"/settings/comms/teams/{world.north.pk}/").status_code == 200
    login(client, world.admin)
    assert client.get(f"/settings/comms/teams/{world.south.pk}/").status_code == 200


def test_head_sets_working_hours(client, world):
    login(client, world.head_north)
    response = client.post(f"/settings/comms/teams/{world.north.pk}/", HOURS)
    assert response.status_code == 302
    row = BusinessCalendar.objects.get(team=world.north)
    assert row.weekly_hours["mon"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert row.weekly_hours["tue"] == [["09:00", "18:00"]]
    assert row.weekly_hours["sat"] == [] and row.time_zone == "Europe/Bucharest"
    page = client.get(f"/settings/comms/teams/{world.north.pk}/").content.decode()
    assert "09:00–13:00, 14:00–18:00" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"mon": "nine to five"}, "mon", "Write intervals like"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", ""),
        (dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ""), None, "at least one working interval"),
    ],
)
def test_bad_working_hours_are_shown_on_the_field(client, world, change, field, message):
    login(client, world.head_north)
    response = client.post(f"/settings/comms/teams/{world.north.pk}/", {**HOURS, **change})
    assert response.status_code == 200
    form = response.context["hours_form"]
    assert form.errors, "nothing saved"
    if field:
        assert field in form.errors
    assert message in " ".join(str(e) for errors in form.errors.values() for e in errors)
    assert not BusinessCalendar.objects.filter(team=world.north).exists()


def test_holidays_are_added_refused_twice_and_removed(client, world):
    login(client, world.head_north)
    url = f"/settings/comms/teams/{world.north.pk}/"
    assert client.post(url, {"form": "holiday", "date": "2025-12-25", "name": "Crăciun"}).status_code == 302
    twice = client.post(url, {"form": "holiday", "date": "2025-12-25"})
    assert twice.status_code == 200 and "date" in twice.context["holiday_form"].errors
    assert client.post(url, {"form": "holiday", "date": "soon"}).context["holiday_form"].errors["date"]
    holiday = Holiday.objects.get()
    assert holiday.date == dt.date(2025, 12, 25)
    assert (
        login(client, world.manager_north).post(f"/settings/comms/holidays/{holiday.pk}/delete/").status_code
        == 403
    )
    login(client, world.head_north)
    assert client.post(f"/settings/comms/holidays/{holiday.pk}/delete/").status_code == 302
    assert not Holiday.objects.exists()


def test_response_policy_with_field_errors(client, world):
    login(client, world.head_north)
    url = f"/settings/comms/teams/{world.north.pk}/"
    policy = {
        "form": "policy",
        "first_response_minutes": 90,
        "target_minutes": 120,
        "hot_minutes": 10,
        "warm_minutes": "",
        "cold_minutes": "",
        "escalation_delay_minutes": 30,
        "keep_alive_days": 3,
    }
    bad = client.post(url, policy)
    assert bad.status_code == 200 and "target_minutes" in bad.context["policy_form"].errors
    assert not ResponsePolicy.objects.filter(team=world.north).exists()
    assert client.post(url, {**policy, "target_minutes": 45}).status_code == 302
    saved = ResponsePolicy.objects.get(team=world.north)
    assert (saved.first_response_minutes, saved.target_minutes, saved.hot_minutes) == (90, 45, 10)
