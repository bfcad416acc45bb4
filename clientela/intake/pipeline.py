"""The one intake pipeline every door uses: validate → normalise → deduplicate → classify →
assign → first task.

Doors (public form endpoint, callback widget, API, manual entry, e-mail, file import) build a
`RawLead` and an `IntakeContext` and call `intake_submit`. Bad values come back as per-field
errors and nothing is written; a person with a way to reach them becomes a lead; attention
without one becomes an interest; a known e-mail or phone becomes a touch on the existing record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import TaskKind
from clientela.clients.models import Client, Contact
from clientela.clients.services.derived import clients_touched
from clientela.core.audit import audit_create, audit_event
from clientela.core.errors import BusinessError
from clientela.core.language import in_language_of
from clientela.core.normalise import clean_text, normalise_email
from clientela.core.notifications import notify
from clientela.core.validation import NUL, check_texts, null_characters
from clientela.intake.phones import fast_normalise_phone
from clientela.leads.choices import SOURCE_ORIGIN, Origin, Source, Temperature
from clientela.leads.duplicates import find_duplicate
from clientela.leads.models import IdempotencyRecord, Interest, Lead
from clientela.leads.rules import FULL_NAME_LIMIT, NAME_PART_LIMIT, RAW_LEAD_LIMITS, name_errors
from clientela.leads.services.lifecycle import lead_create, lead_touch
from clientela.users.models import Team, User

TRUE_WORDS = {"1", "true", "yes", "y", "on", "da", "igen", "ya", "да"}
FALSE_WORDS = {"", "0", "false", "no", "n", "off", "nu", "nem", "tidak", "нет"}
# The choice lists, built once (normalise runs per arrival, a million times in an import).
SOURCES = frozenset(Source.values)
ORIGINS = frozenset(Origin.values)
TEMPERATURES = frozenset(Temperature.values)
# How long each text of an arrival may be: the lead's field rules (`leads.rules`).
TEXT_LIMITS = RAW_LEAD_LIMITS


@dataclass
class RawLead:
    """What arrived, as text, before any checking. Unknown keys are ignored by `from_mapping`."""

    name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    position: str = ""
    industry: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    source: str = ""
    origin: str = ""
    campaign: str = ""
    interest: str = ""
    message: str = ""
    consent: str = ""
    temperature: str = ""
    external_id: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> RawLead:
        names = {f.name for f in fields(cls)}
        values = {k: "" if v is None else str(v) for k, v in data.items() if k in names}
        if "utm_campaign" in data and not values.get("campaign"):
            values["campaign"] = str(data["utm_campaign"] or "")
        return cls(**values)


@dataclass
class IntakeContext:
    door: str
    by: User | None = None
    team: Team | None = None
    owner: User | None = None
    default_source: str = Source.OTHER
    default_campaign: str = ""
    intake_form: Any = None
    import_job: Any = None
    callback: bool = False
    # A client who recommended the person (the door checked the viewer sees it): the lead is
    # linked to it and its origin is "seed".
    referred_by_client: Any = None


@dataclass
class IntakeResult:
    kind: str  # "lead", "interest", "contact" or "client"
    id: int
    duplicate_of: int | None = None
    record: Any = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_response(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "duplicate_of": self.duplicate_of}


def parse_bool(value: str, field_name: str, errors: dict[str, list[str]]) -> bool:
    text = clean_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    errors.setdefault(field_name, []).append(_("Use yes or no."))
    return False


def length_errors(raw: RawLead) -> dict[str, list[str]]:
    """Texts longer than their columns (or with characters no column takes), per field; values
    are measured trimmed, inner white space collapsed — as they would be stored. The rules are
    the lead's (`leads.rules`)."""
    errors: dict[str, list[str]] = {}
    check_texts(vars(raw), TEXT_LIMITS, errors)
    for name in _UNLIMITED:
        if NUL in str(getattr(raw, name) or ""):
            errors[name] = [null_characters()]
    name_errors(raw.name, raw.first_name, raw.last_name, errors)
    return errors


def _clean(value: str, max_length: int = 0) -> str:
    """`core.normalise.clean_text` for a str: `str.split` splits on exactly the characters
    the `\\s+` pattern matches (Unicode white space), and is several times faster."""
    if not value:
        return ""
    text = " ".join(value.split())
    return text[:max_length] if max_length else text


_BOOL_WORDS = frozenset(TRUE_WORDS | FALSE_WORDS)
_TEXT_LIMITS = tuple(TEXT_LIMITS.items())
# Fields checked for characters only (`name` by the name rule, codes by their choices too).
_UNLIMITED = tuple(f.name for f in fields(RawLead) if f.name not in TEXT_LIMITS and f.name != "name")


def _may_be_too_long(raw: dict[str, str]) -> bool:
    """Could `length_errors` find anything? Raw lengths bound the cleaned ones (cleaning
    only removes white space), so a row whose raw texts all fit needs no exact check."""
    get = raw.get
    for name, limit in _TEXT_LIMITS:
        value = get(name, "")
        if value and len(value) > limit:
            return True
    if any(NUL in value for value in raw.values() if value):
        return True
    name = get("name", "")
    if name and len(name) > NAME_PART_LIMIT:
        return True
    return len(get("first_name", "")) + len(get("last_name", "")) + 1 > FULL_NAME_LIMIT


