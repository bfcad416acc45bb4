"""Reading threads and messages, always through the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from clientela.core.permissions import get_visible_or_404
from clientela.mail.models import Attachment, LastWord, Message, Thread

RECORD_FIELDS = ("lead", "client", "contact", "deal")


def threads_visible(viewer: Any) -> QuerySet[Thread]:
    return Thread.objects.visible_to(viewer).select_related("owner", "lead", "client", "contact", "deal")


def thread_list(
    *,
    viewer: Any,
    lead: int | None = None,
    client: int | None = None,
    contact: int | None = None,
    deal: int | None = None,
    owner: int | None = None,
    q: str = "",
    unanswered: bool = False,
) -> QuerySet[Thread]:
    """Threads the viewer may see, unanswered (they have the last word) first, newest first."""
    threads = threads_visible(viewer)
    for name, value in (("lead", lead), ("client", client), ("contact", contact), ("deal", deal)):
        if value is not None:
            threads = threads.filter(**{f"{name}_id": value})
    if owner is not None:
        threads = threads.filter(owner_id=owner)
    if unanswered:
        threads = threads.filter(last_word=LastWord.THEM)
    text = " ".join((q or "").split())
    if text:
        threads = threads.filter(
            Q(subject__icontains=text)
            | Q(counterpart__icontains=text)
            | Q(messages__body_text__icontains=text)
        ).distinct()
    awaiting = Case(
        When(last_word=LastWord.THEM, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return threads.annotate(awaiting_us=awaiting).order_by("awaiting_us", "-last_message_at", "-id")


def threads_for_record(*, viewer: Any, record: Any) -> QuerySet[Thread]:
    name = record._meta.model_name
    if name not in RECORD_FIELDS:
        return Thread.objects.none()
    return threads_visible(viewer).filter(**{f"{name}_id": record.pk}).order_by("-last_message_at", "-id")


def thread_get(*, viewer: Any, pk: int) -> Thread:
    return get_visible_or_404(
        Thread.objects.select_related("owner", "team", "lead", "client", "contact", "deal"), viewer, pk=pk
    )


def thread_messages(thread: Thread) -> QuerySet[Message]:
    return (
        thread.messages.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def messages_visible(viewer: Any) -> QuerySet[Message]:
    visible = Thread.objects.visible_to(viewer).values("pk")
    return (
        Message.objects.filter(thread__in=visible)
        .select_related("thread")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )


def message_get(*, viewer: Any, pk: int) -> Message:
    return get_visible_or_404(messages_visible(viewer), viewer, pk=pk)


def attachment_get(*, viewer: Any, pk: int) -> Attachment:
    visible = Thread.objects.visible_to(viewer).values("pk")
    return get_visible_or_404(
        Attachment.objects.select_related("message").filter(message__thread__in=visible), viewer, pk=pk
    )
