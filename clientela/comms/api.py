"""API of comms: message templates (`/templates`), the caller's notifications (`/notifications`)
and giving a waiting response clock an owner (`/clocks/{id}/assign`).

Everyone signed in reads templates and previews them; admins and heads of sales change them
(403 otherwise). A text with a syntax error or an unknown variable is 422 with the field named.
Notifications are always the caller's own: another person's notification is 404.
A clock the caller cannot see (another team's) is 404; one they see but may not assign is 403;
one someone else took first (or already stopped) is 409; an owner who cannot take it is 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from clientela.comms import clocks
from clientela.comms.models import MessageTemplate, ResponseClock
from clientela.comms.templates import (
    TemplateTextError,
    message_template_update,
    render_text,
    sample_context,
    variables_for,
)
from clientela.core import notifications
from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.models import DigestFrequency, Notification
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import get_visible_or_404, require
from clientela.users.selectors import users_visible_to

router = Router(tags=["comms"])


# --- Message templates -------------------------------------------------------------------


class VariableOut(Schema):
    name: str
    description: str


class TemplateOut(Schema):
    id: int
    key: str
    key_label: str
    language: str
    subject: str
    body: str
    updated_at: dt.datetime
    variables: list[VariableOut]


def _template_out(row: MessageTemplate) -> dict[str, Any]:
    return {
        "id": row.pk,
        "key": row.key,
        "key_label": str(row.get_key_display()),
        "language": row.language,
        "subject": row.subject,
        "body": row.body,
        "updated_at": row.updated_at,
        "variables": [{"name": n, "description": str(d)} for n, d in variables_for(row.key).items()],
    }


class TemplateQuery(Schema):
    key: str = ""
    language: str = ""


@router.get("/templates", response=list[TemplateOut], summary="Message templates (every language variant)")
def template_list(request: HttpRequest, filters: Query[TemplateQuery]) -> list[dict[str, Any]]:
    rows = MessageTemplate.objects.order_by("key", "language")
    if filters.key:
        rows = rows.filter(key=filters.key)
    if filters.language:
        rows = rows.filter(language=filters.language)
    return [_template_out(row) for row in rows]


@router.get("/templates/{template_id}", response=TemplateOut, summary="One message template variant")
def template_detail(request: HttpRequest, template_id: int) -> dict[str, Any]:
    return _template_out(get_object_or_404(MessageTemplate, pk=template_id))


class TemplateIn(Schema):
    subject: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=20000)


@router.patch("/templates/{template_id}", response=TemplateOut, summary="Change a template's subject or text")
def template_update(request: AuthedRequest, template_id: int, payload: TemplateIn) -> dict[str, Any]:
    row = get_object_or_404(MessageTemplate, pk=template_id)
    message_template_update(by=request.user, template=row, subject=payload.subject, body=payload.body)
    return _template_out(row)


class PreviewIn(Schema):
    subject: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=20000)


class PreviewOut(Schema):
    subject: str
    body: str
    language: str


def preview(*, key: str, language: str, subject: str, body: str) -> dict[str, str]:
    """Render texts with sample data; a bad text is a 422 on its field."""
    errors: dict[str, list[str]] = {}
    rendered: dict[str, str] = {"language": language}
    for field, text in (("subject", subject), ("body", body)):
        try:
            rendered[field] = render_text(text, key=key, language=language, context=sample_context(key))
        except TemplateTextError as exc:
            errors[field] = [str(exc)]
    if errors:
        raise BusinessError(_("Check the template."), errors=errors, status=422)
    rendered["subject"] = " ".join(rendered["subject"].split())
    return rendered


@router.post(
    "/templates/{template_id}/preview",
    response=PreviewOut,
    summary="Render a template with sample data (optionally with unsaved texts)",
)
def template_preview(request: HttpRequest, template_id: int, payload: PreviewIn) -> dict[str, str]:
    row = get_object_or_404(MessageTemplate, pk=template_id)
    return preview(
        key=row.key,
        language=row.language,
        subject=row.subject if payload.subject is None else payload.subject,
        body=row.body if payload.body is None else payload.body,
    )


# --- Notifications -----------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    at: dt.datetime
    verb: str
    text: str
    url: str
    read: bool
    read_at: dt.datetime | None


def _notification_out(item: Notification) -> dict[str, Any]:
    return {
        "id": item.pk,
        "at": item.at,
        "verb": item.verb,
        "text": item.text,
        "url": item.url,
        "read": item.read_at is not None,
        "read_at": item.read_at,
    }


class NotificationQuery(PageParams):
    unread: bool = False


@router.get("/notifications", response=Page[NotificationOut], summary="Your notifications, newest first")
def notification_list(request: HttpRequest, filters: Query[NotificationQuery]) -> dict[str, Any]:
    page = paginate(notifications.notifications_for(request.user, unread_only=filters.unread), filters)
    page["items"] = [_notification_out(item) for item in page["items"]]
    return page


class UnreadOut(Schema):
    unread: int


@router.get(
    "/notifications/unread-count", response=UnreadOut, summary="How many notifications you have not read"
)
def notification_unread(request: HttpRequest) -> dict[str, int]:
    return {"unread": notifications.unread_count(request.user)}


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="Notifications to mark read; leave out for all of them.")


class MarkedOut(Schema):
    marked: int
    unread: int


@router.post(
    "/notifications/read", response=MarkedOut, summary="Mark notifications read (all, or the ids given)"
)
def notification_mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    if payload.ids is None:
        marked = notifications.mark_all_read(request.user)
    else:
        marked = notifications.mark_read(request.user, payload.ids)
    return {"marked": marked, "unread": notifications.unread_count(request.user)}


@router.post(
    "/notifications/{notification_id}/read", response=NotificationOut, summary="Mark one notification read"
)
def notification_read_one(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    item = get_object_or_404(notifications.notifications_for(request.user), pk=notification_id)
    notifications.mark_read(request.user, [item.pk])
    item.refresh_from_db()
    return _notification_out(item)


class EventPreferenceOut(Schema):
    verb: str
    label: str
    in_app: bool
    in_digest: bool


class PreferencesOut(Schema):
    digest: str
    events: list[EventPreferenceOut]


class EventChoiceIn(Schema):
    in_app: bool | None = None
    in_digest: bool | None = None


class PreferencesIn(Schema):
    digest: str | None = Field(None, description="off, daily or hourly")
    events: dict[str, EventChoiceIn] = Field(default_factory=dict)


def _preferences_out(user: Any) -> dict[str, Any]:
    digest, rows = notifications.preferences_for(user)
    return {"digest": digest, "events": [row.__dict__ for row in rows]}


@router.get(
    "/notifications/preferences", response=PreferencesOut, summary="Which events notify you, and your digest"
)
def notification_preferences(request: HttpRequest) -> dict[str, Any]:
    return _preferences_out(request.user)


@router.put(
    "/notifications/preferences", response=PreferencesOut, summary="Change your notification preferences"
)
def notification_preferences_update(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    if payload.digest is not None and payload.digest not in DigestFrequency.values:
        raise BusinessError(
            _("Some fields are not valid."),
            errors={"digest": [_("Choose one of: %s.") % ", ".join(DigestFrequency.values)]},
            status=422,
        )
    events = {
        verb: {name: value for name, value in choice.dict().items() if value is not None}
        for verb, choice in payload.events.items()
    }
    notifications.notification_preferences_update(user=request.user, digest=payload.digest, events=events)
    return _preferences_out(request.user)


# --- Response clocks ---------------------------------------------------------------------


class ClockOut(Schema):
    id: int
    kind: str
    subject: str
    url: str
    ref: str
    owner: int | None
    team: int | None
    lead: int | None
    client: int | None
    contact: int | None
    deal: int | None
    started_at: dt.datetime
    due_at: dt.datetime
    stopped_at: dt.datetime | None
    breached_at: dt.datetime | None


def _clock_out(clock: ResponseClock) -> dict[str, Any]:
    return {
        "id": clock.pk,
        "kind": clock.kind,
        "subject": clock.subject,
        "url": clock.url,
        "ref": clock.ref,
        "owner": clock.owner_id,
        "team": clock.team_id,
        "lead": clock.lead_id,
        "client": clock.client_id,
        "contact": clock.contact_id,
        "deal": clock.deal_id,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "stopped_at": clock.stopped_at,
        "breached_at": clock.breached_at,
    }


class ClockAssignIn(Schema):
    owner: int | None = Field(
        None, description="The user who answers: yourself, or (heads, admins) a colleague."
    )


@router.post(
    "/clocks/{clock_id}/assign",
    response=ClockOut,
    summary="Give a waiting response clock (team queue) an owner",
)
def clock_assign(request: AuthedRequest, clock_id: int, payload: ClockAssignIn) -> dict[str, Any]:
    """As the work list's one-click assign: a lead's clock moves with its lead, a client
    message's with its conversation; the new owner is told in their language."""
    clock = get_visible_or_404(ResponseClock.objects.all(), request.user, pk=clock_id)
    require(request.user, "work_records")
    owner = None
    if payload.owner is not None:
        owner = users_visible_to(request.user).filter(pk=payload.owner, is_active=True).first()
    if owner is None:
        raise BusinessError(
            _("Choose who answers."), errors={"owner": [_("Choose an active manager.")]}, status=422
        )
    clock = clocks.clock_assign(by=request.user, clock=clock, owner=owner)
    return _clock_out(clock)
