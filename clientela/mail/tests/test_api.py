"""The mail API: inbound door auth and answers, scoped threads/messages, send with field errors."""

from __future__ import annotations

import pytest

from clientela.mail.models import Message, SendStatus, Thread
from clientela.mail.tests.conftest import eml

pytestmark = pytest.mark.django_db

INBOUND = "/api/v1/inbound/email"


def post_raw(client, raw: bytes, **headers):
    return client.post(INBOUND, data=raw, content_type="message/rfc822", headers=headers)


def test_inbound_requires_the_secret(client, people, settings):
    raw = eml("multipart_alternative.eml")
    assert post_raw(client, raw).status_code == 401
    assert post_raw(client, raw, **{"X-Clientela-Inbound-Secret": "wrong"}).status_code == 403
    assert post_raw(client, raw, Authorization="Bearer wrong").status_code == 403
    settings.INBOUND_EMAIL_SECRET = ""
    response = post_raw(client, raw, **{"X-Clientela-Inbound-Secret": "s3cret-inbound"})
    assert response.status_code == 503
    assert not Message.objects.exists()


def test_inbound_stores_then_ignores_the_duplicate(client, people):
    raw = eml("multipart_alternative.eml")
    response = post_raw(client, raw, **{"X-Clientela-Inbound-Secret": "s3cret-inbound"})
    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get()
    assert body == {"message_id": message.pk, "thread_id": message.thread_id}
    again = post_raw(client, raw, Authorization="Bearer s3cret-inbound")
    assert (again.status_code, again.json()) == (200, {"ignored": "duplicate"})


def test_inbound_text_plain_body_and_loops(client, world):
    response = client.post(
        INBOUND,
        data=eml("bounce.eml"),
        content_type="text/plain",
        headers={"X-Clientela-Inbound-Secret": "s3cret-inbound"},
    )
    assert (response.status_code, response.json()) == (200, {"ignored": "bounce"})


def test_inbound_malformed_is_422_not_500(client, world):
    response = post_raw(
        client, b"hello there, no headers", **{"X-Clientela-Inbound-Secret": "s3cret-inbound"}
    )
    assert response.status_code == 422
    assert "body" in response.json()["errors"]


def test_threads_are_scoped_and_listed_without_n_plus_one(
    client, people, world, api_token, django_assert_max_num_queries
):
    from clientela.mail.inbound import receive_raw

    for name in (
        "multipart_alternative.eml",
        "forwarded.eml",
        "html_only.eml",
        "iso_8859_2.eml",
        "attachments.eml",
    ):
        receive_raw(eml(name), source="test")
    north = api_token(world.manager_north)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/threads", headers=north)
    assert response.status_code == 200
    subjects = {item["subject"] for item in response.json()["items"]}
    assert "Árajánlatkérés" not in subjects and "Catalogue" in subjects
    south = api_token(world.manager_south)
    assert {i["subject"] for i in client.get("/api/v1/threads", headers=south).json()["items"]} == {
        "Árajánlatkérés"
    }
    theirs = Thread.objects.get(subject="Árajánlatkérés")
    assert client.get(f"/api/v1/threads/{theirs.pk}", headers=north).status_code == 404
    mine = Thread.objects.get(subject="Drawings attached")
    card = client.get(f"/api/v1/threads/{mine.pk}", headers=north).json()
    (message,) = card["messages"]
    pdf = next(a for a in message["attachments"] if a["filename"] == "offer.pdf")
    assert client.get(pdf["url"], headers=north).status_code == 200
    assert client.get(pdf["url"], headers=south).status_code == 404
    with django_assert_max_num_queries(8):
        listed = client.get("/api/v1/messages", headers=north)
    assert listed.json()["count"] == 4
    filtered = client.get(f"/api/v1/threads?client={people.acme.pk}", headers=north).json()
    assert {i["subject"] for i in filtered["items"]} == {
        "Request for quotation: 40 pallets",
        "Fwd: Fw: order for December",
        "Drawings attached",
    }


def test_send_via_api_with_field_errors_and_resend(client, people, world, api_token):
    headers = api_token(world.manager_north)
    bad = client.post(
        "/api/v1/messages",
        content_type="application/json",
        data={"to": ["nope"], "subject": "Hi", "body_text": "x"},
        headers=headers,
    )
    assert bad.status_code == 422 and "to" in bad.json()["errors"]
    ok = client.post(
        "/api/v1/messages",
        content_type="application/json",
        data={"to": "ion.popescu@acme.ro", "subject": "Hi", "body_text": "x", "contact_id": people.ion.pk},
        headers=headers,
    )
    assert ok.status_code == 201
    body = ok.json()
    assert body["status"] == "queued"
    message = Message.objects.get(pk=body["id"])
    assert message.thread.contact == people.ion
    conflict = client.post(f"/api/v1/messages/{message.pk}/resend", headers=headers)
    assert conflict.status_code == 409
    Message.objects.filter(pk=message.pk).update(status=SendStatus.FAILED, last_error="550 no")
    again = client.post(f"/api/v1/messages/{message.pk}/resend", headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "queued"
    other = client.post(
        "/api/v1/messages",
        content_type="application/json",
        data={"to": "x@example.com", "subject": "Hi", "body_text": "x", "client_id": people.kovacs.pk},
        headers=headers,
    )
    assert other.status_code == 404
    south = api_token(world.manager_south)
    assert client.post(f"/api/v1/messages/{message.pk}/resend", headers=south).status_code == 404


def test_send_with_attachments_multipart(client, people, world, api_token):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/messages/multipart",
        data={
            "to": "ion.popescu@acme.ro",
            "subject": "Files",
            "body_text": "see attached",
            "files": [SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")],
        },
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 201, response.content
    assert [a["filename"] for a in response.json()["attachments"]] == ["a.txt"]
