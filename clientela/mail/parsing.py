"""Reading raw MIME into plain values, whatever the sender's mail program did.

Everything here is forgiving: unknown or broken charsets are decoded with replacement
characters, malformed headers fall back to their raw text, HTML-only messages get a text
version, and nothing raises except `MalformedMessage` when the bytes are not an e-mail at all.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import Message as MimeMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import nh3
from django.conf import settings
from django.utils import timezone

from clientela.core.normalise import normalise_email

# Reply and forward prefixes in the languages our customers write in, stacked any number of times.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|rv|enc|tr|odp|pd|ответ|отв|пересл|válasz|továbbítás|továbbítva|ris|"
    r"r|i|balas|fw)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_AUTO_SUBJECTS = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto:|abwesenheitsnotiz|"
    r"absence|răspuns automat|automatikus válasz|автоответ|undeliverable|delivery status notification|"
    r"mail delivery (failed|failure)|returned mail)",
    re.IGNORECASE,
)


class MalformedMessage(ValueError):
    """The bytes are not an e-mail we can read."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes
    content_id: str = ""


@dataclass
class ParsedMessage:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    body_text: str
    body_html: str
    date: dt.datetime | None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    noise: str = ""  # why this is an automatic message (auto-reply, bounce, list), or ""
    headers: dict[str, str] = field(default_factory=dict)


def subject_key(subject: str) -> str:
    """The subject without Re:/Fwd:/AW:/Ответ: … prefixes, folded for comparison."""
    text = _SPACES.sub(" ", subject or "").strip()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", text).strip()
        text = re.sub(r"^\[[^\]]{1,40}\]\s*", "", text) if text.startswith("[") and "]" in text else text
    return text.casefold()[:300]


def reply_subject(subject: str) -> str:
    """`Re: <subject>` without stacking prefixes."""
    base = _PREFIX.sub("", subject or "").strip()
    return f"Re: {base}" if base else "Re:"


def _decode_bytes(payload: bytes, charset: str | None) -> str:
    return _decode_raw(payload, charset).replace("\r\n", "\n").replace("\r", "\n")


