"""API: the public intake endpoint (`POST /intake/{form_key}`) and intake-form management.

The public endpoint is the one door without a login: the form's key is its credential. It
takes JSON or an HTML form post, answers browsers on other sites (CORS), protects itself
with a honeypot field and its own rate limits (per address and per form, not the API's
per-user throttle), and runs every arrival through the intake pipeline. A plain HTML form
post (the embeddable snippet) is answered with a redirect to a thank-you page, not JSON.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ValidationError as PydanticValidationError
from pydantic import field_validator

from clientela.clients.models import Client
from clientela.core.api import api, error_response
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import require, role_of, user_can, visible_team_ids
from clientela.core.roles import OWNING_ROLES, Role
from clientela.core.validation import too_long
from clientela.intake import selectors, services
from clientela.intake.choices import FormKind
from clientela.intake.models import IntakeForm
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit, run_idempotent
from clientela.leads.api import invalid
from clientela.leads.api import router as leads_router
from clientela.leads.choices import Source
from clientela.leads.rules import FULL_NAME_LIMIT, MESSAGE_LIMIT, RAW_LEAD_LIMITS
from clientela.users.models import Team, User
from clientela.users.selectors import users_visible_to

log = logging.getLogger(__name__)

router = Router(tags=["intake"])

# How long each field of an arriving lead may be: the lead's field rules (`leads.rules`), which
# the pipeline checks again for every door. Here they only bound what the schema reads: coded
# fields (country, source, origin, consent, temperature) get room for a wrong value, so the
# pipeline can say what is wrong with it beside the other fields' errors.
FIELD_MAX_LENGTHS: dict[str, int] = {
    **RAW_LEAD_LIMITS,
    "name": FULL_NAME_LIMIT,
    "utm_campaign": RAW_LEAD_LIMITS["campaign"],
    "message": MESSAGE_LIMIT,
    **dict.fromkeys(("country", "source", "origin", "consent", "temperature"), 100),
    "idempotency_key": 200,
}
HONEYPOT_FIELD = "website"
TEXT_FIELDS = (*FIELD_MAX_LENGTHS, HONEYPOT_FIELD)
# All submissions to one form per hour, from every address together (a flood from many addresses).
FORM_CAP_PER_HOUR = getattr(settings, "INTAKE_FORM_MAX_PER_HOUR", 1000)
RATE_WINDOW_SECONDS = 3600
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After, Idempotent-Replayed",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept, Accept-Language, Idempotency-Key",
    "Access-Control-Max-Age": "86400",
}


def _scalar_to_text(value: Any) -> Any:
    """JSON numbers and booleans are fine for text fields (a phone sent as a number, consent as true)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return value


