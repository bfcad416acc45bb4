"""Request type for views behind login, so type checking knows `request.user` is a User."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from clientela.users.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
