"""Home page and health check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from clientela import __version__
from clientela.core.hooks import Hook
from clientela.core.http import AuthedRequest
from clientela.core.models import FailedJob
from clientela.core.notifications import mark_all_read, recent_for
from clientela.core.permissions import require
from clientela.core.supervisor import background_state
from clientela.core.tasks import failed_job_retry

# The view that answers the start page (the work list), provided by a higher app.
HOME_PAGE: Hook[Any] = Hook("core.home_page")


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """The start page is the work list: what to do now, and for heads each manager's list and load
    (provided by the activities app through `HOME_PAGE`)."""
    page = HOME_PAGE.one()
    if page is None:
        return redirect("core:notifications")
    return page(request)


@login_required
def notification_list(request: AuthedRequest) -> HttpResponse:
    """Everything the user was told, newest first; opening the page marks it read."""
    items = recent_for(request.user)
    mark_all_read(request.user)
    return render(request, "core/notifications.html", {"items": items})


@login_required
def failed_jobs(request: AuthedRequest) -> HttpResponse:
    """Background jobs that failed every retry; an admin can send one again."""
    from django.contrib import messages
    from django.shortcuts import get_object_or_404, redirect
    from django.utils.translation import gettext as _

    require(request.user, "manage_settings")
    if request.method == "POST":
        failed = get_object_or_404(FailedJob, pk=request.POST.get("job"), retried_at__isnull=True)
        failed_job_retry(failed=failed)
        messages.success(request, _("The job was sent again."))
        return redirect("core:failed_jobs")
    jobs = FailedJob.objects.all()[:200]
    return render(request, "core/failed_jobs.html", {"jobs": jobs})


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
    body: dict[str, object] = {
        "status": "ok" if status == 200 else "error",
        "database": database,
        "version": __version__,
    }
    background = background_state()
    if background:
        # What `clientela serve` runs beside the web: running or restarting, restarts so far.
        body["background"] = {
            name: {key: value for key, value in state.items() if key != "pid"}
            for name, state in background.items()
        }
    return JsonResponse(body, status=status)
