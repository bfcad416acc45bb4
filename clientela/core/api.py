"""The REST API under /api/v1/: one NinjaAPI, one error shape, bearer-token and session auth.

Every error answers `{"detail": <sentence>, "errors": {<field>: [<messages>]}}` with a status
that says what happened: 400 bad request, 401 not signed in, 403 not allowed, 404 not found
(or not visible to you), 409 conflict, 422 invalid fields, 429 too many requests.
Apps add their routers in `clientela/urls.py`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from clientela.core.errors import BusinessError, validation_messages
from clientela.core.hooks import Hook
from clientela.core.language import language_of
from clientela.core.zones import zone_of

log = logging.getLogger(__name__)


# Who a bearer token belongs to: `token_authenticate(raw_token=...) -> user | None`, provided by
# the users app (which keeps the tokens).
TOKEN_AUTHENTICATOR: Hook[Any] = Hook("core.token_authenticator")


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `clientela token create`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token_authenticate = TOKEN_AUTHENTICATOR.one()
        if token_authenticate is None:
            return None
        user = token_authenticate(raw_token=token)
        if user is not None:
            request.user = user
            # A time written without an offset means the token owner's wall clock, as on a page.
            timezone.activate(zone_of(user))
            # As the web app does (users.middleware): answers, stored texts included, in the
            # caller's own language.
            translation.activate(language_of(user))
            request.LANGUAGE_CODE = translation.get_language()
        return user


class SessionAuth(APIKeyCookie):
    """The web app's session cookie (with CSRF on unsafe methods), for HTMX and the docs page."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Clientela API",
    version="1",
    description="REST API of Clientela. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionAuth()],
    throttle=[AnonRateThrottle(settings.API_RATE_ANON), AuthRateThrottle(settings.API_RATE_AUTH)],
)


def error_response(
    request: HttpRequest, status: int, detail: str, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


def _field_errors(raw_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in raw_errors:
        loc = [str(part) for part in err.get("loc", ())]
        # loc looks like ("body", "payload", "email") or ("query", "limit"): keep the field path.
        while loc and loc[0] in {"body", "query", "path", "form", "header", "cookie"}:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] in {"payload", "data", "filters"}:
            loc = loc[1:]
        field = ".".join(loc) or "__all__"
        message = str(err.get("msg", _("Invalid value.")))
        message = message.removeprefix("Value error, ")
        errors.setdefault(field, []).append(message)
    return errors


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(request, 422, _("Some fields are not valid."), _field_errors(list(exc.errors)))


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return error_response(request, 422, _("Some fields are not valid."), validation_messages(exc))


@api.exception_handler(BusinessError)
def on_business_error(request: HttpRequest, exc: BusinessError) -> HttpResponse:
    return error_response(request, exc.status, exc.message, exc.errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(request, 401, _("Authentication required: send a valid bearer token."))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(AuthorizationError)
def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response(request, 403, _("You do not have permission to do this."))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, _("You do not have permission to do this."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, Throttled):
        response = error_response(request, 429, _("Too many requests. Please slow down and retry later."))
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response
    if exc.status_code == 429:
        return error_response(request, 429, _("Too many requests. Please slow down and retry later."))
    return error_response(request, exc.status_code, str(exc.message))


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("Unhandled API error on %s %s", request.method, request.path)
    return error_response(request, 500, _("Something went wrong on our side. It has been logged."))
