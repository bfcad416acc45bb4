"""One moment, the same on every screen: a time typed in the reader's zone is stored in UTC and
shown back in each reader's zone (their own setting, else their team's) on the lead card, the
task list, the work list, the calendar and the iCalendar feed, and in texts written for them."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from django.core import mail
from freezegun import freeze_time

from clientela.activities import ical
from clientela.activities.models import Task
from clientela.activities.services.reminders import task_remind
from clientela.conftest import login
from clientela.core.models import DigestFrequency, Notification, NotificationSettings
from clientela.core.notifications import digest_send_for

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
NOW = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)  # 09:00 in Bucharest
TEN_IN_BUCHAREST = dt.datetime(2026, 12, 8, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _urls_loaded_before_freezing():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def bucharest(world):
    """North sells from Bucharest; its people have no zone of their own (the team's applies)."""
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    for person in (world.manager_north, world.head_north, world.admin):
        person.refresh_from_db()
    return world


def log_call_with_next_step(client, lead, at: str) -> Task:
    answer = client.post(
        f"/activities/lead/{lead.pk}/log/",
        {
            "kind": "call",
            "outcome": "reached",
            "direction": "out",
            "body": "Wants a proposal",
            "next_step_at": at,
            "next_step_subject": "Send proposal and call back",
        },
        headers=HX,
    )
    assert answer.status_code == 200, answer.content.decode()[:500]
    return Task.objects.get(lead=lead, title__contains="Send proposal")


def calendar_item_times(page: str) -> list[str]:
    """The times the calendar shows for the next step."""
    return re.findall(r'data-kind="task"[^>]*>\s*<i[^>]*></i> (\d{1,2}:\d{2}) Send proposal', page)


@freeze_time(NOW)
def test_ten_typed_in_bucharest_is_stored_in_utc_and_shown_as_ten_everywhere(client, bucharest, make_lead):
    me = bucharest.manager_north
    lead = make_lead(owner=me)
    login(client, me)
    task = log_call_with_next_step(client, lead, "2026-12-08T10:00")

    assert task.due_at == TEN_IN_BUCHAREST  # 08:00 UTC
    card = client.get(f"/leads/{lead.pk}/").content.decode()
    panel = client.get(f"/activities/lead/{lead.pk}/").content.decode()
    assert "08/12/2026 10:00" in card + panel
    assert "08/12/2026 10:00" in client.get("/tasks/").content.decode()
    assert "10:00" in client.get("/").content.decode()  # the work list's upcoming tasks
    calendar = client.get("/calendar/?view=week&date=2026-12-08").content.decode()
    assert calendar_item_times(calendar) == ["10:00"]

    feed = icalendar.Calendar.from_ical(client.get(f"/calendar/feed/{ical.feed_token(me)}.ics").content)
    event = next(item for item in feed.walk("VEVENT") if "Send proposal" in str(item["summary"]))
    assert event.decoded("dtstart") == TEN_IN_BUCHAREST
    assert str(feed["x-wr-timezone"]) == "Europe/Bucharest"


@freeze_time(NOW)
def test_a_reader_in_kuala_lumpur_sees_the_same_moment_as_sixteen(client, bucharest, make_lead):
    lead = make_lead(owner=bucharest.manager_north)
    login(client, bucharest.manager_north)
    log_call_with_next_step(client, lead, "2026-12-08T10:00")
    admin = bucharest.admin
    admin.time_zone = "Asia/Kuala_Lumpur"
    admin.save(update_fields=["time_zone"])

    login(client, admin)
    panel = client.get(f"/activities/lead/{lead.pk}/").content.decode()
    assert "08/12/2026 16:00" in panel and "08/12/2026 10:00" not in panel
    person = bucharest.manager_north.pk
    calendar = client.get(f"/calendar/?view=week&date=2026-12-08&person={person}").content.decode()
    assert calendar_item_times(calendar) == ["16:00"]


@freeze_time(NOW)
def test_the_profile_sets_a_zone_of_ones_own_and_times_follow_it(client, bucharest, make_lead):
    me = bucharest.manager_north
    lead = make_lead(owner=me)
    login(client, me)
    log_call_with_next_step(client, lead, "2026-12-08T10:00")
    profile = client.get("/profile/").content.decode()
    assert (
        "Team&#x27;s time zone (Europe/Bucharest)" in profile
        or "Team's time zone (Europe/Bucharest)" in profile
    )

    answer = client.post(
        "/profile/",
        {
            "first_name": me.first_name,
            "last_name": me.last_name,
            "email": me.email,
            "phone": "",
            "language": "en",
            "time_zone": "Asia/Kuala_Lumpur",
        },
    )
    assert answer.status_code == 302
    me.refresh_from_db()
    assert me.time_zone == "Asia/Kuala_Lumpur"
    assert "08/12/2026 16:00" in client.get("/tasks/").content.decode()
    # A time typed now means 10:00 in Kuala Lumpur (02:00 UTC).
    second = log_call_with_next_step(client, make_lead(owner=me), "2026-12-09T10:00")
    assert second.due_at == dt.datetime(2026, 12, 9, 2, 0, tzinfo=dt.UTC)


def test_an_unknown_zone_is_a_field_error(client, bucharest):
    me = bucharest.manager_north
    login(client, me)
    answer = client.post(
        "/profile/",
        {
            "first_name": "M",
            "last_name": "",
            "email": me.email,
            "language": "en",
            "time_zone": "Mars/Olympus",
        },
    )
    assert answer.status_code == 200 and "is-invalid" in answer.content.decode()
    me.refresh_from_db()
    assert me.time_zone == ""


@freeze_time(NOW)
def test_each_language_writes_dates_its_own_way(client, bucharest, make_lead):
    me = bucharest.manager_north
    lead = make_lead(owner=me)
    login(client, me)
    log_call_with_next_step(client, lead, "2026-12-08T10:00")
    expected = {
        "en": "08/12/2026 10:00",
        "ro": "08.12.2026, 10:00",
        "hu": "2026.12.08. 10:00",
        "ms": "08/12/2026 10:00",
    }
    for language, text in expected.items():
        me.language = language
        me.save(update_fields=["language"])
        page = client.get("/tasks/").content.decode()
        assert text in page, language
        assert " a.m." not in page and " p.m." not in page, language


@freeze_time(NOW)
def test_reminders_and_digests_are_written_in_the_readers_zone(bucharest, make_lead):
    me = bucharest.manager_north
    me.time_zone = "Asia/Kuala_Lumpur"
    me.save(update_fields=["time_zone"])
    task = Task.objects.create(
        title="Call Ion",
        due_at=TEN_IN_BUCHAREST,
        reminder_at=NOW - dt.timedelta(minutes=1),
        assignee=me,
        team=me.team,
    )
    assert task_remind(task_id=task.pk, now=NOW)
    reminder = Notification.objects.get(user=me, verb="task_reminder")
    assert "08/12/2026 16:00" in reminder.text

    NotificationSettings.objects.update_or_create(user=me, defaults={"digest": DigestFrequency.HOURLY})
    assert digest_send_for(user=me, now=NOW)
    assert "07/12/2026 15:00" in mail.outbox[-1].body  # the reminder's moment, 07:00 UTC


def test_the_api_names_each_users_zone(client, bucharest, api_token):
    me = bucharest.manager_north
    headers = api_token(me)
    answer = client.get("/api/v1/me", headers=headers).json()
    assert answer["time_zone"] == "" and answer["effective_time_zone"] == "Europe/Bucharest"
