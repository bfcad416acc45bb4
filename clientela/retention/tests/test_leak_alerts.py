"""Leak-rate alerts: exactly at the threshold does NOT fire, above it fires — once per team and
month; heads of the team and admins are told (in their language), see a banner until one of
them acknowledges it; the entry is audited.

North's October 2026 (see test_leak): 5 active at the start, 3 lost → 60.00 %.
South's: 1 active (E), 1 lost → 100.00 %."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clientela.core.models import AuditEntry, Notification
from clientela.retention import leak_alerts
from clientela.retention.leak_models import LeakAlert
from clientela.retention.models import RetentionPolicy
from clientela.retention.tests.test_leak import build

# The sweep during November 2026: the last complete month is October.
NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def set_threshold(team, percent: str) -> None:
    RetentionPolicy.objects.update_or_create(team=team, defaults={"leak_alert_percent": Decimal(percent)})


def test_exactly_at_the_threshold_does_not_fire(world):
    build(world)
    set_threshold(world.north, "60.00")
    set_threshold(world.south, "100.00")
    assert leak_alerts.leak_alerts_sweep(now=NOW) == 0
    assert not LeakAlert.objects.exists()


def test_above_the_threshold_fires_per_team_once(world):
    build(world)
    set_threshold(world.north, "59.99")
    set_threshold(world.south, "100.00")
    assert leak_alerts.leak_alerts_sweep(now=NOW) == 1
    alert = LeakAlert.objects.get()
    assert (
        alert.team,
        alert.period_start,
        alert.active_at_start,
        alert.lost,
        alert.rate,
        alert.threshold,
    ) == (
        world.north,
        dt.date(2026, 10, 1),
        5,
        3,
        Decimal("60.00"),
        Decimal("59.99"),
    )
    # Told: North's head and the admin, not the managers nor the South.
    told = set(Notification.objects.filter(verb="leak_alert").values_list("user__username", flat=True))
    assert told == {"hnorth", "root"}
    assert AuditEntry.objects.filter(event="leak_alert").count() == 1
    # Again: nothing new.
    assert leak_alerts.leak_alerts_sweep(now=NOW) == 0
    assert LeakAlert.objects.count() == 1
    assert Notification.objects.filter(verb="leak_alert").count() == 2


def test_default_threshold_is_ten_percent(world):
    build(world)
    assert leak_alerts.threshold_of(world.north) == Decimal("10")
    leak_alerts.leak_alerts_sweep(now=NOW)
    assert set(LeakAlert.objects.values_list("team__name", flat=True)) == {"North", "South"}


def test_notification_in_the_reader_s_language(world):
    build(world)
    world.head_north.language = "ro"
    world.head_north.save(update_fields=["language"])
    set_threshold(world.north, "10")
    leak_alerts.team_leak_check(team=world.north, now=NOW)
    english = Notification.objects.get(user=world.admin, verb="leak_alert").text
    romanian = Notification.objects.get(user=world.head_north, verb="leak_alert").text
    assert "60.00" in english and "Leak rate" in english
    assert romanian != english


def test_banner_until_acknowledged(client, world):
    build(world)
    leak_alerts.team_leak_check(team=world.north, now=NOW)
    alert = LeakAlert.objects.get(team=world.north)
    client.force_login(world.head_north)
    home = client.get("/").content.decode()
    assert 'data-testid="home-banner"' in home and "60.00" in home
    # A manager of the team sees no banner and cannot acknowledge.
    other = client.__class__()
    other.force_login(world.manager_north)
    assert 'data-testid="home-banner"' not in other.get("/").content.decode()
    assert other.post(f"/retention/alerts/{alert.pk}/acknowledge/").status_code == 404
    response = client.post(f"/retention/alerts/{alert.pk}/acknowledge/", {"next": "/"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.head_north and alert.acknowledged_at is not None
    assert 'data-testid="home-banner"' not in client.get("/").content.decode()
    # Gone for the admin too.
    client.force_login(world.admin)
    assert 'data-testid="home-banner"' not in client.get("/").content.decode()
    assert AuditEntry.objects.filter(event="leak_alert_acknowledged").count() == 1


def test_south_head_sees_nothing_of_the_north(world, api_token, client):
    from clientela.conftest import make_user
    from clientela.core.roles import Role

    build(world)
    leak_alerts.team_leak_check(team=world.north, now=NOW)
    head_south = make_user("hsouth", Role.HEAD, world.south)
    assert list(leak_alerts.open_alerts_for(head_south)) == []
    answer = client.get("/api/v1/retention/alerts", headers=api_token(head_south))
    assert answer.status_code == 200 and answer.json() == []
    alert = LeakAlert.objects.get()
    refused = client.post(f"/api/v1/retention/alerts/{alert.pk}/acknowledge", headers=api_token(head_south))
    assert refused.status_code == 404
    ok = client.post(f"/api/v1/retention/alerts/{alert.pk}/acknowledge", headers=api_token(world.head_north))
    assert ok.status_code == 200 and ok.json()["acknowledged_by"] == world.head_north.pk
    again = client.post(
        f"/api/v1/retention/alerts/{alert.pk}/acknowledge", headers=api_token(world.head_north)
    )
    assert again.status_code == 409


def test_marking_lost_checks_the_team(world, django_capture_on_commit_callbacks, monkeypatch):
    from clientela.retention.hooks import CLIENT_LOST

    checked = []
    monkeypatch.setattr(leak_alerts, "enqueue_on_commit", lambda job, team_id: checked.append(team_id))
    client = build(world)["A"]
    for fn in CLIENT_LOST:
        fn(by=world.admin, client=client, change=None, options={})
    assert checked == [world.north.pk]
