"""Pages of the work list (the home page), the one-click outcome and acknowledgement, the calendar
and the iCalendar feed.

Thin doors: forms parse, `activities.worklist` / `activities.calendar` / `activities.ical` read
(scoped to the viewer), ACT's and COMMS's services write. Times are shown and read in the
viewer's time zone (their team's). HTMX requests get the named partial of the same template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from clientela.activities import acknowledgement, ical, worklist
from clientela.activities import calendar as work_calendar
from clientela.activities.choices import Outcome
from clientela.activities.hooks import outcome_question
from clientela.activities.models import Task
from clientela.activities.services.log import call_log
from clientela.activities.services.next_step import NextStep
from clientela.activities.services.task import task_complete
from clientela.comms.choices import ClockKind
from clientela.comms.clocks import clock_assign
from clientela.comms.models import ResponseClock
from clientela.core.errors import BusinessError
from clientela.core.forms import add_business_error
from clientela.core.hooks import Hook
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.permissions import get_visible_or_404, require, role_of, user_can
from clientela.core.roles import Role
from clientela.core.zones import format_moment
from clientela.leads.selectors import lead_status_counts
from clientela.users.models import User

TEAM = "team"

# Small blocks the apps above add under the work list (retention: the coming week's greetings):
# `fn(request) -> str`, rendered HTML, or "" when there is nothing to show.
HOME_BLOCKS: Hook[Callable[[Any], str]] = Hook("activities.home_blocks")
# The same, shown above the work list (analytics: the dashboard, or a manager's own figures).
HOME_TOP_BLOCKS: Hook[Callable[[Any], str]] = Hook("activities.home_top_blocks")
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_INPUT)


def _datetime_field(label: Any, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeInput(),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
    )


# --- Work list (home) -------------------------------------------------------------------------


def _person_choice(request: AuthedRequest) -> tuple[Any, str]:
    """Whose list: (person or None for the whole team, the switcher's value)."""
    user = request.user
    wanted = request.GET.get("person", "")
    if worklist.may_switch_person(user):
        if wanted in ("", TEAM):
            # Heads start on their team's list; admins on their own (everything is too much).
            if wanted == TEAM or role_of(user) == Role.HEAD:
                return None, TEAM
            return user, str(user.pk)
        person = worklist.worklist_person(viewer=user, person_id=wanted)
        return person, str(person.pk)
    if wanted and wanted != str(user.pk):
        raise Http404(_("Not found."))
    return user, str(user.pk)


def worklist_context(request: AuthedRequest, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the home page shows; used by `core.views.home`."""

    user = request.user
    person, choice = _person_choice(request)
    filters = worklist.TeamFilters.parse(request.GET)
    work = worklist.worklist_for(viewer=user, person=person, now=now, filters=filters)
    switcher = worklist.may_switch_person(user)
    return {
        "work": work,
        "filters": filters,
        "kind_choices": worklist.kind_choices(),
        "when_choices": worklist.when_choices(),
        "nobody": worklist.NOBODY,
        "person": person,
        "person_choice": choice,
        "people": worklist.worklist_people(viewer=user) if switcher else [],
        "may_switch": switcher,
        "team_choice": TEAM,
        "load": worklist.team_load(viewer=user, now=work.now) if switcher else [],
        "counts": lead_status_counts(viewer=user, mine_only=person is not None and person.pk == user.pk),
        "team": user.team,
        "works": user_can(user, "work_records"),
        "now": work.now,
        "zone": work.zone,
        "blocks": [html for block in HOME_BLOCKS if (html := block(request))],
        "top_blocks": [html for block in HOME_TOP_BLOCKS if (html := block(request))],
    }


@vary_on_headers("HX-Request")
def home_page(request: AuthedRequest) -> HttpResponse:
    """The home page is the work list (called by `core.views.home`, which requires login)."""
    context = worklist_context(request)
    template = "core/home.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = "core/home.html#worklist"
    with timezone.override(context["zone"]):
        return render(request, template, context)


@login_required
@require_GET
def team_group_more(request: AuthedRequest) -> HttpResponse:
    """The next rows of one group of the team's tasks (a person and a kind): the "show more"
    of the team's work list, answered as rows to append with their own "show more"."""
    user = request.user
    filters = worklist.TeamFilters.parse(request.GET)
    person = request.GET.get("person", "")
    kind = request.GET.get("kind", "")
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    zone = worklist.user_time_zone(user)
    with timezone.override(zone):
        now = timezone.now()
        rows, remaining = worklist.team_group_rows(
            viewer=user, person=person, kind=kind, filters=filters, offset=offset, now=now
        )
        context = {
            "rows": rows,
            "remaining": remaining,
            "group_person": person,
            "group_kind": kind,
            "next_offset": offset + len(rows),
            "filters": filters,
            "now": now,
            "work": None,
            "next": reverse("core:home"),
        }
        return render(request, "activities/worklist_group_rows.html", context)


# --- One-click outcome of a task --------------------------------------------------------------

REACHED, NO_ANSWER, DONE = worklist.REACHED, worklist.NO_ANSWER, worklist.DONE
OUTCOMES = worklist.OUTCOMES


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(value, value) for value in OUTCOMES], widget=forms.HiddenInput)
    notes = forms.CharField(
        label=gettext_lazy("What happened"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_step_at = _datetime_field(gettext_lazy("Next contact"))
    next_step_subject = forms.CharField(label=gettext_lazy("About"), required=False, max_length=200)
    no_next_step_reason = forms.CharField(
        label=gettext_lazy("No next step, because"), required=False, max_length=300
    )


def _outcome_initial(task: Task, outcome: str, now: dt.datetime) -> dict[str, Any]:
    initial: dict[str, Any] = {"outcome": outcome}
    if outcome == NO_ANSWER:
        zone = timezone.get_current_timezone()
        again = (now + dt.timedelta(hours=2)).astimezone(zone).replace(second=0, microsecond=0)
        initial["next_step_at"] = again
        initial["next_step_subject"] = _("Call again: %(title)s") % {"title": task.shown_title}
    return initial


def outcome_log(*, by: User, task: Task, outcome: str, notes: str, next_step: Any) -> Any:
    """Log what came of a task in one transaction: a call (reached / no answer) with the agreed
    next step through `call_log`, then the task done through `task_complete`."""
    with transaction.atomic():
        if outcome in (REACHED, NO_ANSWER):
            logged = call_log(
                by=by,
                outcome=outcome,
                lead=task.lead,
                client=task.client,
                contact=task.contact,
                deal=task.deal,
                subject=task.shown_title,
                body=notes,
                next_step=next_step,
            )
            # The call above already planned the next step; the task closes with a pointer to it
            # rather than planning the same step twice.
            closing = next_step
            if next_step.given:
                closing = NextStep(
                    no_next_step_reason=_("The next step was planned with the call (activity #%(id)s).")
                    % {"id": logged.activity.pk}
                )
            label = Outcome(outcome).label
            result = f"{label}: {notes}".strip().rstrip(":") if notes else str(label)
            task_complete(by=by, task=task, result=result, next_step=closing)
            return logged.next_step
        completed = task_complete(by=by, task=task, result=notes, next_step=next_step)
        return completed.next_step


def _workable_task(request: AuthedRequest, pk: int) -> Task:
    require(request.user, "work_records")
    return get_visible_or_404(
        Task.objects.select_related("lead", "client", "contact", "deal", "assignee"), request.user, pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_outcome(request: AuthedRequest, pk: int) -> HttpResponse:
    """The inline form that logs a task's outcome and asks for the next step (HTMX in the row;
    a full page without JavaScript)."""
    task = _workable_task(request, pk)
    if task.done_at is None and outcome_question(task) is not None:
        # A task that asks its own question (the post-sale "is the product in use?") is completed
        # on its completion page, which asks it.
        target = reverse("activities:task_complete", args=[task.pk]) + "?next=" + reverse("core:home")
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    zone = worklist.user_time_zone(request.user)
    with timezone.override(zone):
        outcome = request.POST.get("outcome") or request.GET.get("outcome") or DONE
        if outcome not in worklist.outcome_choices(task):
            outcome = DONE
        now = timezone.now()
        if task.done_at is not None and request.method == "GET":
            raise Http404(_("Not found."))
        form = OutcomeForm(request.POST or None, initial=_outcome_initial(task, outcome, now))
        status = 200
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            step = NextStep(
                due_at=data["next_step_at"],
                subject=data["next_step_subject"],
                no_next_step_reason=data["no_next_step_reason"],
            )
            try:
                planned = outcome_log(
                    by=request.user, task=task, outcome=data["outcome"], notes=data["notes"], next_step=step
                )
            except BusinessError as exc:
                add_business_error(form, exc)
            else:
                message = _("Logged: %(title)s.") % {"title": task.shown_title}
                if planned is not None:
                    message = _("Logged: %(title)s. Next: %(next)s.") % {
                        "title": task.shown_title,
                        "next": planned.shown_title,
                    }
                messages.success(request, message)
                target = safe_next(request, reverse("core:home"))
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
        if request.method == "POST":
            status = 422
        context = {
            "task": task,
            "form": form,
            "outcome": outcome,
            "asks_next_step": worklist.needs_next_step(task, outcome),
            "next": safe_next(request, reverse("core:home")),
        }
        template = "activities/worklist_outcome.html"
        if request.htmx:
            return render(request, f"{template}#outcome-form", context, status=status)
        return render(request, template, context, status=status)


@login_required
@require_GET
def task_row_actions(request: AuthedRequest, pk: int) -> HttpResponse:
    """The row's buttons again (the inline form's "Cancel")."""
    task = _workable_task(request, pk)
    context = {"task": task, "next": safe_next(request, reverse("core:home"))}
    return render(request, "activities/worklist_task_row.html#task-actions", context)


# --- Acknowledgement --------------------------------------------------------------------------


class AcknowledgeForm(forms.Form):
    promise = forms.ChoiceField(label=gettext_lazy("Promise"), choices=acknowledgement.PromisePreset.choices)
    promised_until = _datetime_field(gettext_lazy("Answer by"))
    promise_text = forms.CharField(
        label=gettext_lazy("What you promise"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Shown on the card and in the work list."),
    )
    send_email = forms.BooleanField(label=gettext_lazy("Send the acknowledgement e-mail"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Template"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), required=False, max_length=300)
    body = forms.CharField(
        label=gettext_lazy("Text"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        promise = self.fields["promise"]
        language = self.fields["language"]
        assert isinstance(promise, forms.ChoiceField) and isinstance(language, forms.ChoiceField)
        promise.choices = acknowledgement.PromisePreset.choices()
        language.choices = languages or [("", "—")]


@login_required
@require_http_methods(["GET", "POST"])
def acknowledge(request: AuthedRequest, pk: int) -> HttpResponse:
    """Choose a promise and a template, preview the letter, then send: stops the first-response
    clock and starts the promise clock."""
    require(request.user, "work_records")
    clock = get_visible_or_404(
        ResponseClock.objects.select_related("lead", "owner", "team", "client", "contact", "deal"),
        request.user,
        pk=pk,
    )
    back = safe_next(request, reverse("leads:detail", args=[clock.lead_id]) if clock.lead_id else "/")
    if clock.stopped_at is not None or clock.kind != ClockKind.FIRST_RESPONSE:
        messages.info(request, _("This clock is no longer waiting for an acknowledgement."))
        return redirect(back)
    zone = worklist.user_time_zone(request.user)
    languages = acknowledgement.acknowledgement_languages()
    recipient = acknowledgement.acknowledgement_recipient(clock)
    default_language = request.user.language if request.user.language in dict(languages) else ""
    initial = {
        "promise": acknowledgement.PromisePreset.TODAY,
        "send_email": bool(recipient and languages),
        "language": default_language or (languages[0][0] if languages else ""),
    }
    with timezone.override(zone):
        form = AcknowledgeForm(request.POST or None, initial=initial, languages=languages)
        stage = "choose"
        draft = None
        promise = None
        status = 200
        if request.method == "POST" and request.POST.get("action") == "edit":
            form.errors  # noqa: B018 (bind and validate, shown again for editing)
        elif request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            now = timezone.now()
            try:
                promise = acknowledgement.promise_resolve(
                    clock=clock,
                    preset=data["promise"],
                    until=data["promised_until"],
                    text=data["promise_text"],
                    now=now,
                )
                if request.POST.get("action") == "send":
                    subject, body = data["subject"], data["body"]
                    if data["send_email"] and not (subject.strip() and body.strip()):
                        draft = acknowledgement.acknowledgement_draft(
                            clock=clock, by=request.user, language=data["language"], promise=promise
                        )
                        subject = subject or (draft.subject if draft else "")
                        body = body or (draft.body if draft else "")
                    sent = acknowledgement.acknowledgement_send(
                        by=request.user,
                        clock=clock,
                        promise=promise,
                        subject=subject,
                        body=body,
                        send_email=data["send_email"],
                        now=now,
                    )
                    due = sent.promise.due_at.astimezone(zone)
                    messages.success(
                        request,
                        _("Acknowledged. You promised an answer by %(due)s.") % {"due": format_moment(due)},
                    )
                    return redirect(back)
                stage = "preview"
                if data["send_email"]:
                    draft = acknowledgement.acknowledgement_draft(
                        clock=clock, by=request.user, language=data["language"], promise=promise
                    )
                    if draft is None:
                        form.add_error(
                            "send_email",
                            _(
                                "No e-mail address or no acknowledgement template: "
                                "the letter cannot be written."
                            ),
                        )
                        stage = "choose"
                    else:
                        form = AcknowledgeForm(
                            {**request.POST.dict(), "subject": draft.subject, "body": draft.body},
                            languages=languages,
                        )
                        form.is_valid()
            except BusinessError as exc:
                add_business_error(form, exc)
                stage = "choose"
                status = 422
        elif request.method == "POST":
            status = 422
        context = {
            "clock": clock,
            "form": form,
            "stage": stage,
            "draft": draft,
            "promise": promise,
            "recipient": recipient,
            "has_templates": bool(languages),
            "next": back,
            "zone": zone,
        }
        return render(request, "activities/worklist_acknowledge.html", context, status=status)


# --- The team queue's clocks: assign in one click ----------------------------------------------


@login_required
@require_http_methods(["POST"])
def assign_clock(request: AuthedRequest, pk: int) -> HttpResponse:
    """Give a clock nobody owns an owner: the viewer ("assign to me") or a manager of its team.

    Redirects back to the list; a refused choice (someone took it first, not of the team, not
    allowed) is said in a message on the list, never a 500.
    """

    require(request.user, "work_records")
    clock = get_visible_or_404(ResponseClock.objects.all(), request.user, pk=pk)
    back = safe_next(request, reverse("core:home"))
    owner_id = request.POST.get("owner", "")
    owner = (
        User.objects.filter(pk=int(owner_id)).select_related("team").first() if owner_id.isdigit() else None
    )
    try:
        if owner is None:
            raise BusinessError(_("Choose who answers."), errors={"owner": [_("Choose an active manager.")]})
        clock = clock_assign(by=request.user, clock=clock, owner=owner)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        if owner.pk == request.user.pk:
            messages.success(
                request, _("It is yours now: %(subject)s") % {"subject": clock.lead or clock.subject}
            )
        else:
            messages.success(
                request,
                _("%(name)s answers %(subject)s now.")
                % {"name": owner, "subject": clock.lead or clock.subject},
            )
    return redirect(back)


# --- Calendar ---------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def calendar_page(request: AuthedRequest) -> HttpResponse:
    """Month or week of one person's tasks and meetings; heads pick the person."""
    user = request.user
    wanted = request.GET.get("person") or str(user.pk)
    person = worklist.worklist_person(viewer=user, person_id=wanted)
    zone = worklist.user_time_zone(user)
    mode = request.GET.get("view", "month")
    anchor = work_calendar.parse_anchor(request.GET.get("date"), zone=zone)
    page = work_calendar.calendar_for(viewer=user, person=person, mode=mode, anchor=anchor)
    context = {
        "page": page,
        "person": person,
        "people": worklist.worklist_people(viewer=user) if worklist.may_switch_person(user) else [],
        "zone": zone,
    }
    template = "activities/calendar.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = "activities/calendar.html#calendar-body"
    with timezone.override(zone):
        return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def feed_settings(request: AuthedRequest) -> HttpResponse:
    """The user's private calendar feed URL, and a button that revokes it and makes a new one."""
    if request.method == "POST":
        ical.feed_rotate(by=request.user)
        messages.success(request, _("A new calendar link was made; the old one no longer works."))
        return redirect("worklist:feed_settings")
    url = request.build_absolute_uri(ical.feed_path(request.user))
    return render(request, "activities/calendar_feed.html", {"feed_url": url})


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar document itself: no session, the signed token says whose it is."""
    user = ical.feed_user(token)
    if user is None:
        raise Http404(_("Not found."))
    body = ical.feed_build(user=user, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="clientela.ics"'
    return response
