"""A private iCalendar feed per user: their open tasks (with their due time) and their meetings.

Calendar apps subscribe to a secret URL that carries a signed token (`django.core.signing`), not
a session. The token is revocable without a database column: the signing salt includes

* the number of the user's latest "calendar feed rotated" audit entry — rotating the feed
  writes one, so every earlier URL stops working at once (and the rotation is in the audit log);
* a digest of the user's password hash — a password change (e.g. after a leak) revokes it too.

A wrong, rotated or tampered token, or an inactive user, is a plain 404.
Times are written in UTC (`...Z`), which every calendar app shows in its own zone, so no
VTIMEZONE block is needed; the feed names the reader's zone (X-WR-TIMEZONE: their own, else
their team's) for apps that take the calendar's zone from it. All-day items do not exist here
(every task has a due moment).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from clientela.activities.choices import ActivityKind, TaskKind
from clientela.activities.models import Activity, Task
from clientela.core.audit import audit_event
from clientela.core.language import in_language_of
from clientela.core.models import AuditEntry
from clientela.core.zones import zone_name_of
from clientela.users.models import User

FEED_SALT = "clientela.activities.ical-feed"
ROTATED_EVENT = "calendar_feed_rotated"
# What the feed carries: meetings of the last weeks, open tasks from a while back to a year ahead.
PAST_DAYS = 30
FUTURE_DAYS = 366
MAX_EVENTS = 2000
TASK_MINUTES = 30
MEETING_MINUTES = 60


def _generation(user: User) -> int:
    """The id of the user's latest rotation (0 when never rotated): part of the signing salt."""
    latest = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User),
            object_id=str(user.pk),
            event=ROTATED_EVENT,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return int(latest or 0)


def _signer(user: User, generation: int) -> signing.Signer:
    secret = hashlib.sha256(f"{user.password}".encode()).hexdigest()[:16]
    return signing.Signer(salt=f"{FEED_SALT}:{generation}:{secret}")


def feed_token(user: User) -> str:
    """The user's current feed token ("<id>:<signature>", URL-safe)."""
    return _signer(user, _generation(user)).sign(str(user.pk))


def feed_user(token: str) -> User | None:
    """Whose feed this token opens, or None when it is wrong, rotated or the user is inactive."""
    user_id, _sep, _signature = token.partition(":")
    if not user_id.isdigit():
        return None
    user = User.objects.filter(pk=int(user_id), is_active=True).select_related("team").first()
    if user is None:
        return None
    try:
        value = _signer(user, _generation(user)).unsign(token)
    except signing.BadSignature:
        return None
    return user if value == str(user.pk) else None


def feed_rotate(*, by: User) -> str:
    """Revoke the user's feed URL and return the new token (audited)."""
    audit_event(actor=by, instance=by, event=ROTATED_EVENT)
    return feed_token(by)


def feed_path(user: User) -> str:
    return reverse("worklist:feed", args=[feed_token(user)])


def _record_of(item: Any) -> tuple[str, str]:
    for name, url_name in (
        ("deal", "deals:detail"),
        ("lead", "leads:detail"),
        ("contact", "clients:contact_detail"),
        ("client", "clients:detail"),
    ):
        if getattr(item, f"{name}_id", None):
            return str(getattr(item, name)), reverse(url_name, args=[getattr(item, f"{name}_id")])
    return "", ""


def feed_items(*, user: User, now: dt.datetime | None = None) -> tuple[list[Task], list[Activity]]:
    """The user's own open tasks and meetings in the feed's window (never anyone else's)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=PAST_DAYS)
    until = now + dt.timedelta(days=FUTURE_DAYS)
    related = ("lead", "client", "contact", "deal")
    tasks = list(
        Task.objects.filter(assignee=user, done_at__isnull=True, due_at__gte=since, due_at__lt=until)
        .select_related(*related)
        .order_by("due_at", "id")[:MAX_EVENTS]
    )
    meetings = list(
        Activity.objects.filter(
            owner=user, kind=ActivityKind.MEETING, occurred_at__gte=since, occurred_at__lt=until
        )
        .select_related(*related)
        .order_by("occurred_at", "id")[:MAX_EVENTS]
    )
    return tasks, meetings


def feed_build(*, user: User, base_url: str, now: dt.datetime | None = None) -> bytes:
    """The RFC 5545 document of the user's feed; `base_url` makes the links absolute. A calendar
    app fetches it without the user's session: it reads in its owner's language."""
    with in_language_of(user):
        return _feed_build(user=user, base_url=base_url, now=now)


def _feed_build(*, user: User, base_url: str, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    tasks, meetings = feed_items(user=user, now=now)
    calendar = Calendar()
    calendar.add("prodid", "-//Clientela//Work calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Clientela: %(name)s") % {"name": user})
    # The times are UTC; this names the reader's zone for apps that show a calendar in its own.
    calendar.add("x-wr-timezone", zone_name_of(user))
    stamp = now.astimezone(dt.UTC)
    for task in tasks:
        minutes = MEETING_MINUTES if task.kind == TaskKind.MEETING else TASK_MINUTES
        label, url = _record_of(task)
        event = Event()
        event.add("uid", f"task-{task.pk}@clientela")
        event.add("dtstamp", stamp)
        event.add("dtstart", task.due_at.astimezone(dt.UTC))
        event.add("dtend", (task.due_at + dt.timedelta(minutes=minutes)).astimezone(dt.UTC))
        event.add("summary", f"{task.shown_title} · {label}" if label else task.shown_title)
        description = [str(task.get_kind_display())]
        if task.description:
            description.append(task.description)
        if url:
            description.append(base_url + url)
        event.add("description", "\n".join(description))
        if url:
            event.add("url", base_url + url)
        event.add("categories", [str(task.get_kind_display())])
        calendar.add_component(event)
    for meeting in meetings:
        label, url = _record_of(meeting)
        event = Event()
        event.add("uid", f"activity-{meeting.pk}@clientela")
        event.add("dtstamp", stamp)
        event.add("dtstart", meeting.occurred_at.astimezone(dt.UTC))
        length = dt.timedelta(minutes=meeting.duration_minutes or MEETING_MINUTES)
        event.add("dtend", (meeting.occurred_at + length).astimezone(dt.UTC))
        title = meeting.subject or str(ActivityKind.MEETING.label)
        event.add("summary", f"{title} · {label}" if label else title)
        if meeting.place:
            event.add("location", meeting.place)
        if meeting.body:
            event.add("description", meeting.body)
        if url:
            event.add("url", base_url + url)
        event.add("categories", [str(ActivityKind.MEETING.label)])
        calendar.add_component(event)
    return calendar.to_ical()
