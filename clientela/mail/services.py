"""Sending e-mail, resending a failed one, and the user's signature.

`message_send` stores the message as *queued* in its thread and enqueues a durable job on the
"email" queue; `message_deliver` (the job's body) claims the message in the database before
talking to the SMTP server, so a retried or re-delivered job never sends a message twice once
the server accepted it. After the last failed attempt the message is *failed*, shows the SMTP
error in the thread, the author is notified, and it can be re-sent. A bounce that arrives later
puts the message in the same failed state (`mail.bounces`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from clientela.clients.models import Client, Contact
from clientela.comms.clocks import MAIL_THREAD_REF
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.normalise import normalise_email
from clientela.core.notifications import notify
from clientela.core.permissions import user_can
from clientela.core.tasks import enqueue_on_commit
from clientela.deals.models import Deal
from clientela.leads.models import Lead
from clientela.mail import effects
from clientela.mail.inbound import storage_name
from clientela.mail.links import RecordLinks, match_address
from clientela.mail.models import Attachment, Direction, LastWord, Message, SendStatus, Signature, Thread
from clientela.mail.parsing import html_to_text, our_addresses, sanitise_html, subject_key
from clientela.mail.tasks import send_message
from clientela.users.models import User

log = logging.getLogger(__name__)

# A worker that claimed a message and then vanished (killed mid-send) leaves it "sending";
# after this long another attempt may take it over.
STALE_SENDING = dt.timedelta(minutes=15)


# --- addresses -----------------------------------------------------------------------------------


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def clean_addresses(value: str | Iterable[str] | None, field: str, errors: dict[str, list[str]]) -> list[str]:
    """Normalised, de-duplicated addresses; bad ones reported under `field`."""
    found: list[str] = []
    for item in _as_list(value):
        address = parseaddr(item)[1] or item
        normal, error = normalise_email(address)
        if error or not normal:
            errors.setdefault(field, []).append(
                error or _("Not a valid e-mail address: %(value)s") % {"value": item}
            )
        elif normal not in found:
            found.append(normal)
    return found


def from_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "crm@localhost"


def reply_recipients(*, thread: Thread, by: User) -> tuple[list[str], list[str]]:
    """Reply-all: the last message's sender (or recipients, if it was ours) plus everyone copied,
    minus our own addresses."""
    last = thread.messages.order_by("-created_at", "-id").first()
    ours = our_addresses() | ({by.email.lower()} if getattr(by, "email", "") else set())
    if last is None:
        return ([thread.counterpart] if thread.counterpart else []), []
    if last.direction == Direction.IN:
        to = [last.from_address]
        cc = [*last.to, *last.cc]
    else:
        to, cc = list(last.to), list(last.cc)
    to = [a for a in dict.fromkeys(to) if a and a not in ours]
    cc = [a for a in dict.fromkeys(cc) if a and a not in ours and a not in to]
    return to, cc


# --- signature -----------------------------------------------------------------------------------


def signature_for(user: Any) -> Signature | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return Signature.objects.filter(user=user).first()


def signature_text(signature: Signature | None) -> str:
    if signature is None or signature.is_empty:
        return ""
    return "-- \n" + "\n".join(signature.lines())


def signature_html(signature: Signature | None) -> str:
    if signature is None or signature.is_empty:
        return ""
    lines: list[str] = [
        escape(line) for line in (signature.name, signature.position, signature.company) if line
    ]
    lines += [escape(p.strip()) for p in signature.phones.split(",") if p.strip()]
    if signature.website:
        url = escape(signature.website)
        lines.append(f'<a href="{url}">{url}</a>')
    return '<div class="signature" style="color:#555">-- <br>' + "<br>".join(lines) + "</div>"


SIGNATURE_FIELDS = ("name", "position", "company", "website", "phones")


def signature_update(*, by: User, data: dict[str, Any]) -> Signature:
    """Create or change the signature of `by` (everyone edits only their own)."""
    if not getattr(by, "is_authenticated", False):
        raise PermissionDeniedError(_("You do not have permission to do this."))
    with transaction.atomic():
        signature, created = Signature.objects.get_or_create(user=by)
        values = {name: str(data.get(name, "") or "").strip() for name in SIGNATURE_FIELDS}
        if created:
            for name, value in values.items():
                setattr(signature, name, value)
            signature.full_clean()
            signature.save()
            audit_create(actor=by, instance=signature, fields=list(SIGNATURE_FIELDS))
        else:
            model_update(instance=signature, data=values, actor=by)
    return signature


# --- sending -------------------------------------------------------------------------------------


def _visible(model: Any, record: Any, by: User) -> bool:
    return record is None or model.objects.visible_to(by).filter(pk=record.pk).exists()


def _check_records(by: User, links: RecordLinks) -> None:

    for model, record in (
        (Lead, links.lead),
        (Client, links.client),
        (Contact, links.contact),
        (Deal, links.deal),
    ):
        if not _visible(model, record, by):
            raise PermissionDeniedError(_("You do not have permission to do this."))


def _attachment_parts(
    attachments: Iterable[Any], errors: dict[str, list[str]]
) -> list[tuple[str, bytes, str]]:
    cap = settings.MAIL_ATTACHMENT_MAX_BYTES
    parts: list[tuple[str, bytes, str]] = []
    for item in attachments:
        if isinstance(item, UploadedFile | ContentFile) or hasattr(item, "read"):
            name = getattr(item, "name", "") or "attachment.bin"
            content = item.read()
            ctype = getattr(item, "content_type", "") or "application/octet-stream"
        else:
            name, content, ctype = item
            ctype = ctype or "application/octet-stream"
        if isinstance(content, str):
            content = content.encode()
        name = str(name).replace("\\", "/").rsplit("/", 1)[-1][:255]
        if len(content) > cap:
            errors.setdefault("attachments", []).append(
                _("%(name)s is larger than the %(limit)s limit.")
                % {"name": name, "limit": filesizeformat(cap)}
            )
            continue
        parts.append((name, content, ctype))
    return parts


def _thread_for_send(
    *,
    by: User,
    thread: Thread | None,
    parent: Message | None,
    subject: str,
    links: RecordLinks,
    to: list[str],
) -> Thread:
    key = subject_key(subject)
    if thread is not None and thread.subject_key == key:
        return Thread.objects.select_for_update().get(pk=thread.pk)
    if thread is not None:
        # A new subject starts a new thread about the same record.
        links = RecordLinks(lead=thread.lead, client=thread.client, contact=thread.contact, deal=thread.deal)
    if links.empty and to:
        links = match_address(to[0])
    links = links.completed()
    owner, team = links.owner_and_team()
    if owner is None and team is None:
        owner, team = by, getattr(by, "team", None)
    new = Thread.objects.create(
        subject=subject,
        subject_key=key,
        counterpart=to[0] if to else "",
        owner=owner,
        team=team,
        **links.as_kwargs(),
    )
    audit_create(
        actor=by, instance=new, fields=["subject", "counterpart", "lead", "client", "contact", "deal"]
    )
    return new


# `Message.source` of an acknowledgement letter: it must not stop the promise clock it announces.
SOURCE_ACKNOWLEDGEMENT = "acknowledgement"


def message_send(
    *,
    by: User | None,
    to: str | Sequence[str],
    cc: str | Sequence[str] = (),
    subject: str,
    body_text: str,
    body_html: str = "",
    thread: Thread | None = None,
    in_reply_to: Message | str | None = None,
    lead: Any = None,
    client: Any = None,
    contact: Any = None,
    deal: Any = None,
    attachments: Iterable[Any] = (),
    acknowledgement: bool = False,
) -> Message:
    """Queue an e-mail from `by` (signature appended); a durable job sends it over SMTP.

    An answer stops the response clocks it answers. An `acknowledgement` ("received, a full
    answer by …") does not: the acknowledgement service has already traded the first-response
    clock for a promise clock, which keeps running until the promised answer goes out.

    Raises BusinessError with field errors for bad addresses, an empty subject or body, or an
    attachment over the cap; PermissionDeniedError for a thread or record `by` may not see.
    """
    if by is None or not user_can(by, "work_records"):
        raise PermissionDeniedError(_("You do not have permission to do this."))
    errors: dict[str, list[str]] = {}
    to_list = clean_addresses(to, "to", errors)
    cc_list = [a for a in clean_addresses(cc, "cc", errors) if a not in to_list]
    if not to_list and "to" not in errors:
        errors["to"] = [_("Add at least one recipient.")]
    subject = " ".join((subject or "").split())[:300]
    if not subject:
        errors["subject"] = [_("Write a subject.")]
    if not (body_text or "").strip() and not (body_html or "").strip():
        errors["body_text"] = [_("Write a message.")]
    parts = _attachment_parts(attachments, errors)
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors)

    parent: Message | None = None
    if isinstance(in_reply_to, Message):
        parent = in_reply_to
    elif in_reply_to:
        parent = Message.objects.filter(message_id=in_reply_to).select_related("thread").first()
    if parent is not None and thread is None:
        thread = parent.thread
    if thread is not None and not Thread.objects.visible_to(by).filter(pk=thread.pk).exists():
        raise PermissionDeniedError(_("You do not have permission to do this."))
    links = RecordLinks(lead=lead, client=client, contact=contact, deal=deal)
    _check_records(by, links)

    signature = signature_for(by)
    text = (body_text or "").rstrip() or html_to_text(body_html)
    sig_text = signature_text(signature)
    if sig_text:
        text = f"{text}\n\n{sig_text}"
    html = (
        sanitise_html(body_html)
        if body_html.strip()
        else str(linebreaksbr((body_text or "").rstrip(), autoescape=True))
    )
    sig_html = signature_html(signature)
    if sig_html:
        html = f"{html}<br><br>{sig_html}"

    with transaction.atomic():
        thread = _thread_for_send(
            by=by, thread=thread, parent=parent, subject=subject, links=links, to=to_list
        )
        if parent is None or parent.thread_id != thread.pk:
            parent = thread.messages.order_by("-created_at", "-id").first()
        references = [*parent.references, parent.message_id][-30:] if parent is not None else []
        domain = from_address().rsplit("@", 1)[-1]
        message = Message.objects.create(
            thread=thread,
            direction=Direction.OUT,
            message_id=make_msgid(domain=domain)[:255],
            in_reply_to=parent.message_id if parent is not None else "",
            references=references,
            from_address=from_address(),
            from_name=(by.get_full_name() or by.username)[:200],
            to=to_list,
            cc=cc_list,
            subject=subject,
            body_text=text,
            body_html=html,
            status=SendStatus.QUEUED,
            source=SOURCE_ACKNOWLEDGEMENT if acknowledgement else "crm",
            author=by,
        )
        for name, content, ctype in parts:
            attachment = Attachment(
                message=message, filename=name, content_type=ctype[:120], size=len(content)
            )
            attachment.file.save(storage_name(name), ContentFile(content), save=False)
            attachment.save()
        now = timezone.now()
        Thread.objects.filter(pk=thread.pk).update(
            last_message_at=now, last_word=LastWord.US, message_count=F("message_count") + 1
        )
        audit_create(actor=by, instance=message, fields=["thread", "to", "cc", "subject", "status"])
        if not acknowledgement:
            effects.stop_clock(thread=thread, by=by)

        enqueue_on_commit(send_message, message_id=message.pk)
    return message


def build_email(message: Message) -> EmailMultiAlternatives:
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = " ".join(message.references)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=formataddr((message.from_name, message.from_address)),
        to=message.to,
        cc=message.cc,
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        if attachment.file:
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type or None)
    return email


def _claim(message_id: int) -> bool:
    """Move the message to *sending*; False when it is sent, or another worker is sending it."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Message.objects.filter(
            pk=message_id, direction=Direction.OUT, status=SendStatus.QUEUED
        ).update(status=SendStatus.SENDING, sending_since=now, attempts=F("attempts") + 1)
        if not claimed:
            # An admin retrying a failed job starts a fresh round of attempts.
            claimed = Message.objects.filter(
                pk=message_id, direction=Direction.OUT, status=SendStatus.FAILED
            ).update(status=SendStatus.SENDING, sending_since=now, attempts=1)
        if not claimed:
            claimed = Message.objects.filter(
                pk=message_id, status=SendStatus.SENDING, sending_since__lt=now - STALE_SENDING
            ).update(sending_since=now, attempts=F("attempts") + 1)
    return bool(claimed)


