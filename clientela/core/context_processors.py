"""Navigation of the app: entries appear as their capabilities land and as the role allows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import user_can

# (url name, label, icon, capability or None). Apps add their entries here as they land;
# an entry whose URL does not exist (yet) is left out. The daily work comes first; settings
# pages follow under their own heading.
NAVIGATION: list[tuple[str, Any, str, str | None]] = [
    ("core:home", _("Work list"), "ti-home", None),
    ("worklist:calendar", _("Calendar"), "ti-calendar", "work_records"),
    ("activities:tasks", _("Tasks"), "ti-checkbox", "work_records"),
    ("activities:without_next_step", _("Without next step"), "ti-alert-triangle", "work_records"),
    ("mail:inbox", _("Inbox"), "ti-mail", "work_records"),
    ("leads:list", _("Leads"), "ti-address-book", None),
    ("leads:interests", _("Interests"), "ti-bulb", None),
    ("clients:list", _("Clients"), "ti-building-store", "work_records"),
    ("clients:contacts", _("Contacts"), "ti-users", "work_records"),
    ("deals:board", _("Deals"), "ti-layout-kanban", "work_records"),
    ("deals:receivables", _("Receivables"), "ti-cash", "view_deal_amounts"),
    ("retention:dashboard", _("Retention"), "ti-heart-handshake", "work_records"),
    ("retention:renewals", _("Renewals"), "ti-refresh", "work_records"),
    ("analytics:index", _("Reports"), "ti-chart-bar", None),
    ("analytics:plans", _("Plans"), "ti-target-arrow", "view_deal_amounts"),
    ("imports:list", _("Imports"), "ti-file-import", "manage_intake"),
]
SETTINGS_NAVIGATION: list[tuple[str, Any, str, str | None]] = [
    ("intake:form_list", _("Intake forms"), "ti-forms", "manage_intake"),
    ("lead_settings:index", _("Lead settings"), "ti-adjustments", "view_team_settings"),
    ("clients:settings", _("Client settings"), "ti-adjustments-horizontal", "manage_settings"),
    ("deals:settings", _("Sales settings"), "ti-settings", "view_team_settings"),
    ("comms:settings", _("Working hours and response times"), "ti-clock-cog", "view_team_settings"),
    ("comms:template_list", _("Message templates"), "ti-template", "view_team_settings"),
    ("activities:keep_alive_settings", _("Keep-alive"), "ti-heartbeat", "view_team_settings"),
    ("retention:survey_factors", _("Satisfaction index"), "ti-mood-smile", "manage_settings"),
    ("retention:settings", _("Retention settings"), "ti-lifebuoy", "view_team_settings"),
    ("users:team_list", _("Teams"), "ti-users-group", "view_team_settings"),
    ("users:user_list", _("Users"), "ti-user-cog", "view_team_settings"),
    ("core:failed_jobs", _("Failed jobs"), "ti-alert-triangle", "manage_settings"),
]


# Resolved URLs per (URLconf, script prefix): the entries are fixed, so each page reuses them
# instead of reversing twenty names again. None marks an entry whose URL does not exist.
_RESOLVED: dict[tuple[str, str, str], str | None] = {}


def _url(url_name: str) -> str | None:
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), url_name)
    if key not in _RESOLVED:
        try:
            _RESOLVED[key] = reverse(url_name)
        except NoReverseMatch:
            _RESOLVED[key] = None
    return _RESOLVED[key]


def _items(request: HttpRequest, entries: list[tuple[str, Any, str, str | None]]) -> list[dict[str, Any]]:
    user = request.user
    path = request.path
    items = []
    for url_name, label, icon, capability in entries:
        if capability and not user_can(user, capability):
            continue
        url = _url(url_name)
        if url is None:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "icon": icon, "active": active})
    return items


def _menu(request: HttpRequest) -> dict[str, list[dict[str, Any]]]:
    """Both menus of this request, built once (later renders with the same request reuse them)."""
    menu: dict[str, list[dict[str, Any]]] | None = getattr(request, "_clientela_navigation", None)
    if menu is None:
        menu = {
            "nav_items": _items(request, NAVIGATION),
            "nav_settings": _items(request, SETTINGS_NAVIGATION),
        }
        request._clientela_navigation = menu  # type: ignore[attr-defined]
    return menu


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_settings": []}
    # Lazy: a partial rendered with the request (HTMX answers) never shows the menu.
    return {
        "nav_items": SimpleLazyObject(lambda: _menu(request)["nav_items"]),
        "nav_settings": SimpleLazyObject(lambda: _menu(request)["nav_settings"]),
    }
