"""Loyalty under /api/v1/: the reasons and benefits lists, a client's loyalty (conditions,
benefits, reasons, referrals, history), its account plan, referrals and the loyalty report.
Scoped like the pages: a client the caller does not see is 404; marketers see no clients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from clientela.clients.models import Client
from clientela.core.http import AuthedRequest
from clientela.core.permissions import get_visible_or_404, require
from clientela.leads.models import Lead
from clientela.leads.services.referral import lead_set_referrer
from clientela.retention import account_plans, loyalty, loyalty_dashboard, referrals
from clientela.retention.loyalty_models import AccountPlan, BenefitKind, ClientBenefit, LoyaltyReason

router = Router(tags=["retention"])


def _client(request: AuthedRequest, client_id: int) -> Client:
    require(request.user, "work_records")
    return get_visible_or_404(Client.objects.all(), request.user, pk=client_id)


# --- The configurable lists ---------------------------------------------------------------------


class ListItemOut(Schema):
    id: int
    code: str
    label: str
    names: dict[str, str]
    position: int
    is_active: bool
    built_in: bool


class ListItemIn(Schema):
    names: dict[str, str]


class ListItemPatch(Schema):
    names: dict[str, str] | None = None
    position: int | None = None
    is_active: bool | None = None


def _item(item: Any, label: str) -> dict[str, Any]:
    return {
        "id": item.pk,
        "code": item.code,
        "label": label,
        "names": item.names,
        "position": item.position,
        "is_active": item.is_active,
        "built_in": item.is_built_in,
    }


@router.get("/loyalty/reasons", response=list[ListItemOut], summary="Loyalty reasons")
def reasons_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Why clients came and why they stay: the configurable list (retired ones too)."""
    return [_item(reason, loyalty.reason_label(reason)) for reason in LoyaltyReason.objects.all()]


@router.post("/loyalty/reasons", response={201: ListItemOut}, summary="Add a loyalty reason")
def reasons_create(request: AuthedRequest, payload: ListItemIn) -> Status[dict[str, Any]]:
    """Admins: named in English (`names.en`) and any of the other languages."""
    reason = loyalty.loyalty_reason_create(by=request.user, names=payload.names)
    return Status(201, _item(reason, loyalty.reason_label(reason)))


@router.patch("/loyalty/reasons/{reason_id}", response=ListItemOut, summary="Change a loyalty reason")
def reasons_update(request: AuthedRequest, reason_id: int, payload: ListItemPatch) -> dict[str, Any]:
    require(request.user, "manage_settings")
    reason = get_object_or_404(LoyaltyReason, pk=reason_id)
    loyalty.loyalty_reason_update(by=request.user, reason=reason, data=payload.dict(exclude_none=True))
    return _item(reason, loyalty.reason_label(reason))


@router.get("/loyalty/benefits", response=list[ListItemOut], summary="Loyalty benefits")
def benefits_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [_item(kind, loyalty.benefit_label(kind)) for kind in BenefitKind.objects.all()]


@router.post("/loyalty/benefits", response={201: ListItemOut}, summary="Add a loyalty benefit")
def benefits_create(request: AuthedRequest, payload: ListItemIn) -> Status[dict[str, Any]]:
    kind = loyalty.benefit_kind_create(by=request.user, names=payload.names)
    return Status(201, _item(kind, loyalty.benefit_label(kind)))


@router.patch("/loyalty/benefits/{kind_id}", response=ListItemOut, summary="Change a loyalty benefit")
def benefits_update(request: AuthedRequest, kind_id: int, payload: ListItemPatch) -> dict[str, Any]:
    require(request.user, "manage_settings")
    kind = get_object_or_404(BenefitKind, pk=kind_id)
    loyalty.benefit_kind_update(by=request.user, kind=kind, data=payload.dict(exclude_none=True))
    return _item(kind, loyalty.benefit_label(kind))


# --- A client's loyalty -------------------------------------------------------------------------


class BenefitOut(Schema):
    id: int
    kind: str
    label: str
    value: str
    valid_until: dt.date | None
    note: str
    referral_lead: int | None


class HistoryOut(Schema):
    at: dt.datetime
    by: str
    event: str
    changes: dict[str, Any]


class LoyaltyOut(Schema):
    client: int
    discount_percent: Decimal | None
    price_list: str
    payment_terms_days: int | None
    payment_terms_note: str
    credit_limit: Decimal | None
    credit_currency: str
    bonuses: str
    benefits: list[BenefitOut]
    reasons: list[str]
    referred_leads: int
    referred_converted: int
    history: list[HistoryOut]