def message_deliver(*, message_id: int) -> bool:
    """Send one queued message over SMTP. Returns whether it was sent by this call.

    A failure puts the message back to *queued* and raises (the durable job retries it with
    backoff); the last allowed failure marks it *failed* and notifies the author instead.
    """
    if not _claim(message_id):
        return False
    message = Message.objects.select_related("thread__owner", "author").get(pk=message_id)
    try:
        email = build_email(message)
        email.send(fail_silently=False)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = message.attempts >= settings.TASK_RETRIES
        Message.objects.filter(pk=message_id).update(
            status=SendStatus.FAILED if final else SendStatus.QUEUED, last_error=error
        )
        if not final:
            raise
        log.error(
            "E-mail %s failed for good after %s attempts: %s", message.message_id, message.attempts, error
        )
        notify_failed(message, error)
        return False
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(pk=message_id).update(status=SendStatus.SENT, sent_at=now, last_error="")
        message.status, message.sent_at = SendStatus.SENT, now
        try:
            message.raw.save(f"{message.pk}-sent.eml", ContentFile(email.message().as_bytes()), save=False)
            Message.objects.filter(pk=message_id).update(raw=message.raw.name)
        except Exception:
            log.exception("Could not store the raw copy of %s", message.message_id)
        effects.log_email_activity(by=message.author, thread=message.thread, message=message)
    return True


