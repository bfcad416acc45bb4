"""Response clocks as the work list and the lead card show them (time left in business time,
across a weekend), and the one-click acknowledgement (preview, then the clocks and the letter)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from freezegun import freeze_time

from clientela.activities import acknowledgement
from clientela.activities.tests.test_worklist import local, make_lead
from clientela.comms import clocks
from clientela.comms.choices import ClockKind, StopReason
from clientela.comms.models import ResponseClock
from clientela.conftest import login

pytestmark = pytest.mark.django_db

FRIDAY_17 = local(2025, 3, 7, 17, 0)  # two business hours: one on Friday, one on Monday morning


@pytest.fixture(autouse=True)
def _urls_loaded_before_freezing():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def north(world):
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    world.manager_north.refresh_from_db()
    return world


def badge(clock: ResponseClock, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load worklist %}{% clock_badge clock %}").render(
        Context({"clock": clock, "request": request})
    )


@pytest.mark.parametrize(
    ("moment", "status", "text", "css"),
    [
        (local(2025, 3, 7, 17, 30), "ok", "1 h 30 min left", "bg-green-lt"),
        (local(2025, 3, 8, 12, 0), "ok", "1 h left", "bg-green-lt"),  # Saturday: the clock stands still
        (local(2025, 3, 9, 23, 0), "ok", "1 h left", "bg-green-lt"),  # Sunday night
        (local(2025, 3, 10, 9, 45), "near", "15 min left", "bg-yellow-lt"),
        (local(2025, 3, 10, 11, 30), "breached", "Overdue by 1 h 30 min", "bg-red-lt"),
    ],
)
def test_badge_counts_business_time_across_the_weekend(north, moment, status, text, css):
    clock = clocks.clock_start_first_response(lead=make_lead(north.manager_north), at=FRIDAY_17)
    assert clock.due_at == local(2025, 3, 10, 10, 0)
    with freeze_time(moment):
        html = badge(clock, north.manager_north)
    assert f'data-clock-status="{status}"' in html
    assert text in html
    assert css in html
    assert "Mon 10 Mar 10:00 (Europe/Bucharest)" in html, "the deadline in the viewer's zone"


def test_badge_shows_the_deadline_in_the_viewers_own_zone(north):
    north.south.time_zone = "Asia/Kuala_Lumpur"
    north.south.save(update_fields=["time_zone"])
    north.manager_south.refresh_from_db()
    clock = clocks.clock_start_first_response(lead=make_lead(north.manager_north), at=FRIDAY_17)
    with freeze_time(local(2025, 3, 7, 17, 30)):
        html = badge(clock, north.manager_south)
    assert "Mon 10 Mar 16:00 (Asia/Kuala_Lumpur)" in html  # 10:00 in Bucharest


def test_stopped_clock_says_how_long_the_answer_took(north):
    lead = make_lead(north.manager_north)
    clock = clocks.clock_start_first_response(lead=lead, at=FRIDAY_17)
    clocks.clock_stop(clock=clock, by=north.manager_north, at=local(2025, 3, 10, 9, 15))
    html = badge(clock, north.manager_north)
    assert 'data-clock-status="stopped"' in html and "Answered in 1 h 15 min" in html


def test_lead_card_shows_the_clock_and_the_acknowledge_button(client, north):
    lead = make_lead(north.manager_north)
    clock = clocks.clock_start_first_response(lead=lead, at=FRIDAY_17)
    with freeze_time(local(2025, 3, 8, 12, 0)):
        page = login(client, north.manager_north).get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="clock-panel"' in page and "1 h left" in page
    assert f"/worklist/clocks/{clock.pk}/acknowledge/" in page


# --- Acknowledgement ---------------------------------------------------------------------------


def test_promise_presets_resolve_in_business_time(north):
    clock = clocks.clock_start_first_response(lead=make_lead(north.manager_north), at=FRIDAY_17)
    now = local(2025, 3, 7, 17, 30)
    two_hours = acknowledgement.promise_resolve(clock=clock, preset="2h", now=now)
    assert (two_hours.minutes, two_hours.due_at) == (120, local(2025, 3, 10, 10, 30))
    today = acknowledgement.promise_resolve(clock=clock, preset="today", now=now)
    assert today.until == local(2025, 3, 7, 18, 0)
    tomorrow = acknowledgement.promise_resolve(clock=clock, preset="tomorrow", now=now)
    assert tomorrow.until == local(2025, 3, 10, 18, 0), "the next business day is Monday"
    after_hours = acknowledgement.promise_resolve(clock=clock, preset="today", now=local(2025, 3, 7, 19, 0))
    assert after_hours.until == local(2025, 3, 10, 18, 0)


def test_acknowledge_previews_the_letter_then_stops_the_clock_and_starts_the_promise(client, north):
    from clientela.mail.models import Message

    lead = make_lead(north.manager_north, name="Ioana", email="ioana@example.com")
    clock = clocks.clock_start_first_response(lead=lead, at=local(2025, 3, 7, 10, 0))
    login(client, north.manager_north)
    url = f"/worklist/clocks/{clock.pk}/acknowledge/"
    with freeze_time(local(2025, 3, 7, 10, 30)):
        form = client.get(url)
        assert form.status_code == 200
        choices = {"promise": "today", "send_email": "on", "language": "en", "next": f"/leads/{lead.pk}/"}
        preview = client.post(url, {**choices, "action": "preview"})
        page = preview.content.decode()
        assert preview.status_code == 200 and 'data-testid="confirm"' in page
        assert "Dear Ioana" in page, "the acknowledgement template, rendered for the lead"
        assert "ioana@example.com" in page
        clock.refresh_from_db()
        assert clock.stopped_at is None, "a preview changes nothing"

        sent = client.post(
            url, {**choices, "action": "send", "subject": "We got it", "body": "Estimate by tonight."}
        )

    assert sent.status_code == 302 and sent["Location"] == f"/leads/{lead.pk}/"
    clock.refresh_from_db()
    assert clock.stop_reason == StopReason.ACKNOWLEDGED
    promise = ResponseClock.objects.get(previous=clock)
    assert promise.kind == ClockKind.PROMISE
    assert promise.due_at == local(2025, 3, 7, 18, 0), "within the day = the end of the business day"
    assert promise.promised_text == "Received; a detailed estimate within the day."
    message = Message.objects.get(subject="We got it")
    assert message.to == ["ioana@example.com"] and "Estimate by tonight." in message.body_text


def test_the_acknowledgement_email_does_not_end_its_own_promise(client, north):
    lead = make_lead(north.manager_north, email="ioana@example.com")
    clock = clocks.clock_start_first_response(lead=lead, at=local(2025, 3, 7, 10, 0))
    login(client, north.manager_north)
    with freeze_time(local(2025, 3, 7, 10, 30)):
        client.post(
            f"/worklist/clocks/{clock.pk}/acknowledge/",
            {"promise": "today", "send_email": "on", "language": "en", "action": "send"},
        )
    promise = ResponseClock.objects.get(previous=clock)
    assert promise.stopped_at is None
    # Delivering the letter logs an outbound e-mail: still not the promised answer.
    from clientela.mail.models import Message
    from clientela.mail.services import message_deliver, message_send

    letter = Message.objects.get(thread__lead=lead)
    with freeze_time(local(2025, 3, 7, 10, 31)):
        message_deliver(message_id=letter.pk)
    promise.refresh_from_db()
    assert promise.stopped_at is None
    # The promised answer does stop it.
    with freeze_time(local(2025, 3, 7, 15, 0)):
        answer = message_send(
            by=north.manager_north, to="ioana@example.com", subject="Estimate", body_text="Here it is."
        )
        message_deliver(message_id=answer.pk)
    promise.refresh_from_db()
    assert promise.stopped_at is not None


def test_acknowledge_without_a_letter_only_moves_the_clocks(client, north):
    lead = make_lead(north.manager_north)  # no e-mail address
    clock = clocks.clock_start_first_response(lead=lead, at=local(2025, 3, 7, 10, 0))
    login(client, north.manager_north)
    with freeze_time(local(2025, 3, 7, 10, 30)):
        response = client.post(
            f"/worklist/clocks/{clock.pk}/acknowledge/",
            {"promise": "2h", "promise_text": "Prices by noon", "action": "send"},
        )
    assert response.status_code == 302
    promise = ResponseClock.objects.get(previous=clock)
    assert (promise.due_at, promise.promised_text) == (local(2025, 3, 7, 12, 30), "Prices by noon")


def test_acknowledge_asks_for_a_time_when_promising_a_chosen_moment(client, north):
    clock = clocks.clock_start_first_response(
        lead=make_lead(north.manager_north), at=local(2025, 3, 7, 10, 0)
    )
    login(client, north.manager_north)
    with freeze_time(local(2025, 3, 7, 10, 30)):
        response = client.post(
            f"/worklist/clocks/{clock.pk}/acknowledge/", {"promise": "custom", "action": "send"}
        )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    clock.refresh_from_db()
    assert clock.stopped_at is None


def test_acknowledge_is_not_found_for_another_teams_clock(client, north):
    clock = clocks.clock_start_first_response(
        lead=make_lead(north.manager_north), at=local(2025, 3, 7, 10, 0)
    )
    login(client, north.manager_south)
    assert client.get(f"/worklist/clocks/{clock.pk}/acknowledge/").status_code == 404
    assert (
        client.post(
            f"/worklist/clocks/{clock.pk}/acknowledge/", {"promise": "2h", "action": "send"}
        ).status_code
        == 404
    )
    clock.refresh_from_db()
    assert clock.stopped_at is None
