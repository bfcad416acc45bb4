"""The calendar page (month / week, scoping, HTMX navigation) and the private iCalendar feed."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from clientela.activities import ical
from clientela.activities.choices import ActivityKind, TaskKind
from clientela.activities.models import Activity
from clientela.activities.tests.test_worklist import local, make_lead, make_task
from clientela.conftest import login
from clientela.users.services import user_set_password

pytestmark = pytest.mark.django_db

NOW = local(2025, 3, 5, 10, 0)


@pytest.fixture(autouse=True)
def _urls_loaded_before_freezing():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def north(world):
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    for person in (world.manager_north, world.head_north):
        person.refresh_from_db()
    return world


def meeting(owner, lead, at, subject="Demo at the client") -> Activity:
    return Activity.objects.create(
        kind=ActivityKind.MEETING,
        occurred_at=at,
        subject=subject,
        place="Cluj office",
        duration_minutes=90,
        lead=lead,
        owner=owner,
        team=owner.team,
    )


def feed_of(client, token: str):
    response = client.get(f"/calendar/feed/{token}.ics")
    return response, (icalendar.Calendar.from_ical(response.content) if response.status_code == 200 else None)


# --- iCalendar feed ------------------------------------------------------------------------------


@freeze_time(NOW)
def test_feed_has_the_users_open_tasks_and_meetings_in_utc(client, north):
    me = north.manager_north
    lead = make_lead(me, name="Ana")
    call = make_task(me, "Call Ana", local(2025, 3, 6, 9, 30), kind=TaskKind.CALL, lead=lead)
    make_task(me, "Done already", local(2025, 3, 4, 9, 30), done=True)
    make_task(north.manager_north2, "Not mine", local(2025, 3, 6, 9, 30))
    held = meeting(me, lead, local(2025, 3, 4, 15, 0))

    response, calendar = feed_of(client, ical.feed_token(me))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"task-{call.pk}@clientela", f"activity-{held.pk}@clientela"}
    task_event = events[f"task-{call.pk}@clientela"]
    assert task_event.decoded("DTSTART") == call.due_at
    assert task_event.decoded("DTSTART").utcoffset() == dt.timedelta(0), "written in UTC"
    assert "Call Ana" in str(task_event["SUMMARY"])
    assert str(task_event["URL"]) == f"http://testserver/leads/{lead.pk}/"
    meeting_event = events[f"activity-{held.pk}@clientela"]
    assert meeting_event.decoded("DTEND") - meeting_event.decoded("DTSTART") == dt.timedelta(minutes=90)
    assert str(meeting_event["LOCATION"]) == "Cluj office"


def test_wrong_or_tampered_tokens_are_not_found(client, north):
    token = ical.feed_token(north.manager_north)
    user_id, _sep, signature = token.partition(":")
    for bad in ("nonsense", f"{user_id}:forged", f"{north.manager_north2.pk}:{signature}", f"x{token}"):
        assert client.get(f"/calendar/feed/{bad}.ics").status_code == 404, bad


def test_rotating_the_feed_revokes_the_old_address(client, north):
    me = north.manager_north
    old = ical.feed_token(me)
    login(client, me)
    page = client.get("/calendar/feed/").content.decode()
    assert f"/calendar/feed/{old}.ics" in page

    assert client.post("/calendar/feed/").status_code == 302

    new = ical.feed_token(me)
    assert new != old
    assert client.get(f"/calendar/feed/{old}.ics").status_code == 404
    assert client.get(f"/calendar/feed/{new}.ics").status_code == 200


def test_a_password_change_or_deactivation_revokes_the_feed(client, north):
    me = north.manager_north
    token = ical.feed_token(me)
    user_set_password(by=me, user=me, password="another-long-secret-42")
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
    token = ical.feed_token(me)
    me.is_active = False
    me.save(update_fields=["is_active"])
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404


# --- Calendar page -------------------------------------------------------------------------------


@freeze_time(NOW)
def test_month_shows_the_tasks_on_their_local_day(client, north):
    me = north.manager_north
    late = make_task(me, "Late evening call", local(2025, 3, 12, 23, 30))  # 21:30 UTC, still the 12th here
    make_task(north.manager_north2, "Nelu's task", local(2025, 3, 12, 10, 0))
    login(client, me)

    page = client.get("/calendar/?view=month&date=2025-03-01").content.decode()

    assert 'data-testid="calendar-title">March 2025<' in page
    cell = page.split('data-date="2025-03-12"')[1].split("</td>")[0]
    assert f'data-id="{late.pk}"' in cell and "23:30" in cell
    assert "Nelu" not in page


@freeze_time(NOW)
def test_week_view_and_htmx_navigation(client, north):
    me = north.manager_north
    make_task(me, "Thursday call", local(2025, 3, 6, 9, 0))
    make_task(me, "Next week", local(2025, 3, 12, 9, 0))
    login(client, me)

    page = client.get("/calendar/?view=week&date=2025-03-05").content.decode()
    assert "Thursday call" in page and "Next week" not in page
    assert page.count("data-date=") == 7

    fragment = client.get("/calendar/?view=week&date=2025-03-12", headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "<html" not in text and 'id="calendar"' in text
    assert "Next week" in text and "Thursday call" not in text


@freeze_time(NOW)
def test_calendar_of_another_person_only_for_their_head(client, north):
    nelu = north.manager_north2
    make_task(nelu, "Nelu's visit", local(2025, 3, 6, 9, 0))
    login(client, north.manager_north)
    assert client.get(f"/calendar/?person={nelu.pk}").status_code == 404
    login(client, north.head_north)
    assert "Nelu&#x27;s visit" in client.get(f"/calendar/?person={nelu.pk}").content.decode()
    assert client.get(f"/calendar/?person={north.manager_south.pk}").status_code == 404


@freeze_time(NOW)
def test_calendar_queries_do_not_grow_with_the_items(client, north):
    me = north.manager_north
    lead = make_lead(me)
    login(client, me)

    def fill(start: int, end: int) -> None:
        for i in range(start, end):
            make_task(me, f"Task {i}", local(2025, 3, 3 + i % 20, 9, 0), lead=lead)
            meeting(me, lead, local(2025, 3, 3 + i % 20, 14, 0), subject=f"Meeting {i}")

    fill(0, 2)
    with CaptureQueriesContext(connection) as small:
        client.get("/calendar/")
    fill(2, 15)
    with CaptureQueriesContext(connection) as large:
        page = client.get("/calendar/").content.decode()
    assert "Meeting 14" in page
    assert len(large) == len(small) <= 12, [q["sql"][:100] for q in large.captured_queries]
