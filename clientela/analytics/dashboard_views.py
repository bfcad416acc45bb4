"""The dashboard on the home page, the manager's strip, and the digest opt-in.

The home page (the work list) must stay fast: its top block is a skeleton that loads the tiles
with HTMX once the page is shown (`hx-trigger="load"`), so the figures never slow the work list.

* `GET /dashboard/tiles/` — the dashboard tiles (heads, admins, marketers);
* `GET /dashboard/strip/` — a manager's own figures in one row;
* `POST /dashboard/digest/` — a head turns the weekly digest on or off (`on=1` / `on=0`);
* the profile page shows the opt-in (`users.views.PROFILE_BLOCKS`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.analytics import digest
from clientela.analytics.dashboard import dashboard_for, may_see_dashboard, strip_for
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.zones import zone_of


def home_block(request: Any) -> str:
    """Above the work list: the dashboard's skeleton (heads, admins, marketers) or the
    manager's strip's, each loading its figures with HTMX."""
    user = request.user
    if may_see_dashboard(user):
        return render_to_string(
            "analytics/dashboard/_home_block.html",
            {"url": reverse("analytics:dashboard_tiles"), "strip": False, "skeleton": range(8)},
            request=request,
        )
    if role_of(user) == Role.MANAGER:
        return render_to_string(
            "analytics/dashboard/_home_block.html",
            {"url": reverse("analytics:dashboard_strip"), "strip": True, "skeleton": range(4)},
            request=request,
        )
    return ""


@login_required
@require_GET
def dashboard_tiles(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not may_see_dashboard(user):
        raise PermissionDenied(_("The dashboard is for heads, admins and marketers."))
    with timezone.override(zone_of(user)):
        dashboard = dashboard_for(user)
        return render(request, "analytics/dashboard/_tiles.html", {"dashboard": dashboard})


@login_required
@require_GET
def dashboard_strip(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if role_of(user) != Role.MANAGER:
        raise PermissionDenied(_("These figures are a manager's own."))
    with timezone.override(zone_of(user)):
        strip = strip_for(user)
        return render(request, "analytics/dashboard/_strip.html", {"dashboard": strip})


@login_required
@require_POST
def digest_toggle(request: AuthedRequest) -> HttpResponse:
    if not digest.may_receive_digest(request.user):
        raise PermissionDenied(_("The weekly digest is for heads of sales."))
    on = request.POST.get("on") == "1"
    digest.digest_set(by=request.user, weekly=on)
    if on:
        messages.success(request, _("You will receive your dashboard by e-mail every Monday morning."))
    else:
        messages.success(request, _("The weekly digest is off."))
    return redirect(safe_next(request, reverse("users:profile")))


def profile_block(request: Any) -> str:
    """The opt-in card on a head's profile page."""
    user = request.user
    if not digest.may_receive_digest(user):
        return ""
    return render_to_string(
        "analytics/dashboard/_digest_optin.html",
        {"enabled": digest.digest_enabled(user), "email": user.email},
        request=request,
    )


def register_dashboard() -> None:
    """The dashboard's blocks on the home and profile pages, the digest's weekly job, and the
    API operations (importing `dashboard_api` adds them to the reports' router)."""
    from clientela.activities.worklist_views import HOME_TOP_BLOCKS
    from clientela.analytics import dashboard_api  # noqa: F401
    from clientela.users.views import PROFILE_BLOCKS

    HOME_TOP_BLOCKS.register(home_block)
    PROFILE_BLOCKS.register(profile_block)
    digest.register()
