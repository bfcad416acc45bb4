"""A lead's field rules, declared once: how long each text may be (the model's own columns),
which choices a coded field takes, what a lead needs (a person's name, a phone or an e-mail), how
phones and e-mails are normalised (`core.normalise`, raw values kept).

Every door hands raw values to the services, which check them here: the intake pipeline (web
forms, API creation, e-mail, imports) through `RAW_LEAD_LIMITS` and `name_errors`, the card's
edit and `PATCH /leads/{id}` through `lead_edit_values`, the interest upgrade (page and API)
through `interest_upgrade_values`. Every bad value is reported under the name the door used, in
one `BusinessError` (422), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError
from clientela.core.normalise import clean_text, normalise_email, normalise_phone
from clientela.core.validation import check_texts, max_lengths, text_problem
from clientela.leads.choices import Origin, Source, Temperature
from clientela.leads.models import Interest, Lead

# The texts a person may edit on a lead, with their columns' limits.
LEAD_TEXT_LIMITS = max_lengths(
    Lead,
    (
        "first_name",
        "last_name",
        "company_name",
        "position",
        "industry",
        "region",
        "city",
        "campaign",
        "product",
        "external_id",
    ),
)
# The longest phone and e-mail accepted as entered (the columns keeping the raw values).
CONTACT_POINT_LIMITS = {
    "email": max_lengths(Lead, ["email_raw"])["email_raw"],
    "phone": max_lengths(Lead, ["phone_raw"])["phone_raw"],
}
MESSAGE_LIMIT = 5000
NAME_PART_LIMIT = LEAD_TEXT_LIMITS["first_name"]
# An interest's name, and the client's name a conversion may take from a lead's whole name.
FULL_NAME_LIMIT = max_lengths(Interest, ["name"])["name"]
# An arrival's field (`intake.pipeline.RawLead`) → the lead column it lands in.
RAW_LEAD_COLUMNS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company_name",
    "position": "position",
    "industry": "industry",
    "region": "region",
    "city": "city",
    "campaign": "campaign",
    "interest": "product",
    "external_id": "external_id",
}
# How long each text of an arrival may be (e-mail and phone: the columns of the values as
# entered). Longer is refused with a field error, never cut.
RAW_LEAD_LIMITS: dict[str, int] = {
    **{raw: LEAD_TEXT_LIMITS[column] for raw, column in RAW_LEAD_COLUMNS.items()},
    **CONTACT_POINT_LIMITS,
}
# Coded fields: the choices, and whether empty is allowed.
LEAD_CHOICES: dict[str, tuple[list[str], bool]] = {
    "source": (list(Source.values), False),
    "origin": (list(Origin.values), True),
    "temperature": (list(Temperature.values), True),
}


def invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors=errors, status=422)


def whole_name_too_long() -> str:
    return _("Too long: the whole name may have at most %(max)d characters.") % {"max": FULL_NAME_LIMIT}


def name_errors(name: str, first_name: str, last_name: str, errors: dict[str, list[str]]) -> None:
    """The rules of a person's name: a whole `name` (split at its first space) when no part is
    given, else the parts, which together must fit the whole-name column."""
    if not (first_name.strip() or last_name.strip()) and name.strip():
        whole = clean_text(name)
        problem = text_problem(whole, FULL_NAME_LIMIT)
        if problem:
            errors["name"] = [problem]
        elif any(len(part) > NAME_PART_LIMIT for part in whole.split(" ", 1)):
            errors["name"] = [
                _("Too long: the first and the last name may have at most %(max)d characters each.")
                % {"max": NAME_PART_LIMIT}
            ]
    elif not errors.keys() & {"first_name", "last_name"}:
        full = f"{clean_text(first_name)} {clean_text(last_name)}".strip()
        if len(full) > FULL_NAME_LIMIT:
            errors["last_name"] = [whole_name_too_long()]


def contact_point(value: Any, kind: str, country: str = "") -> tuple[str, str | None]:
    """A phone (E.164) or e-mail (lowercased) and the problem with it, if any; too long is a
    problem too (never cut)."""
    text = clean_text(value)
    problem = text_problem(text, CONTACT_POINT_LIMITS[kind])
    if problem:
        return "", problem
    return normalise_phone(text, country) if kind == "phone" else normalise_email(text)


def _country(lead: Lead | Interest, values: Mapping[str, Any]) -> str:
    return values.get("country", lead.country) or (lead.team.default_country if lead.team else "")


def lead_edit_values(lead: Lead, data: Mapping[str, Any], *, door: str = "api") -> dict[str, Any]:
    """Lead fields from raw values (only the keys present in `data`): texts trimmed, phone in
    E.164 and e-mail lowercased (raw values kept), codes checked against their choices. Raises
    BusinessError (422) naming every bad value; a lead keeps a person's name and a way to reach them."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = check_texts(data, LEAD_TEXT_LIMITS, errors)
    if "message" in data:
        values["message"] = str(data["message"] or "").strip()
        problem = text_problem(values["message"], MESSAGE_LIMIT)
        if problem:
            errors["message"] = [problem]
    if "country" in data:
        country = clean_text(data["country"]).upper()
        if country and (len(country) != 2 or not country.isalpha()):
            errors["country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
        values["country"] = country
    for kind in ("phone", "email"):
        if kind in data:
            value, problem = contact_point(
                data[kind], kind, _country(lead, values) if kind == "phone" else ""
            )
            if problem:
                errors[kind] = [problem]
            values[kind], values[f"{kind}_raw"] = value, clean_text(data[kind])
    for name, (allowed, may_be_empty) in LEAD_CHOICES.items():
        if name in data:
            value = clean_text(data[name]).lower()
            if (value or not may_be_empty) and value not in allowed:
                errors[name] = [_("Choose one of: %s.") % ", ".join(allowed)]
            values[name] = value
    if "consent" in data:
        if data["consent"] is None:
            errors["consent"] = [_("Use true or false.")]
        elif bool(data["consent"]) != lead.consent:
            values.update(consent=bool(data["consent"]), consent_at=timezone.now(), consent_source=door)
    if not errors:
        if not (values.get("first_name", lead.first_name) or values.get("last_name", lead.last_name)):
            errors["first_name"] = [_("A lead needs a person's name.")]
        if not (values.get("email", lead.email) or values.get("phone", lead.phone)):
            errors["phone"] = [_("A lead needs a phone or an e-mail.")]
    if errors:
        raise invalid(errors)
    return values


def only_changes(lead: Lead, values: dict[str, Any]) -> dict[str, Any]:
    """What differs from the stored lead (a form sends every field, changed or not): a manual
    temperature is compared with the one set by hand, raw phone and e-mail go with their values."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("phone_raw", "email_raw", "consent_at", "consent_source"):
            continue
        current = (
            (lead.temperature if lead.temperature_manual else "")
            if name == "temperature"
            else getattr(lead, name)
        )
        if value != current:
            changed[name] = value
    for name in ("phone", "email"):
        if name in changed:
            changed[f"{name}_raw"] = values[f"{name}_raw"]
    if "consent" in changed:
        changed.update(consent_at=values["consent_at"], consent_source=values["consent_source"])
    return changed


def interest_upgrade_values(interest: Interest, data: Mapping[str, Any]) -> dict[str, Any]:
    """Lead fields for the person who appeared behind an interest, from raw values: a whole
    `name` or its parts, a position, a company, a phone or an e-mail. Raises BusinessError (422)."""
    errors: dict[str, list[str]] = {}
    first, last = clean_text(data.get("first_name")), clean_text(data.get("last_name"))
    name = str(data.get("name") or "")
    if not (first or last) and name.strip():
        parts = clean_text(name).split(" ", 1)
        first, last = parts[0], parts[1] if len(parts) > 1 else ""
    texts = {"first_name": first, "last_name": last}
    for key in ("position", "company_name"):
        if key in data:
            texts[key] = data[key]
    fields: dict[str, Any] = check_texts(texts, LEAD_TEXT_LIMITS, errors)
    for kind in ("phone", "email"):
        raw = str(data.get(kind) or "")
        if raw.strip():
            value, problem = contact_point(raw, kind, _country(interest, {}) if kind == "phone" else "")
            if problem:
                errors[kind] = [problem]
            fields.update({kind: value, f"{kind}_raw": clean_text(raw)})
    if len(f"{first} {last}".strip()) > FULL_NAME_LIMIT:
        errors.setdefault("last_name", []).append(whole_name_too_long())
    if errors:
        raise invalid(errors)
    return fields


def client_name_problem(name: str) -> str | None:
    """The name a conversion gives the new client (the client's column is the whole-name limit)."""
    return text_problem(name, FULL_NAME_LIMIT)
