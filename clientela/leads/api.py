"""API: leads and interests — scoped lists with filters and search, the lead card, creation
through the intake pipeline, edits, every lifecycle action, the history, interest upgrades.

Doors are thin: a lead the caller cannot see is 404 everywhere (lookups go through the scoped
selectors), input is checked field by field (422 with the field named), and each write is one
call to a service in `leads.services`, whose business errors keep their status (400/403/409/422).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from clientela.clients.choices import ContactRole
from clientela.clients.models import Client
from clientela.core.errors import BusinessError, ConflictError
from clientela.core.http import AuthedRequest
from clientela.core.listspec import ListQuery
from clientela.core.normalise import clean_text
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import (
    get_visible_or_404,
    require,
    role_of,
)
from clientela.core.roles import OWNING_ROLES
from clientela.deals.models import Pipeline
from clientela.leads import selectors
from clientela.leads.choices import Source
from clientela.leads.duplicates import find_duplicate
from clientela.leads.lists import LEADS
from clientela.leads.models import Interest, Lead, LeadEvent, RefusalReason
from clientela.leads.rules import interest_upgrade_values
from clientela.leads.services.convert import DealPlaceholder, lead_convert
from clientela.leads.services.edit import lead_edit
from clientela.leads.services.lifecycle import lead_assign, lead_qualify, lead_start_work
from clientela.leads.services.merge import lead_merge
from clientela.leads.services.refuse import lead_postpone, lead_refuse
from clientela.leads.services.upgrade import interest_upgrade
from clientela.users.selectors import users_visible_to

router = Router(tags=["leads"])

# Roles that may own (be responsible for) a lead.


def invalid(field: str, message: str) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors={field: [message]}, status=422)


# --- Output -------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class LeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    company_name: str
    position: str
    industry: str
    email: str
    phone: str
    phone_raw: str
    country: str
    region: str
    city: str
    source: str
    origin: str
    campaign: str
    product: str
    message: str
    consent: bool
    consent_at: dt.datetime | None
    status: str
    status_changed_at: dt.datetime | None
    temperature: str
    temperature_manual: bool
    temperature_reasons: list[str]
    score: int
    score_factors: list[dict[str, Any]]
    qualification: dict[str, bool]
    owner: Ref | None
    team: Ref | None
    client_id: int | None
    contact_id: int | None
    converted_at: dt.datetime | None
    refusal_reason: str | None
    refusal_note: str
    postponed_until: dt.date | None
    created_at: dt.datetime
    last_touch_at: dt.datetime | None
    touch_count: int
    assigned_at: dt.datetime | None
    assignment_reason: str = Field(description="Why the lead went where it is, in the caller's language.")
    assignment_message: dict[str, Any] | None = Field(
        None, description="The reason as stored: a message code and its parameters (none when typed)."
    )
    merged_into_id: int | None

    @staticmethod
    def resolve_assignment_reason(obj: Lead) -> str:
        return obj.shown_assignment_reason

    @staticmethod
    def resolve_owner(obj: Lead) -> dict[str, Any] | None:
        return _ref(obj.owner) if obj.owner_id else None

    @staticmethod
    def resolve_team(obj: Lead) -> dict[str, Any] | None:
        return _ref(obj.team) if obj.team_id else None

    @staticmethod
    def resolve_refusal_reason(obj: Lead) -> str | None:
        return obj.refusal_reason.code if obj.refusal_reason_id and obj.refusal_reason else None

    @staticmethod
    def resolve_qualification(obj: Lead) -> dict[str, bool]:
        return {str(k): bool(v) for k, v in (obj.qualification or {}).items()}


class QualifyOut(Schema):
    lead: LeadOut
    missing: list[str]


class ConvertOut(Schema):
    lead: LeadOut
    client: Ref
    contact: Ref
    client_created: bool
    deal: Ref | None = None


class LeadEventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    kind_label: str
    text: str = Field(description="The line in the caller's language (a typed note as typed).")
    message: dict[str, Any] | None = Field(
        None,
        alias="text_message",
        description="The line as stored: a message code and its parameters (none for a typed note).",
    )
    actor: Ref | None
    data: dict[str, Any]

    @staticmethod
    def resolve_text(obj: LeadEvent) -> str:
        return obj.shown_text

    @staticmethod
    def resolve_kind_label(obj: LeadEvent) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_actor(obj: LeadEvent) -> dict[str, Any] | None:
        return _ref(obj.actor) if obj.actor_id else None


class InterestOut(Schema):
    id: int
    name: str
    company_name: str
    email: str
    phone: str
    phone_raw: str
    source: str
    origin: str
    campaign: str
    product: str
    message: str
    country: str
    city: str
    reason: str
    team: Ref | None
    intake_form_id: int | None
    upgraded_to_id: int | None
    upgraded_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_team(obj: Interest) -> dict[str, Any] | None:
        return _ref(obj.team) if obj.team_id else None


# --- Lists --------------------------------------------------------------------------------------


def _choice(value: str, allowed: list[str], extra: tuple[str, ...] = ()) -> str:
    value = (value or "").strip()
    if value and value not in allowed and value not in extra:
        raise ValueError(_("Choose one of: %s.") % ", ".join([*extra, *allowed]))
    return value


if TYPE_CHECKING:
    LeadQuery = ListQuery
else:
    LeadQuery = LEADS.query_schema("LeadQuery")


@router.get("/leads", response=Page[LeadOut], summary="Leads visible to you")
def list_leads(request: HttpRequest, query: Query[LeadQuery]) -> dict[str, Any]:
    """Filter by status (or `open`), owner (or `unassigned=true`), team, temperature, source,
    origin, campaign and creation dates; `q` searches name, company, e-mail and phone digits
    (case-, accent- and script-insensitive). Refused and postponed leads are included."""
    leads = selectors.lead_list(viewer=request.user, filters=query.values()).select_related("refusal_reason")
    return paginate(leads, query)


class InterestQuery(PageParams):
    q: str = ""
    source: str = ""
    upgraded: bool | None = None
    campaign: str = Field("", max_length=100)
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    team: int | None = None

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return _choice(value, list(Source.values))


@router.get("/interests", response=Page[InterestOut], summary="Interests visible to you")
def list_interests(request: HttpRequest, query: Query[InterestQuery]) -> dict[str, Any]:
    interests = selectors.interest_list(
        viewer=request.user,
        q=query.q,
        source=query.source,
        upgraded=query.upgraded,
        campaign=query.campaign.strip(),
        created_from=query.created_from,
        created_to=query.created_to,
        team=query.team,
    )
    return paginate(interests, query)


# --- The card and edits -------------------------------------------------------------------------


@router.get("/leads/{lead_id}", response=LeadOut, summary="One lead")
def get_lead(request: HttpRequest, lead_id: int) -> Lead:
    return selectors.lead_get(viewer=request.user, pk=lead_id)


class LeadPatchIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    position: str | None = None
    industry: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    source: str | None = None
    origin: str | None = None
    campaign: str | None = None
    product: str | None = None
    message: str | None = None
    temperature: str | None = None
    consent: bool | None = None


@router.patch("/leads/{lead_id}", response=LeadOut, summary="Change a lead's fields")
def update_lead(request: AuthedRequest, lead_id: int, payload: LeadPatchIn) -> Lead:
    """Only the fields sent change. Phone and e-mail are normalised (raw values kept); setting
    `temperature` counts as set by hand (an empty one returns it to the rules)."""
    lead = selectors.lead_get(viewer=request.user, pk=lead_id)
    lead_edit(by=request.user, lead=lead, raw=payload.model_dump(exclude_unset=True))
    return selectors.lead_get(viewer=request.user, pk=lead_id)


# --- Lifecycle actions --------------------------------------------------------------------------


def _lead_for_action(request: HttpRequest, lead_id: int) -> Lead:
    """The lead (404 when not visible); marketers read leads but take no action on them."""
    lead = selectors.lead_get(viewer=request.user, pk=lead_id)
    require(request.user, "work_records")
    return lead


class AssignIn(Schema):
    owner: int | None = None
    reason: str = ""


@router.post(
    "/leads/{lead_id}/assign", response=LeadOut, summary="Give a lead to someone (or the team queue)"
)
def assign_lead(request: AuthedRequest, lead_id: int, payload: AssignIn) -> Lead:
    lead = _lead_for_action(request, lead_id)
    owner = None
    if payload.owner is not None:
        owner = users_visible_to(request.user).filter(pk=payload.owner).first()
        if owner is None:
            raise invalid("owner", _("Choose an active manager."))
    lead_assign(by=request.user, lead=lead, owner=owner, reason=clean_text(payload.reason, 300))
    return selectors.lead_get(viewer=request.user, pk=lead_id)


@router.post("/leads/{lead_id}/start", response=LeadOut, summary="Take a new lead into work")
def start_lead(request: AuthedRequest, lead_id: int) -> Lead:
    lead = _lead_for_action(request, lead_id)
    lead_start_work(by=request.user, lead=lead)
    return selectors.lead_get(viewer=request.user, pk=lead_id)


class QualifyIn(Schema):
    answers: dict[str, bool]


@router.post("/leads/{lead_id}/qualify", response=QualifyOut, summary="Answer the qualification checklist")
def qualify_lead(request: AuthedRequest, lead_id: int, payload: QualifyIn) -> dict[str, Any]:
    """`answers` maps checklist items (need, budget, authority, timing) to true/false; the lead
    becomes qualified when the team's required items hold. `missing` lists those still open."""
    lead = _lead_for_action(request, lead_id)
    _lead, missing = lead_qualify(by=request.user, lead=lead, answers=payload.answers)
    return {"lead": selectors.lead_get(viewer=request.user, pk=lead_id), "missing": missing}


