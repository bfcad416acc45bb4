"""Every change to activities and tasks goes through here (typed, permission-checked, audited).

Rules enforced here, for every door (pages, API, other apps):

* **Activities** are linked to at least one record the author may see; the contact's / deal's client
  is filled in, the team follows the record (scope).
* **First contact stops the clock**: an outbound e-mail or meeting, or an outbound call that reached
  the person (reached / left a message / asked to call back), on a lead stops its open response
  clocks (`comms.services.clocks_stop_for_lead`). A call nobody answered is not a contact.
* **Next-step rule** (SPEC §6): closing a call or meeting — logging it with `call_log` /
  `meeting_log`, or completing a call/meeting task — needs the agreed next contact (date and
  subject), created as a `next_step` task; refused with a field error when missing, unless every
  linked lead/deal is closed (lead converted/refused, deal won/lost) or the user marks "no next
  step" with a reason (kept on the activity's details).
* **Promises** given on a call are tasks of kind `promise` with their deadline (e.g. "call back
  within 2 hours" = due at the call's time + 2 h), pointing back at the call.
* **Reminders**: a task with `reminder_at` gets a deferred job at that moment that tells the
  assignee once (`reminded_at` + `run_once`); a periodic sweep catches missed jobs.
* **Recurring tasks**: completing one creates its next occurrence (dateutil rrule), once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule
from django.db import transaction
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import (
    CALL_OUTCOMES,
    CONTACT_KINDS,
    CONTACT_OUTCOMES,
    CONVERSATION_TASK_KINDS,
    MEETING_OUTCOMES,
    ActivityKind,
    Direction,
    Priority,
    Recurrence,
    TaskKind,
)
from clientela.activities.models import Activity, KeepAlivePolicy, Task
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, require, role_of, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit, run_once
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
TASK_AUDIT_FIELDS = (
    "kind",
    "title",
    "due_at",
    "priority",
    "assignee",
    "lead",
    "client",
    "contact",
    "deal",
    "reminder_at",
    "recurrence",
)
TASK_EDITABLE_FIELDS = (
    "title",
    "description",
    "due_at",
    "priority",
    "kind",
    "reminder_at",
    "recurrence",
    "recurrence_interval",
    "recurrence_until",
)
_RRULE_FREQ = {
    Recurrence.DAILY: DAILY,
    Recurrence.WEEKLY: WEEKLY,
    Recurrence.MONTHLY: MONTHLY,
    Recurrence.YEARLY: YEARLY,
}


@dataclass(frozen=True)
class Records:
    """The records an activity or task is about (any may be None)."""

    lead: Any = None
    client: Any = None
    contact: Any = None
    deal: Any = None

    def any(self) -> bool:
        return any(item is not None for item in (self.lead, self.client, self.contact, self.deal))

    def as_fields(self) -> dict[str, Any]:
        return {"lead": self.lead, "client": self.client, "contact": self.contact, "deal": self.deal}

    @property
    def team(self) -> Any:
        for record in (self.deal, self.lead, self.client):
            if record is not None and record.team_id:
                return record.team
        return None

    @property
    def owner(self) -> Any:
        for record in (self.deal, self.lead, self.client):
            if record is not None and record.owner_id:
                return record.owner
        return None


@dataclass(frozen=True)
class NextStep:
    """The agreed next contact: a date and a subject, or an explicit "none" with a reason."""

    due_at: dt.datetime | None = None
    subject: str = ""
    kind: str = TaskKind.NEXT_STEP
    no_next_step_reason: str = ""

    @property
    def given(self) -> bool:
        return self.due_at is not None and bool(self.subject.strip())


@dataclass(frozen=True)
class Promise:
    """Something promised on a call: a title and a deadline (absolute, or minutes after the call)."""

    title: str
    due_at: dt.datetime | None = None
    due_in_minutes: int | None = None


# --- Permissions and records ---------------------------------------------------------------------


def _require_worker(by: User | None) -> None:
    """`by=None` is the system (inbound mail, a job); a person needs the right to work records."""
    if by is not None:
        require(by, "work_records")


def _visible(by: User, record: Model) -> bool:
    return type(record)._default_manager.visible_to(by).filter(pk=record.pk).exists()  # type: ignore[attr-defined]


def resolve_records(
    *, by: User | None, lead: Any = None, client: Any = None, contact: Any = None, deal: Any = None
) -> Records:
    """Check the links (the author sees each record, they agree) and fill in the implied client."""
    if deal is not None and client is None:
        client = deal.client
    if contact is not None and client is None:
        client = contact.client
    errors: dict[str, list[str]] = {}
    if deal is not None and client is not None and deal.client_id != client.pk:
        errors["deal"] = [_("This deal belongs to another client.")]
    if contact is not None and client is not None and contact.client_id != client.pk:
        errors["contact"] = [_("This contact works at another client.")]
    if errors:
        raise BusinessError(_("The linked records do not belong together."), errors=errors)
    records = Records(lead=lead, client=client, contact=contact, deal=deal)
    if by is not None:
        for name, record in records.as_fields().items():
            # The client implied by a visible deal/contact is reachable through it.
            implied = name == "client" and (deal is not None or contact is not None)
            if record is not None and not implied and not _visible(by, record):
                raise PermissionDeniedError(_("You cannot work on this record."))
    return records


def _record_closed(records: Records) -> bool:
    """Every linked lead/deal is closed (a lead converted or refused, a deal won or lost)."""
    from clientela.deals.choices import DealStatus
    from clientela.leads.choices import LeadStatus

    closables = []
    if records.lead is not None:
        closables.append(records.lead.status in (LeadStatus.CONVERTED, LeadStatus.REFUSED))
    if records.deal is not None:
        closables.append(records.deal.status != DealStatus.OPEN)
    return bool(closables) and all(closables)


def _check_next_step(next_step: NextStep | None, records: Records, *, after: dt.datetime) -> None:
    step = next_step or NextStep()
    if step.given:
        assert step.due_at is not None
        if step.due_at <= after:
            raise BusinessError(
                _("The next step must be in the future."),
                errors={"next_step_at": [_("Choose a moment after this contact.")]},
            )
        return
    if step.no_next_step_reason.strip() or _record_closed(records):
        return
    errors: dict[str, list[str]] = {}
    if step.due_at is None:
        errors["next_step_at"] = [_("When is the next contact agreed?")]
    if not step.subject.strip():
        errors["next_step_subject"] = [_("What is the next contact about?")]
    errors["no_next_step_reason"] = [_("Or say why there is no next step.")]
    raise BusinessError(
        _("Agree the next step (date and subject) before closing this contact."), errors=errors
    )


# --- Activities ----------------------------------------------------------------------------------


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
) -> Activity:
    """Record something done with a lead/client/contact/deal. `by=None` is the system (e.g. mail)."""
    _require_worker(by)
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
        details=dict(details or {}),
        created_by=by,
        updated_by=by,
        **records.as_fields(),
    )
    contacts = list(participant_contacts)
    if contacts:
        activity.participant_contacts.set(contacts)
    audit_create(actor=by, instance=activity, fields=ACTIVITY_AUDIT_FIELDS)
    if _is_contact(activity) and records.lead is not None and not activity.details.get("acknowledgement"):
        from clientela.comms.services import clocks_stop_for_lead

        clocks_stop_for_lead(lead=records.lead, by=by, at=moment)
    if records.client is not None and (
        _is_contact(activity) or (activity.direction == Direction.IN and activity.kind in CONTACT_KINDS)
    ):
        from clientela.clients.services import client_record_activity

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


def _next_step_task(*, by: User, activity: Activity | None, step: NextStep, records: Records) -> Task | None:
    if not step.given:
        return None
    assert step.due_at is not None
    return task_create(
        by=by,
        title=step.subject.strip(),
        due_at=step.due_at,
        kind=step.kind or TaskKind.NEXT_STEP,
        source_activity=activity,
        **records.as_fields(),
    )


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
    _check_next_step(step, records, after=moment)
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
    task = _next_step_task(by=by, activity=activity, step=step, records=records)
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
    _require_worker(by)
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
    _require_worker(by)
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
    from urllib.parse import urlencode

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
    from django.conf import settings

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
        points.append(_("%(title)s (by %(due)s)") % {"title": task.title, "due": _moment(task.due_at)})
    next_step = ""
    if next_task is not None:
        next_step = _("%(title)s on %(due)s") % {"title": next_task.title, "due": _moment(next_task.due_at)}
    agreed = "\n".join(f"- {point}" for point in points)
    try:
        from clientela.comms.templates import render_message

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


def _moment(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


# --- Tasks ---------------------------------------------------------------------------------------


def _check_assignee(by: User | None, assignee: Any) -> None:
    if assignee is None or by is None:
        return
    if not assignee.is_active:
        raise BusinessError(_("Inactive user."), errors={"assignee": [_("This person is no longer active.")]})
    if assignee.pk == by.pk or role_of(by) == Role.ADMIN:
        return
    teams = visible_team_ids(by)
    if teams is not None and assignee.team_id not in teams:
        raise BusinessError(
            _("You can only give tasks to your team."),
            errors={"assignee": [_("Choose someone from your team.")]},
        )


def _require_task(by: User, task: Task) -> None:
    """Who may work the task (`core.permissions`: its assignee, the team's head, an admin, a
    manager of the team for an unassigned one), and whoever gave it. `by=None` is the system."""
    if by is None or can(by, task, Action.WORK):
        return
    if not (user_can(by, "work_records") and task.created_by_id == by.pk):
        raise PermissionDeniedError(_("You cannot change this task."))


def _validate_task_values(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "title" in values and not str(values["title"] or "").strip():
        errors["title"] = [_("This field is required.")]
    if "due_at" in values and values["due_at"] is None:
        errors["due_at"] = [_("This field is required.")]
    reminder = values.get("reminder_at")
    due = values.get("due_at")
    if reminder is not None and due is not None and reminder > due + dt.timedelta(days=1):
        errors["reminder_at"] = [_("A reminder should come before the task is due.")]
    if values.get("recurrence") not in (None, *Recurrence.values):
        errors["recurrence"] = [_("Choose a valid repetition.")]
    interval = values.get("recurrence_interval")
    if interval is not None and not 1 <= int(interval) <= 365:
        errors["recurrence_interval"] = [_("Between 1 and 365.")]
    until = values.get("recurrence_until")
    if until is not None and due is not None and until < timezone.localtime(due).date():
        errors["recurrence_until"] = [_("Must not be before the first occurrence.")]
    if values.get("kind") not in (None, *TaskKind.values):
        errors["kind"] = [_("Choose a valid kind.")]
    if values.get("priority") not in (None, *Priority.values):
        errors["priority"] = [_("Choose a valid priority.")]
    if errors:
        raise BusinessError(_("Please correct the task."), errors=errors)


@transaction.atomic
def task_create(
    *,
    by: User | None,
    title: str,
    due_at: dt.datetime,
    assignee: Any = None,
    kind: str = TaskKind.OTHER,
    priority: int = Priority.NORMAL,
    lead: Any = None,
    client: Any = None,
    contact: Any = None,
    deal: Any = None,
    reminder_at: dt.datetime | None = None,
    description: str = "",
    recurrence: str = Recurrence.NONE,
    recurrence_interval: int = 1,
    recurrence_until: dt.date | None = None,
    source_activity: Activity | None = None,
    previous: Task | None = None,
) -> Task:
    """Plan something to do. Unassigned tasks go to the author, or the record's owner for the system."""
    _require_worker(by)
    records = resolve_records(by=by, lead=lead, client=client, contact=contact, deal=deal)
    values = {
        "title": title,
        "due_at": due_at,
        "reminder_at": reminder_at,
        "recurrence": recurrence or Recurrence.NONE,
        "recurrence_interval": recurrence_interval,
        "recurrence_until": recurrence_until,
        "kind": kind,
        "priority": priority,
    }
    _validate_task_values(values)
    if assignee is None:
        assignee = by if by is not None else records.owner
    _check_assignee(by, assignee)
    task = Task.objects.create(
        title=title.strip()[:200],
        description=description,
        due_at=due_at,
        kind=kind,
        priority=priority,
        assignee=assignee,
        team=records.team or getattr(assignee, "team", None) or getattr(by, "team", None),
        reminder_at=reminder_at,
        recurrence=recurrence or Recurrence.NONE,
        recurrence_interval=recurrence_interval,
        recurrence_until=recurrence_until,
        source_activity=source_activity,
        previous=previous,
        created_by=by,
        updated_by=by,
        **records.as_fields(),
    )
    audit_create(actor=by, instance=task, fields=TASK_AUDIT_FIELDS)
    _schedule_reminder(task)
    if assignee is not None and by is not None and assignee.pk != by.pk:
        from clientela.core.language import in_language_of

        with in_language_of(assignee):
            text = _("%(who)s gave you a task: %(title)s") % {"who": by, "title": task.title}
        notify(user=assignee, verb="task_assigned", text=text, url=task_url(task))
    return task


