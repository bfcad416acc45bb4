"""The weekly digest: only to heads who opted in, on Monday morning in their zone, in their
language, once per week however often the job runs; the opt-in on the profile page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse

from clientela.analytics.digest import digest_enabled, digest_set, send_digests, sweep_digests
from clientela.analytics.digest_models import DigestSubscription
from clientela.conftest import login, make_user
from clientela.core.audit import AuditEntry
from clientela.core.errors import PermissionDeniedError
from clientela.core.periodic import PERIODIC_JOBS
from clientela.core.roles import Role
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

UTC = dt.UTC
# Monday 9 March 2026: 07:00 in Bucharest (UTC+2) is 05:00 UTC.
MONDAY_EARLY = dt.datetime(2026, 3, 9, 4, 30, tzinfo=UTC)  # 06:30 in Bucharest
MONDAY_MORNING = dt.datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # 07:00 in Bucharest
MONDAY_NOON = dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def heads(world):
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    head = world.head_north
    head.refresh_from_db()
    head.language = "ro"
    head.save(update_fields=["language"])
    other = make_user("hsouth", Role.HEAD, world.south, first_name="Gábor", language="hu")
    lead = lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": "Digest",
            "email": "ana.digest@example.com",
            "team": world.north,
        },
        owner=world.manager_north,
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=dt.datetime(2026, 3, 5, 10, tzinfo=UTC))
    return world, head, other


def test_only_heads_who_opted_in_receive_it_once_a_week(heads):
    world, head, other = heads
    digest_set(by=head, weekly=True)
    # The other head never opted in; a head who opted out receives nothing either.
    third = make_user("hthird", Role.HEAD, world.north)
    digest_set(by=third, weekly=True)
    digest_set(by=third, weekly=False)
    assert send_digests(MONDAY_EARLY) == 0  # 06:30 in Bucharest: not yet
    assert send_digests(MONDAY_MORNING) == 1
    assert send_digests(MONDAY_NOON) == 0  # the job ran again the same week: nothing again
    assert [m.to for m in mail.outbox] == [[head.email]]
    # Tuesday: not a digest day; next Monday: the next week's digest.
    assert send_digests(dt.datetime(2026, 3, 10, 8, tzinfo=UTC)) == 0
    assert send_digests(dt.datetime(2026, 3, 16, 9, tzinfo=UTC)) == 1
    assert len(mail.outbox) == 2
    assert not any(other.email in m.to or third.email in m.to for m in mail.outbox)


def test_the_letter_is_in_the_heads_language_with_html_and_text(heads):
    _world, head, _other = heads
    digest_set(by=head, weekly=True)
    send_digests(MONDAY_MORNING)
    (letter,) = mail.outbox
    assert letter.subject.startswith("Săptămâna dumneavoastră în Clientela")
    assert "Lead-uri noi" in letter.body  # the "New leads" tile, in Romanian
    assert "/reports/lifecycle-funnel/" in letter.body
    html, mimetype = letter.alternatives[0]
    assert mimetype == "text/html"
    assert "<table" in html and "Lead-uri noi" in html and '<html lang="ro">' in html
    assert 'href="http' in html and "/reports/lifecycle-funnel/" in html
    # The head's dashboard: 1 new lead in North this month, none in the same days before.
    assert "Lead-uri noi: 1 " in letter.body


def test_sent_in_each_heads_own_zone(heads):
    world, head, other = heads
    world.south.time_zone = "Asia/Kuala_Lumpur"  # UTC+8: Monday 07:00 is Sunday 23:00 UTC
    world.south.save(update_fields=["time_zone"])
    other.refresh_from_db()
    digest_set(by=other, weekly=True)
    digest_set(by=head, weekly=True)
    assert send_digests(dt.datetime(2026, 3, 8, 23, 0, tzinfo=UTC)) == 1
    assert mail.outbox[0].to == [other.email]
    assert mail.outbox[0].subject.startswith("A hete a Clientelában")  # Hungarian


def test_opt_in_is_for_heads_and_audited(heads):
    world, head, _other = heads
    with pytest.raises(PermissionDeniedError):
        digest_set(by=world.manager_north, weekly=True)
    with pytest.raises(PermissionDeniedError):
        digest_set(by=world.admin, weekly=True)
    digest_set(by=head, weekly=True)
    digest_set(by=head, weekly=True)  # no change: no second entry
    digest_set(by=head, weekly=False)
    subscription = DigestSubscription.objects.get(user=head)
    events = list(
        AuditEntry.objects.filter(content_type__model="digestsubscription", object_id=str(subscription.pk))
        .order_by("pk")
        .values_list("event", flat=True)
    )
    assert events == ["digest_on", "digest_off"]
    assert not digest_enabled(head)


def test_profile_page_offers_the_opt_in_to_heads_only(heads):
    world, head, _other = heads
    web = login(WebClient(), head)
    page = web.get(reverse("users:profile")).content.decode()
    assert 'data-testid="digest-on"' in page
    response = web.post(reverse("analytics:digest_toggle"), {"on": "1", "next": reverse("users:profile")})
    assert response.status_code == 302 and response["Location"] == reverse("users:profile")
    assert digest_enabled(head)
    page = web.get(reverse("users:profile")).content.decode()
    assert 'data-testid="digest-off"' in page
    web.post(reverse("analytics:digest_toggle"), {"on": "0"})
    assert not digest_enabled(head)
    manager = login(WebClient(), world.manager_north)
    assert "digest-on" not in manager.get(reverse("users:profile")).content.decode()
    assert manager.post(reverse("analytics:digest_toggle"), {"on": "1"}).status_code == 403


def test_api_reads_and_sets_the_opt_in(heads, api_token):
    world, head, _other = heads
    web = WebClient()
    headers = api_token(head)
    assert web.get("/api/v1/dashboard/digest", headers=headers).json() == {"weekly": False}
    response = web.put(
        "/api/v1/dashboard/digest", {"weekly": True}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200 and response.json() == {"weekly": True}
    assert digest_enabled(head)
    manager = api_token(world.manager_north)
    assert web.get("/api/v1/dashboard/digest", headers=manager).status_code == 403
    refused = web.put(
        "/api/v1/dashboard/digest", {"weekly": True}, content_type="application/json", headers=manager
    )
    assert refused.status_code == 403


def test_the_sweep_is_a_periodic_job():
    assert any(job.task is sweep_digests and job.every == dt.timedelta(hours=1) for job in PERIODIC_JOBS)
