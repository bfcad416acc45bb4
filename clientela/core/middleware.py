"""Turn business-rule errors that reach the web layer into proper pages, never a 500; and keep
what scoping reads (a head's teams) for the length of a request."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import request_scope


class BusinessErrorMiddleware:
    """Views handle BusinessError next to their forms; anything that escapes is shown as a page:
    permission errors as 403, other business errors with their status and message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():  # what scoping reads is read once per request
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, PermissionDeniedError):
            raise PermissionDenied(exception.message) from exception
        if isinstance(exception, BusinessError):
            return render(request, "core/business_error.html", {"error": exception}, status=exception.status)
        return None
