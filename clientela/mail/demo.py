"""Demo e-mail: clients writing in (threads on their cards, clocks running), our replies, and a
stranger whose message became a lead — all through the real inbound and sending services.

Runs after the clients loader; uses contacts with an e-mail address from the database.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.utils import timezone

from clientela.clients.models import Contact
from clientela.mail.inbound import receive_raw
from clientela.mail.services import message_deliver, message_send

QUESTIONS = [
    (
        "Quote for 20 units",
        "Hello,\n\nCould you send us a quote for 20 units, delivered to Cluj by the end of the month?"
        "\n\nThank you",
    ),
    (
        "Invoice question",
        "Good morning,\n\nOur accounting asks whether the last invoice can be split in two payments."
        "\n\nRegards",
    ),
    (
        "Delivery date",
        "Hi,\n\nIs the delivery date of our order still confirmed for next week?\n\nBest regards",
    ),
]
STRANGER = (
    "Elena Vasilescu",
    "elena.vasilescu@nordica.example",
    "Price list request",
    "Hello,\n\nWe are a retailer in Iasi and would like your price list for 2027."
    "\n\nElena Vasilescu\nNordica SRL",
)


def _raw(name: str, address: str, subject: str, body: str, at: dt.datetime, reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{address}>"
    message["To"] = "sales@clientela.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1])
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(body)
    return message.as_bytes()


def load(context: dict[str, Any]) -> None:
    now = timezone.now()
    contacts = list(
        Contact.objects.exclude(email="")
        .filter(client__owner__isnull=False, is_archived=False)
        .select_related("client__owner")
        .order_by("pk")[: len(QUESTIONS)]
    )
    threads = 0
    for index, (contact, (subject, body)) in enumerate(zip(contacts, QUESTIONS, strict=False)):
        at = now - dt.timedelta(hours=3 + 20 * index)
        name = f"{contact.first_name} {contact.last_name}".strip()
        received = receive_raw(_raw(name, contact.email, subject, body, at), source="demo")
        if received is None:
            continue
        threads += 1
        if index == 0:
            continue  # the newest one waits for our answer: its clock runs on the work list
        reply = message_send(
            by=contact.client.owner,
            to=contact.email,
            subject=f"Re: {subject}",
            body_text="Thank you for your message — the answer is attached to your order; "
            "I will call you tomorrow to confirm.",
            thread=received.thread,
            in_reply_to=received,
        )
        message_deliver(message_id=reply.pk)
    name, address, subject, body = STRANGER
    if receive_raw(_raw(name, address, subject, body, now - dt.timedelta(minutes=40)), source="demo"):
        threads += 1
    context["mail_threads"] = threads