def _decode_raw(payload: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower() or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("utf-8", errors="replace")
    try:
        return payload.decode(name, errors="replace")
    except Exception:
        return payload.decode("utf-8", errors="replace")


def decode_header_value(value: object) -> str:
    """A header as text: RFC 2047 words decoded, unknown charsets replaced, never raising."""
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:
        return _SPACES.sub(" ", text).strip()
    parts: list[str] = []
    try:
        chunks = decode_header(text)
    except Exception:
        return _SPACES.sub(" ", text).strip()
    for chunk, charset in chunks:
        parts.append(_decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return _SPACES.sub(" ", "".join(parts)).strip()


def _header(msg: MimeMessage, name: str) -> str:
    """Raw header text (first occurrence), decoded forgivingly."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return decode_header_value(value)
    return ""


def _addresses(msg: MimeMessage, name: str) -> list[tuple[str, str]]:
    values = [value for key, value in msg.raw_items() if key.lower() == name.lower()]
    found: list[tuple[str, str]] = []
    for display, address in getaddresses([decode_header_value(v) for v in values]):
        normal, error = normalise_email(address)
        if normal and not error:
            found.append((display.strip(), normal))
    return found


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


class _TextFromHtml(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return nh3.clean(html, tags=set())
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sanitise_html(html: str) -> str:
    """Only harmless markup survives: no scripts, styles, event handlers or remote tricks."""
    if not html.strip():
        return ""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def _filename(part: MimeMessage) -> str:
    raw = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if raw is None:
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, value)
        charset, _lang, value = raw
        return _decode_bytes(value.encode("latin-1", errors="replace"), charset)
    return decode_header_value(raw)


def _payload(part: MimeMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", errors="replace") if isinstance(raw, str) else b""


def _content_type(part: MimeMessage) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


class _Collector:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.html: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.is_report = False

    def walk(self, part: MimeMessage, *, top: bool = False) -> None:
        ctype = _content_type(part)
        if ctype == "multipart/report":
            self.is_report = True
        if ctype == "message/rfc822" and not top:
            inner = part.get_payload()
            payload = (
                inner[0].as_bytes(policy=policy.compat32)
                if isinstance(inner, list) and inner and isinstance(inner[0], MimeMessage)
                else _payload(part)
            )
            self.attachments.append(
                ParsedAttachment(
                    filename=_filename(part) or "forwarded.eml", content_type=ctype, payload=payload
                )
            )
            return
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return
            if ctype == "multipart/alternative":
                # Keep the richest text and html alternatives, not both copies as separate bodies.
                texts, htmls = len(self.text), len(self.html)
                for child in children:
                    if isinstance(child, MimeMessage):
                        self.walk(child)
                self.text[texts:] = self.text[texts:][-1:]
                self.html[htmls:] = self.html[htmls:][-1:]
                return
            for child in children:
                if isinstance(child, MimeMessage):
                    self.walk(child)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = _decode_bytes(_payload(part), part.get_content_charset())
            (self.text if ctype == "text/plain" else self.html).append(text)
            return
        if ctype.startswith("message/delivery-status") or ctype == "text/rfc822-headers":
            self.text.append(_decode_bytes(_payload(part), part.get_content_charset()))
            return
        self.attachments.append(
            ParsedAttachment(
                filename=(filename or _default_name(ctype))[:255],
                content_type=ctype,
                payload=_payload(part),
                content_id=(part.get("Content-ID") or "").strip()[:255],
            )
        )


def _default_name(ctype: str) -> str:
    extension = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf", "text/calendar": "ics"}
    return f"attachment.{extension.get(ctype, 'bin')}"


def _noise(msg: MimeMessage, from_address: str, subject: str, is_report: bool) -> str:
    local = from_address.split("@", 1)[0]
    if is_report or local in _BOUNCE_SENDERS:
        return "bounce"
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto-reply"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond") or _header(msg, "X-Autoresponse"):
        return "auto-reply"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "auto-reply" if precedence in ("junk", "auto_reply") else "bulk"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "bulk"
    if _AUTO_SUBJECTS.match(subject):
        return "auto-reply"
    return ""


def _date(msg: MimeMessage) -> dt.datetime | None:
    value = _header(msg, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed


def parse(raw: bytes) -> ParsedMessage:
    """Read raw MIME bytes. Raises MalformedMessage if they are not an e-mail message."""
    if not raw or not raw.strip():
        raise MalformedMessage("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:
        raise MalformedMessage(str(exc)) from exc
    if not list(msg.raw_items()) or not (_header(msg, "From") or _header(msg, "Message-ID")):
        raise MalformedMessage("no e-mail headers (From or Message-ID)")
    senders = _addresses(msg, "From") or _addresses(msg, "Sender") or _addresses(msg, "Return-Path")
    from_name, from_address = senders[0] if senders else ("", "")
    if not from_address:
        from_name = parseaddr(_header(msg, "From"))[0]
    collector = _Collector()
    collector.walk(msg, top=True)
    body_html = "\n".join(h for h in collector.html if h.strip())
    body_text = "\n\n".join(t.strip("\n") for t in collector.text if t.strip())
    if not body_text and body_html:
        body_text = html_to_text(body_html)
    subject = _header(msg, "Subject")[:300]
    message_id = (_ids(_header(msg, "Message-ID")) or [""])[0][:255]
    if not message_id:
        message_id = f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
    in_reply_to = (_ids(_header(msg, "In-Reply-To")) or [""])[0][:255]
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=[ref[:255] for ref in _ids(_header(msg, "References"))][-50:],
        from_address=from_address,
        from_name=from_name[:200],
        to=[a for _n, a in _addresses(msg, "To")],
        cc=[a for _n, a in _addresses(msg, "Cc")],
        subject=subject,
        body_text=body_text,
        body_html=sanitise_html(body_html),
        date=_date(msg),
        attachments=collector.attachments,
        noise=_noise(msg, from_address, subject, collector.is_report),
        headers={"return-path": _header(msg, "Return-Path")},
    )


def our_addresses() -> set[str]:
    """The addresses the CRM sends from and receives at (never a counterpart)."""
    found = set()
    for value in (settings.DEFAULT_FROM_EMAIL, getattr(settings, "IMAP_USER", ""), settings.SERVER_EMAIL):
        address = parseaddr(value or "")[1].lower()
        if "@" in address:
            found.add(address)
    return found