def _benefit(benefit: ClientBenefit) -> dict[str, Any]:
    return {
        "id": benefit.pk,
        "kind": benefit.kind.code,
        "label": loyalty.benefit_label(benefit.kind),
        "value": benefit.value,
        "valid_until": benefit.valid_until,
        "note": benefit.note,
        "referral_lead": benefit.referral_lead_id,
    }


def _loyalty(client: Client) -> dict[str, Any]:
    conditions = loyalty.client_conditions(client)
    counts = referrals.referral_counts(client)
    return {
        "client": client.pk,
        "discount_percent": conditions.discount_percent,
        "price_list": conditions.price_list,
        "payment_terms_days": conditions.payment_terms_days,
        "payment_terms_note": conditions.payment_terms_note,
        "credit_limit": conditions.credit_limit,
        "credit_currency": conditions.credit_currency,
        "bonuses": conditions.bonuses,
        "benefits": [_benefit(b) for b in conditions.benefits],
        "reasons": loyalty.client_reason_codes(client),
        "referred_leads": counts["referred"],
        "referred_converted": counts["converted"],
        "history": [
            {
                "at": entry.at,
                "by": str(entry.actor) if entry.actor else "",
                "event": entry.event or "update",
                "changes": entry.changes or {},
            }
            for entry in loyalty.loyalty_history(client)
        ],
    }


@router.get("/clients/{client_id}/loyalty", response=LoyaltyOut, summary="A client's loyalty")
def client_loyalty(request: AuthedRequest, client_id: int) -> dict[str, Any]:
    """Conditions (discount, price list, payment terms, credit limit, bonuses — changed through
    `PATCH /clients/{id}`), benefits, reasons, referrals and the history of their changes."""
    return _loyalty(_client(request, client_id))


class ReasonsIn(Schema):
    reasons: list[str]


@router.put(
    "/clients/{client_id}/loyalty/reasons", response=LoyaltyOut, summary="Set a client's loyalty reasons"
)
def client_reasons_set(request: AuthedRequest, client_id: int, payload: ReasonsIn) -> dict[str, Any]:
    client = _client(request, client_id)
    loyalty.client_loyalty_reasons_set(by=request.user, client=client, codes=payload.reasons)
    return _loyalty(client)


class BenefitIn(Schema):
    kind: str
    value: str = ""
    valid_until: dt.date | None = None
    note: str = ""


@router.post(
    "/clients/{client_id}/loyalty/benefits", response={201: BenefitOut}, summary="Give a client a benefit"
)
def client_benefit_add(request: AuthedRequest, client_id: int, payload: BenefitIn) -> Status[dict[str, Any]]:
    client = _client(request, client_id)
    benefit = loyalty.client_benefit_add(by=request.user, client=client, values=payload.dict())
    return Status(201, _benefit(benefit))


@router.delete(
    "/clients/{client_id}/loyalty/benefits/{benefit_id}",
    response={204: None},
    summary="Remove a client's benefit",
)
def client_benefit_remove(request: AuthedRequest, client_id: int, benefit_id: int) -> Status[None]:
    client = _client(request, client_id)
    benefit = get_object_or_404(ClientBenefit, pk=benefit_id, client=client)
    loyalty.client_benefit_remove(by=request.user, benefit=benefit)
    return Status(204, None)


# --- Account plan -------------------------------------------------------------------------------


class PlanPersonIn(Schema):
    contact: int
    role: str
    note: str = ""


class PlanPersonOut(Schema):
    contact: int
    name: str
    role: str
    note: str


class PlanActionOut(Schema):
    id: int
    title: str
    due_on: dt.date
    task: int | None
    done: bool


class PlanOut(Schema):
    client: int
    exists: bool
    key_client: bool
    year: int | None
    goals: str
    review_on: dt.date | None
    review_task: int | None
    people: list[PlanPersonOut]
    actions: list[PlanActionOut]


class PlanIn(Schema):
    goals: str | None = None
    year: int | None = None
    review_on: dt.date | None = None
    people: list[PlanPersonIn] | None = None


class PlanActionIn(Schema):
    title: str
    due_on: dt.date


def _plan(client: Client) -> dict[str, Any]:
    plan: AccountPlan | None = account_plans.plan_of(client)
    return {
        "client": client.pk,
        "exists": plan is not None,
        "key_client": getattr(client, "abc_class", "") == "A",
        "year": plan.year if plan else None,
        "goals": plan.goals if plan else "",
        "review_on": plan.review_on if plan else None,
        "review_task": plan.review_task_id if plan else None,
        "people": [
            {"contact": p.contact_id, "name": str(p.contact), "role": p.role, "note": p.note}
            for p in (plan.people.all() if plan else [])
        ],
        "actions": [
            {
                "id": a.pk,
                "title": a.title,
                "due_on": a.due_on,
                "task": a.task_id,
                "done": account_plans.action_done(a),
            }
            for a in (plan.actions.all() if plan else [])
        ],
    }


