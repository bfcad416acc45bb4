"""The offer guard (SPEC §8): a new offer — a commercial proposal or a price list — sent to a
client sooner than the configured minimum after the previous one warns the sender, who must
confirm it; a confirmed early offer is recorded (audit entry, and a line on the deal's timeline
when it is about a deal).

The minimum and the client's offers are retention's business: it provides `hooks.OFFER_GUARD`
(`fn(*, client, at) -> OfferGap | None`). Without a provider nothing is guarded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_event
from clientela.core.errors import ConflictError
from clientela.core.texts import Message
from clientela.deals import texts
from clientela.deals.choices import DealEventKind
from clientela.deals.hooks import OFFER_GUARD
from clientela.deals.services import deal_event


@dataclass(frozen=True)
class OfferGap:
    """The previous offer to the client, how many days ago, and the configured minimum."""

    last_at: dt.datetime
    days: int
    min_days: int


class EarlyOfferError(ConflictError):
    """An offer sooner than the minimum gap, not confirmed (HTTP 409)."""


def early_offer_message(gap: OfferGap) -> str:
    return _(
        "The previous offer went to this client %(days)s days ago; the minimum between offers is "
        "%(min)s days. Confirm to send this one early."
    ) % {"days": gap.days, "min": gap.min_days}


def offer_gap(*, client: Any, at: dt.datetime | None = None) -> OfferGap | None:
    provider = OFFER_GUARD.one()
    if provider is None or client is None:
        return None
    gap = provider(client=client, at=at or timezone.now())
    return gap if isinstance(gap, OfferGap) else None


def guard_offer(*, by: Any, client: Any, deal: Any = None, confirm_early: bool) -> OfferGap | None:
    """Refuse an early offer unless confirmed (`EarlyOfferError`, with `confirm_early` as the field
    to tick); record a confirmed one. `by=None` (the system) is not guarded."""
    if by is None:
        return None
    gap = offer_gap(client=client)
    if gap is None:
        return None
    message = early_offer_message(gap)
    if not confirm_early:
        raise EarlyOfferError(message, errors={"confirm_early": [message]}, status=409)
    changes = {"previous_offer_at": gap.last_at, "days": gap.days, "min_days": gap.min_days}
    audit_event(actor=by, instance=client, event="early_offer", changes=changes)
    if deal is not None:
        deal_event(
            deal,
            DealEventKind.NOTE,
            by,
            Message(texts.EARLY_OFFER, days=gap.days, min=gap.min_days),
            early_offer=changes,
        )
    return gap
