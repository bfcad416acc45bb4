"""Navigation of the app: entries appear as their capabilities land and as the role allows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import user_can

# (url name, label, icon, capability or None). Apps add their entries here as they land;
# an entry whose URL does not exist (yet) is left out.
NAVIGATION: list[tuple[str, Any, str, str | None]] = [
    ("core:home", _("Home"), "ti-home", None),
    ("leads:list", _("Leads"), "ti-address-book", None),
    ("leads:interests", _("Interests"), "ti-bulb", None),
    ("clients:list", _("Clients"), "ti-building-store", "work_records"),
    ("clients:contacts", _("Contacts"), "ti-users", "work_records"),
    ("deals:board", _("Deals"), "ti-layout-kanban", "work_records"),
    ("deals:receivables", _("Receivables"), "ti-cash", "view_deal_amounts"),
    ("intake:form_list", _("Intake forms"), "ti-forms", "manage_intake"),
    ("imports:list", _("Imports"), "ti-file-import", "manage_intake"),
    ("lead_settings:index", _("Lead settings"), "ti-adjustments", "view_team_settings"),
    ("clients:settings", _("Client settings"), "ti-adjustments-horizontal", "manage_settings"),
    ("deals:settings", _("Sales settings"), "ti-settings", "view_team_settings"),
    ("users:team_list", _("Teams"), "ti-users-group", "view_team_settings"),
    ("users:user_list", _("Users"), "ti-user-cog", "view_team_settings"),
    ("core:failed_jobs", _("Failed jobs"), "ti-alert-triangle", "manage_settings"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    items = []
    for url_name, label, icon, capability in NAVIGATION:
        if capability and not user_can(user, capability):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "icon": icon, "active": active})
    return {"nav_items": items}
