"""The activity log: what was done with a lead, client, contact or deal.

* `activity_log` — anything that happened (a call, an e-mail, a meeting, a proposal sent, a note),
  linked to records the author may see (`records.py`), never in the future.
* **First contact stops the clock**: an outbound e-mail or meeting, or an outbound call that reached
  the person (reached / left a message / asked to call back), on a lead stops its open response
  clocks (`comms.clocks.clocks_stop_for_lead`). A call nobody answered is not a contact. A
  contact (or an inbound touch) moves the client's last contact, so its status follows.
* `call_log` / `meeting_log` — a finished call or meeting with its outcome, following the
  next-step rule (`next_step.py`): the agreed next contact becomes a `next_step` task.
* **Promises** given on a call are tasks of kind `promise` with their deadline (e.g. "call back
  within 2 hours" = due at the call's time + 2 h), pointing back at the call.
* `summary_compose_url` — the compose page prefilled with what was agreed (the `summary` template).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.activities.choices import (
    CALL_OUTCOMES,
    CONTACT_KINDS,
    CONTACT_OUTCOMES,
    MEETING_OUTCOMES,
    OFFER_KINDS,
    ActivityKind,
    Direction,
    Priority,
    TaskKind,
)
from clientela.activities.models import Activity, Task
from clientela.activities.services.next_step import NextStep, check_next_step
from clientela.activities.services.records import Records, require_worker, resolve_records
from clientela.activities.services.task import next_step_task, task_create
from clientela.clients.services.derived import client_record_activity
from clientela.comms.clocks import clocks_stop_for_lead
from clientela.comms.templates import render_message
from clientela.core.audit import audit_create
from clientela.core.errors import BusinessError
from clientela.core.zones import format_moment
from clientela.deals.offer_guard import guard_offer
from clientela.users.models import User

ACTIVITY_AUDIT_FIELDS = (
    "kind",
    "direction",
    "occurred_at",
    "subject",
    "outcome",
    "duration_minutes",
    "lead",
    "client",
    "contact",
    "deal",
    "owner",
)


@dataclass(frozen=True)
class Promise:
    """Something promised on a call: a title and a deadline (absolute, or minutes after the call)."""

    title: str
    due_at: dt.datetime | None = None
    due_in_minutes: int | None = None


@transaction.atomic
def activity_log(
    *,
    by: User | None,
    kind: str,
    lead: Any = None,
    client: Any = None,
    contact: Any = None,
    deal: Any = None,
    direction: str = "",
    subject: str = "",
    body: str = "",
    occurred_at: dt.datetime | None = None,
    details: Mapping[str, Any] | None = None,
    outcome: str = "",
    duration_minutes: int | None = None,
    place: str = "",
    participants: str = "",
    participant_contacts: Iterable[Any] = (),
    owner: Any = None,
    confirm_early: bool = False,
) -> Activity:
    """Record something done with a lead/client/contact/deal. `by=None` is the system (e.g. mail).

    A proposal or price list sent to a client is an offer: sooner than the minimum after the
    client's previous offer it needs `confirm_early` (`deals.offer_guard`) and is recorded."""
    require_worker(by)
    if kind not in ActivityKind.values:
        raise BusinessError(_("Unknown activity kind."), errors={"kind": [_("Choose a valid kind.")]})
    if direction not in ("", *Direction.values):
        raise BusinessError(_("Unknown direction."), errors={"direction": [_("Choose in, out or none.")]})
    records = resolve_records(by=by, lead=lead, client=client, contact=contact, deal=deal)
    if not records.any():
        raise BusinessError(
            _("An activity must be about a lead, client, contact or deal."),
            errors={"__all__": [_("Link the activity to a lead, client, contact or deal.")]},
        )
    valid_outcomes: tuple[str, ...] = ()
    if kind == ActivityKind.CALL:
        valid_outcomes = CALL_OUTCOMES
    elif kind == ActivityKind.MEETING:
        valid_outcomes = MEETING_OUTCOMES
    if outcome and outcome not in valid_outcomes:
        raise BusinessError(
            _("This outcome does not fit."), errors={"outcome": [_("Choose a valid outcome.")]}
        )
    if duration_minutes is not None and duration_minutes < 0:
        raise BusinessError(_("Invalid duration."), errors={"duration_minutes": [_("Cannot be negative.")]})
    now = timezone.now()
    moment = occurred_at or now
    if moment > now + dt.timedelta(minutes=5):
        raise BusinessError(
            _("An activity is something that happened."),
            errors={"occurred_at": [_("This moment is in the future; plan a task instead.")]},
        )
    author = owner if owner is not None else by
    details = dict(details or {})
    if kind in OFFER_KINDS and direction != Direction.IN and records.client is not None:
        gap = guard_offer(by=by, client=records.client, deal=records.deal, confirm_early=confirm_early)
        if gap is not None:
            details["early_offer"] = {"days": gap.days, "min_days": gap.min_days}
    activity = Activity.objects.create(
        kind=kind,
        direction=direction,
        occurred_at=moment,
        subject=subject[:200],
        body=body,
        outcome=outcome,
        duration_minutes=duration_minutes,
        place=place[:200],
        participants=participants[:500],
        owner=author,
        team=records.team or getattr(author, "team", None),
        details=details,
        created_by=by,
        updated_by=by,
        **records.as_fields(),
    )
    contacts = list(participant_contacts)
    if contacts:
        activity.participant_contacts.set(contacts)
    audit_create(actor=by, instance=activity, fields=ACTIVITY_AUDIT_FIELDS)
    if _is_contact(activity) and records.lead is not None and not activity.details.get("acknowledgement"):
        clocks_stop_for_lead(lead=records.lead, by=by, at=moment)
    if records.client is not None and (
        _is_contact(activity) or (activity.direction == Direction.IN and activity.kind in CONTACT_KINDS)
    ):
        client_record_activity(client=records.client, at=moment)  # its status follows
    return activity