class ConvertIn(Schema):
    client_id: int | None = None
    client_name: str = ""
    client_owner: int | None = None
    contact_role: str = ""
    create_deal: bool = False
    deal_pipeline: int | None = None
    deal_title: str = ""
    deal_amount: Decimal | None = None
    deal_currency: str = ""
    deal_expected_close_date: dt.date | None = None
    # Why the client came (codes of the loyalty reasons, when they are kept): optional.
    loyalty_reasons: list[str] = []

    @field_validator("contact_role")
    @classmethod
    def _role(cls, value: str) -> str:
        return _choice(value, list(ContactRole.values))


@router.post(
    "/leads/{lead_id}/convert", response=ConvertOut, summary="Convert a lead into a client and contact"
)
def convert_lead(request: AuthedRequest, lead_id: int, payload: ConvertIn) -> dict[str, Any]:
    """Creates the client (or attaches to `client_id`, a known company) and a contact, keeps the
    two-way link and the moment; `client_owner` gives the client a different personal manager.
    With `create_deal` a deal starts too, in the same transaction (`deal_pipeline` — default the
    default pipeline —, optional `deal_title`, `deal_amount`, `deal_currency`,
    `deal_expected_close_date`); the answer names it in `deal`."""
    lead = _lead_for_action(request, lead_id)
    client = None
    if payload.client_id is not None:
        client = Client.objects.visible_to(request.user).filter(pk=payload.client_id).first()
        if client is None:
            raise invalid("client_id", _("No such client."))
    client_owner = None
    if payload.client_owner is not None:
        client_owner = users_visible_to(request.user).filter(pk=payload.client_owner, is_active=True).first()
        if client_owner is None or role_of(client_owner) not in OWNING_ROLES:
            raise invalid("client_owner", _("Choose an active manager."))
    conversion = lead_convert(
        by=request.user,
        lead=lead,
        client=client,
        client_name=clean_text(payload.client_name),
        client_owner=client_owner,
        contact_role=payload.contact_role,
        deal=_deal_placeholder(payload),
        loyalty_reasons=payload.loyalty_reasons,
    )
    return {
        "lead": selectors.lead_get(viewer=request.user, pk=lead_id),
        "client": _ref(conversion.client),
        "contact": _ref(conversion.contact),
        "client_created": conversion.client_created,
        "deal": _ref(conversion.deal),
    }


