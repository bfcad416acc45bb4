"""Loyalty pages: a client's loyalty (conditions, benefits, reasons, referrals and the history of
changes), its account plan, the loyalty report and the lists' settings. Thin: forms in, one
service, a message, back to the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.clients.models import Client, Contact
from clientela.core.figures import export_response
from clientela.core.forms import perform
from clientela.core.http import AuthedRequest
from clientela.core.permissions import Action, can, get_visible_or_404, user_can
from clientela.leads.models import Lead
from clientela.retention import account_plans, loyalty, loyalty_dashboard, referrals
from clientela.retention.loyalty_models import (
    BenefitKind,
    ClientBenefit,
    ClientLoyaltyReason,
    LoyaltyReason,
    PlanRole,
)


def _client(request: AuthedRequest, pk: int) -> Client:
    if not user_can(request.user, "work_records"):
        raise PermissionDenied
    return get_visible_or_404(Client.objects.select_related("owner", "team"), request.user, pk=pk)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReasonsForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Why they came and why they stay"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["reasons"]
        field.choices = loyalty.reason_choices()


class BenefitForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Benefit"))
    value = forms.CharField(label=gettext_lazy("Value"), required=False, max_length=100)
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), required=False, widget=_date_input())
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["kind"]
        field.choices = loyalty.benefit_choices()


def _loyalty_context(request: AuthedRequest, client: Client, **forms_: Any) -> dict[str, Any]:
    conditions = loyalty.client_conditions(client)
    codes = loyalty.client_reason_codes(client)
    leads = list(referrals.referred_leads(request.user, client)[:50])
    bonused = set(
        ClientBenefit.objects.filter(client=client, referral_lead__in=leads).values_list(
            "referral_lead_id", flat=True
        )
    )
    return {
        "client": client,
        "conditions": conditions,
        "benefit_labels": {b.pk: loyalty.benefit_label(b.kind) for b in conditions.benefits},
        "reasons": [label for code, label in loyalty.reason_choices() if code in codes]
        + [str(r.reason) for r in ClientLoyaltyReason.objects.filter(client=client, reason__is_active=False)],
        "reasons_form": forms_.get("reasons_form") or ReasonsForm(initial={"reasons": codes}),
        "benefit_form": forms_.get("benefit_form") or BenefitForm(),
        "referrals": referrals.referral_counts(client),
        "referred_leads": [(lead, lead.pk in bonused) for lead in leads],
        "history": loyalty.loyalty_history(client),
        "may_work": can(request.user, client, Action.WORK),
        "plan": account_plans.plan_of(client),
        "key_client": getattr(client, "abc_class", "") == "A",
    }


@login_required
def client_loyalty(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    return render(request, "retention/loyalty/client_loyalty.html", _loyalty_context(request, client))


@login_required
@require_POST
def client_reasons(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    form = ReasonsForm(request.POST)
    if form.is_valid() and perform(
        form,
        lambda: loyalty.client_loyalty_reasons_set(
            by=request.user, client=client, codes=form.cleaned_data["reasons"]
        ),
    ):
        messages.success(request, _("Reasons saved."))
        return redirect(reverse("retention:client_loyalty", args=[pk]) + "#loyalty-reasons")
    context = _loyalty_context(request, client, reasons_form=form)
    return render(request, "retention/loyalty/client_loyalty.html", context, status=422)


@login_required
@require_POST
def client_benefit_add(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    form = BenefitForm(request.POST)
    if form.is_valid() and perform(
        form, lambda: loyalty.client_benefit_add(by=request.user, client=client, values=form.cleaned_data)
    ):
        messages.success(request, _("Benefit added."))
        return redirect(reverse("retention:client_loyalty", args=[pk]) + "#loyalty-benefits")
    context = _loyalty_context(request, client, benefit_form=form)
    return render(request, "retention/loyalty/client_loyalty.html", context, status=422)


@login_required
@require_POST
def client_benefit_remove(request: AuthedRequest, pk: int, benefit_id: int) -> HttpResponse:
    client = _client(request, pk)
    benefit = get_object_or_404(ClientBenefit, pk=benefit_id, client=client)
    form = forms.Form(request.POST)
    if perform(form, lambda: loyalty.client_benefit_remove(by=request.user, benefit=benefit)):
        messages.success(request, _("Benefit removed."))
    return redirect(reverse("retention:client_loyalty", args=[pk]) + "#loyalty-benefits")


@login_required
@require_POST
def referral_bonus(request: AuthedRequest, pk: int) -> HttpResponse:
    """One click on a referred lead: the referring client's referral bonus."""
    if not user_can(request.user, "work_records"):
        raise PermissionDenied
    lead = get_visible_or_404(Lead.objects.select_related("referred_by_client"), request.user, pk=pk)
    if lead.referred_by_client is None:
        messages.error(request, _("No client recommended this lead."))
        return redirect(reverse("leads:detail", args=[pk]))
    client = get_visible_or_404(Client.objects.all(), request.user, pk=lead.referred_by_client_id)
    form = forms.Form(request.POST)
    values = {"value": request.POST.get("value", ""), "note": request.POST.get("note", "")}
    if perform(form, lambda: referrals.referral_bonus_record(by=request.user, lead=lead, values=values)):
        messages.success(request, _("Referral bonus recorded for %(client)s.") % {"client": client.name})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(reverse("retention:client_loyalty", args=[client.pk]) + "#loyalty-referrals")


