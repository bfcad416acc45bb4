"""Interests (enquiries without a person yet): their list with counts per source, and the upgrade
to a lead once someone appears behind one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.lists import paginate_bounded
from clientela.core.permissions import get_visible_or_404, user_can
from clientela.leads import selectors
from clientela.leads.choices import Source
from clientela.leads.forms import InterestFilterForm, InterestUpgradeForm
from clientela.leads.models import Interest, Lead
from clientela.leads.services import upgrade
from clientela.leads.views.actions import action_done
from clientela.leads.views.listing import table_partial


def _is_visible(user: Any, model: type[Lead], pk: int) -> bool:
    return model.objects.visible_to(user).filter(pk=pk).exists()


@login_required
@vary_on_headers("HX-Request")
def interest_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = InterestFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    upgraded = {"yes": True, "no": False}.get(data.get("upgraded") or "")
    interests = selectors.interest_list(
        viewer=user,
        q=data.get("q") or "",
        source=data.get("source") or "",
        upgraded=upgraded,
        created_from=data.get("created_from"),
        created_to=data.get("created_to"),
    )
    rows, pager = paginate_bounded(interests, request)
    labels = dict(Source.choices)
    counts = [
        {"source": row["source"], "label": labels.get(row["source"], row["source"]), "count": row["count"]}
        for row in selectors.interest_counts_by_source(viewer=user)
    ]
    context = {
        "interests": rows,
        "pager": pager,
        "form": form,
        "counts": counts,
        "total": sum(row["count"] for row in counts),
        "filtering": any(data.get(key) for key in ("q", "source", "upgraded", "created_from", "created_to")),
        "can_upgrade": user_can(user, "work_records"),
        "source": data.get("source") or "",
    }
    if request.htmx and not request.htmx.history_restore_request:
        return table_partial(request, "leads/interest_list.html#interest-table", context)
    return render(request, "leads/interest_list.html", context)


@login_required
def interest_upgrade(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    interest = get_visible_or_404(Interest.objects.select_related("team", "upgraded_to"), user, pk=pk)
    if not user_can(user, "work_records"):
        raise PermissionDenied(_("You cannot turn interests into leads."))
    if interest.upgraded_to_id:
        messages.info(request, _("This interest is already a lead."))
        if _is_visible(user, Lead, interest.upgraded_to_id):
            return redirect("leads:detail", pk=interest.upgraded_to_id)
        return redirect("leads:interests")
    first, _space, last = interest.name.partition(" ")
    form = InterestUpgradeForm(
        request.POST or None,
        initial={
            "first_name": first,
            "last_name": last,
            "phone": interest.phone or interest.phone_raw,
            "email": interest.email or interest.email_raw,
        },
    )
    if request.method == "POST" and form.is_valid():
        lead = perform(
            form, lambda: upgrade.interest_upgrade(by=user, interest=interest, raw=form.cleaned_data)
        )
        if lead:
            text = _("The interest is now lead %(lead)s.") % {"lead": lead}
            if _is_visible(user, Lead, lead.pk):
                return action_done(request, reverse("leads:detail", args=[lead.pk]), text)
            messages.success(
                request,
                text + " " + _("It went to %(owner)s.") % {"owner": lead.owner or _("the team queue")},
            )
            return redirect("leads:interests")
    status = 422 if form.errors else 200
    return render(request, "leads/interest_upgrade.html", {"form": form, "interest": interest}, status=status)