def task_url(task: Task) -> str:
    try:
        return reverse("activities:task_edit", args=[task.pk])
    except NoReverseMatch:
        return ""


def _schedule_reminder(task: Task) -> None:
    if task.reminder_at is None or task.done_at is not None or task.reminded_at is not None:
        return
    from clientela.activities.tasks import send_task_reminder

    enqueue_on_commit(
        send_task_reminder.using(run_after=task.reminder_at),
        task_id=task.pk,
        reminder_at=task.reminder_at.isoformat(),
    )


@transaction.atomic
def task_update(*, by: User, task: Task, data: Mapping[str, Any]) -> Task:
    """Change a task's title, description, due date, priority, kind, reminder or repetition."""
    _require_worker(by)
    task = Task.objects.select_for_update().get(pk=task.pk)
    _require_task(by, task)
    unknown = set(data) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise BusinessError(
            _("These fields cannot be changed here."),
            errors={name: [_("Not editable.")] for name in sorted(unknown)},
        )
    merged = {name: data.get(name, getattr(task, name)) for name in TASK_EDITABLE_FIELDS}
    _validate_task_values(merged)
    changes_data = dict(data)
    if "recurrence" in changes_data and changes_data["recurrence"] is None:
        changes_data["recurrence"] = Recurrence.NONE
    reminder_moved = "reminder_at" in data and data["reminder_at"] != task.reminder_at
    if reminder_moved:
        changes_data["reminded_at"] = None
    task, _changes = model_update(instance=task, data=changes_data, actor=by)
    if reminder_moved:
        _schedule_reminder(task)
    return task


