"""Bounces: a delivery status notification (DSN) marks the message we sent as failed.

`receive` recognises a bounce (a `multipart/report`, or mail from MAILER-DAEMON/postmaster) and
never stores it as a client message; `bounce_apply` then looks for the outbound message it is
about, by every clue a mail server leaves:

1. the Message-ID in the returned copy (`message/rfc822` or `text/rfc822-headers` part);
2. an `Original-Message-ID` / `X-Original-Message-ID` field (headers or the DSN's fields);
3. the bounce's own In-Reply-To and References.

A DSN whose recipients were all delayed, relayed or delivered is not a failure and changes
nothing. A failure marks the message *failed* with the server's reason (the same state and
Resend button as a failed SMTP send) and tells its author, in the author's language. It is
idempotent: the same bounce twice, or a second recipient's bounce, does not notify again.
"""

from __future__ import annotations

import email
import logging
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message as MimeMessage
from email.parser import HeaderParser

from django.db import transaction

from clientela.core.audit import audit_event
from clientela.mail.models import Direction, Message, SendStatus
from clientela.mail.services import notify_failed

log = logging.getLogger(__name__)

_IDS = re.compile(r"<[^<>\s]+>")
_ORIGINAL_ID_FIELDS = ("original-message-id", "x-original-message-id")
# DSN "Action" values that mean the message did not (and will not) arrive.
FAILED_ACTIONS = frozenset({"failed"})
MAX_REASON = 2000


@dataclass
class Recipient:
    address: str = ""
    action: str = ""
    status: str = ""
    diagnostic: str = ""

    @property
    def failed(self) -> bool:
        return self.action in FAILED_ACTIONS or (not self.action and self.status.startswith("5"))

    def reason(self) -> str:
        parts = [part for part in (self.status, self.diagnostic) if part]
        detail = " ".join(parts)
        if self.address and detail:
            return f"{self.address}: {detail}"
        return self.address or detail


@dataclass
class BounceReport:
    """What a bounce says: about which of our messages, and what happened to each recipient."""

    original_ids: list[str] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)
    is_dsn: bool = False  # a standard report with message/delivery-status
    summary: str = ""  # the subject, for a bounce without a standard report

    @property
    def failed(self) -> bool:
        if not self.is_dsn or not self.recipients:
            # A non-standard bounce (plain text from MAILER-DAEMON) is a failure report.
            return True
        return any(recipient.failed for recipient in self.recipients)

    def reason(self) -> str:
        failed = [r.reason() for r in self.recipients if r.failed and r.reason()]
        text = "; ".join(failed) or self.summary or "bounce"
        return text[:MAX_REASON]


def _one_line(value: str) -> str:
    return " ".join(str(value or "").split())


def _field_value(value: str) -> str:
    """ "rfc822; gone@acme.ro" → "gone@acme.ro"; "smtp; 550 5.1.1 ..." → "550 5.1.1 ..."."""
    value = _one_line(value)
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and kind.strip().isalnum() and len(kind.strip()) <= 10 else value


def _blocks(part: MimeMessage) -> list[dict[str, str]]:
    """The field blocks of a message/delivery-status part (per message, then per recipient)."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, MimeMessage):
                blocks.append({key.lower(): _one_line(str(value)) for key, value in block.items()})
        return blocks
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload or "")
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        headers = HeaderParser(policy=policy.compat32).parsestr(chunk.strip() + "\n")
        found = {key.lower(): _one_line(str(value)) for key, value in headers.items()}
        if found:
            blocks.append(found)
    return blocks


def _returned_headers(part: MimeMessage, ctype: str) -> MimeMessage | None:
    if ctype == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], MimeMessage):
            return inner[0]
        return None
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(part.get_payload() or "")
    return HeaderParser(policy=policy.compat32).parsestr(text)


def bounce_report(raw: bytes) -> BounceReport:
    """Read a bounce: the ids of the message it returns and each recipient's outcome."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    report = BounceReport(summary=_one_line(str(msg.get("Subject", "")))[:300])
    returned: list[str] = []
    fields: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            report.is_dsn = True
            for block in _blocks(part):
                fields += [block.get(name, "") for name in _ORIGINAL_ID_FIELDS]
                if "action" in block or "final-recipient" in block or "original-recipient" in block:
                    report.recipients.append(
                        Recipient(
                            address=_field_value(
                                block.get("final-recipient") or block.get("original-recipient", "")
                            ),
                            action=block.get("action", "").lower(),
                            status=block.get("status", ""),
                            diagnostic=_field_value(block.get("diagnostic-code", ""))[:500],
                        )
                    )
        elif ctype in ("message/rfc822", "text/rfc822-headers") and part is not msg:
            headers = _returned_headers(part, ctype)
            if headers is not None:
                returned += _IDS.findall(str(headers.get("Message-ID", "") or ""))
    top = [str(msg.get(name, "") or "") for name in ("Original-Message-ID", "X-Original-Message-ID")]
    replies = [str(msg.get("In-Reply-To", "") or ""), str(msg.get("References", "") or "")]
    ids: list[str] = []
    for value in [*returned, *fields, *top, *replies]:
        for found in _IDS.findall(value):
            if found[:255] not in ids:
                ids.append(found[:255])
    report.original_ids = ids
    return report


def original_message(report: BounceReport) -> Message | None:
    """The message we sent that the bounce is about (the first clue that names one of ours)."""
    if not report.original_ids:
        return None
    ours = {
        message.message_id: message
        for message in Message.objects.filter(
            message_id__in=report.original_ids, direction=Direction.OUT
        ).select_related("author", "thread__owner")
    }
    for candidate in report.original_ids:
        if candidate in ours:
            return ours[candidate]
    return None


def bounce_apply(raw: bytes, *, source: str = "") -> Message | None:
    """Mark the outbound message a bounce is about as failed, and tell its author.

    Returns the message marked failed by this call, or None (not ours, not a failure, or failed
    already).
    """

    try:
        report = bounce_report(raw)
    except Exception:  # a broken bounce must not break receiving
        log.exception("Could not read a bounce from %s", source or "an inbound channel")
        return None
    if not report.failed:
        return None
    message = original_message(report)
    if message is None:
        log.info("Bounce about a message we do not know: %s", report.original_ids[:5])
        return None
    reason = report.reason()
    with transaction.atomic():
        marked = (
            Message.objects.filter(pk=message.pk, direction=Direction.OUT)
            .exclude(status=SendStatus.FAILED)
            .update(status=SendStatus.FAILED, last_error=reason, sending_since=None)
        )
        if not marked:
            return None
        audit_event(
            actor=None,
            instance=message,
            event="bounced",
            changes={"status": [message.status, SendStatus.FAILED], "reason": reason, "source": source},
        )
        message.status, message.last_error = SendStatus.FAILED, reason
        notify_failed(message, reason)
    return message
