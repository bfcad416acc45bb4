"""Home page and health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clientela import __version__
from clientela.core.http import AuthedRequest
from clientela.core.notifications import mark_all_read, recent_for
from clientela.users import selectors as user_selectors


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """The signed-in user's start page: who they are, their team, and where to go next."""
    team = request.user.team
    colleagues = (
        user_selectors.users_visible_to(request.user).filter(is_active=True).exclude(pk=request.user.pk)
    )
    return render(request, "core/home.html", {"team": team, "colleagues": colleagues[:12]})


@login_required
def notification_list(request: AuthedRequest) -> HttpResponse:
    """Everything the user was told, newest first; opening the page marks it read."""
    items = recent_for(request.user)
    mark_all_read(request.user)
    return render(request, "core/notifications.html", {"items": items})


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers: 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except DatabaseError:
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "database": database, "version": __version__},
        status=status,
    )