@dataclass
class CompletedTask:
    task: Task
    next_step: Task | None
    next_occurrence: Task | None


def _records_of(task: Task) -> Records:
    return Records(lead=task.lead, client=task.client, contact=task.contact, deal=task.deal)


@transaction.atomic
def task_complete(
    *,
    by: User,
    task: Task,
    result: str = "",
    next_step: NextStep | None = None,
    at: dt.datetime | None = None,
) -> CompletedTask:
    """Mark a task done. A call/meeting task about a record follows the next-step rule; a recurring
    task gets its next occurrence."""
    _require_worker(by)
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("lead", "client", "contact", "deal")
        .get(pk=task.pk)
    )
    _require_task(by, task)
    if task.done_at is not None:
        raise BusinessError(
            _("This task is already done."), errors={"__all__": [_("This task is already done.")]}
        )
    moment = at or timezone.now()
    records = _records_of(task)
    step = next_step or NextStep()
    conversation = task.kind in CONVERSATION_TASK_KINDS and records.any()
    if conversation:
        _check_next_step(step, records, after=moment)
    task.done_at = moment
    task.done_by = by
    task.result = result
    task.updated_by = by
    task.save(update_fields=["done_at", "done_by", "result", "updated_by", "updated_at"])
    audit_event(
        actor=by, instance=task, event="task_completed", changes={"done_at": moment, "result": result}
    )
    details: dict[str, Any] = {}
    if conversation and not step.given and step.no_next_step_reason.strip():
        details["no_next_step_reason"] = step.no_next_step_reason.strip()
        audit_event(
            actor=by, instance=task, event="no_next_step", changes={"reason": step.no_next_step_reason}
        )
    new_step = None
    if records.any() and step.given:
        new_step = _next_step_task(by=by, activity=task.source_activity, step=step, records=records)
    return CompletedTask(task=task, next_step=new_step, next_occurrence=_next_occurrence(by=by, task=task))


