"""Request type for views behind login (so type checking knows `request.user` is a User), and
the safe "back to where you came from" target every form uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from clientela.users.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` the request carries (POST, then GET) when it points to this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
