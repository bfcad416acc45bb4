"""A person's own time zone (empty: their team's, then the site's) and the way their dates are
written: the admin's user form sets it, the audit keeps it, each request runs in it, and English
readers get European dates unless their team sells in the United States."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.activities.models import Task
from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.core.zones import format_moment, zone_name_of
from clientela.users import services

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 12, 8, 8, 0, tzinfo=dt.UTC)


def test_a_persons_zone_falls_back_to_the_team_then_the_site(world, settings):
    settings.TIME_ZONE = "UTC"
    me = world.manager_north
    assert zone_name_of(me) == "UTC"
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    me.refresh_from_db()
    assert zone_name_of(me) == "Europe/Bucharest"
    services.user_update(by=me, user=me, data={"time_zone": "Asia/Kuala_Lumpur"})
    assert zone_name_of(me) == "Asia/Kuala_Lumpur"
    with translation.override("en"):
        assert format_moment(MOMENT, me) == "08/12/2026 16:00"
    assert zone_name_of(world.admin) == "UTC"  # no team, no zone of their own


def test_the_admin_sets_someones_zone_on_the_user_form_and_it_is_audited(client, world):
    login(client, world.admin)
    form = client.get(f"/settings/users/{world.manager_north.pk}/").content.decode()
    assert 'name="time_zone"' in form and "Asia/Kuala_Lumpur" in form
    response = client.post(
        f"/settings/users/{world.manager_north.pk}/",
        {
            "first_name": "Mara",
            "email": "mnorth@example.com",
            "role": "manager",
            "team": world.north.pk,
            "language": "en",
            "time_zone": "Asia/Kuala_Lumpur",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    world.manager_north.refresh_from_db()
    assert world.manager_north.time_zone == "Asia/Kuala_Lumpur"
    assert any("time_zone" in (entry.changes or {}) for entry in history_for(world.manager_north))


def test_each_request_runs_in_its_readers_zone_and_leaves_none_behind(client, world):
    services.user_update(by=world.manager_north, user=world.manager_north, data={"time_zone": "Asia/Tokyo"})
    login(client, world.manager_north)
    page = client.get("/profile/").content.decode()
    assert '<option value="Asia/Tokyo" selected>' in page
    assert timezone.get_current_timezone_name() != "Asia/Tokyo"


def test_english_readers_of_a_us_team_get_american_dates_the_others_european(client, world):
    world.north.time_zone, world.north.default_country = "America/New_York", "US"
    world.north.save(update_fields=["time_zone", "default_country"])
    Task.objects.create(title="Call Ion", due_at=MOMENT, assignee=world.manager_north, team=world.north)
    login(client, world.manager_north)
    page = client.get("/tasks/").content.decode()
    assert "12/08/2026 3 a.m." in page  # 08:00 UTC in New York
    assert 'class="dropdown-item active"' in page or "dropdown-item active" in page

    world.north.default_country = "RO"
    world.north.save(update_fields=["default_country"])
    page = client.get("/tasks/").content.decode()
    assert "08/12/2026 03:00" in page
