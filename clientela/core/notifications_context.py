"""Unread notification count for the bell in the top bar.

Every page shows the bell, and a page may render more than one template with the request
(a partial, an inclusion tag, an error page): the count is read lazily — only when a template
actually shows it — and at most once per request.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from clientela.core.notifications import unread_count

_CACHE_ATTRIBUTE = "_clientela_unread_notifications"


def unread_for_request(request: HttpRequest) -> int:
    """The signed-in user's unread count, computed once per request."""
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = unread_count(request.user)
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_for_request(request))}