def message_resend(*, by: User, message: Message) -> Message:
    """Queue a failed outbound message again (a fresh round of attempts)."""
    if not user_can(by, "work_records"):
        raise PermissionDeniedError(_("You do not have permission to do this."))
    if not Thread.objects.visible_to(by).filter(pk=message.thread_id).exists():
        raise PermissionDeniedError(_("You do not have permission to do this."))
    if message.direction != Direction.OUT or message.status != SendStatus.FAILED:
        raise BusinessError(
            _("Only a message that failed to send can be re-sent."),
            errors={"status": [_("This message is %(status)s.") % {"status": message.get_status_display()}]},
            status=409,
        )

    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=SendStatus.FAILED).update(
            status=SendStatus.QUEUED, attempts=0
        )
        if updated:
            audit_event(
                actor=by, instance=message, event="resend", changes={"last_error": message.last_error}
            )
            enqueue_on_commit(send_message, message_id=message.pk)
    message.refresh_from_db()
    return message


def notify_failed(message: Message, error: str) -> None:
    """Tell the author (for a message nobody wrote by hand, the thread's owner) that the e-mail
    did not reach the recipient — in their language (a background job writes it, not their own
    request)."""
    author = message.author or message.thread.owner
    if author is None:
        return
    with translation.override(getattr(author, "language", "") or settings.LANGUAGE_CODE):
        text = _("Your e-mail “%(subject)s” could not be sent: %(error)s") % {
            "subject": message.subject or _("(no subject)"),
            "error": error[:150],
        }
    notify(
        user=author,
        verb="message_failed",
        text=text,
        url=reverse("mail:thread", args=[message.thread_id]),
    )


