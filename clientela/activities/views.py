"""Pages of activities and tasks: the record panel's HTMX endpoints, the task list and form, the
list of records without a next step, the summary and keep-alive e-mail drafts, keep-alive settings."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from clientela.activities import keepalive, selectors
from clientela.activities.choices import CONVERSATION_TASK_KINDS, ActivityKind, Recurrence, TaskKind
from clientela.activities.forms import CompleteForm, KeepAliveForm, LogForm, TaskForm
from clientela.activities.hooks import outcome_question
from clientela.activities.keepalive import keep_alive_policy, keep_alive_policy_update
from clientela.activities.models import Activity, Task
from clientela.activities.services.log import activity_log, call_log, meeting_log, summary_compose_url
from clientela.activities.services.records import Records, record_closed, records_of
from clientela.activities.services.task import (
    task_complete,
    task_create,
    task_reassign,
    task_reopen,
    task_update,
)
from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.permissions import get_visible_or_404, role_of, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.deals.models import Deal
from clientela.leads.models import Lead
from clientela.users.selectors import teams_visible_to, users_visible_to

RECORD_KINDS = ("lead", "client", "contact", "deal")
DETAIL_URLS = {
    "lead": "leads:detail",
    "client": "clients:detail",
    "contact": "clients:contact_detail",
    "deal": "deals:detail",
}


def _model(kind: str) -> Any:

    return {"lead": Lead, "client": Client, "contact": Contact, "deal": Deal}[kind]


def record_kind(record: Any) -> str:
    return str(record._meta.model_name)


def get_record(request: AuthedRequest, kind: str, pk: Any) -> Any:
    if kind not in RECORD_KINDS:
        raise Http404(_("Not found."))
    return get_visible_or_404(_model(kind).objects.all(), request.user, pk=pk)


def record_url(record: Any) -> str:
    return reverse(DETAIL_URLS[record_kind(record)], args=[record.pk])


def _done(request: AuthedRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# --- The record panel ----------------------------------------------------------------------------


def panel_context(request: AuthedRequest, record: Any, **extra: Any) -> dict[str, Any]:
    kind = record_kind(record)
    timeline = selectors.timeline_for(viewer=request.user, **{kind: record})
    closed = record_closed(Records(**{kind: record})) if kind in ("lead", "deal") else False
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    return {
        "record": record,
        "record_kind": kind,
        "timeline": timeline,
        "can_work": user_can(request.user, "work_records"),
        "needs_next_step": kind in ("lead", "deal") and not closed and not timeline.has_next_step,
        "record_closed": closed,
        **_composer_forms(extra.pop("log_form", None), tomorrow),
        "task_form": extra.pop("task_form", None)
        # Quick tasks from the card are the author's (one query less on every card); the task
        # form hands them over.
        or TaskForm(auto_id="id_task_%s"),
        "now": timezone.now(),
        "mail_ready": _mail_ready(),
        **extra,
    }


def _composer_forms(bound: LogForm | None, tomorrow: dt.datetime) -> dict[str, Any]:
    """One form per composer tab (call, meeting, note); a refused one comes back with its errors."""
    initial: dict[str, dict[str, Any]] = {
        "call": {"kind": ActivityKind.CALL, "direction": "out", "next_step_at": tomorrow},
        "meeting": {"kind": ActivityKind.MEETING, "next_step_at": tomorrow},
        "note": {"kind": ActivityKind.NOTE},
    }
    bound_tab = ""
    if bound is not None:
        kind = bound.data.get("kind", "")
        bound_tab = kind if kind in ("call", "meeting") else "note"
    forms: dict[str, Any] = {}
    for tab, values in initial.items():
        if tab == bound_tab and bound is not None:
            bound.auto_id = f"id_{tab}_%s"
            forms[f"{tab}_form"] = bound
        else:
            forms[f"{tab}_form"] = LogForm(initial=values, auto_id=f"id_{tab}_%s")
    return {**forms, "bound_tab": bound_tab}


def _mail_ready() -> bool:
    try:
        reverse("mail:compose")
    except Exception:
        return False
    return True


@login_required
def panel(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    record = get_record(request, kind, pk)
    return render(request, "activities/_panel.html", panel_context(request, record))


@login_required
@require_POST
def log_activity(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """The composer: a call or meeting (next-step rule, promises) or a note/e-mail/proposal …"""
    record = get_record(request, kind, pk)
    form = LogForm(request.POST)
    logged = None
    if form.is_valid():
        data = form.cleaned_data
        links = {kind: record}

        def act() -> Any:
            common = {
                "by": request.user,
                "subject": data["subject"],
                "body": data["body"],
                "occurred_at": data["occurred_at"],
                "duration_minutes": data["duration_minutes"],
                "next_step": form.next_step(),
                "promises": form.promises(),
                **links,
            }
            if data["kind"] == ActivityKind.CALL:
                return call_log(outcome=data["outcome"], direction=data["direction"] or "out", **common)
            if data["kind"] == ActivityKind.MEETING:
                return meeting_log(
                    outcome=data["outcome"], place=data["place"], participants=data["participants"], **common
                )
            if form.promises():
                raise BusinessError(
                    _("Promises are given on calls and meetings."),
                    errors={"promise_title": [_("Log a call or a meeting to record promises.")]},
                )
            return activity_log(
                by=request.user,
                kind=data["kind"],
                direction=data["direction"],
                subject=data["subject"],
                body=data["body"],
                occurred_at=data["occurred_at"],
                confirm_early=data["confirm_early"],
                **links,
            )

        logged = perform(form, act)
    if logged:
        if not request.htmx:
            return _done(request, record_url(record), _("Logged."))
        activity = logged if isinstance(logged, Activity) else logged.activity
        return render(request, "activities/_panel.html", panel_context(request, record, just_logged=activity))
    context = panel_context(request, record, log_form=form, open_composer="log")
    status = 422
    if request.htmx:
        return render(request, "activities/_panel.html", context, status=status)
    return render(request, "activities/panel_page.html", context, status=status)


@login_required
@require_POST
def add_task(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    record = get_record(request, kind, pk)
    form = TaskForm(request.POST, assignees=_assignee_choices(request), auto_id="id_task_%s")
    if form.is_valid() and perform(form, lambda: _create_task(request, form, {kind: record})):
        if not request.htmx:
            return _done(request, record_url(record), _("Task added."))
        return render(request, "activities/_panel.html", panel_context(request, record))
    context = panel_context(request, record, task_form=form, open_composer="task")
    if request.htmx:
        return render(request, "activities/_panel.html", context, status=422)
    return render(request, "activities/panel_page.html", context, status=422)


def _create_task(request: AuthedRequest, form: TaskForm, links: dict[str, Any]) -> Task:
    data = form.cleaned_data
    assignee = (
        users_visible_to(request.user).filter(pk=data["assignee"]).first() if data["assignee"] else None
    )
    return task_create(
        by=request.user,
        title=data["title"],
        due_at=data["due_at"],
        kind=data["kind"],
        priority=data["priority"],
        assignee=assignee,
        reminder_at=data["reminder_at"],
        description=data["description"],
        recurrence=data["recurrence"] or Recurrence.NONE,
        recurrence_interval=data["recurrence_interval"],
        recurrence_until=data["recurrence_until"],
        **links,
    )


def _assignee_choices(request: AuthedRequest) -> list[tuple[int, str]]:
    users = users_visible_to(request.user).filter(is_active=True).exclude(pk=request.user.pk)
    users = users.filter(role__in=(Role.ADMIN, Role.HEAD, Role.MANAGER)).order_by("first_name", "username")
    return [(user.pk, user.get_full_name() or user.username) for user in users]


def _task_for(request: AuthedRequest, pk: int) -> Task:
    task = (
        selectors.visible_tasks(request.user)
        .select_related("lead", "client", "contact", "deal", "assignee")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404(_("Not found."))
    return task


def _task_record(task: Task) -> Any:
    return task.deal or task.lead or task.contact or task.client


@login_required
def complete_task(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET: the completion form (with the next step when the rule applies); POST: complete it."""
    task = _task_for(request, pk)
    question = outcome_question(task)
    form = CompleteForm(request.POST or None, question=question)
    record = _task_record(task)
    if request.method == "POST" and form.is_valid():
        done = perform(
            form,
            lambda: task_complete(
                by=request.user,
                task=task,
                result=form.cleaned_data["result"],
                next_step=form.next_step(),
                outcome=form.cleaned_data["outcome"],
                outcome_date=form.cleaned_data["outcome_date"],
            ),
        )
        if done:
            if request.htmx and record is not None and request.POST.get("panel"):
                return render(request, "activities/_panel.html", panel_context(request, record))
            return _done(request, safe_next(request, reverse("activities:tasks")), _("Task done."))
    context = {
        "task": task,
        "form": form,
        "question": question,
        "asks_next_step": task.kind in CONVERSATION_TASK_KINDS
        and record is not None
        and not record_closed(records_of(task)),
        "next": safe_next(request, ""),
    }
    status = 422 if request.method == "POST" else 200
    template = "activities/_complete_form.html" if request.htmx else "activities/task_complete.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def reopen_task(request: AuthedRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    try:
        task_reopen(by=request.user, task=task)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect(safe_next(request, reverse("activities:tasks")))
    return _done(request, safe_next(request, reverse("activities:tasks")), _("Task reopened."))


