"""Show the app in the signed-in user's own language and time zone."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from clientela.core.language import format_language_of
from clientela.core.zones import zone_of


class UserLanguageMiddleware:
    """After LocaleMiddleware: a signed-in user's saved language wins over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            # The texts are the user's language; "en-us" only changes how dates are written.
            translation.activate(format_language_of(user))
            request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if user is not None and user.is_authenticated and user.language:
            response.headers.setdefault("Content-Language", user.language)
        return response


class UserTimeZoneMiddleware:
    """Every request runs in its reader's time zone (their own, else their team's, else the
    site's): templates show times in it and forms read a typed date and time in it, so 10:00
    typed in Bucharest is stored as 08:00 UTC and shown as 10:00 to its reader everywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(zone_of(user))
        else:
            timezone.deactivate()
        response = self.get_response(request)
        if not response.streaming:
            # A streamed body (an export) is written after this returns, still in the zone.
            timezone.deactivate()
        return response
