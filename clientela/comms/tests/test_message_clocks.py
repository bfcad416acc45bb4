"""Clocks for client messages: started per message ref, stopped by our answer, breached and
escalated like a lead's first-response clock."""

from __future__ import annotations

import pytest

from clientela.clients.tests.factories import make_client, make_contact
from clientela.comms import clocks
from clientela.comms.choices import ClockKind, StopReason
from clientela.comms.models import ResponseClock
from clientela.comms.tests.conftest import local
from clientela.core.audit import history_for
from clientela.core.models import Notification

pytestmark = pytest.mark.django_db

MONDAY_10 = local(2025, 3, 3, 10, 0)


@pytest.fixture
def client_card(north_in_bucharest):
    world = north_in_bucharest
    return make_client(owner=world.manager_north, team=world.north, name="Alfa SRL")


def start(world, client_card, *, ref="mail.thread:42", at=MONDAY_10, **extra):
    return clocks.clock_start_for_message(
        owner=world.manager_north,
        team=world.north,
        at=at,
        ref=ref,
        client=client_card,
        url="/mail/threads/42/",
        **extra,
    )


def test_a_client_message_starts_a_first_response_clock_in_business_time(world, client_card):
    contact = make_contact(client_card)
    clock = start(world, client_card, contact=contact)
    assert clock.kind == ClockKind.FIRST_RESPONSE
    assert (clock.client, clock.contact, clock.lead, clock.ref) == (
        client_card,
        contact,
        None,
        "mail.thread:42",
    )
    assert clock.due_at == local(2025, 3, 3, 12, 0), "two business hours by default"
    assert "Alfa SRL" in clock.subject
    assert history_for(clock).filter(action="create").exists()


def test_a_second_message_on_the_same_thread_keeps_the_running_clock(world, client_card):
    first = start(world, client_card)
    again = start(world, client_card, at=local(2025, 3, 3, 11, 0))
    assert again.pk == first.pk
    other = start(world, client_card, ref="mail.thread:43")
    assert other.pk != first.pk
    assert ResponseClock.objects.filter(client=client_card).count() == 2


def test_a_contact_gives_its_client(world, client_card):
    contact = make_contact(client_card)
    clock = clocks.clock_start_for_message(
        owner=world.manager_north, team=world.north, at=MONDAY_10, ref="mail.thread:9", contact=contact
    )
    assert clock.client == client_card


def test_our_answer_stops_the_clock_by_ref_and_records_the_time_taken(world, client_card):
    clock = start(world, client_card)
    untouched = start(world, client_card, ref="mail.thread:99")
    stopped = clocks.clocks_stop_for_ref(
        ref="mail.thread:42", by=world.manager_north, at=local(2025, 3, 3, 10, 40)
    )
    assert stopped == 1
    clock.refresh_from_db()
    assert (clock.stop_reason, clock.minutes_taken) == (StopReason.RESPONDED, 40)
    untouched.refresh_from_db()
    assert untouched.stopped_at is None
    assert clocks.clocks_stop_for_ref(ref="mail.thread:42", by=world.manager_north) == 0, "quiet when none"


def test_breach_tells_the_owner_with_a_link_to_the_message_then_escalates(world, client_card):
    clock = start(world, client_card)
    result = clocks.clock_check(clock=clock, now=local(2025, 3, 3, 12, 1))
    assert result.breached and not result.escalated
    note = Notification.objects.get(user=world.manager_north, verb="clock_breached")
    assert note.url == "/mail/threads/42/"
    later = clocks.clock_check(clock=clock, now=local(2025, 3, 3, 12, 31))
    assert later.escalated
    assert Notification.objects.get(user=world.head_north, verb="clock_escalated").url == "/mail/threads/42/"


def test_acknowledging_a_message_clock_keeps_the_ref_on_the_promise(world, client_card):
    clock = start(world, client_card)
    ack = clocks.clock_acknowledge(clock=clock, by=world.manager_north, promised_minutes=240, at=MONDAY_10)
    assert (ack.promise.ref, ack.promise.client, ack.promise.url) == (
        "mail.thread:42",
        client_card,
        clock.url,
    )
    assert clocks.clocks_stop_for_ref(ref="mail.thread:42", by=world.manager_north) == 1
    ack.promise.refresh_from_db()
    assert ack.promise.stopped_at is not None


def test_a_clock_needs_a_ref(world, client_card):
    from clientela.core.errors import BusinessError

    with pytest.raises(BusinessError) as exc:
        start(world, client_card, ref=" ")
    assert "ref" in exc.value.errors