def next_due(task: Task) -> dt.datetime | None:
    """The due moment of the task's next occurrence (None when it does not repeat or has ended)."""
    freq = _RRULE_FREQ.get(task.recurrence)  # type: ignore[call-overload]
    if freq is None:
        return None
    local_due = timezone.localtime(task.due_at)
    rule = rrule(
        freq, interval=max(task.recurrence_interval, 1), dtstart=local_due.replace(tzinfo=None), count=2
    )
    following = list(rule)[1]
    if task.recurrence_until is not None and following.date() > task.recurrence_until:
        return None
    return timezone.make_aware(following, local_due.tzinfo)  # type: ignore[arg-type]


def _next_occurrence(*, by: User, task: Task) -> Task | None:
    due = next_due(task)
    if due is None or Task.objects.filter(previous=task).exists():
        return None
    reminder = None
    if task.reminder_at is not None:
        reminder = due - (task.due_at - task.reminder_at)
    return task_create(
        by=None,
        title=task.title,
        due_at=due,
        assignee=task.assignee,
        kind=task.kind,
        priority=task.priority,
        reminder_at=reminder,
        description=task.description,
        recurrence=task.recurrence,
        recurrence_interval=task.recurrence_interval,
        recurrence_until=task.recurrence_until,
        previous=task,
        **_records_of(task).as_fields(),
    )


