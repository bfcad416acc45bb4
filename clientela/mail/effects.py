"""What a stored message does to the records below mail: an activity on the timeline, and the
response clocks started or stopped.

A business rule those services raise is logged and skipped (in a savepoint), never allowed to
lose an e-mail that is already stored; other errors are not swallowed.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from clientela.activities.services.log import activity_log
from clientela.comms.clocks import clock_start_for_message, clocks_stop_for_lead, clocks_stop_for_ref
from clientela.core.errors import BusinessError
from clientela.mail.models import Message, Thread
from clientela.users.models import User

log = logging.getLogger(__name__)


def _guarded(what: str, call: Any, **kwargs: Any) -> Any:
    """Run a neighbour's service in a savepoint: a business rule it raises is logged, and the
    e-mail (already stored) is kept."""
    try:
        with transaction.atomic():
            return call(**kwargs)
    except BusinessError as exc:
        log.warning("%s skipped: %s %s", what, exc.message, exc.errors)
        return None


def log_email_activity(*, by: User | None, thread: Thread, message: Message) -> None:
    if thread.record is None:
        return
    inbound = message.direction == "in"
    _guarded(
        "E-mail activity",
        activity_log,
        by=by,
        kind="email",
        lead=thread.lead,
        client=thread.client,
        contact=thread.contact,
        deal=thread.deal,
        direction=message.direction,
        subject=message.subject[:300],
        body=message.body_text[:5000],
        # What the sender's clock claims is not trusted: an activity cannot lie in the future.
        occurred_at=(message.received_at if inbound else message.sent_at) or timezone.now(),
        details={
            "thread": thread.pk,
            "message": message.pk,
            "message_id": message.message_id,
            # An acknowledgement is not the answer: the activity must not stop the promise clock.
            "acknowledgement": message.source == "acknowledgement",
        },
        owner=thread.owner if inbound else None,
    )


def start_clock(*, thread: Thread, at: dt.datetime, url: str, subject: str = "") -> None:
    _guarded(
        "First-response clock",
        clock_start_for_message,
        owner=thread.owner,
        team=thread.team,
        at=at,
        ref=thread.clock_ref,
        client=thread.client,
        lead=thread.lead,
        contact=thread.contact,
        deal=thread.deal,
        url=url,
        subject=subject,
    )


def stop_clock(*, thread: Thread, by: User) -> None:
    _guarded("Stopping the clock", clocks_stop_for_ref, ref=thread.clock_ref, by=by, reason="responded")
    if thread.lead is not None:
        # Writing to a new lead is the first contact the lead's own clock waits for.
        _guarded(
            "Stopping the lead's clocks", clocks_stop_for_lead, lead=thread.lead, by=by, reason="responded"
        )
