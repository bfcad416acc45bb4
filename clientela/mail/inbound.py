"""Receiving e-mail: raw MIME in, a message in the right thread out.

`receive_raw(raw, source=...)` is the one door for every inbound channel (the push endpoint, the
IMAP poller). It is idempotent by Message-ID, never turns automatic mail (auto-replies, bounces,
lists, our own messages echoed back) into leads, links the sender to their lead/contact/client,
sends unknown senders through the intake pipeline, starts the first-response clock, logs the
activity and tells the owner (in the owner's language). A bounce is not stored either, but marks
the message of ours it returns as failed (`mail.bounces`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create
from clientela.core.errors import BusinessError
from clientela.core.notifications import notify
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import Source
from clientela.leads.models import Lead
from clientela.mail import effects
from clientela.mail.links import RecordLinks, match_address, record_url
from clientela.mail.models import Attachment, Direction, LastWord, Message, SendStatus, Thread
from clientela.mail.parsing import MalformedMessage, ParsedMessage, our_addresses, parse, subject_key

log = logging.getLogger(__name__)

# A message with the same (normalised) subject from the same counterpart within this window
# joins the earlier thread when it carries no usable In-Reply-To/References.
SUBJECT_THREAD_WINDOW = dt.timedelta(days=30)

__all__ = ["InboundResult", "MalformedMessage", "receive", "receive_raw"]


@dataclass
class InboundResult:
    message: Message | None
    ignored: str = ""  # "duplicate", "auto-reply", "bounce", "bulk", "own message"
    created_lead: bool = False
    bounced: Message | None = None  # our message a bounce marked failed


def receive_raw(raw: bytes, *, source: str) -> Message | None:
    """Store one raw e-mail. Returns the message, or None when it was ignored (duplicate, loop, noise).

    Raises MalformedMessage when the bytes are not an e-mail.
    """
    return receive(raw, source=source).message


def receive(raw: bytes, *, source: str) -> InboundResult:
    parsed = parse(raw)
    if Message.objects.filter(message_id=parsed.message_id).exists():
        return InboundResult(None, "duplicate")
    if parsed.from_address in our_addresses():
        return InboundResult(None, "own message")
    if parsed.noise:
        log.info("Ignoring %s from %s: %s", parsed.message_id, parsed.from_address, parsed.noise)
        if parsed.noise == "bounce":
            # Not a client message, but it says one of ours did not arrive.
            from clientela.mail.bounces import bounce_apply  # bounces -> services -> this module: a cycle

            return InboundResult(None, parsed.noise, bounced=bounce_apply(raw, source=source))
        return InboundResult(None, parsed.noise)
    try:
        with transaction.atomic():
            return _store(raw, parsed, source=source)
    except IntegrityError:
        # The same message arrived through another door at the same moment and won.
        if Message.objects.filter(message_id=parsed.message_id).exists():
            return InboundResult(None, "duplicate")
        raise


def _find_thread(parsed: ParsedMessage, now: dt.datetime) -> Thread | None:
    ids = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
    if ids:
        known = dict(Message.objects.filter(message_id__in=ids).values_list("message_id", "thread_id"))
        for candidate in ids:
            if candidate in known:
                return Thread.objects.select_for_update().get(pk=known[candidate])
    key = subject_key(parsed.subject)
    if not key or not parsed.from_address:
        return None
    return (
        Thread.objects.select_for_update()
        .filter(
            subject_key=key, counterpart=parsed.from_address, last_message_at__gte=now - SUBJECT_THREAD_WINDOW
        )
        .order_by("-last_message_at", "-id")
        .first()
    )


def _lead_from_sender(parsed: ParsedMessage) -> RecordLinks:
    """An unknown sender becomes a lead (or an interest) through the intake pipeline."""

    name = _clip_name(parsed.from_name or _name_from_address(parsed.from_address))
    message = f"{parsed.subject}\n\n{parsed.body_text}".strip()
    raw = RawLead(name=name, email=parsed.from_address, source=Source.EMAIL, message=message[:5000])
    ctx = IntakeContext(door="email", default_source=Source.EMAIL)
    try:
        result = intake_submit(raw=raw, ctx=ctx)
    except BusinessError as exc:
        log.warning(
            "E-mail from %s not taken in as a lead: %s %s", parsed.from_address, exc.message, exc.errors
        )
        return RecordLinks()
    if result.kind == "lead" and isinstance(result.record, Lead):
        return RecordLinks(lead=result.record)
    return match_address(parsed.from_address)


def _clip_name(name: str, word: int = 100, total: int = 200) -> str:
    """A display name is whatever the sender's program wrote: fit it to the lead's name columns
    (the pipeline refuses longer values, and an e-mail must not be lost over its header)."""
    words = [w[:word] for w in name.split()]
    clipped = ""
    for w in words:
        candidate = f"{clipped} {w}".strip()
        if len(candidate) > total:
            break
        clipped = candidate
    return clipped


def _name_from_address(address: str) -> str:
    local = address.split("@", 1)[0]
    words = [w for w in local.replace(".", " ").replace("_", " ").replace("-", " ").split() if w.isalpha()]
    return " ".join(w.capitalize() for w in words) or local


def _store(raw: bytes, parsed: ParsedMessage, *, source: str) -> InboundResult:
    now = timezone.now()
    thread = _find_thread(parsed, now)
    created_lead = False
    if thread is None:
        links = match_address(parsed.from_address)
        if links.empty:
            links = _lead_from_sender(parsed)
            created_lead = links.lead is not None
        links = links.completed()
        owner, team = links.owner_and_team()
        thread = Thread.objects.create(
            subject=parsed.subject,
            subject_key=subject_key(parsed.subject),
            counterpart=parsed.from_address,
            owner=owner,
            team=team,
            **links.as_kwargs(),
        )
        audit_create(
            actor=None, instance=thread, fields=["subject", "counterpart", "lead", "client", "contact"]
        )
    previous_word = thread.last_word
    message = Message(
        thread=thread,
        direction=Direction.IN,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        to=parsed.to,
        cc=parsed.cc,
        subject=parsed.subject,
        body_text=parsed.body_text,
        body_html=parsed.body_html,
        sent_at=parsed.date,
        received_at=now,
        status=SendStatus.RECEIVED,
        source=source[:40],
    )
    message.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    message.save()
    _store_attachments(message, parsed)
    Thread.objects.filter(pk=thread.pk).update(
        last_message_at=now, last_word=LastWord.THEM, message_count=thread.message_count + 1
    )
    thread.last_message_at, thread.last_word = now, LastWord.THEM
    thread.message_count += 1
    url = reverse("mail:thread", args=[thread.pk])
    effects.log_email_activity(by=None, thread=thread, message=message)
    if previous_word != LastWord.THEM and not created_lead and thread.record is not None:
        # A new lead's intake already started its first-response clock; a known client's
        # message starts one now (once per unanswered stretch of the conversation).
        effects.start_clock(thread=thread, at=now, url=url, subject=parsed.subject)
    if thread.owner is not None:
        # Received by a job or the inbound endpoint: written in the owner's language.
        with translation.override(getattr(thread.owner, "language", "") or settings.LANGUAGE_CODE):
            text = _("E-mail from %(who)s: %(subject)s") % {
                "who": parsed.from_name or parsed.from_address,
                "subject": parsed.subject or _("(no subject)"),
            }
        notify(
            user=thread.owner,
            verb="message_received",
            text=text,
            url=url
            or record_url(
                RecordLinks(**{k: getattr(thread, k) for k in ("lead", "client", "contact", "deal")})
            ),
        )
    return InboundResult(message, created_lead=created_lead)


def storage_name(filename: str) -> str:
    """A safe storage path for a file named by a stranger: a fresh folder, a harmless base name."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip(". ")
    try:
        safe = get_valid_filename(base) if base else ""
    except SuspiciousFileOperation:
        safe = ""
    return f"{uuid.uuid4().hex}/{safe[:150] or 'attachment.bin'}"


def _store_attachments(message: Message, parsed: ParsedMessage) -> None:
    cap = settings.MAIL_ATTACHMENT_MAX_BYTES
    for part in parsed.attachments:
        attachment = Attachment(
            message=message,
            filename=part.filename[:255] or "attachment.bin",
            content_type=part.content_type[:120],
            size=len(part.payload),
            content_id=part.content_id,
        )
        if len(part.payload) > cap:
            attachment.refused_reason = _("Larger than the %(limit)s limit for attachments.") % {
                "limit": filesizeformat(cap)
            }
        else:
            attachment.file.save(storage_name(attachment.filename), ContentFile(part.payload), save=False)
        attachment.save()
