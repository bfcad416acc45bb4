"""Pages of the post-sale cadence: the renewals list, a won deal's dates after the sale (delivery
and agreement end) and "delivered"; the renewals tile of the retention dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.figures import Column, Figure
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest, safe_next
from clientela.core.permissions import Action, can, get_visible_or_404, require, user_can
from clientela.deals.models import Deal
from clientela.retention import renewals
from clientela.users.selectors import owner_choices

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PAGE_ROWS = 200


class RenewalFilter(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("Ends from"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=gettext_lazy("Ends by"), required=False, widget=DATE_INPUT)
    owner = forms.ChoiceField(label=gettext_lazy("Owner"), required=False)

    def __init__(self, *args: Any, owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", gettext_lazy("Everyone")),
            ("none", gettext_lazy("Nobody")),
            *((str(user.pk), user.get_full_name() or user.username) for user in owners),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("Must not be before the start."))
        return data


class DatesForm(forms.Form):
    delivery_ends_on = forms.DateField(
        label=gettext_lazy("Delivery ends on"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("Until it is marked delivered, the keep-alive rule runs as for an open deal."),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Agreement ends on"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("A renewal task is raised before this date."),
    )


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The list's default period: from today, the next six months."""
    return today, today + dt.timedelta(days=183)


@login_required
def renewal_list(request: AuthedRequest) -> HttpResponse:
    """Agreements that end in a period (default: the next six months), by end date."""
    require(request.user, "work_records")
    owners = owner_choices(request.user)
    form = RenewalFilter(request.GET or None, owners=owners)
    today = timezone.localdate()
    date_from, date_to = default_period(today)
    owner: Any = None
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
        chosen = form.cleaned_data["owner"]
        if chosen == "none":
            owner = "none"
        elif chosen:
            owner = next((user for user in owners if str(user.pk) == chosen), None)
    deals = list(
        renewals.renewal_deals(request.user, date_from=date_from, date_to=date_to, owner=owner)[
            : PAGE_ROWS + 1
        ]
    )
    context = {
        "form": form,
        "rows": renewals.renewal_rows(deals[:PAGE_ROWS], today=today),
        "more": len(deals) > PAGE_ROWS,
        "date_from": date_from,
        "date_to": date_to,
        "owners": owners,
    }
    template = "retention/cadence/renewals.html"
    if request.htmx:
        template += "#renewal-table"
    return render(request, template, context, status=200 if form.is_valid() or not form.is_bound else 422)


def _deal(request: AuthedRequest, pk: int) -> Deal:
    deal: Deal = get_visible_or_404(
        Deal.objects.select_related("client", "owner", "team"), request.user, pk=pk
    )
    return deal


@login_required
def deal_dates(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET: a won deal's dates after the sale; POST: change them."""
    deal = _deal(request, pk)
    if not can(request.user, deal, Action.WORK):
        raise PermissionDenied(_("You cannot change this deal."))
    initial = {"delivery_ends_on": deal.delivery_ends_on, "ends_on": deal.ends_on}
    form = DatesForm(request.POST or None, initial=initial)
    back = safe_next(request, reverse("deals:detail", args=[deal.pk]))
    if request.method == "POST" and form.is_valid():
        done = perform(
            form,
            lambda: renewals.deal_dates_update(
                by=request.user,
                deal=deal,
                delivery_ends_on=form.cleaned_data["delivery_ends_on"],
                ends_on=form.cleaned_data["ends_on"],
            ),
        )
        if done:
            messages.success(request, _("Dates after the sale saved."))
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    context = {"deal": deal, "form": form, "next": back}
    return render(request, "retention/cadence/deal_dates.html", context, status=status)


@login_required
@require_POST
def deal_delivered(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    back = safe_next(request, reverse("deals:detail", args=[deal.pk]))
    try:
        renewals.deal_mark_delivered(by=request.user, deal=deal)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Marked delivered: the keep-alive reminders stop for this deal."))
    return redirect(back)


# --- The dashboard tile ---------------------------------------------------------------------------


def renewal_figure_rows(viewer: Any, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Upcoming renewals (the next 90 days) as rows: client, deal, owner, end date, days left;
    each links to its records, the end date to the renewals list of that day."""
    day = today or timezone.localdate()
    deals = list(renewals.renewal_deals(viewer, date_from=day, date_to=day + dt.timedelta(days=90))[:50])
    rows = []
    for row in renewals.renewal_rows(deals, today=day):
        that_day = urlencode({"date_from": row.ends_on.isoformat(), "date_to": row.ends_on.isoformat()})
        rows.append(
            {
                "client": row.deal.client.name,
                "deal": row.deal.title,
                "owner": str(row.deal.owner or "—"),
                "ends_on": row.ends_on,
                "days_left": row.days_left,
                "_links": {
                    "client": reverse("clients:detail", args=[row.deal.client_id]),
                    "deal": reverse("deals:detail", args=[row.deal.pk]),
                    "ends_on": f"{reverse('retention:renewals')}?{that_day}",
                },
            }
        )
    return rows


def renewals_tile(request: Any) -> list[Figure]:
    """`retention.hooks.DASHBOARD_TILES`: upcoming renewals as a table (for who works records)."""
    if not user_can(request.user, "work_records"):
        return []
    return [
        Figure(
            key="renewals",
            title=_("Upcoming renewals"),
            columns=[
                Column("client", _("Client")),
                Column("deal", _("Deal")),
                Column("owner", _("Owner")),
                Column("ends_on", _("Agreement ends on"), kind="date"),
                Column("days_left", _("Days left"), kind="int"),
            ],
            rows=renewal_figure_rows(request.user),
            note=_("Agreements ending in the next 90 days, soonest first."),
            empty=_("No agreement ends in the next 90 days."),
        )
    ]
