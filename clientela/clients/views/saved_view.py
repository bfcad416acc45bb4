"""Saved views of the clients and contacts lists: a person's filters kept under a name."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.clients.choices import SavedViewList
from clientela.clients.models import SavedView
from clientela.clients.services import saved_view as saved_view_services
from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.users.models import User


def saved_views(user: User, list_name: str, current_query: str) -> list[dict[str, Any]]:
    return [
        {"name": view.name, "query": view.query, "active": view.query == current_query}
        for view in SavedView.objects.filter(user=user, list_name=list_name)
    ]


@login_required
@require_POST
def saved_view_save(request: AuthedRequest) -> HttpResponse:
    """Remember the current filters under a name (kept per person)."""
    list_name = request.POST.get("list", SavedViewList.CLIENTS)
    if list_name not in SavedViewList.values:
        raise Http404
    target = reverse("clients:list" if list_name == SavedViewList.CLIENTS else "clients:contacts")
    query = request.POST.get("query", "?")
    try:
        saved_view_services.saved_view_save(
            user=request.user, list_name=list_name, name=request.POST.get("name", ""), query=query
        )
    except BusinessError as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms) or exc.message)
        return redirect(target + (query if query.startswith("?") else ""))
    messages.success(request, _("View “%(name)s” saved.") % {"name": request.POST.get("name", "").strip()})
    return redirect(target + (query if query.startswith("?") else ""))


@login_required
@require_POST
def saved_view_delete(request: AuthedRequest) -> HttpResponse:
    list_name = request.POST.get("list", SavedViewList.CLIENTS)
    if list_name not in SavedViewList.values:
        raise Http404
    name = request.POST.get("name", "")
    saved_view_services.saved_view_delete(user=request.user, list_name=list_name, name=name)
    messages.success(request, _("View “%(name)s” removed.") % {"name": name})
    return redirect("clients:list" if list_name == SavedViewList.CLIENTS else "clients:contacts")
