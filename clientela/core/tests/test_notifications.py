from __future__ import annotations

from clientela.conftest import login
from clientela.core.notifications import notify


def test_bell_counts_unread_and_page_marks_read(client, world):
    notify(user=world.manager_north, verb="lead_assigned", text="New lead for you: Ion", url="/leads/1/")
    notify(user=world.manager_north2, verb="lead_assigned", text="Someone else's")
    login(client, world.manager_north)
    home = client.get("/").content.decode()
    assert 'data-testid="unread-count">1<' in home
    page = client.get("/notifications/").content.decode()
    assert "New lead for you: Ion" in page and "Someone else" not in page
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()


def test_inactive_user_is_not_notified(world):
    world.manager_north.is_active = False
    assert notify(user=world.manager_north, verb="x", text="y") is None


# --- Preferences, digest, API, live badge --------------------------------------------------

import datetime as dt  # noqa: E402
import json  # noqa: E402

import pytest  # noqa: E402
from django.core import mail  # noqa: E402

from clientela.core.models import Notification, NotificationSettings  # noqa: E402
from clientela.core.notifications import (  # noqa: E402
    digest_send_for,
    digests_send,
    notification_preferences_update,
    unread_count,
)

MORNING = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)  # 11:00 in Bucharest


def test_switched_off_event_is_not_shown_but_kept_for_the_digest(world):
    user = world.manager_north
    notification_preferences_update(user=user, events={"lead_touch": {"in_app": False}})
    assert notify(user=user, verb="lead_touch", text="Ion wrote again") is None, "no digest: nothing kept"
    notification_preferences_update(user=user, digest="daily")
    kept = notify(user=user, verb="lead_touch", text="Ion wrote again")
    assert kept is not None and kept.in_app is False
    assert unread_count(user) == 0
    notification_preferences_update(user=user, events={"lead_touch": {"in_digest": False}})
    assert notify(user=user, verb="lead_touch", text="again") is None
    assert notify(user=user, verb="lead_assigned", text="New lead").in_app is True


def test_bad_preferences_are_field_errors(world):
    from clientela.core.errors import BusinessError

    with pytest.raises(BusinessError) as exc:
        notification_preferences_update(user=world.manager_north, digest="weekly", events={"bad verb!": {}})
    assert set(exc.value.errors) == {"digest", "events"}


@pytest.mark.django_db(transaction=True)
def test_digest_is_sent_once_per_period_in_the_users_language(world):
    user = world.manager_north
    user.language = "ro"
    user.save(update_fields=["language"])
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    notification_preferences_update(user=user, digest="daily", events={"deal_stage": {"in_app": False}})
    notify(user=user, verb="lead_assigned", text="Lead nou: Ion", url="/leads/1/")
    notify(user=user, verb="deal_stage", text="Afacerea a trecut în negociere")
    read = notify(user=user, verb="lead_assigned", text="Deja citit")
    Notification.objects.filter(pk=read.pk).update(read_at=MORNING)
    notify(user=world.manager_north2, verb="lead_assigned", text="Not mine")

    assert digest_send_for(user=user, now=MORNING.replace(hour=4)) is False, "06:00 local: too early"
    assert digests_send(now=MORNING) == 1
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == ["mnorth@example.com"]
    assert "Lead nou: Ion" in letter.body and "http://testserver/leads/1/" in letter.body
    assert "Afacerea a trecut în negociere" in letter.body, "switched off in the app, still in the digest"
    assert "Deja citit" not in letter.body and "Not mine" not in letter.body
    assert "2" in letter.subject

    notify(user=user, verb="lead_assigned", text="Later that day")
    assert digests_send(now=MORNING + dt.timedelta(hours=3)) == 0, "one daily digest per day"
    assert digests_send(now=MORNING + dt.timedelta(days=1)) == 1
    assert "Later that day" in mail.outbox[1].body and "Lead nou" not in mail.outbox[1].body
    assert NotificationSettings.objects.get(user=user).last_digest_at is not None


@pytest.mark.django_db(transaction=True)
def test_digest_job_runs_from_the_queue_and_skips_empty_periods(world, settings):
    from django.core.management import call_command

    from clientela.comms.tasks import send_notification_digests

    user = world.manager_north
    notification_preferences_update(user=user, digest="hourly")
    send_notification_digests.enqueue()
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )
    assert mail.outbox == [], "nothing unread: no e-mail"
    notify(user=user, verb="lead_assigned", text="Hourly item")
    send_notification_digests.enqueue()
    send_notification_digests.enqueue()
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )
    assert len(mail.outbox) == 1 and "Hourly item" in mail.outbox[0].body


def test_api_lists_counts_and_marks_read(client, world, api_token):
    headers = api_token(world.manager_north)
    first = notify(user=world.manager_north, verb="lead_assigned", text="One")
    notify(user=world.manager_north, verb="lead_assigned", text="Two")
    others = notify(user=world.manager_south, verb="lead_assigned", text="Theirs")
    listing = client.get("/api/v1/notifications", headers=headers).json()
    assert listing["count"] == 2 and [item["text"] for item in listing["items"]] == ["Two", "One"]
    assert client.get("/api/v1/notifications/unread-count", headers=headers).json() == {"unread": 2}
    one = client.post(f"/api/v1/notifications/{first.pk}/read", headers=headers)
    assert one.status_code == 200 and one.json()["read"] is True
    assert client.post(f"/api/v1/notifications/{others.pk}/read", headers=headers).status_code == 404
    marked = client.post(
        "/api/v1/notifications/read",
        json.dumps({"ids": [others.pk]}),
        content_type="application/json",
        headers=headers,
    ).json()
    assert marked == {"marked": 0, "unread": 1}, "someone else's id is ignored"
    everything = client.post(
        "/api/v1/notifications/read", "{}", content_type="application/json", headers=headers
    )
    assert everything.json() == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json()["count"] == 0
    others.refresh_from_db()
    assert others.read_at is None


def test_api_preferences(client, world, api_token):
    headers = api_token(world.manager_north)
    saved = client.put(
        "/api/v1/notifications/preferences",
        json.dumps({"digest": "hourly", "events": {"deal_stage": {"in_app": False}}}),
        content_type="application/json",
        headers=headers,
    )
    assert saved.status_code == 200 and saved.json()["digest"] == "hourly"
    deal_stage = next(e for e in saved.json()["events"] if e["verb"] == "deal_stage")
    assert (deal_stage["in_app"], deal_stage["in_digest"]) == (False, True)
    bad = client.put(
        "/api/v1/notifications/preferences",
        json.dumps({"digest": "weekly"}),
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and "digest" in bad.json()["errors"]


def test_preferences_page_and_live_badge(client, world, django_assert_max_num_queries):
    login(client, world.manager_north)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200 and "A lead is assigned to me" in page.content.decode()
    assert "/notifications/preferences/" in client.get("/notifications/").content.decode()
    posted = client.post(
        "/notifications/preferences/",
        {"digest": "daily", "app_lead_assigned": "on", "digest_lead_assigned": "on"},
    )
    assert posted.status_code == 302
    assert notify(user=world.manager_north, verb="lead_touch", text="off everywhere") is None
    assert unread_count(world.manager_north) == 0, "every unticked event is switched off"
    notify(user=world.manager_north, verb="lead_assigned", text="shown")
    with django_assert_max_num_queries(4):
        badge = client.get("/notifications/badge/")
    assert 'data-testid="unread-count">1<' in badge.content.decode()
    assert client.post("/notifications/preferences/", {"digest": "weekly"}).status_code == 200
