"""Receiving real .eml files: parsing, threading, matching, leads for strangers, loop detection."""

from __future__ import annotations

import pytest

from clientela.leads.choices import Source
from clientela.leads.models import Lead
from clientela.mail.inbound import receive, receive_raw
from clientela.mail.models import Direction, LastWord, Message, Thread
from clientela.mail.parsing import MalformedMessage
from clientela.mail.tests.conftest import eml

pytestmark = pytest.mark.django_db


def test_multipart_alternative_is_matched_to_the_contact_and_sanitised(people, world):
    message = receive_raw(eml("multipart_alternative.eml"), source="test")
    assert message is not None
    thread = message.thread
    assert (thread.contact, thread.client, thread.owner, thread.team) == (
        people.ion,
        people.acme,
        world.manager_north,
        world.north,
    )
    assert message.direction == Direction.IN
    assert message.message_id == "<CAF1quote.40@mail.acme.ro>"
    assert message.from_address == "ion.popescu@acme.ro"
    assert message.cc == ["maria.ionescu@acme.ro"]
    assert "Brașov" in message.body_text
    assert "<b>40 pallets</b>" in message.body_html
    assert "script" not in message.body_html and "onclick" not in message.body_html
    assert message.raw.read().startswith(b"Return-Path:")
    assert thread.last_word == LastWord.THEM and thread.message_count == 1
    assert world.manager_north.notifications.filter(verb="message_received").exists()


@pytest.mark.parametrize(
    ("name", "subject", "fragment"),
    [
        ("windows_1251.eml", "Счёт на плёнку", "Просим выставить счёт на 12 рулонов плёнки"),
        ("iso_8859_2.eml", "Árajánlatkérés", "Kérünk árajánlatot 5 tekercs fóliára"),
        ("unknown_charset.eml", "qapla\ufffd", "Price list please"),
    ],
)
def test_charsets_are_decoded_and_unknown_ones_replaced(people, name, subject, fragment):
    message = receive_raw(eml(name), source="test")
    assert message is not None
    assert message.subject == subject
    assert fragment in message.body_text


def test_html_only_message_gets_a_text_version_and_matches_the_lead(people):
    message = receive_raw(eml("html_only.eml"), source="test")
    assert message is not None
    assert message.thread.lead == people.lead_ana
    assert message.body_text.splitlines()[0] == "Hello,"
    assert "Please send your catalogue." in message.body_text
    assert "p{color:red}" not in message.body_text
    assert "onclick" not in message.body_html and "catalogue</a>" in message.body_html


def test_attachments_are_stored_and_the_oversized_one_refused(people):
    message = receive_raw(eml("attachments.eml"), source="test")
    assert message is not None
    files = {a.filename: a for a in message.attachments.all()}
    assert set(files) == {"attachment.png", "offer.pdf", "planșa-mare.dwg"}
    assert files["offer.pdf"].file.read().startswith(b"%PDF-1.4")
    big = files["planșa-mare.dwg"]
    assert big.size == 4096 and not big.file and "limit" in big.refused_reason
    assert files["attachment.png"].content_id == "<logo@acme>"
    assert message.body_text.strip() == "See the drawings attached."


def test_forwarded_chain_keeps_the_text_and_the_forwarded_original(people):
    message = receive_raw(eml("forwarded.eml"), source="test")
    assert message is not None
    assert message.thread.contact == people.maria
    assert "Please order 100 rolls for December." in message.body_text
    (original,) = message.attachments.all()
    assert original.content_type == "message/rfc822"
    assert b"Message-ID: <orig-boss-1@acme.ro>" in original.file.read()


def test_reply_threads_by_in_reply_to_then_by_subject(people):
    first = receive_raw(eml("multipart_alternative.eml"), source="test")
    reply = receive_raw(eml("reply_in_reply_to.eml"), source="test")
    subject_only = receive_raw(eml("reply_subject_only.eml"), source="test")
    assert first and reply and subject_only
    assert reply.thread_id == first.thread_id == subject_only.thread_id
    thread = Thread.objects.get()
    assert thread.message_count == 3