class RowNormaliser:
    """Checks and normalises arrivals of one door and context: every door's one arrival
    (`normalise`) and every row of an imported file. The constant work (the team's country,
    translations) is done once, phones in international form take a fast path
    (`intake.phones`), and texts are measured exactly only when they could be too long, so a
    file of a million rows is normalised in seconds."""

    def __init__(self, ctx: IntakeContext, *, default_country: str = "") -> None:
        """`default_country` stands in for the team's default country (an import option)."""
        self.ctx = ctx
        self.team_country = default_country or (ctx.team.default_country if ctx.team else "")
        self.given_at_intake = _("given at intake")

    def normalise(self, raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Lead-shaped fields and per-field errors for `raw`, which maps `RawLead` field names to
        text (missing keys are empty)."""
        get = raw.get
        ctx = self.ctx
        # Texts longer than their columns are refused, as the pipeline refuses them (exactly
        # its check, run only for rows that could fail it).
        errors: dict[str, list[str]] = (
            length_errors(RawLead.from_mapping(raw)) if _may_be_too_long(raw) else {}
        )
        first = _clean(get("first_name", ""), 100)
        last = _clean(get("last_name", ""), 100)
        name = get("name", "")
        if not first and not last and name:
            parts = _clean(name).split(" ", 1)
            first = parts[0][:100]
            last = parts[1][:100] if len(parts) > 1 else ""
        country_raw = get("country", "")
        country = _clean(country_raw).upper() if country_raw else ""
        if country and (len(country) != 2 or not country.isalpha()):
            errors["country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
            country = ""
        phone_raw = get("phone", "")
        if phone_raw:
            phone, phone_error = fast_normalise_phone(phone_raw, country or self.team_country)
            if phone_error:
                errors.setdefault("phone", []).append(phone_error)
        else:
            phone = ""
        email_raw = get("email", "")
        if email_raw:
            email, email_error = normalise_email(email_raw)
            if email_error:
                errors.setdefault("email", []).append(email_error)
        else:
            email = ""
        source_raw = get("source", "")
        source = (_clean(source_raw).lower() if source_raw else "") or ctx.default_source
        if source not in SOURCES:
            errors["source"] = [_("Unknown source “%(value)s”.") % {"value": source_raw}]
        origin_raw = get("origin", "")
        origin = _clean(origin_raw).lower() if origin_raw else ""
        if origin and origin not in ORIGINS:
            errors["origin"] = [_("Use seed, net or spear.")]
        temperature_raw = get("temperature", "")
        temperature = _clean(temperature_raw).lower() if temperature_raw else ""
        if temperature and temperature not in TEMPERATURES:
            errors["temperature"] = [_("Use cold, warm or hot.")]
        consent_raw = get("consent", "")
        consent_text = _clean(consent_raw).lower() if consent_raw else ""
        if consent_text in _BOOL_WORDS:
            consent = consent_text in TRUE_WORDS
        else:
            consent = parse_bool(consent_raw, "consent", errors)
        message = get("message", "")
        values = {
            "first_name": first,
            "last_name": last,
            "company_name": _clean(get("company", ""), 200),
            "position": _clean(get("position", ""), 120),
            "industry": _clean(get("industry", ""), 60),
            "country": country or self.team_country,
            "region": _clean(get("region", ""), 100),
            "city": _clean(get("city", ""), 100),
            "source": source,
            "origin": origin or SOURCE_ORIGIN.get(source, ""),
            "campaign": _clean(get("campaign", ""), 100) or ctx.default_campaign,
            "product": _clean(get("interest", ""), 200),
            "message": message.strip()[:5000] if message else "",
            "external_id": _clean(get("external_id", ""), 100),
            "email": email,
            "email_raw": _clean(email_raw, 254),
            "phone": phone,
            "phone_raw": _clean(phone_raw, 60),
            "consent": consent,
            "consent_source": ctx.door if consent else "",
            "temperature": temperature,
            # A temperature the source states (a form answer, an import column) is kept over rules.
            "temperature_manual": bool(temperature),
            "temperature_reasons": [self.given_at_intake] if temperature else [],
            "team": ctx.team,
            "intake_form": ctx.intake_form,
            "import_job": ctx.import_job,
        }
        return values, errors


def normalise(raw: RawLead, ctx: IntakeContext) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check and normalise every value. Returns Lead-shaped fields and per-field errors."""
    texts = {f.name: _text(getattr(raw, f.name)) for f in fields(RawLead)}
    return RowNormaliser(ctx).normalise(texts)


def _text(value: object) -> str:
    """A RawLead value as the text `clean_text` would read (None and other empties are '')."""
    return value if isinstance(value, str) else str(value or "")


def classify(values: dict[str, Any]) -> tuple[str, str]:
    """`("lead", "")`, `("interest", why)` or `("reject", why)`."""
    has_person = bool(values["first_name"] or values["last_name"])
    reachable = bool(values["email"] or values["phone"])
    if has_person and reachable:
        return "lead", ""
    if has_person:
        return "interest", _("a name but no phone or e-mail")
    if reachable or values["company_name"]:
        return "interest", _("no person's name")
    if values["message"] or values["product"]:
        return "interest", _("no name and no way to reach anyone")
    return "reject", _("Nothing to go on: no name, phone, e-mail or company.")


def _lock_identity(email: str, phone: str) -> None:
    """Serialise concurrent intake of the same person (PostgreSQL advisory locks; SQLite
    already serialises writers with IMMEDIATE transactions)."""
    if connection.vendor != "postgresql":
        return
    for value in sorted(v for v in (email, phone) if v):
        key = int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _touch_existing(
    existing: Lead | Contact | Client, values: dict[str, Any], ctx: IntakeContext
) -> IntakeResult:
    source_label = Source(values["source"]).label if values["source"] in SOURCES else values["source"]
    details = {
        "door": ctx.door,
        "email": values["email"],
        "phone": values["phone"],
        "message": values["message"][:500],
    }
    if isinstance(existing, Lead):
        lead_touch(lead=existing, by=ctx.by, source=values["source"], details=details)
        return IntakeResult(kind="lead", id=existing.pk, duplicate_of=existing.pk, record=existing)
    owner = existing.client.owner if isinstance(existing, Contact) else existing.owner
    audit_event(actor=ctx.by, instance=existing, event="touch", changes=details)
    client_id = existing.client_id if isinstance(existing, Contact) else existing.pk
    clients_touched(client_ids=[client_id], at=timezone.now())
    with in_language_of(owner):  # the owner's language, not the visitor's (a public form)
        text = _("%(who)s got in touch again via %(source)s") % {"who": existing, "source": source_label}
    notify(user=owner, verb="client_touch", text=text)
    kind = "contact" if isinstance(existing, Contact) else "client"
    return IntakeResult(kind=kind, id=existing.pk, duplicate_of=existing.pk, record=existing)


@transaction.atomic
def intake_submit(*, raw: RawLead, ctx: IntakeContext) -> IntakeResult:
    """Run one arrival through the pipeline. Raises BusinessError (per field) on bad input."""
    values, errors = normalise(raw, ctx)
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)
    kind, why = classify(values)
    if kind == "reject":
        raise BusinessError(why, errors={"name": [why]}, status=422)
    _lock_identity(values["email"], values["phone"])
    existing = find_duplicate(values["email"], values["phone"])
    if existing is not None:
        return _touch_existing(existing, values, ctx)
    if kind == "interest":
        interest = interest_create(values=values, ctx=ctx, reason=why)
        return IntakeResult(kind="interest", id=interest.pk, record=interest)
    lead_fields = dict(values)
    if ctx.referred_by_client is not None:
        lead_fields.update(referred_by_client=ctx.referred_by_client, origin=Origin.SEED)
    lead = lead_create(
        by=ctx.by,
        fields=lead_fields,
        owner=ctx.owner,
        first_task_kind=TaskKind.CALL_BACK if ctx.callback else TaskKind.FIRST_CONTACT,
    )
    return IntakeResult(kind="lead", id=lead.pk, record=lead)