# --- Task list and form --------------------------------------------------------------------------


TASK_FILTERS = {
    "open": lambda tasks, now, today_end: tasks.filter(done_at__isnull=True),
    "overdue": lambda tasks, now, today_end: tasks.filter(done_at__isnull=True, due_at__lt=now),
    "today": lambda tasks, now, today_end: tasks.filter(
        done_at__isnull=True, due_at__gte=now, due_at__lt=today_end
    ),
    "upcoming": lambda tasks, now, today_end: tasks.filter(done_at__isnull=True, due_at__gte=today_end),
    "done": lambda tasks, now, today_end: tasks.filter(done_at__isnull=False),
    "all": lambda tasks, now, today_end: tasks,
}


def _due_day(request: AuthedRequest, name: str) -> str:
    """A `due_from`/`due_to` day of the query (the reports' drill-down), or "" when absent or bad."""
    value = request.GET.get(name, "")
    try:
        return dt.date.fromisoformat(value).isoformat() if value else ""
    except ValueError:
        return ""


def task_list_queryset(request: AuthedRequest) -> tuple[QuerySet[Task], dict[str, Any]]:
    user = request.user
    is_head = role_of(user) in (Role.HEAD, Role.ADMIN)
    scope = request.GET.get("scope", "mine")
    if scope not in ("mine", "team") or not is_head:
        scope = "mine"
    status = request.GET.get("status", "open")
    if status not in TASK_FILTERS:
        status = "open"
    tasks = selectors.visible_tasks(user)
    if scope == "mine":
        tasks = tasks.filter(assignee=user)
    kind = request.GET.get("kind", "")
    if kind in TaskKind.values:
        tasks = tasks.filter(kind=kind)
    assignee = request.GET.get("assignee", "")
    if scope == "team" and assignee.isdigit():
        tasks = tasks.filter(assignee_id=int(assignee))
    now = timezone.now()
    today_end = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(
        days=1
    )
    tasks = TASK_FILTERS[status](tasks, now, today_end)
    # Due between two days (the reader's days), from a report's drill-down link.
    due_from, due_to = _due_day(request, "due_from"), _due_day(request, "due_to")
    if due_from:
        tasks = tasks.filter(due_at__date__gte=due_from)
    if due_to:
        tasks = tasks.filter(due_at__date__lte=due_to)
    order = ("-done_at",) if status == "done" else ("due_at", "-priority")
    tasks = tasks.select_related("assignee", "lead", "client", "contact", "deal").order_by(*order, "id")
    filters = {
        "scope": scope,
        "status": status,
        "kind": kind,
        "assignee": assignee,
        "is_head": is_head,
        "due_from": due_from,
        "due_to": due_to,
    }
    return tasks, filters


