"""API: activities (calls, e-mails, meetings … on leads, clients, contacts, deals) and tasks.

Lists answer `{"count", "items"}` with `limit`/`offset`, scoped like the pages: filtering by a
record you cannot see, or reading an activity/task you cannot see, is 404. Logging a call or a
meeting follows the next-step rule: send `next_step` (`due_at` + `subject`) or
`next_step.no_next_step_reason`, else 422 naming the missing fields; `promises` become tasks
with their deadlines. Completing a call/meeting task follows the same rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from clientela.activities import selectors
from clientela.activities.choices import ActivityKind, Priority, Recurrence, TaskKind
from clientela.activities.models import Activity, Task
from clientela.activities.services.log import Promise, activity_log, call_log, meeting_log
from clientela.activities.services.next_step import NextStep
from clientela.activities.services.task import (
    task_complete,
    task_create,
    task_reassign,
    task_reopen,
    task_update,
)
from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import require
from clientela.deals.models import Deal
from clientela.leads.models import Lead
from clientela.users.selectors import users_visible_to

router = Router(tags=["activities"])


class Ref(Schema):
    id: int
    name: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


# --- Records --------------------------------------------------------------------------------------


def _record(request: HttpRequest, name: str, pk: int | None) -> Any:
    """A lead/client/contact/deal the caller may see; anything else is 404 (existence does not leak)."""
    if pk is None:
        return None

    model: Any = {"lead": Lead, "client": Client, "contact": Contact, "deal": Deal}[name]
    record = model.objects.visible_to(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404(_("No such %(record)s.") % {"record": model._meta.verbose_name})
    return record


def _records(request: HttpRequest, source: Any) -> dict[str, Any]:
    return {
        name: _record(request, name, getattr(source, name, None))
        for name in ("lead", "client", "contact", "deal")
    }


def _user(request: HttpRequest, pk: int | None, field: str = "assignee") -> Any:
    if pk is None:
        return None

    user = users_visible_to(request.user).filter(pk=pk).first()
    if user is None:
        raise BusinessError(_("Unknown person."), errors={field: [_("No such user.")]})
    return user


# --- Activities ----------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    kind: str
    direction: str
    occurred_at: dt.datetime
    subject: str
    body: str
    outcome: str
    duration_minutes: int | None
    place: str
    participants: str
    lead: int | None = Field(None, alias="lead_id")
    client: int | None = Field(None, alias="client_id")
    contact: int | None = Field(None, alias="contact_id")
    deal: int | None = Field(None, alias="deal_id")
    owner: Ref | None
    details: dict[str, Any]
    created_at: dt.datetime

    @staticmethod
    def resolve_owner(obj: Activity) -> dict[str, Any] | None:
        return _ref(obj.owner)


class ActivityQuery(PageParams):
    lead: int | None = None
    client: int | None = None
    contact: int | None = None
    deal: int | None = None
    kind: str | None = Field(None, description="call, email, meeting, proposal, price_list, printed, note")
    owner: int | None = None
    since: dt.datetime | None = Field(None, description="Occurred at or after")
    until: dt.datetime | None = Field(None, description="Occurred before")


class NextStepIn(Schema):
    due_at: dt.datetime | None = None
    subject: str = ""
    no_next_step_reason: str = ""

    def as_next_step(self) -> NextStep:
        return NextStep(
            due_at=self.due_at, subject=self.subject, no_next_step_reason=self.no_next_step_reason
        )


class PromiseIn(Schema):
    title: str
    due_at: dt.datetime | None = None
    due_in_minutes: int | None = Field(None, ge=1, le=60 * 24 * 365)


class ActivityIn(Schema):
    kind: str
    direction: str = ""
    occurred_at: dt.datetime | None = None
    subject: str = Field("", max_length=200)
    body: str = ""
    outcome: str = ""
    duration_minutes: int | None = Field(None, ge=0, le=24 * 60)
    place: str = Field("", max_length=200)
    participants: str = Field("", max_length=500)
    lead: int | None = None
    client: int | None = None
    contact: int | None = None
    deal: int | None = None
    next_step: NextStepIn | None = None
    promises: list[PromiseIn] = []
    # A proposal or price list sooner than the minimum after the client's previous offer: 409
    # unless true (then it is recorded as an early offer).
    confirm_early: bool = False


def _activity_list(request: HttpRequest, query: ActivityQuery) -> QuerySet[Activity]:
    records = _records(request, query)
    if any(records.values()):
        # Everything on a record the caller sees (its whole history, whoever logged it).
        activities: QuerySet[Activity] = Activity.objects.all()
        for name, record in records.items():
            if record is not None:
                activities = activities.filter(**{name: record})
    else:
        activities = selectors.visible_activities(request.user)
    if query.kind:
        if query.kind not in ActivityKind.values:
            raise BusinessError(_("Unknown kind."), errors={"kind": [_("Choose a valid kind.")]})
        activities = activities.filter(kind=query.kind)
    if query.owner is not None:
        activities = activities.filter(owner_id=query.owner)
    if query.since is not None:
        activities = activities.filter(occurred_at__gte=query.since)
    if query.until is not None:
        activities = activities.filter(occurred_at__lt=query.until)
    return activities.select_related("owner").order_by("-occurred_at", "-id")


@router.get("/activities", response=Page[ActivityOut], summary="Activities visible to you")
def list_activities(request: HttpRequest, query: Query[ActivityQuery]) -> dict[str, Any]:
    """Filter by record (`lead`, `client`, `contact`, `deal`: the record's whole history), `kind`,
    `owner` (who did it) and a date range (`since` ≤ occurred_at < `until`). Newest first."""
    return paginate(_activity_list(request, query), query)


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    activity = (
        selectors.visible_activities(request.user).filter(pk=activity_id).select_related("owner").first()
    )
    if activity is None:
        raise Http404(_("Not found."))
    return activity


@router.get("/activities/{activity_id}", response=ActivityOut, summary="One activity")
def get_activity(request: HttpRequest, activity_id: int) -> Activity:
    return _activity(request, activity_id)


@router.post("/activities", response={201: ActivityOut}, summary="Log an activity")
def create_activity(request: AuthedRequest, payload: ActivityIn) -> Status[Activity]:
    """Calls and meetings need an `outcome` and follow the next-step rule (`next_step`);
    `promises` given on a call become tasks. Other kinds are logged as they are."""
    require(request.user, "work_records")
    records = _records(request, payload)
    step = payload.next_step.as_next_step() if payload.next_step else None
    promises = [Promise(p.title, p.due_at, p.due_in_minutes) for p in payload.promises]
    common: dict[str, Any] = {
        "by": request.user,
        "outcome": payload.outcome,
        "subject": payload.subject,
        "body": payload.body,
        "occurred_at": payload.occurred_at,
        "duration_minutes": payload.duration_minutes,
        "next_step": step,
        "promises": promises,
        **records,
    }
    if payload.kind == ActivityKind.CALL:
        activity = call_log(direction=payload.direction or "out", **common).activity
    elif payload.kind == ActivityKind.MEETING:
        activity = meeting_log(place=payload.place, participants=payload.participants, **common).activity
    else:
        if promises:
            raise BusinessError(
                _("Promises are given on calls and meetings."),
                errors={"promises": [_("Log a call or a meeting to record promises.")]},
            )
        activity = activity_log(
            by=request.user,
            kind=payload.kind,
            direction=payload.direction,
            subject=payload.subject,
            body=payload.body,
            occurred_at=payload.occurred_at,
            outcome=payload.outcome,
            duration_minutes=payload.duration_minutes,
            place=payload.place,
            participants=payload.participants,
            confirm_early=payload.confirm_early,
            **records,
        )
    return Status(201, activity)


# --- Tasks ---------------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    kind: str
    title: str = Field(description="The title in the caller's language (a typed title as typed).")
    title_message: dict[str, Any] | None = Field(
        None, description="A title the system wrote, as stored: a message code and its parameters."
    )
    description: str
    due_at: dt.datetime
    priority: int
    assignee: Ref | None
    lead: int | None = Field(None, alias="lead_id")
    client: int | None = Field(None, alias="client_id")
    contact: int | None = Field(None, alias="contact_id")
    deal: int | None = Field(None, alias="deal_id")
    reminder_at: dt.datetime | None
    reminded_at: dt.datetime | None
    recurrence: str
    recurrence_interval: int
    recurrence_until: dt.date | None
    source_activity: int | None = Field(None, alias="source_activity_id")
    done_at: dt.datetime | None
    result: str
    overdue: bool

    @staticmethod
    def resolve_title(obj: Task) -> str:
        return obj.shown_title

    @staticmethod
    def resolve_assignee(obj: Task) -> dict[str, Any] | None:
        return _ref(obj.assignee)

    @staticmethod
    def resolve_overdue(obj: Task) -> bool:
        return obj.done_at is None and obj.due_at < timezone.now()


class TaskQuery(PageParams):
    assignee: int | None = None
    status: str = Field("open", description="open, done or all")
    overdue: bool | None = None
    due_from: dt.datetime | None = None
    due_to: dt.datetime | None = None
    kind: str | None = None
    lead: int | None = None
    client: int | None = None
    contact: int | None = None
    deal: int | None = None


class TaskIn(Schema):
    title: str = Field(..., max_length=200)
    due_at: dt.datetime
    kind: str = TaskKind.OTHER
    priority: int = Priority.NORMAL
    description: str = ""
    assignee: int | None = None
    lead: int | None = None
    client: int | None = None
    contact: int | None = None
    deal: int | None = None
    reminder_at: dt.datetime | None = None
    recurrence: str = Recurrence.NONE
    recurrence_interval: int = Field(1, ge=1, le=365)
    recurrence_until: dt.date | None = None


class TaskPatchIn(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    due_at: dt.datetime | None = None
    priority: int | None = None
    kind: str | None = None
    reminder_at: dt.datetime | None = None
    recurrence: str | None = None
    recurrence_interval: int | None = Field(None, ge=1, le=365)
    recurrence_until: dt.date | None = None
    assignee: int | None = None


class CompleteIn(Schema):
    result: str = ""
    next_step: NextStepIn | None = None
    # For a task that asks how it went (e.g. the post-sale "is the product in use?" call: one of
    # `not_in_use` with `outcome_date` = the day of use, `satisfied`, `unhappy`); 422 when missing.
    outcome: str = ""
    outcome_date: dt.date | None = None


class CompletedOut(Schema):
    task: TaskOut
    next_step: TaskOut | None
    next_occurrence: TaskOut | None


def _task_list(request: HttpRequest, query: TaskQuery) -> QuerySet[Task]:
    records = _records(request, query)
    if any(records.values()):
        tasks: QuerySet[Task] = Task.objects.all()
        for name, record in records.items():
            if record is not None:
                tasks = tasks.filter(**{name: record})
    else:
        tasks = selectors.visible_tasks(request.user)
    now = timezone.now()
    if query.status == "open":
        tasks = tasks.filter(done_at__isnull=True)
    elif query.status == "done":
        tasks = tasks.filter(done_at__isnull=False)
    elif query.status != "all":
        raise BusinessError(_("Unknown status."), errors={"status": [_("Choose open, done or all.")]})
    if query.assignee is not None:
        tasks = tasks.filter(assignee_id=query.assignee)
    if query.overdue is True:
        tasks = tasks.filter(done_at__isnull=True, due_at__lt=now)
    elif query.overdue is False:
        tasks = tasks.filter(Q(due_at__gte=now) | Q(done_at__isnull=False))
    if query.due_from is not None:
        tasks = tasks.filter(due_at__gte=query.due_from)
    if query.due_to is not None:
        tasks = tasks.filter(due_at__lt=query.due_to)
    if query.kind:
        tasks = tasks.filter(kind=query.kind)
    return tasks.select_related("assignee").order_by("due_at", "-priority", "id")


@router.get("/tasks", response=Page[TaskOut], summary="Tasks visible to you")
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> dict[str, Any]:
    """Filter by `assignee`, `status` (open — the default —, done, all), `overdue`, a due range
    (`due_from` ≤ due_at < `due_to`), `kind` and record (`lead`, `client`, `contact`, `deal`)."""
    return paginate(_task_list(request, query), query)


def _task(request: HttpRequest, task_id: int) -> Task:
    task = selectors.visible_tasks(request.user).filter(pk=task_id).select_related("assignee").first()
    if task is None:
        raise Http404(_("Not found."))
    return task


@router.get("/tasks/{task_id}", response=TaskOut, summary="One task")
def get_task(request: HttpRequest, task_id: int) -> Task:
    return _task(request, task_id)


@router.post("/tasks", response={201: TaskOut}, summary="Plan a task")
def create_task(request: AuthedRequest, payload: TaskIn) -> Status[Task]:
    require(request.user, "work_records")
    task = task_create(
        by=request.user,
        title=payload.title,
        due_at=payload.due_at,
        kind=payload.kind,
        priority=payload.priority,
        description=payload.description,
        assignee=_user(request, payload.assignee),
        reminder_at=payload.reminder_at,
        recurrence=payload.recurrence,
        recurrence_interval=payload.recurrence_interval,
        recurrence_until=payload.recurrence_until,
        **_records(request, payload),
    )
    return Status(201, task)


@router.patch("/tasks/{task_id}", response=TaskOut, summary="Change a task")
def update_task(request: AuthedRequest, task_id: int, payload: TaskPatchIn) -> Task:
    """Only the fields sent change; `assignee` hands the task over (both people are told)."""
    task = _task(request, task_id)
    sent = payload.model_dump(exclude_unset=True)
    assignee = sent.pop("assignee", None) if "assignee" in sent else None
    for required in ("title", "due_at"):
        if required in sent and sent[required] is None:
            raise BusinessError(
                _("Please correct the task."), errors={required: [_("This field is required.")]}
            )
    if sent:
        task = task_update(by=request.user, task=task, data=sent)
    if assignee is not None:
        task = task_reassign(by=request.user, task=task, assignee=_user(request, assignee))
    task.refresh_from_db()
    return task


@router.post("/tasks/{task_id}/complete", response=CompletedOut, summary="Mark a task done")
def complete_task(request: AuthedRequest, task_id: int, payload: CompleteIn) -> dict[str, Any]:
    """A call/meeting task needs `next_step` (or `next_step.no_next_step_reason`) unless its record
    is closed. A recurring task answers its `next_occurrence`."""
    task = _task(request, task_id)
    done = task_complete(
        by=request.user,
        task=task,
        result=payload.result,
        next_step=payload.next_step.as_next_step() if payload.next_step else None,
        outcome=payload.outcome,
        outcome_date=payload.outcome_date,
    )
    return {"task": done.task, "next_step": done.next_step, "next_occurrence": done.next_occurrence}


@router.post("/tasks/{task_id}/reopen", response=TaskOut, summary="Reopen a done task")
def reopen_task(request: AuthedRequest, task_id: int) -> Task:
    return task_reopen(by=request.user, task=_task(request, task_id))
