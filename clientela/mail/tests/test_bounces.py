"""Bounces mark the message we sent as failed (with the server's reason, Resend on the thread) and
tell its author in their language; delays, strangers' bounces and repeats change nothing."""

from __future__ import annotations

import pytest

from clientela.conftest import login
from clientela.core.models import Notification
from clientela.mail import services
from clientela.mail.bounces import bounce_report
from clientela.mail.inbound import receive
from clientela.mail.models import Message, SendStatus, Thread
from clientela.mail.tests.conftest import eml

pytestmark = pytest.mark.django_db

SENT_ID = "<176370924512.4242.1234567890123456789@crm.example.com>"


def sent_message(world, people, *, message_id: str = SENT_ID) -> Message:
    """An offer the server accepted: it bounces later, asynchronously."""
    message = services.message_send(
        by=world.manager_north,
        to="ion.vechi@acme.ro",
        subject="Our offer for November",
        body_text="Hello, please find our offer below.",
        contact=people.ion,
    )
    Message.objects.filter(pk=message.pk).update(message_id=message_id, status=SendStatus.SENT, attempts=1)
    message.refresh_from_db()
    return message


def with_header(raw: bytes, after: bytes, header: bytes) -> bytes:
    """Add a header line after the line `after`, in the file's own line endings."""
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    assert after + newline in raw
    return raw.replace(after + newline, after + newline + header + newline, 1)


def test_the_report_names_the_returned_message_and_the_reason():
    report = bounce_report(eml("bounce_of_sent.eml"))
    assert report.failed and report.is_dsn
    assert report.original_ids[0] == SENT_ID
    assert report.reason().startswith("ion.vechi@acme.ro: 5.1.1 550 5.1.1")
    assert "User unknown in virtual mailbox table" in report.reason()


def test_a_bounce_marks_our_message_failed_and_tells_the_author(world, people):
    message = sent_message(world, people)
    result = receive(eml("bounce_of_sent.eml"), source="imap")

    assert (result.message, result.ignored) == (None, "bounce"), "never stored as a client message"
    assert result.bounced == message
    message.refresh_from_db()
    assert message.status == SendStatus.FAILED
    assert "User unknown" in message.last_error and "ion.vechi@acme.ro" in message.last_error
    note = Notification.objects.get(user=world.manager_north, verb="message_failed")
    assert "Our offer for November" in note.text and "5.1.1" in note.text
    assert note.url == f"/mail/threads/{message.thread_id}/"
    assert Thread.objects.count() == 1, "the bounce opened no thread"

    # The thread shows the failure with Resend, as for an SMTP failure.
    page = login(people_client(), world.manager_north).get(note.url).content.decode()
    assert "This e-mail could not be sent." in page and "User unknown" in page
    assert f"/mail/messages/{message.pk}/resend/" in page


def people_client():
    from django.test import Client

    return Client()


def test_the_same_bounce_twice_notifies_once(world, people):
    sent_message(world, people)
    receive(eml("bounce_of_sent.eml"), source="imap")
    again = receive(eml("bounce_of_sent.eml"), source="inbound")
    assert again.ignored == "bounce" and again.bounced is None
    assert Notification.objects.filter(verb="message_failed").count() == 1


def test_found_by_in_reply_to_when_no_copy_is_returned(world, people):
    message = sent_message(world, people, message_id="<offer-2@crm.example.com>")
    raw = with_header(
        eml("bounce.eml"), b"Message-ID: <bounce-1@mx.example.com>", b"In-Reply-To: <offer-2@crm.example.com>"
    )
    assert receive(raw, source="imap").bounced == message
    message.refresh_from_db()
    assert message.status == SendStatus.FAILED and message.last_error == "gone@acme.ro: 5.1.1"


def test_found_by_the_returned_headers_part(world, people):
    message = sent_message(world, people, message_id="<offer-3@crm.example.com>")
    raw = with_header(eml("bounce.eml"), b"Subject: Our offer", b"Message-ID: <offer-3@crm.example.com>")
    assert receive(raw, source="imap").bounced == message


def test_a_delay_notice_is_not_a_failure(world, people):
    message = sent_message(world, people)
    result = receive(eml("delayed_dsn.eml"), source="imap")
    assert result.ignored == "bounce" and result.bounced is None
    message.refresh_from_db()
    assert message.status == SendStatus.SENT
    assert not Notification.objects.filter(verb="message_failed").exists()


def test_a_bounce_about_a_message_we_did_not_send_changes_nothing(world, people):
    message = sent_message(world, people, message_id="<something-else@crm.example.com>")
    assert receive(eml("bounce_of_sent.eml"), source="imap").bounced is None
    message.refresh_from_db()
    assert message.status == SendStatus.SENT


def test_the_authors_notice_is_in_the_authors_language(world, people):
    world.manager_north.language = "ro"
    world.manager_north.save(update_fields=["language"])
    sent_message(world, people)
    receive(eml("bounce_of_sent.eml"), source="imap")
    note = Notification.objects.get(user=world.manager_north, verb="message_failed")
    assert note.text.startswith("E-mailul dvs. „Our offer for November” nu a putut fi trimis")


def test_a_client_message_notice_is_in_the_owners_language(world, people):
    world.manager_north.language = "ro"
    world.manager_north.save(update_fields=["language"])
    receive(eml("multipart_alternative.eml"), source="imap")
    note = Notification.objects.get(user=world.manager_north, verb="message_received")
    assert note.text.startswith("E-mail de la "), note.text


def test_a_bounce_of_a_message_nobody_wrote_by_hand_tells_the_threads_owner(world, people):
    message = sent_message(world, people)
    Message.objects.filter(pk=message.pk).update(author=None)
    Thread.objects.filter(pk=message.thread_id).update(owner=world.manager_north2)
    receive(eml("bounce_of_sent.eml"), source="imap")
    assert Notification.objects.filter(user=world.manager_north2, verb="message_failed").exists()