def _deal_placeholder(payload: ConvertIn) -> DealPlaceholder | None:
    """The deal part of a conversion (`create_deal`), its pipeline one of the active ones."""
    if not payload.create_deal:
        return None
    pipeline = None
    if payload.deal_pipeline is not None:
        pipeline = Pipeline.objects.filter(pk=payload.deal_pipeline, is_active=True).first()
        if pipeline is None:
            raise invalid("deal_pipeline", _("Choose an active pipeline."))
    return DealPlaceholder(
        pipeline=pipeline,
        title=clean_text(payload.deal_title),
        amount=payload.deal_amount,
        currency=clean_text(payload.deal_currency).upper(),
        expected_close_date=payload.deal_expected_close_date,
    )


class RefuseIn(Schema):
    reason: str
    note: str = ""
    farewell: bool = False
    postpone_until: dt.date | None = None


@router.post("/leads/{lead_id}/refuse", response=LeadOut, summary="Record that a lead declined")
def refuse_lead(request: AuthedRequest, lead_id: int, payload: RefuseIn) -> Lead:
    """`reason` is a refusal reason code (price, competitor, no_budget, timing, no_decision,
    quality, other or one configured). `farewell` queues the farewell letter with its
    questionnaire; `postpone_until` brings the lead back to its owner on that day."""
    lead = _lead_for_action(request, lead_id)
    reason = RefusalReason.objects.filter(code=payload.reason.strip()).first()
    if reason is None:
        codes = RefusalReason.objects.filter(is_active=True).values_list("code", flat=True)
        raise invalid("reason", _("Choose one of: %s.") % ", ".join(codes))
    lead_refuse(
        by=request.user,
        lead=lead,
        reason=reason,
        note=payload.note.strip()[:5000],
        farewell=payload.farewell,
        postpone_until=payload.postpone_until,
    )
    return selectors.lead_get(viewer=request.user, pk=lead_id)


