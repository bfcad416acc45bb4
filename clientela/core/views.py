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
    """The start page: what to do now (open tasks, hottest leads) and, for heads, the team's load."""
    from django.utils import timezone

    from clientela.activities.selectors import open_tasks_for
    from clientela.core.permissions import user_can
    from clientela.leads.selectors import LeadFilters, lead_list, lead_status_counts, team_load

    user = request.user
    works = user_can(user, "work_records")
    heads = user_can(user, "distribute_leads")
    tasks = list(open_tasks_for(viewer=user, mine_only=not heads)[:15]) if works else []
    hot = list(
        lead_list(viewer=user, filters=LeadFilters(status="open", owner=user.pk, ordering="-score"))[:8]
    )
    context = {
        "tasks": tasks,
        "now": timezone.now(),
        "hot_leads": hot if works else [],
        "counts": lead_status_counts(viewer=user, mine_only=not heads),
        "load": team_load(viewer=user) if heads else [],
        "team": user.team,
        "colleagues": []
        if heads
        else list(user_selectors.users_visible_to(user).filter(is_active=True).exclude(pk=user.pk)[:12]),
    }
    return render(request, "core/home.html", context)


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

    from clientela.core.models import FailedJob
    from clientela.core.permissions import require
    from clientela.core.tasks import failed_job_retry

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
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "database": database, "version": __version__},
        status=status,
    )