# --- Account plan -------------------------------------------------------------------------------


class PlanForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    goals = forms.CharField(
        label=gettext_lazy("Goals for the year"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    review_on = forms.DateField(label=gettext_lazy("Review date"), required=False, widget=_date_input())


class ActionForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Action"), max_length=200)
    due_on = forms.DateField(label=gettext_lazy("Date"), widget=_date_input())


def _plan_context(request: AuthedRequest, client: Client, **forms_: Any) -> dict[str, Any]:
    plan = account_plans.plan_of(client)
    people = {p.contact_id: p for p in (plan.people.all() if plan else [])}
    contacts = list(
        Contact.objects.filter(client=client, is_archived=False).order_by("last_name", "first_name", "pk")[
            :100
        ]
    )

    return {
        "client": client,
        "plan": plan,
        "plan_form": forms_.get("plan_form")
        or PlanForm(
            initial={
                "year": plan.year if plan else timezone.localdate().year,
                "goals": plan.goals if plan else "",
                "review_on": plan.review_on if plan else None,
            }
        ),
        "action_form": forms_.get("action_form") or ActionForm(),
        "contacts": [(c, people.get(c.pk)) for c in contacts],
        "roles": PlanRole.choices,
        "actions": [(a, account_plans.action_done(a)) for a in (plan.actions.all() if plan else [])],
        "key_client": getattr(client, "abc_class", "") == "A",
        "may_work": can(request.user, client, Action.WORK),
    }


@login_required
def account_plan(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    if request.method == "POST":
        form = PlanForm(request.POST)
        people = [
            {
                "contact": key.split("_", 1)[1],
                "role": value,
                "note": request.POST.get(f"note_{key.split('_', 1)[1]}", ""),
            }
            for key, value in request.POST.items()
            if key.startswith("role_") and value
        ]
        if form.is_valid() and perform(
            form,
            lambda: account_plans.account_plan_save(
                by=request.user,
                client=client,
                goals=form.cleaned_data["goals"],
                year=form.cleaned_data["year"],
                review_on=form.cleaned_data["review_on"],
                people=people,
            ),
        ):
            messages.success(request, _("Account plan saved."))
            return redirect("retention:account_plan", pk=pk)
        return render(
            request,
            "retention/loyalty/account_plan.html",
            _plan_context(request, client, plan_form=form),
            status=422,
        )
    return render(request, "retention/loyalty/account_plan.html", _plan_context(request, client))


@login_required
@require_POST
def account_plan_action(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    form = ActionForm(request.POST)
    if form.is_valid() and perform(
        form,
        lambda: account_plans.account_plan_action_add(
            by=request.user,
            client=client,
            title=form.cleaned_data["title"],
            due_on=form.cleaned_data["due_on"],
        ),
    ):
        messages.success(request, _("Action planned: a task is on the personal manager's list."))
        return redirect(reverse("retention:account_plan", args=[pk]) + "#plan-actions")
    return render(
        request,
        "retention/loyalty/account_plan.html",
        _plan_context(request, client, action_form=form),
        status=422,
    )


# --- Report and settings ------------------------------------------------------------------------


@login_required
def report(request: AuthedRequest) -> HttpResponseBase:
    if not user_can(request.user, "work_records"):
        raise PermissionDenied
    figures = [loyalty_dashboard.reason_figure(request.user), loyalty_dashboard.referral_figure(request.user)]
    if (response := export_response(request, figures)) is not None:
        return response
    key = account_plans.key_clients(request.user)
    return render(
        request,
        "retention/loyalty/report.html",
        {
            "figures": figures,
            "classes_known": account_plans.has_abc_class(),
            "key_without_plan": list(account_plans.key_clients_without_plan(request.user)[:20]),
            "key_count": key.count(),
            "may_edit_lists": user_can(request.user, "manage_settings"),
        },
    )


@login_required
def reason_clients(request: AuthedRequest) -> HttpResponse:
    """The clients behind a reason's count."""
    if not user_can(request.user, "work_records"):
        raise PermissionDenied
    code = request.GET.get("reason", "")
    reason = LoyaltyReason.objects.filter(code=code).first()
    clients = (
        Client.objects.restrict(request.user, Action.VIEW)
        .filter(is_archived=False, loyalty_reasons__reason=reason)
        .select_related("owner")
        .order_by("name", "pk")[:500]
        if reason is not None
        else Client.objects.none()
    )
    return render(
        request,
        "retention/loyalty/reason_clients.html",
        {"reason": loyalty.reason_label(reason) if reason else "", "clients": clients},
    )


class NamesForm(forms.Form):
    """A list item's names, one per language (English required for an added one)."""

    def __init__(self, *args: Any, required_en: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        for code, name in settings.LANGUAGES:
            self.fields[f"name_{code}"] = forms.CharField(label=name, required=False, max_length=100)

    def names(self) -> dict[str, str]:
        return {
            key[5:]: value for key, value in self.cleaned_data.items() if key.startswith("name_") and value
        }


@login_required
def settings_page(request: AuthedRequest) -> HttpResponse:
    """Admins edit the reasons and benefits: add one (names per language), rename, retire."""
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied
    if request.method == "POST":
        which = request.POST.get("list")
        model: Any = LoyaltyReason if which == "reasons" else BenefitKind
        form = NamesForm(request.POST)
        item_id = request.POST.get("id")
        if form.is_valid():
            if item_id:
                item = get_object_or_404(model, pk=item_id)
                data: dict[str, Any] = {
                    "names": form.names(),
                    "is_active": request.POST.get("is_active") == "on",
                }
                if model is LoyaltyReason:
                    done = perform(
                        form, lambda: loyalty.loyalty_reason_update(by=request.user, reason=item, data=data)
                    )
                else:
                    done = perform(
                        form, lambda: loyalty.benefit_kind_update(by=request.user, kind=item, data=data)
                    )
            else:
                create = (
                    loyalty.loyalty_reason_create if model is LoyaltyReason else loyalty.benefit_kind_create
                )
                done = perform(form, lambda: create(by=request.user, names=form.names()))
            if done:
                messages.success(request, _("Saved."))
                return redirect("retention:loyalty_settings")
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("retention:loyalty_settings")
    from django.conf import settings

    return render(
        request,
        "retention/loyalty/settings.html",
        {
            "lists": [
                (
                    "reasons",
                    _("Why they came and why they stay"),
                    [(r, loyalty.reason_label(r)) for r in LoyaltyReason.objects.all()],
                ),
                (
                    "benefits",
                    _("Loyalty benefits"),
                    [(b, loyalty.benefit_label(b)) for b in BenefitKind.objects.all()],
                ),
            ],
            "languages": settings.LANGUAGES,
        },
    )