@router.get("/clients/{client_id}/account-plan", response=PlanOut, summary="A client's account plan")
def plan_get(request: AuthedRequest, client_id: int) -> dict[str, Any]:
    return _plan(_client(request, client_id))


@router.put(
    "/clients/{client_id}/account-plan", response=PlanOut, summary="Make or change a client's account plan"
)
def plan_put(request: AuthedRequest, client_id: int, payload: PlanIn) -> dict[str, Any]:
    """Only the fields sent change; `people` replaces the decision makers and influencers
    (`role`: decision_maker or influencer); a review date becomes a task on that day."""
    client = _client(request, client_id)
    sent = payload.dict(exclude_unset=True)
    account_plans.account_plan_save(
        by=request.user,
        client=client,
        goals=sent.get("goals"),
        year=sent.get("year"),
        review_on=sent.get("review_on", "unchanged"),
        people=sent.get("people"),
    )
    return _plan(client)


@router.post(
    "/clients/{client_id}/account-plan/actions", response={201: PlanOut}, summary="Plan an action (a task)"
)
def plan_action_add(request: AuthedRequest, client_id: int, payload: PlanActionIn) -> Status[dict[str, Any]]:
    client = _client(request, client_id)
    account_plans.account_plan_action_add(
        by=request.user, client=client, title=payload.title, due_on=payload.due_on
    )
    return Status(201, _plan(client))


class KeyClientOut(Schema):
    id: int
    name: str
    has_plan: bool


@router.get(
    "/loyalty/key-clients", response=list[KeyClientOut], summary="Key (A-class) clients and their plans"
)
def key_clients(request: AuthedRequest) -> list[dict[str, Any]]:
    require(request.user, "work_records")
    rows = account_plans.key_clients(request.user).values("pk", "name", "account_plan")[:500]
    return [{"id": r["pk"], "name": r["name"], "has_plan": r["account_plan"] is not None} for r in rows]


# --- Referrals ----------------------------------------------------------------------------------


class ReferrerIn(Schema):
    client: int | None = None


class ReferrerOut(Schema):
    lead: int
    referred_by_client: int | None
    origin: str
    bonus_recorded: bool


def _referrer(lead: Lead) -> dict[str, Any]:
    return {
        "lead": lead.pk,
        "referred_by_client": lead.referred_by_client_id,
        "origin": lead.origin,
        "bonus_recorded": referrals.bonus_recorded(lead),
    }


@router.put(
    "/leads/{lead_id}/referrer", response=ReferrerOut, summary="Link a lead to the client who referred it"
)
def lead_referrer(request: AuthedRequest, lead_id: int, payload: ReferrerIn) -> dict[str, Any]:
    """A client the caller sees (its origin becomes "seed"); `null` unlinks."""
    require(request.user, "work_records")
    lead = get_visible_or_404(Lead.objects.all(), request.user, pk=lead_id)
    lead = lead_set_referrer(by=request.user, lead=lead, client_id=payload.client)
    return _referrer(lead)


class BonusIn(Schema):
    value: str = ""
    valid_until: dt.date | None = None
    note: str = ""


@router.post(
    "/leads/{lead_id}/referral-bonus",
    response={201: BenefitOut},
    summary="Record the referring client's bonus",
)
def lead_referral_bonus(request: AuthedRequest, lead_id: int, payload: BonusIn) -> Status[dict[str, Any]]:
    """A referral bonus benefit of the client who recommended the lead (once per lead)."""
    require(request.user, "work_records")
    lead = get_visible_or_404(Lead.objects.select_related("referred_by_client"), request.user, pk=lead_id)
    if lead.referred_by_client is not None:
        get_visible_or_404(Client.objects.all(), request.user, pk=lead.referred_by_client_id)
    benefit = referrals.referral_bonus_record(by=request.user, lead=lead, values=payload.dict())
    return Status(201, _benefit(benefit))


# --- Report -------------------------------------------------------------------------------------


@router.get(
    "/loyalty/report", response=list[dict[str, Any]], summary="Loyalty reasons and referrals (figures)"
)
def report(request: AuthedRequest) -> list[dict[str, Any]]:
    """The loyalty report's figures over the caller's clients (counts and shares; referrals)."""
    require(request.user, "work_records")
    return [
        loyalty_dashboard.reason_figure(request.user).as_json(),
        loyalty_dashboard.referral_figure(request.user).as_json(),
    ]
