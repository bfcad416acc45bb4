"""Speed of first contact: how a lead's first-response clock ended, as conditions on the clock.

SPEC §7/§9: answer a new lead within the **1-hour target**, at most within the **2-hour limit**,
both in the team's business minutes. `ResponseClock.minutes_taken` fixes the business minutes
from start to stop when a clock stops (`clocks._stop`), so "answered within the target" is a
condition on one column. One list of outcomes serves the speed report (its counts) and the lead
list's `first_response` filter (the leads behind each count), so both always agree.

Buckets of the time to first contact (business minutes `m` of an answered clock):
under 15 · 15–60 (`m <= 60`, within the target) · 1–2 h (`60 < m <= 120`, within the limit) ·
2–8 h · over 8 h, or no answer yet although the deadline has passed ("never" so far).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clientela.comms.choices import ANSWERED_REASONS, ClockKind, StopReason
from clientela.comms.models import ResponseClock

TARGET_MINUTES = 60  # the target: answer within 1 business hour
LIMIT_MINUTES = 120  # the limit: 2 business hours at most
LONG_MINUTES = 480  # a working day: beyond it the answer is "over 8 h"


def _answered(**minutes: int) -> Q:
    return Q(stop_reason__in=ANSWERED_REASONS, **{f"minutes_taken__{k}": v for k, v in minutes.items()})


def _overdue_open() -> Q:
    """Not answered yet although the clock's own deadline has passed."""
    return Q(stopped_at__isnull=True, due_at__lte=Now())


def outcome_conditions() -> dict[str, Q]:
    """Each outcome of a first-response clock as a condition on `ResponseClock`."""
    return {
        "answered": Q(stop_reason__in=ANSWERED_REASONS),
        "within_target": _answered(lte=TARGET_MINUTES),
        "within_limit": _answered(lte=LIMIT_MINUTES),
        "over_target": _answered(gt=TARGET_MINUTES) | _overdue_open(),
        "breached": Q(breached_at__isnull=False),
        "escalated": Q(escalated_at__isnull=False),
        "acknowledged": Q(stop_reason=StopReason.ACKNOWLEDGED),
        "waiting": Q(stopped_at__isnull=True, due_at__gt=Now()),
        "unanswered": _overdue_open(),
        "under_15": _answered(lt=15),
        "from_15_to_60": _answered(gte=15, lte=TARGET_MINUTES),
        "from_1_to_2h": _answered(gt=TARGET_MINUTES, lte=LIMIT_MINUTES),
        "from_2_to_8h": _answered(gt=LIMIT_MINUTES, lte=LONG_MINUTES),
        "over_8h": _answered(gt=LONG_MINUTES) | _overdue_open(),
    }


OUTCOME_LABELS: dict[str, Any] = {
    "answered": _("Answered"),
    "within_target": _("Answered within the 1-hour target"),
    "within_limit": _("Answered within the 2-hour limit"),
    "over_target": _("Not answered within the 1-hour target"),
    "breached": _("Deadline missed"),
    "escalated": _("Escalated to the head"),
    "acknowledged": _("Acknowledged with a promise"),
    "waiting": _("Waiting, deadline not yet passed"),
    "unanswered": _("Not answered, deadline passed"),
    "under_15": _("Answered in under 15 minutes"),
    "from_15_to_60": _("Answered in 15–60 minutes"),
    "from_1_to_2h": _("Answered in 1–2 hours"),
    "from_2_to_8h": _("Answered in 2–8 hours"),
    "over_8h": _("Over 8 hours or never"),
}


def lead_first_response(outcome: str) -> Exists:
    """True for a lead with a first-response clock of this outcome (the lead list's filter)."""
    condition = outcome_conditions()[outcome]
    return Exists(
        ResponseClock.objects.filter(lead=OuterRef("pk"), kind=ClockKind.FIRST_RESPONSE).filter(condition)
    )
