"""In-app notifications. Services call `notify` inside their transaction."""

from __future__ import annotations

from typing import Any

from clientela.core.models import Notification


def notify(*, user: Any, verb: str, text: str, url: str = "") -> Notification | None:
    """Tell `user` something happened. Does nothing for no user or an inactive one."""
    if user is None or not getattr(user, "is_active", False):
        return None
    return Notification.objects.create(user=user, verb=verb, text=str(text)[:300], url=url)


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent_for(user: Any, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("-at", "-id")[:limit])


def mark_all_read(user: Any) -> int:
    from django.utils import timezone

    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
