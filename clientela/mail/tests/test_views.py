"""Mail pages: inbox, thread, compose prefill, resend, downloads, signature, the card panel."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from clientela.conftest import login
from clientela.mail.inbound import receive_raw
from clientela.mail.models import Message, SendStatus, Signature, Thread
from clientela.mail.tests.conftest import eml

pytestmark = pytest.mark.django_db


def test_inbox_lists_my_threads_unanswered_first(client, people, world, django_assert_max_num_queries):
    for name in ("multipart_alternative.eml", "forwarded.eml", "html_only.eml", "attachments.eml"):
        receive_raw(eml(name), source="test")
    Thread.objects.filter(subject="Catalogue").update(last_word="us")
    login(client, world.manager_north)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("mail:inbox"))
    assert response.status_code == 200
    threads = list(response.context["threads"])
    assert threads[-1].subject == "Catalogue"
    assert all(t.last_word == "them" for t in threads[:-1])
    login(client, world.manager_south)
    assert list(client.get(reverse("mail:inbox") + "?all=1").context["threads"]) == []


def test_thread_page_shows_conversation_and_failed_send_with_resend(client, people, world):
    message = receive_raw(eml("attachments.eml"), source="test")
    assert message is not None
    thread = message.thread
    failed = Message.objects.create(
        thread=thread,
        direction="out",
        message_id="<x@crm>",
        from_address="crm@example.com",
        to=["ion.popescu@acme.ro"],
        subject="Re: Drawings attached",
        body_text="ok",
        status=SendStatus.FAILED,
        attempts=3,
        last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
        author=world.manager_north,
    )
    login(client, world.manager_north)
    page = client.get(reverse("mail:thread", args=[thread.pk]))
    html = page.content.decode()
    assert "550 mailbox unavailable" in html
    assert reverse("mail:resend", args=[failed.pk]) in html
    assert "offer.pdf" in html and "Larger than the" in html
    assert page.context["form"].initial["subject"] == "Re: Drawings attached"
    assert page.context["form"].initial["to"] == "ion.popescu@acme.ro"
    response = client.post(reverse("mail:resend", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == SendStatus.QUEUED
    login(client, world.manager_south)
    assert client.get(reverse("mail:thread", args=[thread.pk])).status_code == 404
    pdf = message.attachments.get(filename="offer.pdf")
    assert client.get(reverse("mail:attachment", args=[pdf.pk])).status_code == 404
    login(client, world.manager_north)
    download = client.get(reverse("mail:attachment", args=[pdf.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_compose_prefills_from_get_params_and_sends(client, people, world):
    login(client, world.manager_north)
    url = reverse("mail:compose") + f"?contact={people.ion.pk}&subject=Hello&body=Dear%20Ion"
    page = client.get(url)
    initial = page.context["form"].initial
    assert (initial["to"], initial["subject"], initial["body_text"], initial["contact"]) == (
        "ion.popescu@acme.ro",
        "Hello",
        "Dear Ion",
        people.ion.pk,
    )
    bad = client.post(reverse("mail:compose"), {"to": "nope", "subject": "Hello", "body_text": "x"})
    assert bad.status_code == 200 and bad.context["form"].errors["to"]
    sent = client.post(
        reverse("mail:compose"),
        {"to": "ion.popescu@acme.ro", "subject": "Hello", "body_text": "Dear Ion", "contact": people.ion.pk},
    )
    message = Message.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("mail:thread", args=[message.thread_id])
    assert message.thread.contact == people.ion and message.status == SendStatus.QUEUED
    # Someone else's record cannot be used to prefill or send.
    assert client.get(reverse("mail:compose") + f"?client={people.kovacs.pk}").status_code == 404


def test_signature_page(client, world):
    login(client, world.manager_north)
    assert client.get(reverse("mail:signature")).status_code == 200
    response = client.post(
        reverse("mail:signature"),
        {"name": "Mara Pop", "company": "Folia", "website": "folia.example.ro", "phones": "+40 1"},
    )
    assert response.status_code == 302
    signature = Signature.objects.get(user=world.manager_north)
    assert signature.website == "https://folia.example.ro"
    bad = client.post(reverse("mail:signature"), {"name": "x", "website": "not a url at all"})
    assert bad.status_code == 200 and bad.context["form"].errors["website"]


def test_panel_tag_shows_only_visible_threads(people, world, django_assert_num_queries):
    receive_raw(eml("multipart_alternative.eml"), source="test")
    receive_raw(eml("forwarded.eml"), source="test")
    request = RequestFactory().get("/")
    template = Template("{% load mail_tags %}{% mail_threads record %}")
    request.user = world.manager_north
    with django_assert_num_queries(1):
        html = template.render(Context({"request": request, "record": people.acme}))
    assert "Request for quotation: 40 pallets" in html and f"client={people.acme.pk}" in html
    request.user = world.manager_south
    html = template.render(Context({"request": request, "record": people.acme}))
    assert "Request for quotation" not in html


def test_record_cards_show_the_mail_panel(client, people, world):
    receive_raw(eml("multipart_alternative.eml"), source="test")
    login(client, world.manager_north)
    for url in (
        reverse("clients:detail", args=[people.acme.pk]),
        reverse("clients:contact_detail", args=[people.ion.pk]),
        reverse("leads:detail", args=[people.lead_ana.pk]),
    ):
        html = client.get(url).content.decode()
        assert 'id="mail-threads"' in html, url
    html = client.get(reverse("clients:detail", args=[people.acme.pk])).content.decode()
    assert "Request for quotation: 40 pallets" in html