def interest_create(*, values: dict[str, Any], ctx: IntakeContext, reason: str) -> Interest:
    name = f"{values['first_name']} {values['last_name']}".strip()
    interest = Interest.objects.create(
        name=name,
        company_name=values["company_name"],
        source=values["source"],
        origin=values["origin"],
        campaign=values["campaign"],
        product=values["product"],
        message=values["message"],
        country=values["country"],
        city=values["city"],
        team=values["team"],
        email=values["email"],
        email_raw=values["email_raw"],
        phone=values["phone"],
        phone_raw=values["phone_raw"],
        reason=str(reason)[:200],
        intake_form=ctx.intake_form,
        import_job=ctx.import_job,
        created_by=ctx.by if getattr(ctx.by, "is_authenticated", False) else None,
    )
    audit_create(
        actor=ctx.by, instance=interest, fields=["name", "company_name", "source", "phone", "email", "reason"]
    )
    return interest


def run_idempotent(scope: str, key: str, submit: Callable[[], IntakeResult]) -> tuple[dict[str, Any], bool]:
    """Answer a repeated idempotency key with the first answer; create nothing the second time.

    Returns `(response, replayed)`.
    """
    key = clean_text(key, 200)
    if not key:
        return submit().as_response(), False
    previous = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if previous is not None:
        return previous.response, True
    try:
        with transaction.atomic():
            response = submit().as_response()
            IdempotencyRecord.objects.create(scope=scope, key=key, response=response)
    except IntegrityError:
        # The same key arrived concurrently and won; its writes stand, ours rolled back.
        previous = IdempotencyRecord.objects.get(scope=scope, key=key)
        return previous.response, True
    return response, False
