"""Tasks: something to do by a moment, for a person, usually about a record.

* `task_create` — unassigned tasks go to the author (the record's owner when the system plans
  them); a manager gives tasks only within their team; the assignee is told.
* `task_update` — title, description, due time, priority, kind, reminder, repetition; a moved
  reminder gets a new deferred job.
* `task_complete` — a call/meeting task about a record follows the next-step rule
  (`next_step.py`); a **recurring** task gets its next occurrence (dateutil rrule), once.
* `task_reopen`, `task_reassign` (both the previous and the new assignee are told).
* A task with `reminder_at` gets a deferred job at that moment (`activities.tasks.send_task_reminder`);
  sending it is `reminders.py`.

Who may change a task: who may work it (`core.permissions`), and whoever gave it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import CONVERSATION_TASK_KINDS, Priority, Recurrence, TaskKind
from clientela.activities.hooks import TASK_COMPLETED, OutcomeQuestion, outcome_question
from clientela.activities.models import Activity, Task
from clientela.activities.services.next_step import NextStep, check_next_step
from clientela.activities.services.records import Records, records_of, require_worker, resolve_records
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, role_of, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.core.texts import Message, stored
from clientela.core.zones import local
from clientela.users.models import User

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
    title: str | Message,
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
    require_worker(by)
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
    title_text, title_message = stored(title if isinstance(title, Message) else title.strip(), 200)
    task = Task.objects.create(
        title=title_text,
        title_message=title_message,
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
        with in_language_of(assignee):
            text = _("%(who)s gave you a task: %(title)s") % {"who": by, "title": task.shown_title}
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
    # The jobs module calls these services, so it is imported when a reminder is scheduled.
    from clientela.activities.tasks import send_task_reminder

    enqueue_on_commit(
        send_task_reminder.using(run_after=task.reminder_at),
        task_id=task.pk,
        reminder_at=task.reminder_at.isoformat(),
    )


@transaction.atomic
def task_update(*, by: User, task: Task, data: Mapping[str, Any]) -> Task:
    """Change a task's title, description, due date, priority, kind, reminder or repetition."""
    require_worker(by)
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
    if "title" in data and task.title_message is not None:
        if data["title"] == task.shown_title:
            changes_data.pop("title")  # the system's title, as the reader saw it: untouched
        else:
            changes_data["title_message"] = None  # typed over: the person's words from now on
    task, _changes = model_update(instance=task, data=changes_data, actor=by)
    if reminder_moved:
        _schedule_reminder(task)
    return task


def next_step_task(*, by: User, activity: Activity | None, step: NextStep, records: Records) -> Task | None:
    """The agreed next contact as a task (None when no next step was given)."""
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
class CompletedTask:
    task: Task
    next_step: Task | None
    next_occurrence: Task | None


@transaction.atomic
def task_complete(
    *,
    by: User,
    task: Task,
    result: str = "",
    next_step: NextStep | None = None,
    at: dt.datetime | None = None,
    outcome: str = "",
    outcome_date: dt.date | None = None,
) -> CompletedTask:
    """Mark a task done. A call/meeting task about a record follows the next-step rule; a recurring
    task gets its next occurrence. A task that asks an outcome (`hooks.TASK_OUTCOMES`, e.g. the
    post-sale call) needs one of its choices (and a date where the choice asks one); what follows
    is done by `hooks.TASK_COMPLETED` in the same transaction."""
    require_worker(by)
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
    question = outcome_question(task)
    outcome, outcome_date = _check_outcome(question, outcome, outcome_date, after=timezone.localdate(moment))
    records = records_of(task)
    step = next_step or NextStep()
    conversation = task.kind in CONVERSATION_TASK_KINDS and records.any()
    if conversation:
        check_next_step(step, records, after=moment)
    task.done_at = moment
    task.done_by = by
    task.result = result
    task.updated_by = by
    task.save(update_fields=["done_at", "done_by", "result", "updated_by", "updated_at"])
    completed_changes: dict[str, Any] = {"done_at": moment, "result": result}
    if question is not None:
        completed_changes.update(outcome=outcome, outcome_date=outcome_date)
    audit_event(actor=by, instance=task, event="task_completed", changes=completed_changes)
    details: dict[str, Any] = {}
    if conversation and not step.given and step.no_next_step_reason.strip():
        details["no_next_step_reason"] = step.no_next_step_reason.strip()
        audit_event(
            actor=by, instance=task, event="no_next_step", changes={"reason": step.no_next_step_reason}
        )
    new_step = None
    if records.any() and step.given:
        new_step = next_step_task(by=by, activity=task.source_activity, step=step, records=records)
    for hook in TASK_COMPLETED:
        hook(by=by, task=task, outcome=outcome, outcome_date=outcome_date)
    return CompletedTask(task=task, next_step=new_step, next_occurrence=_next_occurrence(by=by, task=task))


def _check_outcome(
    question: OutcomeQuestion | None, outcome: str, outcome_date: dt.date | None, *, after: dt.date
) -> tuple[str, dt.date | None]:
    """The task's outcome as its question allows (nothing when it asks none)."""
    if question is None:
        return "", None
    outcome = (outcome or "").strip()
    if outcome not in {value for value, _label in question.choices}:
        raise BusinessError(
            _("Say how it went before marking the task done."),
            errors={"outcome": [_("Choose one of the answers.")]},
        )
    if outcome not in question.date_for:
        return outcome, None
    if outcome_date is None:
        raise BusinessError(_("Enter the date."), errors={"outcome_date": [_("This field is required.")]})
    if outcome_date < after:
        raise BusinessError(
            _("The date cannot be in the past."), errors={"outcome_date": [_("Choose today or a later day.")]}
        )
    return outcome, outcome_date


def next_due(task: Task) -> dt.datetime | None:
    """The due moment of the task's next occurrence (None when it does not repeat or has ended)."""
    freq = _RRULE_FREQ.get(task.recurrence)  # type: ignore[call-overload]
    if freq is None:
        return None
    # The series keeps its wall-clock time in the assignee's zone (across daylight saving).
    local_due = local(task.due_at, task.assignee if task.assignee_id else None)
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
        title=Message.from_json(task.title_message) or task.title,
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
        **records_of(task).as_fields(),
    )


@transaction.atomic
def task_reopen(*, by: User, task: Task) -> Task:
    require_worker(by)
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
    require_worker(by)
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
    url = task_url(task)
    with in_language_of(assignee):
        text = _("%(who)s gave you a task: %(title)s") % {
            "who": by or _("Clientela"),
            "title": task.shown_title,
        }
    notify(user=assignee, verb="task_assigned", text=text, url=url)
    if previous is not None and (by is None or previous.pk != by.pk):
        with in_language_of(previous):
            text = _("Your task %(title)s now belongs to %(who)s") % {
                "title": task.shown_title,
                "who": assignee,
            }
        notify(user=previous, verb="task_reassigned", text=text, url=url)
    return task
