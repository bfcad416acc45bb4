"""Demo activities and tasks: calls with outcomes, meetings, e-mails, promises, next steps, a few
records left without a next step, clients waiting on us (keep-alive) and a recurring review.

Runs after the leads, clients and deals loaders (`context["leads"]`, `context["clients"]`,
`context["deals"]`; falls back to the database when a key is missing). Adds nothing to `context`
except `context["activities"]` (how many were logged).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from clientela.activities.choices import ActivityKind, Direction, Outcome, Priority, Recurrence, TaskKind
from clientela.activities.models import Activity
from clientela.activities.services.log import Promise, activity_log, call_log, meeting_log
from clientela.activities.services.next_step import NextStep
from clientela.activities.services.task import task_create
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Lead

CALL_NOTES = [
    "Asked about delivery times to Cluj; wants a quote for 20 units.",
    "Decision maker is the CFO; budget approved for Q2.",
    "Uses a competitor today, contract ends in three months.",
    "Interested in the audit package, needs references from the same industry.",
    "Wants a demo for the whole team next week.",
]
NEXT_STEPS = [
    "Send the commercial proposal",
    "Demo for the team",
    "Call to agree the price",
    "Meeting at their office",
]
PROMISES = [
    "Send the stock availability",
    "Send two references",
    "Send the price list",
    "Check the delivery date",
]


def _past(rng: random.Random, days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=rng.randint(1, days), hours=rng.randint(0, 8))


def _future(rng: random.Random) -> dt.datetime:
    moment = timezone.localtime() + dt.timedelta(days=rng.randint(1, 10))
    return moment.replace(hour=rng.choice([9, 10, 11, 14, 15, 16]), minute=0, second=0, microsecond=0)


def _leads(context: dict[str, Any]) -> list[Any]:

    leads = context.get("leads") or list(Lead.objects.order_by("pk")[:200])
    return [
        lead
        for lead in leads
        if lead.owner_id and lead.status in (LeadStatus.NEW, LeadStatus.IN_WORK, LeadStatus.QUALIFIED)
    ]


def _deals(context: dict[str, Any]) -> list[Any]:

    deals = context.get("deals") or list(Deal.objects.order_by("pk")[:200])
    return [deal for deal in deals if deal.owner_id and deal.status == DealStatus.OPEN]


def load(context: dict[str, Any]) -> None:
    rng = random.Random(7)  # demo data, not security
    for index, lead in enumerate(_leads(context)[:40]):
        owner = lead.owner
        when = _past(rng, 5)
        if index % 4 == 3:
            # An unanswered attempt and no plan: shows on the "without next step" page.
            call_log(
                by=owner,
                lead=lead,
                outcome=Outcome.NO_ANSWER,
                occurred_at=when,
                next_step=NextStep(no_next_step_reason="Try again when the campaign restarts"),
            )
            continue
        call_log(
            by=owner,
            lead=lead,
            outcome=Outcome.REACHED,
            occurred_at=when,
            duration_minutes=rng.randint(3, 25),
            body=rng.choice(CALL_NOTES),
            next_step=NextStep(due_at=_future(rng), subject=rng.choice(NEXT_STEPS)),
            promises=[Promise(title=rng.choice(PROMISES), due_in_minutes=rng.choice([120, 240, 1440]))]
            if index % 3 == 0
            else [],
        )
    for index, deal in enumerate(_deals(context)[:40]):
        owner = deal.owner
        contact = deal.client.contacts.order_by("pk").first()
        meeting_log(
            by=owner,
            deal=deal,
            contact=contact,
            outcome=Outcome.HELD,
            occurred_at=_past(rng, 20) - dt.timedelta(days=8),
            duration_minutes=rng.choice([30, 45, 60, 90]),
            place=rng.choice(["At the client's office", "Video call", "Our showroom"]),
            subject="Needs and budget",
            body=rng.choice(CALL_NOTES),
            next_step=NextStep(due_at=_future(rng), subject=rng.choice(NEXT_STEPS)),
        )
        activity_log(
            by=owner,
            kind=ActivityKind.PROPOSAL,
            direction=Direction.OUT,
            deal=deal,
            contact=contact,
            subject="Commercial proposal sent",
            occurred_at=timezone.now() - dt.timedelta(days=6),
            confirm_early=True,  # the demo's history: sent whatever the offer guard would say
        )
        if index % 3 == 0:
            # The client asked something four days ago and heard nothing since: keep-alive fires.
            activity_log(
                by=None,
                kind=ActivityKind.EMAIL,
                direction=Direction.IN,
                deal=deal,
                contact=contact,
                subject="Question about the payment terms",
                occurred_at=timezone.now() - dt.timedelta(days=4),
            )
    managers = {lead.owner for lead in _leads(context)[:40]} | {deal.owner for deal in _deals(context)[:40]}
    for owner in sorted(managers, key=lambda user: user.pk):
        first_monday = timezone.localtime() + dt.timedelta(days=7 - timezone.localtime().weekday())
        task_create(
            by=owner,
            title="Weekly pipeline review",
            due_at=first_monday.replace(hour=9, minute=0, second=0, microsecond=0),
            priority=Priority.NORMAL,
            kind=TaskKind.OTHER,
            recurrence=Recurrence.WEEKLY,
            reminder_at=first_monday.replace(hour=8, minute=45, second=0, microsecond=0),
        )
    context["activities"] = Activity.objects.count()
