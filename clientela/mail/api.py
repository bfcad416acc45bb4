"""API of the mail app: threads, messages (send, resend), attachments, and the inbound door.

Threads and messages are scoped like the records they are about: one you may not see is 404.
Sending checks every address and answers 422 with the field named. The inbound endpoint
takes raw MIME from a mail server, authenticated by the shared secret (not a user token).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from clientela.core.api import api, error_response
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import get_visible_or_404
from clientela.mail import selectors, services
from clientela.mail.inbound import MalformedMessage, receive
from clientela.mail.models import Attachment, Message, Thread
from clientela.mail.views import _record_models
from clientela.mail.views import attachment_download as download_view

log = logging.getLogger(__name__)

router = Router(tags=["mail"])


# --- Output -------------------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    stored: bool
    refused_reason: str
    url: str | None

    @staticmethod
    def resolve_stored(obj: Attachment) -> bool:
        return bool(obj.file)

    @staticmethod
    def resolve_url(obj: Attachment) -> str | None:
        return reverse("api:mail_attachment", args=[obj.pk]) if obj.file else None


class MessageOut(Schema):
    id: int
    thread_id: int
    direction: str
    status: str
    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    body_text: str
    body_html: str
    sent_at: dt.datetime | None
    received_at: dt.datetime | None
    created_at: dt.datetime
    attempts: int
    last_error: str
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Attachment]:
        return list(obj.attachments.all())


class ThreadOut(Schema):
    id: int
    subject: str
    counterpart: str
    lead_id: int | None
    client_id: int | None
    contact_id: int | None
    deal_id: int | None
    owner_id: int | None
    team_id: int | None
    last_message_at: dt.datetime | None
    last_word: str
    message_count: int


class ThreadCardOut(ThreadOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Thread) -> list[Message]:
        return getattr(obj, "messages_list", None) or list(selectors.thread_messages(obj))


class SendIn(Schema):
    to: list[str] | str
    cc: list[str] | str = []
    subject: str
    body_text: str = ""
    body_html: str = ""
    thread_id: int | None = None
    in_reply_to: str | None = None
    lead_id: int | None = None
    client_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None


class InboundOut(Schema):
    message_id: int
    thread_id: int


class IgnoredOut(Schema):
    ignored: str


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


# --- Threads and messages -----------------------------------------------------------------------


class ThreadFilters(Schema):
    lead: int | None = None
    client: int | None = None
    contact: int | None = None
    deal: int | None = None
    owner: int | None = None
    q: str = ""
    unanswered: bool = False


@router.get("/threads", response=Page[ThreadOut], summary="E-mail threads visible to you")
def thread_list(
    request: HttpRequest, filters: Query[ThreadFilters], page: Query[PageParams]
) -> dict[str, Any]:
    threads = selectors.thread_list(viewer=request.user, **filters.dict())
    return paginate(threads, page)


@router.get("/threads/{int:thread_id}", response=ThreadCardOut, summary="One thread with its messages")
def thread_get(request: HttpRequest, thread_id: int) -> Thread:
    thread = selectors.thread_get(viewer=request.user, pk=thread_id)
    thread.messages_list = list(selectors.thread_messages(thread))  # type: ignore[attr-defined]
    return thread


class MessageFilters(Schema):
    thread: int | None = None
    direction: str | None = None
    status: str | None = None


@router.get("/messages", response=Page[MessageOut], summary="E-mail messages visible to you")
def message_list(
    request: HttpRequest, filters: Query[MessageFilters], page: Query[PageParams]
) -> dict[str, Any]:
    messages = selectors.messages_visible(request.user)
    if filters.thread is not None:
        messages = messages.filter(thread_id=filters.thread)
    if filters.direction:
        messages = messages.filter(direction=filters.direction)
    if filters.status:
        messages = messages.filter(status=filters.status)
    return paginate(messages, page)


@router.get("/messages/{int:message_id}", response=MessageOut, summary="One e-mail message")
def message_get(request: HttpRequest, message_id: int) -> Message:
    return selectors.message_get(viewer=request.user, pk=message_id)


def _records(request: HttpRequest, payload: SendIn) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, model in _record_models().items():
        pk = getattr(payload, f"{name}_id")
        if pk is not None:
            found[name] = get_visible_or_404(model.objects.all(), request.user, pk=pk)
    return found


@router.post(
    "/messages",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Send an e-mail",
    description=(
        "Queues the e-mail (status `queued`); a background worker sends it over SMTP with retries. "
        "Give `thread_id` (or `in_reply_to`, a Message-ID) to reply in a thread; a different subject "
        "starts a new thread. Bad addresses answer 422 naming `to` or `cc`. For attachments use "
        "`POST /messages/multipart`."
    ),
)
def message_send(request: AuthedRequest, payload: SendIn) -> Status:
    return _send(request, payload, [])


@router.post(
    "/messages/multipart",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Send an e-mail with attachments (multipart/form-data)",
)
def message_send_multipart(
    request: AuthedRequest,
    payload: Form[SendIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    return _send(request, payload, list(files or []))


def _send(request: AuthedRequest, payload: SendIn, files: list[Any]) -> Status:
    thread = None
    if payload.thread_id is not None:
        thread = selectors.thread_get(viewer=request.user, pk=payload.thread_id)
    message = services.message_send(
        by=request.user,
        to=payload.to,
        cc=payload.cc,
        subject=payload.subject,
        body_text=payload.body_text,
        body_html=payload.body_html,
        thread=thread,
        in_reply_to=payload.in_reply_to,
        attachments=files,
        **_records(request, payload),
    )
    return Status(201, selectors.message_get(viewer=request.user, pk=message.pk))


@router.post(
    "/messages/{int:message_id}/resend",
    response={200: MessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Send a failed e-mail again",
)
def message_resend(request: AuthedRequest, message_id: int) -> Message:
    message = selectors.message_get(viewer=request.user, pk=message_id)
    services.message_resend(by=request.user, message=message)
    return selectors.message_get(viewer=request.user, pk=message_id)


@router.get(
    "/attachments/{int:attachment_id}",
    url_name="mail_attachment",
    summary="Download an attachment",
    response={200: None, 404: ErrorOut},
)
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:

    return download_view(request, attachment_id)  # type: ignore[arg-type]


# --- Inbound door -------------------------------------------------------------------------------


def _given_secret(request: HttpRequest) -> str | None:
    header = request.headers.get("X-Clientela-Inbound-Secret")
    if header is not None:
        return header
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def _inbound_limit() -> int:
    return max(50 * 1024 * 1024, 2 * settings.MAIL_ATTACHMENT_MAX_BYTES)


@router.post(
    "/inbound/email",
    auth=None,
    throttle=[],
    url_name="mail_inbound",
    response={
        201: InboundOut,
        200: IgnoredOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        503: ErrorOut,
    },
    summary="Receive one raw e-mail (for mail servers that push)",
    description=(
        "Body: the raw MIME message (`message/rfc822` or `text/plain`). Authenticate with the shared "
        "secret `CLIENTELA_INBOUND_EMAIL_SECRET` in `X-Clientela-Inbound-Secret` or "
        "`Authorization: Bearer <secret>`. Answers 201 `{message_id, thread_id}`, or 200 "
        "`{ignored: reason}` for duplicates, auto-replies, bounces, lists and our own messages."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "message/rfc822": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
def inbound_email(request: HttpRequest) -> HttpResponse:
    secret = settings.INBOUND_EMAIL_SECRET
    if not secret:
        return error_response(request, 503, _("Inbound e-mail is not configured on this server."))
    given = _given_secret(request)
    if given is None:
        response = error_response(request, 401, _("Send the inbound e-mail secret."))
        response["WWW-Authenticate"] = "Bearer"
        return response
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return error_response(request, 403, _("Wrong inbound e-mail secret."))
    limit = _inbound_limit()
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return error_response(request, 413, _("The message is too large."))
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return error_response(request, 413, _("The message is too large."))
    try:
        result = receive(raw, source="api")
    except MalformedMessage as exc:
        return error_response(
            request, 422, _("This is not an e-mail message."), {"body": [_("Not a MIME message: %s") % exc]}
        )
    if result.message is None:
        return api.create_response(request, {"ignored": result.ignored}, status=200)
    return api.create_response(
        request, {"message_id": result.message.pk, "thread_id": result.message.thread_id}, status=201
    )