@login_required
def task_list(request: AuthedRequest) -> HttpResponse:
    tasks, filters = task_list_queryset(request)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    assignees = _assignee_choices(request) if filters["is_head"] else []
    return render(
        request,
        "activities/task_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": [
                ("open", _("Open")),
                ("overdue", _("Overdue")),
                ("today", _("Today")),
                ("upcoming", _("Upcoming")),
                ("done", _("Done")),
                ("all", _("All")),
            ],
            "kinds": TaskKind.choices,
            "assignees": assignees,
            "now": timezone.now(),
            "query_base": urlencode({k: v for k, v in filters.items() if k != "is_head" and v}),
        },
    )


@login_required
def task_new(request: AuthedRequest) -> HttpResponse:
    if not user_can(request.user, "work_records"):
        raise PermissionDenied(_("Your role cannot plan tasks."))
    links = {
        name: get_record(request, name, request.GET[name]) for name in RECORD_KINDS if request.GET.get(name)
    }
    form = TaskForm(request.POST or None, assignees=_assignee_choices(request))
    if request.method == "POST" and form.is_valid():
        task = perform(form, lambda: _create_task(request, form, links))
        if task:
            return _done(request, safe_next(request, reverse("activities:tasks")), _("Task added."))
    status = 422 if request.method == "POST" else 200
    return render(
        request, "activities/task_form.html", {"form": form, "task": None, "links": links}, status=status
    )


