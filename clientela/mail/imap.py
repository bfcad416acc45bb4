"""The IMAP mailbox poller: new mail in the configured mailbox becomes CRM messages.

A periodic job (`poll_mailbox`, every `IMAP_POLL_SECONDS`) connects with IMAPClient to
`IMAP_HOST`/`IMAP_PORT` (TLS when `IMAP_SSL`), logs in as `IMAP_USER`, opens `IMAP_FOLDER` and
takes the unseen messages, oldest first, by UID. Each one is fetched with `BODY.PEEK[]` (which
leaves it unread), handed as raw RFC 822 bytes to `mail.inbound.receive_raw(raw, source="imap")`,
and only once that call returned — the message stored and committed, or deliberately ignored
(a duplicate, an auto-reply, our own echo) — is it marked `\\Seen` on the server.

Crash safety: a poll that dies between storing a message and marking it leaves it unseen; the
next poll fetches it again and `receive_raw` recognises it by its Message-ID (or, without one, by
a hash of the bytes), so it is never imported twice; a message is only marked after it is safe
in the database, so none is ever lost. A message that is not e-mail at all (`MalformedMessage`)
gets the keyword `$ClientelaRejected` and stays unread for a person to look at; it is not fetched
again. Any other failure (the database is down …) stops the poll with the message still unseen,
and the next poll tries again.

Nothing happens while `IMAP_HOST` is empty. Several pollers at once are harmless for the same
reason a crash is: `receive_raw` is idempotent, and each marks only what it stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl as ssl_module
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django_tasks import task

from clientela.mail import inbound
from clientela.mail.inbound import MalformedMessage

log = logging.getLogger(__name__)

# How often the scheduler enqueues the poll (registered on `core.periodic.PERIODIC_JOBS`).
POLL_EVERY = dt.timedelta(seconds=max(10, int(getattr(settings, "IMAP_POLL_SECONDS", 60) or 60)))
# At most this many messages per poll (the rest wait for the next one) and per FETCH command.
MAX_PER_POLL = 500
FETCH_CHUNK = 20
REJECTED_KEYWORD = "$ClientelaRejected"
SEEN = b"\\Seen"
TIMEOUT_SECONDS = 60


@dataclass
class PollResult:
    """What one poll did: `stored` new messages, `ignored` (duplicates, loops), `rejected`
    (not e-mail), `remaining` unseen messages left for the next poll."""

    enabled: bool = True
    found: int = 0
    stored: int = 0
    ignored: int = 0
    rejected: int = 0
    remaining: int = 0
    message_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    user: str
    password: str
    use_ssl: bool
    folder: str

    @classmethod
    def from_settings(cls) -> MailboxConfig:
        return cls(
            host=settings.IMAP_HOST or "",
            port=int(settings.IMAP_PORT or (993 if settings.IMAP_SSL else 143)),
            user=settings.IMAP_USER or "",
            password=settings.IMAP_PASSWORD or "",
            use_ssl=bool(settings.IMAP_SSL),
            folder=settings.IMAP_FOLDER or "INBOX",
        )


def connect(config: MailboxConfig) -> Any:
    """A logged-in IMAPClient with the folder selected read-write."""
    from imapclient import IMAPClient

    context = ssl_module.create_default_context() if config.use_ssl else None
    client = IMAPClient(
        config.host, port=config.port, ssl=config.use_ssl, ssl_context=context, timeout=TIMEOUT_SECONDS
    )
    try:
        client.login(config.user, config.password)
        client.select_folder(config.folder)
    except Exception:
        _logout(client)
        raise
    return client


def _logout(client: Any) -> None:
    try:
        client.logout()
    except Exception:  # the connection may already be gone; nothing to clean up then
        log.debug("IMAP logout failed", exc_info=True)


def poll_once(config: MailboxConfig | None = None, *, limit: int = MAX_PER_POLL) -> PollResult:
    """Fetch the unseen messages of the mailbox into the CRM (see the module's description)."""
    config = config or MailboxConfig.from_settings()
    if not config.host:
        return PollResult(enabled=False)

    result = PollResult()
    client = connect(config)
    try:
        uids = sorted(client.search(["UNSEEN", "UNKEYWORD", REJECTED_KEYWORD]))
        result.found = len(uids)
        todo = uids[:limit]
        result.remaining = len(uids) - len(todo)
        for start in range(0, len(todo), FETCH_CHUNK):
            chunk = todo[start : start + FETCH_CHUNK]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                data = fetched.get(uid)
                raw = data.get(b"BODY[]") if data else None
                if raw is None:  # expunged by someone else meanwhile
                    continue
                try:
                    message = inbound.receive_raw(bytes(raw), source="imap")
                except MalformedMessage as exc:
                    log.warning(
                        "IMAP message UID %s is not an e-mail (%s); flagged %s", uid, exc, REJECTED_KEYWORD
                    )
                    client.add_flags([uid], [REJECTED_KEYWORD.encode()])
                    result.rejected += 1
                    continue
                # Stored and committed (or deliberately ignored): only now is it marked as read.
                client.add_flags([uid], [SEEN])
                if message is None:
                    result.ignored += 1
                else:
                    result.stored += 1
                    result.message_ids.append(message.pk)
    finally:
        _logout(client)
    if result.found:
        log.info(
            "IMAP poll of %s@%s/%s: %s stored, %s ignored, %s rejected, %s left",
            config.user,
            config.host,
            config.folder,
            result.stored,
            result.ignored,
            result.rejected,
            result.remaining,
        )
    return result


@task()
def poll_mailbox() -> dict[str, Any]:
    """The periodic job: one poll of the configured mailbox (nothing when IMAP_HOST is empty).

    Database connections are the worker's business (it recycles them between jobs); closing
    them here would also close a caller's open transaction."""
    return poll_once().as_dict()