def test_subject_match_needs_the_same_counterpart(people):
    first = receive_raw(eml("multipart_alternative.eml"), source="test")
    other = eml("reply_subject_only.eml").replace(
        b"From: ion.popescu@acme.ro", b"From: maria.ionescu@acme.ro"
    )
    second = receive_raw(other, source="test")
    assert first and second and first.thread_id != second.thread_id


def test_duplicate_is_ignored_idempotently(people):
    assert receive_raw(eml("multipart_alternative.eml"), source="imap") is not None
    result = receive(eml("multipart_alternative.eml"), source="api")
    assert (result.message, result.ignored) == (None, "duplicate")
    assert Message.objects.count() == 1


def test_unknown_sender_becomes_a_lead_through_intake(world):
    message = receive_raw(eml("windows_1251.eml"), source="test")
    assert message is not None
    lead = Lead.objects.get(email="petr@zavod.example.ru")
    assert (lead.first_name, lead.last_name, lead.source) == ("Пётр", "Смирнов", Source.EMAIL)
    assert "Счёт на плёнку" in lead.message
    assert message.thread.lead == lead
    # The next message from them is matched to the new lead, not a second one.
    again = eml("windows_1251.eml").replace(b"20261117110000.1251", b"20261118090000.1251")
    assert receive_raw(again, source="test").thread.lead == lead  # type: ignore[union-attr]
    assert Lead.objects.filter(email="petr@zavod.example.ru").count() == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", "auto-reply"),
        ("out_of_office_plain.eml", "auto-reply"),
        ("bounce.eml", "bounce"),
        ("bounce_no_autosubmitted.eml", "bounce"),
    ],
)
def test_loops_and_noise_are_not_turned_into_leads(world, name, reason):
    result = receive(eml(name), source="test")
    assert (result.message, result.ignored) == (None, reason)
    assert not Lead.objects.exists() and not Thread.objects.exists()


def test_our_own_message_echoed_back_is_ignored(world):
    raw = eml("html_only.eml").replace(
        b'"Ana Marin" <ana.marin@shop.example.ro>', b"Clientela <crm@example.com>"
    )
    result = receive(raw, source="test")
    assert result.ignored == "own message" and not Lead.objects.exists()


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"this is not an e-mail at all", b"\x00\xff\xfe garbage"])
def test_malformed_input_raises_a_clear_error(world, raw):
    with pytest.raises(MalformedMessage):
        receive_raw(raw, source="test")


def test_client_message_logs_activity_and_starts_one_clock(people, world):
    from clientela.activities.models import Activity
    from clientela.comms.models import ResponseClock

    first = receive_raw(eml("multipart_alternative.eml"), source="test")
    receive_raw(eml("reply_in_reply_to.eml"), source="test")
    assert first is not None
    activities = Activity.objects.filter(kind="email", direction="in", contact=people.ion)
    assert activities.count() == 2
    assert activities.first().owner == world.manager_north  # type: ignore[union-attr]
    clocks = ResponseClock.objects.filter(ref=f"mail.thread:{first.thread_id}", stopped_at__isnull=True)
    assert clocks.count() == 1
    assert clocks.get().client == people.acme


def test_a_contact_writing_from_another_of_their_addresses_is_recognised(people, world):
    from clientela.clients.models import Contact

    Contact.objects.filter(pk=people.ion.pk).update(
        email="ion@old-domain.example", other_emails=["ion.popescu@acme.ro"]
    )
    message = receive_raw(eml("multipart_alternative.eml"), source="test")
    assert message is not None
    assert (message.thread.contact_id, message.thread.client_id) == (people.ion.pk, people.acme.pk)
    assert not Lead.objects.filter(email="ion.popescu@acme.ro").exists()


def test_a_sender_name_longer_than_a_lead_name_still_becomes_a_lead(world):
    raw = eml("windows_1251.eml").replace(b"From: ", b"From: " + b"X" * 150 + b" " + b"Y" * 300 + b" ", 1)
    message = receive_raw(raw, source="test")
    assert message is not None and message.thread.lead is not None
    lead = message.thread.lead
    assert lead.email == "petr@zavod.example.ru"
    assert len(lead.first_name) <= 100 and len(lead.last_name) <= 100
