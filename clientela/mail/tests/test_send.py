"""Sending through a real SMTP server on loopback: content, retries, failure, no double send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.models import Notification
from clientela.mail import services
from clientela.mail.inbound import receive_raw
from clientela.mail.models import LastWord, Message, SendStatus, Thread
from clientela.mail.tests.conftest import eml
from clientela.mail.tests.smtp import RecordingHandler, free_port

pytestmark = pytest.mark.django_db(transaction=True)


def run_email_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


@pytest.fixture
def smtp(settings) -> Iterator[RecordingHandler]:
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.TASK_RETRY_BASE_SECONDS = 0
    settings.TASK_RETRIES = 3
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 1
    settings.TASK_RETRY_BASE_SECONDS = 0
    settings.TASK_RETRIES = 3


def _signature(user) -> None:
    services.signature_update(
        by=user,
        data={
            "name": "Mara Pop",
            "position": "Key account manager",
            "company": "Folia SRL",
            "website": "https://folia.example.ro",
            "phones": "+40 721 000 111, +40 21 000 2222",
        },
    )


def test_message_arrives_with_signature_headers_and_attachments(smtp, people, world):
    _signature(world.manager_north)
    pdf = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", content_type="application/pdf")
    message = services.message_send(
        by=world.manager_north,
        to="Ion Popescu <ion.popescu@acme.ro>",
        cc=["maria.ionescu@acme.ro"],
        subject="Our offer for 40 pallets",
        body_text="Dear Ion,\nplease find our offer attached.",
        contact=people.ion,
        attachments=[pdf],
    )
    assert message.status == SendStatus.QUEUED
    run_email_worker()
    message.refresh_from_db()
    assert message.status == SendStatus.SENT and message.sent_at and message.attempts == 1
    (got,) = smtp.received
    assert sorted(got.recipients) == ["ion.popescu@acme.ro", "maria.ionescu@acme.ro"]
    mime = got.message
    assert mime["Message-ID"] == message.message_id
    assert mime["Subject"] == "Our offer for 40 pallets"
    assert "Mara" in mime["From"] and "crm@example.com" in mime["From"]
    text = mime.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mime.get_body(("html",)).get_content()
    assert "please find our offer attached." in text
    assert "-- \nMara Pop\nKey account manager\nFolia SRL\n+40 721 000 111\n+40 21 000 2222" in text
    assert '<a href="https://folia.example.ro">' in html and "Key account manager" in html
    (attachment,) = list(mime.iter_attachments())
    assert attachment.get_filename() == "offer.pdf" and attachment.get_content() == b"%PDF-1.4 offer"
    assert message.raw and b"Our offer for 40 pallets" in message.raw.read()
    thread = message.thread
    assert (thread.contact, thread.client, thread.owner, thread.last_word) == (
        people.ion,
        people.acme,
        world.manager_north,
        LastWord.US,
    )
    # Running the worker again sends nothing more.
    run_email_worker()
    assert len(smtp.received) == 1


def test_reply_keeps_subject_threading_headers_and_all_recipients(smtp, people, world):
    first = receive_raw(eml("multipart_alternative.eml"), source="test")
    assert first is not None
    to, cc = services.reply_recipients(thread=first.thread, by=world.manager_north)
    assert (to, cc) == (["ion.popescu@acme.ro"], ["maria.ionescu@acme.ro"]), "reply-all minus our own address"
    reply = services.message_send(
        by=world.manager_north,
        to=to,
        cc=cc,
        subject="Re: Request for quotation: 40 pallets",
        body_text="We are on it.",
        thread=first.thread,
    )
    run_email_worker()
    assert reply.thread_id == first.thread_id
    mime = smtp.received[0].message
    assert mime["In-Reply-To"] == "<CAF1quote.40@mail.acme.ro>"
    assert mime["References"] == "<CAF1quote.40@mail.acme.ro>"
    thread = Thread.objects.get(pk=first.thread_id)
    assert thread.last_word == LastWord.US and thread.message_count == 2
    from clientela.activities.models import Activity
    from clientela.comms.models import ResponseClock

    clock = ResponseClock.objects.get(ref=f"mail.thread:{thread.pk}")
    assert clock.stopped_at is not None and clock.stop_reason == "responded"
    assert Activity.objects.filter(kind="email", direction="out", contact=people.ion).count() == 1
    # Their answer to our reply lands in the same thread.
    answer = eml("reply_in_reply_to.eml").replace(b"<CAF1quote.40@mail.acme.ro>", reply.message_id.encode())
    answer = answer.replace(b"Subject: RE: Request", b"Subject: Re: Re: Request")
    assert receive_raw(answer, source="test").thread_id == thread.pk  # type: ignore[union-attr]


def test_new_subject_starts_a_new_thread_on_the_same_record(smtp, people, world):
    first = receive_raw(eml("multipart_alternative.eml"), source="test")
    assert first is not None
    other = services.message_send(
        by=world.manager_north,
        to="ion.popescu@acme.ro",
        subject="Invitation to our open day",
        body_text="Come and see us.",
        thread=first.thread,
    )
    assert other.thread_id != first.thread_id
    assert other.thread.contact == people.ion and other.in_reply_to == ""


def test_smtp_down_retries_then_fails_visibly_and_can_be_resent(smtp_down, settings, people, world):
    message = services.message_send(
        by=world.manager_north,
        to="ion.popescu@acme.ro",
        subject="Offer",
        body_text="Hello",
        contact=people.ion,
    )
    run_email_worker()
    message.refresh_from_db()
    assert message.status == SendStatus.FAILED
    assert message.attempts == 3
    assert "Connection refused" in message.last_error or "Error" in message.last_error
    note = Notification.objects.get(user=world.manager_north, verb="message_failed")
    assert "Offer" in note.text
    # The server comes back: re-sending delivers it exactly once.
    from aiosmtpd.controller import Controller

    from clientela.mail.tests.smtp import RecordingHandler

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        services.message_resend(by=world.manager_north, message=message)
        run_email_worker()
        run_email_worker()
    finally:
        controller.stop()
    message.refresh_from_db()
    assert message.status == SendStatus.SENT and message.last_error == ""
    assert len(handler.received) == 1


def test_a_retried_job_never_sends_twice(smtp, people, world):
    message = services.message_send(
        by=world.manager_north, to="ion.popescu@acme.ro", subject="Hi", body_text="x"
    )
    run_email_worker()
    assert services.message_deliver(message_id=message.pk) is False
    from clientela.mail.tasks import send_message

    send_message.enqueue(message_id=message.pk)
    run_email_worker()
    assert len(smtp.received) == 1
    # Another worker is mid-send: a second delivery does not go out either.
    Message.objects.filter(pk=message.pk).update(status=SendStatus.SENDING)
    assert services.message_deliver(message_id=message.pk) is False
    assert len(smtp.received) == 1


def test_bad_addresses_and_empty_fields_are_field_errors(people, world):
    with pytest.raises(BusinessError) as caught:
        services.message_send(
            by=world.manager_north,
            to="not-an-address, ok@example.com",
            cc="also bad",
            subject=" ",
            body_text="",
        )
    errors = caught.value.errors
    assert set(errors) == {"to", "cc", "subject", "body_text"}
    assert "not-an-address" in errors["to"][0]
    assert not Message.objects.exists()


def test_attachment_over_the_cap_is_refused(people, world):
    big = SimpleUploadedFile("big.bin", b"x" * 4096)
    with pytest.raises(BusinessError) as caught:
        services.message_send(
            by=world.manager_north, to="a@example.com", subject="s", body_text="b", attachments=[big]
        )
    assert "big.bin" in caught.value.errors["attachments"][0]


def test_other_teams_threads_and_records_are_off_limits(people, world):
    theirs = receive_raw(eml("iso_8859_2.eml"), source="test")  # Kovács: South team
    assert theirs is not None and theirs.thread.team == world.south
    with pytest.raises(PermissionDeniedError):
        services.message_send(
            by=world.manager_north, to="x@example.com", subject="s", body_text="b", thread=theirs.thread
        )
    with pytest.raises(PermissionDeniedError):
        services.message_send(
            by=world.manager_north, to="x@example.com", subject="s", body_text="b", client=people.kovacs
        )
    with pytest.raises(PermissionDeniedError):
        services.message_send(by=world.marketer_north, to="x@example.com", subject="s", body_text="b")


def test_a_send_abandoned_by_a_killed_worker_is_taken_over_later(smtp, people, world):
    import datetime as dt

    from django.utils import timezone

    message = services.message_send(
        by=world.manager_north, to="ion.popescu@acme.ro", subject="Hi", body_text="x"
    )
    # A worker claimed it and died before talking to the server.
    Message.objects.filter(pk=message.pk).update(
        status=SendStatus.SENDING, sending_since=timezone.now() - dt.timedelta(hours=1), attempts=1
    )
    assert services.message_deliver(message_id=message.pk) is True
    message.refresh_from_db()
    assert message.status == SendStatus.SENT and len(smtp.received) == 1