@transaction.atomic
def thread_take(*, by: User, thread_id: int, owner: Any) -> Thread | None:
    """A conversation nobody owned gets `owner` (with their team), e.g. when a head assigns the
    client message's response clock. A thread someone owns already is left alone."""
    thread = Thread.objects.select_for_update().filter(pk=thread_id).first()
    if thread is None or thread.owner_id is not None:
        return thread
    model_update(instance=thread, data={"owner": owner, "team": owner.team or thread.team}, actor=by)
    return thread


def thread_follow_clock(*, by: User, clock: Any, owner: Any) -> None:
    """A head gave the response clock of a client's message to `owner`: the conversation nobody
    owned goes with it (registered on `comms.clocks.CLOCK_TAKEN`)."""
    ref = clock.ref or ""
    if ref.startswith(MAIL_THREAD_REF) and ref[len(MAIL_THREAD_REF) :].isdigit():
        thread_take(by=by, thread_id=int(ref[len(MAIL_THREAD_REF) :]), owner=owner)


def acknowledgement_letter_send(*, by: User, clock: Any, to: str, subject: str, body: str) -> Message:
    """The one-click acknowledgement's letter (`activities.acknowledgement.ACKNOWLEDGEMENT_LETTER`): to the
    record's address, as a reply in the client's thread when the clock is about a message."""
    ref = clock.ref or ""
    thread = None
    if ref.startswith(MAIL_THREAD_REF) and ref[len(MAIL_THREAD_REF) :].isdigit():
        thread = Thread.objects.filter(pk=int(ref[len(MAIL_THREAD_REF) :])).first()
    return message_send(
        by=by,
        to=to,
        subject=subject,
        body_text=body,
        thread=thread,
        lead=clock.lead,
        client=getattr(clock, "client", None),
        contact=getattr(clock, "contact", None),
        deal=getattr(clock, "deal", None),
        acknowledgement=True,
    )
