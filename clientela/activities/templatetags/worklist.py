"""Template tags of the work list and the record cards: response-clock badges and task links.

* `{% clock_badge lead %}` (or a `ResponseClock`, or a `ClockView` the work list already
  computed) — time left / overdue by in business time, colour-coded (green / amber / red) and
  said in words too, with the deadline in the viewer's time zone on hover;
* `{% clock_panel lead %}` — the same on a card, with the promise and the one-click
  acknowledgement button;
* `{{ task|task_record }}` — the record a task is about, as `(label, url)`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.worklist import DONE, NO_ANSWER, REACHED, outcome_choices, user_time_zone
from clientela.comms.choices import ClockKind, ClockStatus, StopReason
from clientela.comms.models import ResponseClock
from clientela.comms.selectors import ClockView, clock_status, clock_time_left
from clientela.comms.team_settings import calendar_for_team
from clientela.core.permissions import user_can
from clientela.core.zones import format_moment, local
from clientela.leads.models import Lead

register = template.Library()

# Weekday, day, month and 24-hour time: short, unambiguous, translated names.
DEADLINE_FORMAT = "D j M H:i"
STATUS_CLASSES = {
    ClockStatus.OK: "bg-green-lt",
    ClockStatus.NEAR: "bg-yellow-lt",
    ClockStatus.BREACHED: "bg-red-lt",
}


def business_duration(minutes: int) -> str:
    """Business minutes as "45 min", "1 h 20 min" or "26 h" (hours stay hours: a business day
    is not 24 hours, so days would mislead)."""
    minutes = abs(int(minutes))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(m)d min") % {"m": rest}
    if not rest or hours >= 10:
        return _("%(h)d h") % {"h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}


def _view_of(subject: Any) -> ClockView | None:
    if subject is None or subject == "":
        return None
    if isinstance(subject, ClockView):
        return subject
    if isinstance(subject, Lead):
        return _lead_clock(subject)
    if isinstance(subject, ResponseClock):
        now = timezone.now()
        calendar = calendar_for_team(subject.team)
        left = clock_time_left(subject, now=now, calendar=calendar)
        return ClockView(
            clock=subject, minutes_left=left, status=clock_status(subject, now=now, minutes_left=left)
        )
    raise template.TemplateSyntaxError("clock_badge takes a lead, a response clock or a clock view")


def _lead_clock(lead: Lead) -> ClockView | None:
    """What a lead card shows, in one query (plus the team calendar while a clock runs): the open
    clock due first, else the one stopped last."""
    clock = (
        ResponseClock.objects.filter(lead=lead)
        .select_related("team")
        .order_by(F("stopped_at").desc(nulls_first=True), "due_at", "-id")
        .first()
    )
    if clock is None:
        return None
    if clock.stopped_at is not None:
        # A stopped clock shows how long the answer took; its time left is not shown.
        return ClockView(clock=clock, minutes_left=0, status=ClockStatus.OK)
    return _view_of(clock)


def clock_context(view: ClockView | None, viewer: Any) -> dict[str, Any]:
    """What the badge templates show for one clock."""
    if view is None:
        return {"clock": None}
    clock = view.clock
    zone = user_time_zone(viewer)
    due_local = local(clock.due_at, viewer)
    deadline = f"{format_moment(clock.due_at, viewer, DEADLINE_FORMAT)} ({zone.key})"
    prefix = _("Promise") if clock.kind == ClockKind.PROMISE else _("Reply")
    if not view.is_open:
        css = "bg-secondary-lt"
        if clock.stop_reason == StopReason.ACKNOWLEDGED:
            text = _("Acknowledged after %(time)s") % {"time": business_duration(clock.minutes_taken or 0)}
        elif clock.stop_reason == StopReason.CANCELLED:
            text = _("No answer needed")
        else:
            text = _("Answered in %(time)s") % {"time": business_duration(clock.minutes_taken or 0)}
            if clock.breached_at is not None:
                text = _("%(text)s (late)") % {"text": text}
        status_label = _("Stopped")
    elif view.status == ClockStatus.BREACHED:
        css = STATUS_CLASSES[ClockStatus.BREACHED]
        text = _("Overdue by %(time)s") % {"time": business_duration(max(0, -view.minutes_left))}
        status_label = str(ClockStatus.BREACHED.label)
    else:
        css = STATUS_CLASSES[view.status]
        text = _("%(time)s left") % {"time": business_duration(view.minutes_left)}
        status_label = str(ClockStatus(view.status).label)
    return {
        "clock": clock,
        "view": view,
        "css": css,
        "text": text,
        "prefix": prefix,
        "status": view.status if view.is_open else "stopped",
        "status_label": status_label,
        "deadline": deadline,
        "due_local": due_local,
        "stopped_local": clock.stopped_at.astimezone(zone) if clock.stopped_at else None,
        "zone": zone.key,
    }


@register.inclusion_tag("activities/worklist_clock_badge.html", takes_context=True)
def clock_badge(context: template.Context, subject: Any) -> dict[str, Any]:
    """`{% clock_badge lead %}`: the lead's clock (open one due first, else the last one)."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    return clock_context(_view_of(subject), viewer)


@register.inclusion_tag("activities/worklist_clock_panel.html", takes_context=True)
def clock_panel(context: template.Context, lead: Lead) -> dict[str, Any]:
    """A card's response block: the badge, the deadline, the promise and "Acknowledge"."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    data = clock_context(_view_of(lead), viewer)
    clock = data.get("clock")
    data["may_acknowledge"] = bool(
        clock is not None
        and clock.stopped_at is None
        and clock.kind == ClockKind.FIRST_RESPONSE
        and user_can(viewer, "work_records")
    )
    data["next"] = request.get_full_path() if request is not None else ""
    return data


@register.filter
def task_record(task: Any) -> tuple[str, str]:
    """The record a task (or activity) is about, most specific first: deal, lead, contact, client."""
    for name, url_name in (
        ("deal", "deals:detail"),
        ("lead", "leads:detail"),
        ("contact", "clients:contact_detail"),
        ("client", "clients:detail"),
    ):
        if getattr(task, f"{name}_id", None):
            return str(getattr(task, name)), reverse(url_name, args=[getattr(task, f"{name}_id")])
    return "", ""


@register.filter
def business_time(minutes: Any) -> str:
    """`{{ 80|business_time }}` → "1 h 20 min"."""
    if minutes in (None, ""):
        return ""
    return business_duration(int(minutes))


@register.filter
def in_zone(value: Any, zone: Any) -> Any:
    """A datetime converted to a `zoneinfo` zone (for display in the person's time zone)."""
    if value is None or zone is None:
        return value
    return value.astimezone(zone)


@register.filter
def clock_of(clocks: Any, lead_id: Any) -> Any:
    """`{{ work.clock_by_lead|clock_of:task.lead_id }}` → that lead's open clock view, or None."""
    if not clocks or not lead_id:
        return None
    return clocks.get(lead_id)


@register.filter
def outcome_buttons(task: Any) -> list[tuple[str, str, str, str]]:
    """The one-click outcome buttons of a task row: (value, label, icon, css class)."""

    labels = {
        REACHED: (_("Reached"), "ti-phone-check", "btn-outline-success"),
        NO_ANSWER: (_("No answer"), "ti-phone-x", "btn-outline-secondary"),
        DONE: (_("Done"), "ti-check", "btn-outline-primary"),
    }
    return [(value, *labels[value]) for value in outcome_choices(task) if value in labels]