@transaction.atomic
def task_reopen(*, by: User, task: Task) -> Task:
    _require_worker(by)
    task = Task.objects.select_for_update().get(pk=task.pk)
    _require_task(by, task)
    if task.done_at is None:
        raise BusinessError(
            _("This task is still open."), errors={"__all__": [_("This task is still open.")]}
        )
    task, _changes = model_update(instance=task, data={"done_at": None, "done_by": None}, actor=by)
    audit_event(actor=by, instance=task, event="task_reopened")
    return task


@transaction.atomic
def task_reassign(*, by: User, task: Task, assignee: Any) -> Task:
    """Give the task to someone else; both the previous and the new assignee are told."""
    _require_worker(by)
    task = Task.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=task.pk)
    _require_task(by, task)
    if assignee is None:
        raise BusinessError(_("Choose who does it."), errors={"assignee": [_("This field is required.")]})
    _check_assignee(by, assignee)
    previous = task.assignee
    if previous is not None and previous.pk == assignee.pk:
        return task
    data: dict[str, Any] = {"assignee": assignee}
    if task.lead_id is None and task.deal_id is None and task.client_id is None and assignee.team_id:
        data["team"] = assignee.team
    task, _changes = model_update(instance=task, data=data, actor=by)
    from clientela.core.language import in_language_of

    url = task_url(task)
    with in_language_of(assignee):
        text = _("%(who)s gave you a task: %(title)s") % {"who": by or _("Clientela"), "title": task.title}
    notify(user=assignee, verb="task_assigned", text=text, url=url)
    if previous is not None and (by is None or previous.pk != by.pk):
        with in_language_of(previous):
            text = _("Your task %(title)s now belongs to %(who)s") % {"title": task.title, "who": assignee}
        notify(user=previous, verb="task_reassigned", text=text, url=url)
    return task