class RawLeadFieldsIn(Schema):
    """What a person leaves on a form: a name (whole or split), a way to reach them, context."""

    name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    position: str = ""
    country: str = ""
    city: str = ""
    source: str = ""
    campaign: str = ""
    utm_campaign: str = ""
    interest: str = ""
    message: str = ""
    consent: str = ""
    idempotency_key: str = ""

    @field_validator(*TEXT_FIELDS, mode="before", check_fields=False)
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None:
            return ""
        value = _scalar_to_text(value)
        if not isinstance(value, str):
            raise ValueError(_("Send text here."))
        return value

    @field_validator(*TEXT_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _length(cls, value: Any, info: Any) -> Any:
        limit = FIELD_MAX_LENGTHS.get(info.field_name)
        if limit is not None and isinstance(value, str) and len(value.strip()) > limit:
            raise ValueError(too_long(limit))
        return value

    def raw_lead(self) -> RawLead:
        data = self.model_dump(exclude={"idempotency_key"})
        return RawLead.from_mapping(data)


class PublicSubmitIn(RawLeadFieldsIn):
    """The public form's fields; `website` is a honeypot that people never see or fill."""

    website: str = ""


class IntakeOut(Schema):
    kind: str
    id: int
    duplicate_of: int | None = None


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


# --- The public endpoint -------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The caller's address; behind N trusted proxies (CLIENTELA_PROXY_COUNT) the N-th from the
    right of X-Forwarded-For, never a value the caller can choose freely."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    remote = str(request.META.get("REMOTE_ADDR") or "")
    if proxies:
        chain = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        chain = [part for part in chain if part]
        if chain:
            return chain[-min(proxies, len(chain))]
    return remote


def _hit(key: str, limit: int) -> int | None:
    """Count one submission in the current hour window; seconds to wait if over `limit`."""
    window = int(time.time() // RATE_WINDOW_SECONDS)
    cache_key = f"intake:{key}:{window}"
    cache.add(cache_key, 0, RATE_WINDOW_SECONDS + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, RATE_WINDOW_SECONDS + 60)
        count = 1
    if count <= limit:
        return None
    if count == limit + 1:  # once per window, so a flood does not flood the log too
        log.warning("Intake rate limit reached: %s (%s per hour)", key, limit)
    return max(1, (window + 1) * RATE_WINDOW_SECONDS - int(time.time()))


def _rate_limited(request: HttpRequest, form: IntakeForm) -> int | None:
    """Seconds to wait when this address or this form is over its hourly limit, else None."""
    wait = _hit(f"ip:{form.pk}:{client_address(request)}", form.rate_limit_per_hour)
    if wait is not None:
        return wait
    return _hit(f"form:{form.pk}", FORM_CAP_PER_HOUR)


def _is_json(request: HttpRequest) -> bool:
    return (request.content_type or "").lower() in {"application/json", "text/json"} or (
        request.content_type or ""
    ).lower().endswith("+json")


def _wants_html(request: HttpRequest) -> bool:
    """A browser's own form submission (not fetch/XHR): it should see a page, not JSON."""
    return not _is_json(request) and "text/html" in request.headers.get("Accept", "")


def _parse_body(request: HttpRequest) -> dict[str, Any]:
    if _is_json(request):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BusinessError(
                _("The body is not valid JSON."), errors={"__all__": [_("Send a JSON object.")]}, status=400
            ) from exc
        if not isinstance(data, dict):
            raise BusinessError(
                _("The body must be a JSON object."),
                errors={"__all__": [_("Send a JSON object.")]},
                status=400,
            )
        return data
    return {key: request.POST.get(key, "") for key in request.POST}


def _validate(data: dict[str, Any]) -> PublicSubmitIn:
    try:
        return PublicSubmitIn.model_validate(data)
    except PydanticValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            field = ".".join(str(part) for part in err.get("loc", ())) or "__all__"
            errors.setdefault(field, []).append(str(err.get("msg", "")).removeprefix("Value error, "))
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422) from exc


def _cors(response: HttpResponse) -> HttpResponse:
    for header, value in CORS_HEADERS.items():
        response[header] = value
    return response


def _error(
    request: HttpRequest,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    *,
    html: bool = False,
    form: IntakeForm | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    if html:
        referer = request.headers.get("Referer", "")
        back = referer if referer.startswith(("https://", "http://")) else ""
        response = render(
            request,
            "intake/public/error.html",
            {"status": status, "detail": detail, "errors": errors or {}, "back": back, "intake_form": form},
            status=status,
        )
    else:
        response = error_response(request, status, detail, errors)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return _cors(response)


def _success(
    request: HttpRequest, form: IntakeForm, body: dict[str, Any], *, html: bool, replayed: bool
) -> HttpResponse:
    if html:
        response = HttpResponse(status=303)
        response["Location"] = reverse("intake:thanks", args=[form.key])
    else:
        response = api.create_response(request, body, status=201)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return _cors(response)


_BODY_SCHEMA = PublicSubmitIn.model_json_schema()


@router.post(
    "/intake/{form_key}",
    auth=None,
    throttle=[],
    url_name="intake_submit",
    response={201: IntakeOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Submit a lead through a public intake form (no login)",
    description=(
        "The door of web forms and callback widgets: no token, the form key is the credential. "
        "Send JSON or a form-encoded body. Answers `201 {kind, id, duplicate_of}`: `kind` is `lead` "
        "or `interest` (or `contact`/`client` when the person is already one), `duplicate_of` the "
        "existing record a known e-mail or phone was attached to. A repeated `idempotency_key` (or "
        "`Idempotency-Key` header) returns the first answer and creates nothing. A browser's form "
        "post (`Accept: text/html`) is redirected to a thank-you page. Rate limited per address "
        "and per form (429 with Retry-After)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _BODY_SCHEMA},
                "application/x-www-form-urlencoded": {"schema": _BODY_SCHEMA},
            },
        }
    },
)
def intake_submit_endpoint(request: HttpRequest, form_key: str) -> HttpResponse:
    html = _wants_html(request)
    form = selectors.intake_form_by_key(form_key)
    if form is None:
        return _error(request, 404, _("This form does not exist or is closed."), html=html)
    wait = _rate_limited(request, form)
    if wait is not None:
        return _error(
            request,
            429,
            _("Too many requests. Please slow down and retry later."),
            html=html,
            form=form,
            retry_after=wait,
        )
    try:
        data = _parse_body(request)
        payload = _validate(data)
    except (RequestDataTooBig, TooManyFieldsSent):
        return _error(request, 413, _("The request is too large."), html=html, form=form)
    except BusinessError as exc:
        return _error(request, exc.status, exc.message, exc.errors, html=html, form=form)
    if payload.website.strip():
        # A bot filled the field people cannot see: look successful, keep nothing.
        log.warning("Intake honeypot filled on form %s from %s; dropped", form.pk, client_address(request))
        return _success(
            request, form, {"kind": "lead", "id": 0, "duplicate_of": None}, html=html, replayed=False
        )
    if form.kind == FormKind.CALLBACK and not payload.phone.strip():
        return _error(
            request,
            422,
            _("Some fields are not valid."),
            {"phone": [_("Give a phone number to call back.")]},
            html=html,
            form=form,
        )
    ctx = IntakeContext(
        door="form",
        team=form.team,
        default_source=form.default_source,
        default_campaign=form.default_campaign,
        intake_form=form,
        callback=form.kind == FormKind.CALLBACK,
    )
    raw = payload.raw_lead()
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    try:
        body, replayed = run_idempotent(f"form:{form.pk}", key, lambda: intake_submit(raw=raw, ctx=ctx))
    except BusinessError as exc:
        return _error(request, exc.status, exc.message, exc.errors, html=html, form=form)
    return _success(request, form, body, html=html, replayed=replayed)


@router.api_operation(["OPTIONS"], "/intake/{form_key}", auth=None, throttle=[], include_in_schema=False)
def intake_preflight(request: HttpRequest, form_key: str) -> HttpResponse:
    """CORS preflight: any website may post to a form (the key, not the origin, is checked)."""
    response = HttpResponse(status=204)
    for header, value in PREFLIGHT_HEADERS.items():
        response[header] = value
    return response


# --- Intake forms management ---------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class IntakeFormOut(Schema):
    id: int
    name: str
    key: str
    kind: str
    team: Ref | None
    default_source: str
    default_campaign: str
    rate_limit_per_hour: int
    is_active: bool
    created_at: datetime
    endpoint: str
    hosted_form: str
    lead_count: int = 0
    interest_count: int = 0

    @staticmethod
    def resolve_team(obj: IntakeForm) -> dict[str, Any] | None:
        return {"id": obj.team.pk, "name": obj.team.name} if obj.team_id and obj.team else None

    @staticmethod
    def resolve_endpoint(obj: IntakeForm) -> str:
        return selectors.endpoint_url(obj)

    @staticmethod
    def resolve_hosted_form(obj: IntakeForm) -> str:
        return selectors.hosted_form_url(obj)

    @staticmethod
    def resolve_lead_count(obj: IntakeForm) -> int:
        return int(getattr(obj, "lead_count", 0) or 0)

    @staticmethod
    def resolve_interest_count(obj: IntakeForm) -> int:
        return int(getattr(obj, "interest_count", 0) or 0)


class IntakeFormDetailOut(IntakeFormOut):
    snippet: str

    @staticmethod
    def resolve_snippet(obj: IntakeForm) -> str:
        return selectors.embed_snippet(obj)


class IntakeFormIn(Schema):
    name: str
    kind: FormKind = FormKind.FORM
    team: int | None = None
    default_source: str = ""
    default_campaign: str = ""
    rate_limit_per_hour: int = 20


class IntakeFormPatch(Schema):
    name: str | None = None
    kind: FormKind | None = None
    team: int | None = None
    default_source: str | None = None
    default_campaign: str | None = None
    rate_limit_per_hour: int | None = None
    is_active: bool | None = None


class IntakeFormFilters(PageParams):
    q: str = ""
    is_active: bool | None = None
    team: int | None = None


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise BusinessError(
            _("Some fields are not valid."), errors={"team": [_("Choose one of your teams.")]}, status=422
        )
    return team


def _require_manage(request: HttpRequest) -> None:
    require(request.user, "manage_intake")


@router.get("/intake-forms", response=Page[IntakeFormOut], summary="Intake forms you manage")
def list_intake_forms(request: HttpRequest, filters: Query[IntakeFormFilters]) -> dict[str, Any]:
    _require_manage(request)
    forms = selectors.intake_form_list(
        viewer=request.user, q=filters.q, is_active=filters.is_active, team_id=filters.team
    )
    return paginate(forms, filters)


@router.post("/intake-forms", response={201: IntakeFormDetailOut}, summary="Create an intake form")
def create_intake_form(request: AuthedRequest, payload: IntakeFormIn) -> Status[IntakeForm]:
    _require_manage(request)
    form = services.intake_form_create(
        by=request.user,
        name=payload.name,
        kind=payload.kind,
        team=_team(payload.team),
        default_source=payload.default_source or None,
        default_campaign=payload.default_campaign,
        rate_limit_per_hour=payload.rate_limit_per_hour,
    )
    return Status(201, selectors.intake_form_get(viewer=request.user, pk=form.pk))


@router.get(
    "/intake-forms/{form_id}", response=IntakeFormDetailOut, summary="One intake form and its snippet"
)
def get_intake_form(request: HttpRequest, form_id: int) -> IntakeForm:
    _require_manage(request)
    return selectors.intake_form_get(viewer=request.user, pk=form_id)


@router.patch("/intake-forms/{form_id}", response=IntakeFormDetailOut, summary="Change an intake form")
def update_intake_form(request: AuthedRequest, form_id: int, payload: IntakeFormPatch) -> IntakeForm:
    _require_manage(request)
    form = selectors.intake_form_get(viewer=request.user, pk=form_id)
    data = payload.model_dump(exclude_unset=True)
    for name in ("name", "kind", "default_source", "default_campaign", "rate_limit_per_hour", "is_active"):
        if name in data and data[name] is None:
            raise BusinessError(
                _("Some fields are not valid."), errors={name: [_("This field cannot be empty.")]}, status=422
            )
    if "team" in data:
        data["team"] = _team(data["team"])
    services.intake_form_update(by=request.user, form=form, data=data)
    return selectors.intake_form_get(viewer=request.user, pk=form.pk)


@router.post(
    "/intake-forms/{form_id}/deactivate", response=IntakeFormDetailOut, summary="Close an intake form"
)
def deactivate_intake_form(request: AuthedRequest, form_id: int) -> IntakeForm:
    _require_manage(request)
    form = selectors.intake_form_get(viewer=request.user, pk=form_id)
    services.intake_form_deactivate(by=request.user, form=form)
    return selectors.intake_form_get(viewer=request.user, pk=form.pk)


@router.post(
    "/intake-forms/{form_id}/rotate-key",
    response=IntakeFormDetailOut,
    summary="Give an intake form a new key",
)
def rotate_intake_form_key(request: AuthedRequest, form_id: int) -> IntakeForm:
    _require_manage(request)
    form = selectors.intake_form_get(viewer=request.user, pk=form_id)
    services.intake_form_rotate_key(by=request.user, form=form)
    return selectors.intake_form_get(viewer=request.user, pk=form.pk)


# --- POST /leads: the leads resource's creation door runs this pipeline ---------------------------
# Declared here, on the leads router (`leads.api.router`), because the intake app owns the
# pipeline and sits above leads: leads never imports intake (docs/architecture.md, layers).


class LeadCreateIn(RawLeadFieldsIn):
    """A lead from another system. The team is yours unless you name one you can see; `owner`
    skips the distribution rules (yourself, or anyone of the team if you distribute leads)."""

    industry: str = ""
    region: str = ""
    origin: str = ""
    temperature: str = ""
    external_id: str = ""
    team: int | None = None
    owner: int | None = None
    # A client who recommended the person: the lead is linked to it, origin "seed".
    referred_by_client: int | None = None


def _team_for(user: User, team_id: int | None) -> Team | None:
    if team_id is None:
        return user.team
    team = Team.objects.filter(pk=team_id).first()
    visible = visible_team_ids(user)
    if team is None or (visible is not None and team.pk not in visible):
        raise invalid("team", _("Choose one of your teams."))
    return team


def _owner_for(user: User, owner_id: int | None, team: Team | None) -> User | None:
    if owner_id is None:
        return None
    owner = users_visible_to(user).filter(pk=owner_id, is_active=True).first()
    if owner is None or role_of(owner) not in OWNING_ROLES:
        raise invalid("owner", _("Choose an active manager."))
    if owner.pk == user.pk:
        if role_of(user) not in OWNING_ROLES:
            raise PermissionDeniedError(_("Your role cannot own leads."))
    elif not user_can(user, "distribute_leads"):
        raise PermissionDeniedError(_("Only a head of sales can choose who gets a lead."))
    if team is not None and owner.team_id != team.pk and role_of(user) != Role.ADMIN:
        raise invalid("owner", _("Choose someone of the team."))
    return owner


@leads_router.post(
    "/leads",
    response={201: IntakeOut},
    summary="Create a lead (or an interest, or a touch on a known person)",
    operation_id="clientela_leads_api_create_lead",
)
def create_lead(request: HttpRequest, payload: LeadCreateIn) -> HttpResponse:
    """Runs the intake pipeline: validate, normalise, deduplicate (a known e-mail or phone becomes
    a touch: `duplicate_of` names the record), classify (no name or no way to reach → interest),
    assign, first task. An `idempotency_key` (or `Idempotency-Key` header) makes retries safe:
    the same key returns the first answer and creates nothing."""
    user: User = request.user  # type: ignore[assignment]
    team = _team_for(user, payload.team)
    owner = _owner_for(user, payload.owner, team)
    ctx = IntakeContext(door="api", by=user, team=team, owner=owner, default_source=Source.OTHER)
    if payload.referred_by_client is not None:
        ctx.referred_by_client = Client.objects.visible_to(user).filter(pk=payload.referred_by_client).first()
        if ctx.referred_by_client is None:
            raise invalid("referred_by_client", _("No such client."))
    raw = payload.raw_lead()
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    body, replayed = run_idempotent(f"user:{user.pk}", key, lambda: intake_submit(raw=raw, ctx=ctx))
    response = api.create_response(request, body, status=201)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response
