"""The lead list: filters read through its declared spec (`leads.lists.LEADS`), bounded paging, the
HTMX table partial, bulk assign and refuse (one service call: all or nothing), and the person's
saved views (kept in the clients app's `SavedView` table).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from clientela.clients.models import SavedView
from clientela.clients.services import saved_view as client_services
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.lists import paginate_bounded, querystring
from clientela.core.permissions import user_can
from clientela.leads import selectors
from clientela.leads.forms import BulkForm, active_reasons
from clientela.leads.lists import LEADS
from clientela.leads.models import Lead
from clientela.leads.services import bulk
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

# Saved views live in the clients app's SavedView table under this list name.
SAVED_VIEWS_LIST = "leads"
MAX_SAVED_VIEWS = 12


def _optional_url(name: str) -> str:
    """The URL called `name`, or "" while the capability that serves it has not landed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _is_visible(user: Any, model: type[Lead], pk: int) -> bool:
    return model.objects.visible_to(user).filter(pk=pk).exists()


def table_partial(request: AuthedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A list's table for HTMX, with the address bar showing only the filters in use."""
    response = render(request, template, context)
    query = querystring(request.GET, page=request.GET.get("page") if request.GET.get("page") != "1" else None)
    return push_url(response, request.path + (query if query != "?" else ""))


@login_required
@vary_on_headers("HX-Request")
def lead_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    state = LEADS.read(request)
    leads = state.narrow(selectors.lead_list(viewer=user, filters=state.values))
    rows, pager = paginate_bounded(leads, request)
    current_query = state.current_query
    context = state.context(
        leads=rows,
        pager=pager,
        saved_views=[{**view, "active": view["query"] == current_query} for view in _saved_views(user)],
        show_team=bool(state.options["team"]),
        can_distribute=user_can(user, "distribute_leads"),
        can_refuse=user_can(user, "work_records"),
        bulk_owners=state.options["owner"],
        reasons=list(active_reasons()) if user_can(user, "work_records") else [],
        can_create=selectors.may_create_leads(user),
        import_url=_optional_url("imports:list") if selectors.may_create_leads(user) else "",
        forms_url=_optional_url("intake:form_list") if user_can(user, "manage_intake") else "",
        list_url=request.get_full_path(),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return table_partial(request, "leads/lead_list.html#lead-table", context)
    return render(request, "leads/lead_list.html", context)


@login_required
@require_POST
def lead_bulk(request: AuthedRequest) -> HttpResponse:
    """Assign or refuse many leads: all in one transaction with one bulk audit entry, or nothing."""
    user = request.user
    back = safe_next(request, reverse("leads:list"))
    form = BulkForm(request.POST)
    action = request.POST.get("action", "")
    if action == "assign" and not user_can(user, "distribute_leads"):
        raise PermissionDenied(_("Only a head of sales can reassign leads."))
    if action == "refuse" and not user_can(user, "work_records"):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    ids: list[int] = form.cleaned_data["ids"]
    owner: User | None = None
    if action == "assign":
        owner_id = form.cleaned_data.get("owner") or ""
        if owner_id != "queue":
            owner = users_visible_to(user).filter(pk=int(owner_id) if owner_id.isdigit() else 0).first()
            if owner is None:
                messages.error(request, _("Choose an owner from the list, or the team queue."))
                return redirect(back)
    try:
        if action == "assign":
            leads = bulk.leads_assign(by=user, ids=ids, owner=owner)
        else:
            leads = bulk.leads_refuse(
                by=user, ids=ids, reason=form.cleaned_data["reason"], note=form.cleaned_data.get("note", "")
            )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if action == "assign":
        text = _("%(count)s leads assigned to %(owner)s.") % {
            "count": len(leads),
            "owner": owner or _("the team queue"),
        }
    else:
        text = _("%(count)s leads refused.") % {"count": len(leads)}
    messages.success(request, text)
    return redirect(back)


def _saved_views(user: User) -> list[dict[str, str]]:
    """The person's saved views of the lead list, oldest first (kept in the database, so they
    follow the person to every browser and survive signing out)."""
    return [
        {"name": view.name, "query": view.query}
        for view in SavedView.objects.filter(user=user, list_name=SAVED_VIEWS_LIST).order_by(
            "created_at", "id"
        )
    ]


@login_required
@require_POST
def saved_view_save(request: AuthedRequest) -> HttpResponse:
    """Remember the current filters under a name (per person; the oldest go beyond the cap)."""
    name = " ".join(request.POST.get("name", "").split())[:60]
    query = request.POST.get("query", "")
    if not query.startswith("?"):
        query = "?"
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(reverse("leads:list") + query)
    with transaction.atomic():
        client_services.saved_view_save(user=request.user, list_name=SAVED_VIEWS_LIST, name=name, query=query)
        extra = SavedView.objects.filter(user=request.user, list_name=SAVED_VIEWS_LIST).order_by(
            "-created_at", "-id"
        )[MAX_SAVED_VIEWS:]
        SavedView.objects.filter(pk__in=[view.pk for view in extra]).delete()
    messages.success(request, _("View “%(name)s” saved.") % {"name": name})
    return redirect(reverse("leads:list") + query)


@login_required
@require_POST
def saved_view_delete(request: AuthedRequest) -> HttpResponse:
    name = request.POST.get("name", "")
    client_services.saved_view_delete(user=request.user, list_name=SAVED_VIEWS_LIST, name=name)
    messages.success(request, _("View “%(name)s” removed.") % {"name": name})
    return redirect("leads:list")