# --- Reminders -----------------------------------------------------------------------------------


def task_remind(*, task_id: int, reminder_at: str | None = None, now: dt.datetime | None = None) -> bool:
    """Tell the assignee about a task whose reminder is due, once. Returns whether it was sent.

    `reminder_at` is the moment the deferred job was scheduled for: a job for a reminder that was
    since moved does nothing (the new moment has its own job).
    """
    moment = now or timezone.now()
    sent = False

    def effect() -> None:
        nonlocal sent
        task = (
            Task.objects.select_for_update(of=("self",)).select_related("assignee").filter(pk=task_id).first()
        )
        if (
            task is None
            or task.done_at is not None
            or task.reminded_at is not None
            or task.reminder_at is None
        ):
            return
        if task.reminder_at > moment:
            return
        if reminder_at is not None and task.reminder_at.isoformat() != reminder_at:
            return
        task.reminded_at = moment
        task.save(update_fields=["reminded_at"])
        from clientela.core.language import in_language_of

        # Written by a background job: in the language of the assignee who reads it.
        with in_language_of(task.assignee):
            text = _("Reminder: %(title)s (due %(due)s)") % {
                "title": task.title,
                "due": f"{timezone.localtime(task.due_at):%Y-%m-%d %H:%M}",
            }
        notify(user=task.assignee, verb="task_reminder", text=text, url=task_url(task))
        sent = True

    with transaction.atomic():
        current = (
            Task.objects.select_for_update().filter(pk=task_id).values_list("reminder_at", flat=True).first()
        )
        # Not due yet, or a job for a moment since moved: do nothing and leave the key free.
        if (
            current is None
            or current > moment
            or (reminder_at is not None and current.isoformat() != reminder_at)
        ):
            return False
        run_once(f"activities.task_reminder:{task_id}:{current.isoformat()}", effect)
    return sent


def reminders_sweep(*, now: dt.datetime | None = None) -> int:
    """Send every due reminder a lost job missed. Returns how many were sent."""
    moment = now or timezone.now()
    due = Task.objects.filter(done_at__isnull=True, reminded_at__isnull=True, reminder_at__lte=moment)
    return sum(task_remind(task_id=pk, now=moment) for pk in due.values_list("pk", flat=True)[:1000])


# --- Keep-alive ----------------------------------------------------------------------------------


def keep_alive_policy(team: Any) -> KeepAlivePolicy:
    """The team's keep-alive policy (the defaults when the team has none yet)."""
    if team is None:
        return KeepAlivePolicy()
    policy = KeepAlivePolicy.objects.filter(team=team).first()
    return policy or KeepAlivePolicy(team=team)


@transaction.atomic
def keep_alive_policy_update(*, by: User, team: Any, enabled: bool, days: int) -> KeepAlivePolicy:
    require(by, "view_team_settings")
    teams = visible_team_ids(by)
    if teams is not None and team.pk not in teams:
        raise PermissionDeniedError(_("You cannot change another team's settings."))
    if role_of(by) != Role.ADMIN and team.head_id != by.pk:
        raise PermissionDeniedError(_("Only the team's head of sales can change this."))
    if not 1 <= int(days) <= 60:
        raise BusinessError(_("Please correct the policy."), errors={"days": [_("Between 1 and 60 days.")]})
    policy = KeepAlivePolicy.objects.filter(team=team).first()
    if policy is None:
        policy = KeepAlivePolicy.objects.create(
            team=team, enabled=enabled, days=days, created_by=by, updated_by=by
        )
        audit_create(actor=by, instance=policy, fields=("team", "enabled", "days"))
        return policy
    policy, _changes = model_update(instance=policy, data={"enabled": enabled, "days": int(days)}, actor=by)
    return policy