@login_required
def task_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    initial = {
        "title": task.shown_title,
        "kind": task.kind,
        "due_at": timezone.localtime(task.due_at),
        "priority": task.priority,
        "assignee": task.assignee_id if task.assignee_id != request.user.pk else "",
        "reminder_at": timezone.localtime(task.reminder_at) if task.reminder_at else None,
        "recurrence": task.recurrence,
        "recurrence_interval": task.recurrence_interval,
        "recurrence_until": task.recurrence_until,
        "description": task.description,
    }
    form = TaskForm(request.POST or None, initial=initial, assignees=_assignee_choices(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        assignee_id = data.pop("assignee") or request.user.pk
        data["recurrence"] = data["recurrence"] or Recurrence.NONE

        def act() -> Task:
            updated = task_update(by=request.user, task=task, data=data)
            if assignee_id != updated.assignee_id:
                assignee = users_visible_to(request.user).filter(pk=assignee_id).first()
                if assignee is None:
                    raise BusinessError(_("Unknown person."), errors={"assignee": [_("No such user.")]})
                updated = task_reassign(by=request.user, task=updated, assignee=assignee)
            return updated

        if perform(form, act):
            return _done(request, safe_next(request, reverse("activities:tasks")), _("Task saved."))
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "activities/task_form.html",
        {"form": form, "task": task, "record": _task_record(task), "links": {}},
        status=status,
    )


# --- Records without a next step -----------------------------------------------------------------


@login_required
def without_next_step(request: AuthedRequest) -> HttpResponse:
    owners = users_visible_to(request.user).filter(
        is_active=True, role__in=(Role.MANAGER, Role.HEAD, Role.ADMIN)
    )
    owner = None
    owner_param = request.GET.get("owner", "")
    if owner_param.isdigit():
        owner = owners.filter(pk=int(owner_param)).first()
    found = selectors.records_without_next_step(request.user, owner=owner)
    leads = Paginator(found.leads, 50).get_page(request.GET.get("leads_page"))
    deals = Paginator(found.deals, 50).get_page(request.GET.get("deals_page"))
    return render(
        request,
        "activities/without_next_step.html",
        {
            "leads": leads,
            "deals": deals,
            "owners": owners.order_by("first_name", "username")
            if role_of(request.user) != Role.MANAGER
            else [],
            "owner": owner,
        },
    )


# --- E-mail drafts -------------------------------------------------------------------------------


@login_required
def summary_email(request: AuthedRequest, pk: int) -> HttpResponse:
    """One click after a call or meeting: the compose page prefilled with the summary."""
    activity = selectors.visible_activities(request.user).select_related(
        "lead", "client", "contact", "deal", "owner"
    )
    found = activity.filter(pk=pk).first()
    if found is None:
        raise Http404(_("Not found."))
    url = summary_compose_url(found)
    if not url:
        messages.warning(request, _("E-mail is not set up yet."))
        record = found.deal or found.lead or found.contact or found.client
        return redirect(record_url(record))
    return redirect(url)


@login_required
def keep_alive_compose(request: AuthedRequest, pk: int) -> HttpResponse:
    """The keep-alive reminder's action: the compose page with the keep-alive template."""
    deal = get_record(request, "deal", pk)
    url = keepalive.keep_alive_compose_url(deal=deal, language=request.LANGUAGE_CODE or "en")
    if not url:
        messages.warning(request, _("E-mail is not set up yet."))
        return redirect(record_url(deal))
    return redirect(url)


# --- Keep-alive settings -------------------------------------------------------------------------


@login_required
def keep_alive_settings(request: AuthedRequest) -> HttpResponse:
    if not user_can(request.user, "view_team_settings"):
        raise PermissionDenied(_("You cannot see team settings."))
    teams = list(teams_visible_to(request.user).filter(is_active=True).order_by("name"))
    team_ids = visible_team_ids(request.user)
    team_param = request.GET.get("team") or request.POST.get("team") or ""
    team = next((t for t in teams if str(t.pk) == team_param), teams[0] if teams else None)
    if team is None or (team_ids is not None and team.pk not in team_ids):
        raise Http404(_("No team."))
    policy = keep_alive_policy(team)
    form = KeepAliveForm(request.POST or None, initial={"enabled": policy.enabled, "days": policy.days})
    may_edit = role_of(request.user) == Role.ADMIN or team.head_id == request.user.pk
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("Only the team's head of sales can change this."))
        if form.is_valid() and perform(
            form,
            lambda: keep_alive_policy_update(
                by=request.user,
                team=team,
                enabled=form.cleaned_data["enabled"],
                days=form.cleaned_data["days"],
            ),
        ):
            return _done(
                request,
                f"{reverse('activities:keep_alive_settings')}?team={team.pk}",
                _("Keep-alive policy saved."),
            )
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "activities/keep_alive_settings.html",
        {"form": form, "team": team, "teams": teams, "may_edit": may_edit},
        status=status,
    )