class PostponeIn(Schema):
    until: dt.date
    note: str = ""


@router.post("/leads/{lead_id}/postpone", response=LeadOut, summary="Postpone a lead until a date")
def postpone_lead(request: AuthedRequest, lead_id: int, payload: PostponeIn) -> Lead:
    lead = _lead_for_action(request, lead_id)
    lead_postpone(by=request.user, lead=lead, until=payload.until, note=payload.note.strip()[:5000])
    return selectors.lead_get(viewer=request.user, pk=lead_id)


class MergeIn(Schema):
    other: int


@router.post("/leads/{lead_id}/merge", response=LeadOut, summary="Merge another lead into this one")
def merge_lead(request: AuthedRequest, lead_id: int, payload: MergeIn) -> Lead:
    """`other` is merged into this lead: empty fields filled, both timelines joined, the other
    lead kept with `merged_into_id` pointing here."""
    lead = _lead_for_action(request, lead_id)
    other = Lead.objects.visible_to(request.user).filter(pk=payload.other).first()
    if other is None:
        raise invalid("other", _("No such lead."))
    lead_merge(by=request.user, target=lead, other=other)
    return selectors.lead_get(viewer=request.user, pk=lead_id)


@router.get(
    "/leads/{lead_id}/history", response=Page[LeadEventOut], summary="A lead's timeline, newest first"
)
def lead_history(request: HttpRequest, lead_id: int, page: Query[PageParams]) -> dict[str, Any]:
    lead = selectors.lead_get(viewer=request.user, pk=lead_id)
    return paginate(selectors.lead_history(lead=lead), page)


@router.get(
    "/leads/{lead_id}/candidates", response=list[LeadOut], summary="Leads that look like the same person"
)
def lead_candidates(request: HttpRequest, lead_id: int) -> list[Lead]:
    """Fuzzy duplicate candidates to merge (same transliterated last name and first initial,
    preferring the same company)."""
    lead = selectors.lead_get(viewer=request.user, pk=lead_id)
    return selectors.fuzzy_candidates(viewer=request.user, lead=lead)


# --- Interests ----------------------------------------------------------------------------------


class InterestUpgradeIn(Schema):
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    position: str = ""
    company_name: str = ""


@router.post(
    "/interests/{interest_id}/upgrade", response={201: LeadOut}, summary="Turn an interest into a lead"
)
def upgrade_interest(request: AuthedRequest, interest_id: int, payload: InterestUpgradeIn) -> Status[Lead]:
    """A person appeared behind the interest: give their name (and a phone or e-mail if the
    interest has none). The new lead keeps the interest's source, campaign and message."""
    interest = get_visible_or_404(Interest.objects.select_related("team"), request.user, pk=interest_id)
    require(request.user, "work_records")
    if interest.upgraded_to_id:
        raise ConflictError(_("This interest is already a lead (#%(id)s).") % {"id": interest.upgraded_to_id})
    fields = interest_upgrade_values(interest, payload.model_dump())
    email, phone = fields.get("email") or interest.email, fields.get("phone") or interest.phone
    duplicate = find_duplicate(email, phone)
    if duplicate is not None:
        field = "email" if email and getattr(duplicate, "email", "") == email else "phone"
        raise ConflictError(
            _("This person is already on record (%(kind)s #%(id)s).")
            % {"kind": duplicate._meta.verbose_name, "id": duplicate.pk},
            errors={field: [_("Already on record; add a touch there instead.")]},
        )
    lead = interest_upgrade(by=request.user, interest=interest, fields=fields)
    return Status(201, selectors.lead_get(viewer=request.user, pk=lead.pk))