def _is_contact(activity: Activity) -> bool:
    """An outbound touch that reached the client (a call nobody answered is not one)."""
    if activity.direction != Direction.OUT or activity.kind not in CONTACT_KINDS:
        return False
    if activity.kind == ActivityKind.CALL:
        return activity.outcome in CONTACT_OUTCOMES or not activity.outcome
    if activity.kind == ActivityKind.MEETING:
        return activity.outcome in ("", *CONTACT_OUTCOMES)
    return True


def _promise_tasks(
    *, by: User, activity: Activity, promises: Sequence[Promise], records: Records
) -> list[Task]:
    tasks = []
    for index, promise in enumerate(promises):
        title = promise.title.strip()
        if not title:
            raise BusinessError(
                _("Say what was promised."),
                errors={f"promises.{index}.title": [_("This field is required.")]},
            )
        if promise.due_at is not None:
            due = promise.due_at
        elif promise.due_in_minutes is not None and promise.due_in_minutes > 0:
            due = activity.occurred_at + dt.timedelta(minutes=promise.due_in_minutes)
        else:
            raise BusinessError(
                _("A promise needs a deadline."),
                errors={f"promises.{index}.due_at": [_("When was it promised for?")]},
            )
        tasks.append(
            task_create(
                by=by,
                title=title,
                due_at=due,
                kind=TaskKind.PROMISE,
                priority=Priority.HIGH,
                source_activity=activity,
                **records.as_fields(),
            )
        )
    return tasks


@dataclass
class LoggedContact:
    activity: Activity
    next_step: Task | None
    promises: list[Task]


def _conversation_log(
    *,
    by: User,
    kind: str,
    records: Records,
    outcome: str,
    direction: str,
    subject: str,
    body: str,
    occurred_at: dt.datetime | None,
    duration_minutes: int | None,
    next_step: NextStep | None,
    promises: Sequence[Promise],
    place: str = "",
    participants: str = "",
    participant_contacts: Iterable[Any] = (),
) -> LoggedContact:
    moment = occurred_at or timezone.now()
    step = next_step or NextStep()
    check_next_step(step, records, after=moment)
    details: dict[str, Any] = {}
    if not step.given and step.no_next_step_reason.strip():
        details["no_next_step_reason"] = step.no_next_step_reason.strip()
    activity = activity_log(
        by=by,
        kind=kind,
        direction=direction,
        subject=subject,
        body=body,
        occurred_at=moment,
        outcome=outcome,
        duration_minutes=duration_minutes,
        place=place,
        participants=participants,
        participant_contacts=participant_contacts,
        details=details,
        **records.as_fields(),
    )
    task = next_step_task(by=by, activity=activity, step=step, records=records)
    promised = _promise_tasks(by=by, activity=activity, promises=promises, records=records)
    if task is not None or promised:
        activity.details = {
            **activity.details,
            "next_step_task": task.pk if task else None,
            "promise_tasks": [item.pk for item in promised],
        }
        activity.save(update_fields=["details"])
    return LoggedContact(activity=activity, next_step=task, promises=promised)


