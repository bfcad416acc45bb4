"""In-app notifications. Services call `notify` inside their transaction."""

from __future__ import annotations

from typing import Any

from clientela.core.models import Notification


def notify(*, user: Any, verb: str, text: str, url: str = "") -> Notification | None:
    """Tell `user` something happened. Does nothing for no user or an inactive one."""
    if user is None or not getattr(user, "is_active", False):
        return None
    return Notification.objects.create(user=user, verb=verb, text=str(text)[:300], url=url)