@transaction.atomic
def call_log(
    *,
    by: User,
    outcome: str,
    lead: Any = None,
    client: Any = None,
    contact: Any = None,
    deal: Any = None,
    direction: str = Direction.OUT,
    subject: str = "",
    body: str = "",
    occurred_at: dt.datetime | None = None,
    duration_minutes: int | None = None,
    next_step: NextStep | None = None,
    promises: Sequence[Promise] = (),
) -> LoggedContact:
    """Log a finished call: its outcome, duration, the agreed next step and the promises given."""
    require_worker(by)
    if outcome not in CALL_OUTCOMES:
        raise BusinessError(_("How did the call go?"), errors={"outcome": [_("Choose the call's outcome.")]})
    records = resolve_records(by=by, lead=lead, client=client, contact=contact, deal=deal)
    return _conversation_log(
        by=by,
        kind=ActivityKind.CALL,
        records=records,
        outcome=outcome,
        direction=direction,
        subject=subject or _("Call"),
        body=body,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        next_step=next_step,
        promises=promises,
    )


@transaction.atomic
def meeting_log(
    *,
    by: User,
    outcome: str,
    lead: Any = None,
    client: Any = None,
    contact: Any = None,
    deal: Any = None,
    subject: str = "",
    body: str = "",
    occurred_at: dt.datetime | None = None,
    duration_minutes: int | None = None,
    place: str = "",
    participants: str = "",
    participant_contacts: Iterable[Any] = (),
    next_step: NextStep | None = None,
    promises: Sequence[Promise] = (),
) -> LoggedContact:
    """Log a meeting that took place (or fell through), with the agreed next step."""
    require_worker(by)
    if outcome not in MEETING_OUTCOMES:
        raise BusinessError(
            _("How did the meeting go?"), errors={"outcome": [_("Choose the meeting's outcome.")]}
        )
    records = resolve_records(by=by, lead=lead, client=client, contact=contact, deal=deal)
    return _conversation_log(
        by=by,
        kind=ActivityKind.MEETING,
        records=records,
        outcome=outcome,
        direction=Direction.OUT,
        subject=subject or _("Meeting"),
        body=body,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        next_step=next_step,
        promises=promises,
        place=place,
        participants=participants,
        participant_contacts=participant_contacts,
    )


def summary_compose_url(activity: Activity) -> str:
    """The compose page prefilled with a summary of a call/meeting, or "" when mail is not there."""
    try:
        base = reverse("mail:compose")
    except NoReverseMatch:
        return ""
    to = ""
    for record in (activity.contact, activity.lead, activity.client):
        email = str(getattr(record, "email", "") or "") if record is not None else ""
        if email:
            to = email
            break
    subject, body = _summary_text(activity)
    params: dict[str, Any] = {"to": to, "subject": subject, "body": body}
    for name in ("lead", "client", "contact", "deal"):
        value = getattr(activity, f"{name}_id")
        if value:
            params[name] = value
    return f"{base}?{urlencode(params)}"


def _language_for(activity: Activity) -> str:
    contact = activity.contact
    if contact is not None and contact.preferred_language:
        return str(contact.preferred_language)
    owner = activity.owner
    return str(getattr(owner, "language", "") or settings.LANGUAGE_CODE)


def _summary_text(activity: Activity) -> tuple[str, str]:
    """Subject and body of the summary e-mail: the `summary` template, or a plain text without it."""
    points = [line for line in activity.body.strip().splitlines() if line.strip()]
    next_task = Task.objects.filter(pk=activity.details.get("next_step_task") or 0).first()
    promised = Task.objects.filter(pk__in=activity.details.get("promise_tasks") or []).order_by("due_at")
    for task in promised:
        points.append(
            _("%(title)s (by %(due)s)") % {"title": task.shown_title, "due": _moment(task.due_at, activity)}
        )
    next_step = ""
    if next_task is not None:
        next_step = _("%(title)s on %(due)s") % {
            "title": next_task.shown_title,
            "due": _moment(next_task.due_at, activity),
        }
    agreed = "\n".join(f"- {point}" for point in points)
    try:
        rendered = render_message(
            "summary",
            language=_language_for(activity),
            context={
                "points": agreed,
                "next_step": next_step,
                "manager": activity.owner,
                "lead": activity.lead,
                "client": activity.client,
                "contact": activity.contact,
                "deal": activity.deal,
            },
        )
        return rendered.subject, rendered.body
    except Exception:  # templates not there or not configured: a plain summary
        subject = _("Summary of our %(kind)s on %(date)s") % {
            "kind": activity.get_kind_display().lower(),
            "date": f"{activity.occurred_at:%Y-%m-%d}",
        }
        body = _("Hello,\n\nthank you for your time. What we agreed:\n\n%(agreed)s\n") % {"agreed": agreed}
        if next_step:
            body += _("\nNext step: %(step)s\n") % {"step": next_step}
        return subject, body


def _moment(value: dt.datetime, activity: Activity) -> str:
    """A moment in the summary letter: in its writer's zone, in the letter's language."""
    with translation.override(_language_for(activity)):
        return format_moment(value, activity.owner)
