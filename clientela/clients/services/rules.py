"""A client's and a contact's field rules, declared once.

Doors (pages, API, demo, imports) hand in plain values; `clean_client_values` and
`clean_contact_values` turn them into field values (canonical tax ids, E.164 phones,
lowercased e-mails) or raise one BusinessError (422, `invalid`) naming every bad field. Texts'
limits are the models' columns. Uniqueness and what may change are checked by the services.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.choices import ClientKind, ContactRole, RevenueBand
from clientela.clients.identifiers import InvalidIdentifier, normalise_registration_number, normalise_tax_id
from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.normalise import clean_text, normalise_email, normalise_phone
from clientela.core.validation import check_texts, max_lengths, text_problem, too_long

MAX_OTHER_POINTS = 10


def invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors=errors, status=422)


# --- Cleaning values ---------------------------------------------------------------------------

# A client's and a contact's field rules, declared once: their texts' limits are the models'
# columns; `clean_client_values` and `clean_contact_values` check every door's raw values by them.
CLIENT_TEXT_FIELDS = max_lengths(
    Client,
    ("name", "legal_form", "industry", "region", "city", "address", "postal_code", "payment_terms_note"),
)
# Phone and e-mail as entered (the columns of the raw phone and of the e-mail).
CONTACT_POINT_LIMITS = {
    "email": max_lengths(Client, ["email"])["email"],
    "phone": max_lengths(Client, ["phone_raw"])["phone_raw"],
}
CLIENT_LONG_TEXT_FIELDS = {"solvency_note": 5000, "bonuses": 5000}
_url_validator = URLValidator(schemes=["http", "https"])


def _clean_country(value: Any, errors: dict[str, list[str]]) -> str:
    country = clean_text(value).upper()
    if country and (len(country) != 2 or country not in phonenumbers.SUPPORTED_REGIONS):
        errors["country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
    return country


def _contact_points(
    data: Mapping[str, Any], country: str, errors: dict[str, list[str]], values: dict[str, Any]
) -> None:
    """The e-mail (lowercased) and the phone (E.164, raw value kept) among `data`: too long or
    not valid is a field error, never a cut value."""
    for kind in ("email", "phone"):
        if kind not in data:
            continue
        text = clean_text(data[kind])
        problem = text_problem(text, CONTACT_POINT_LIMITS[kind])
        if problem:
            value = ""
        else:
            value, problem = normalise_phone(text, country) if kind == "phone" else normalise_email(text)
        if problem:
            errors[kind] = [problem]
        values[kind] = value
        if kind == "phone":
            values["phone_raw"] = text


def _clean_points(
    values: Iterable[Any], kind: str, country: str, errors: dict[str, list[str]], field: str
) -> list[str]:
    """Other phones or e-mails: each normalised, duplicates dropped, every bad one reported."""
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in values or []:
        text = clean_text(raw)
        if not text:
            continue
        value, problem = normalise_phone(text, country) if kind == "phone" else normalise_email(text)
        if problem:
            problems.append(problem)
        elif value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_OTHER_POINTS:
        problems.append(_("At most %(max)d.") % {"max": MAX_OTHER_POINTS})
    if problems:
        errors[field] = problems
    return cleaned


def _clean_decimal(
    value: Any, field: str, errors: dict[str, list[str]], *, low: int, high: int | None = None
) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        # Money never travels as a float: 0.1 + 0.2 is not 0.3.
        value = repr(value)
    try:
        number = decimal.Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except decimal.InvalidOperation:
        errors[field] = [_("Enter a number.")]
        return None
    if not number.is_finite() or number < low or (high is not None and number > high):
        errors[field] = [
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            if high is not None
            else _("Enter a number of at least %(low)s.") % {"low": low}
        ]
        return None
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        errors[field] = [_("At most two decimal places.")]
        return None
    return number.quantize(decimal.Decimal("0.01"))


def _clean_int(value: Any, field: str, errors: dict[str, list[str]], *, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[field] = [_("Enter a whole number.")]
        return None
    if not 0 <= number <= high:
        errors[field] = [_("Enter a number from %(low)s to %(high)s.") % {"low": 0, "high": high}]
        return None
    return number


def clean_client_values(
    data: Mapping[str, Any], *, client: Client | None = None, team_country: str = ""
) -> dict[str, Any]:
    """Field values from what a person or a program sent (only the keys present in `data`).

    Raises BusinessError (422) naming every bad field. Uniqueness is checked by the services.
    """
    errors: dict[str, list[str]] = {}
    current = client or Client()
    values: dict[str, Any] = check_texts(data, CLIENT_TEXT_FIELDS, errors)
    for name, limit in CLIENT_LONG_TEXT_FIELDS.items():
        if name in data:
            text = str(data[name] or "").strip()
            problem = text_problem(text, limit)
            if problem:
                errors[name] = [problem]
            values[name] = text
    if "name" in values and not values["name"]:
        errors["name"] = [_("This field is required.")]
    if "kind" in data:
        kind = clean_text(data["kind"]).lower()
        if kind not in ClientKind.values:
            errors["kind"] = [_("Choose one of: %s.") % ", ".join(ClientKind.values)]
        values["kind"] = kind
    if "revenue_band" in data:
        band = clean_text(data["revenue_band"])
        if band and band not in RevenueBand.values:
            errors["revenue_band"] = [_("Choose one of: %s.") % ", ".join(RevenueBand.values)]
        values["revenue_band"] = band
    if "country" in data:
        values["country"] = _clean_country(data["country"], errors)
    country = values.get("country", current.country)
    phone_country = country or team_country
    # Legal ids depend on the country: re-check them when it changes.
    for name, normalise in (
        ("tax_id", normalise_tax_id),
        ("registration_number", normalise_registration_number),
    ):
        if name in data or ("country" in values and getattr(current, name)):
            raw = data[name] if name in data else getattr(current, name)
            try:
                result = normalise(country, clean_text(raw))
            except InvalidIdentifier as exc:
                errors[name] = [str(exc)]
                continue
            if name == "tax_id":
                values["tax_id"], values["tax_key"] = result.value, result.key  # type: ignore[union-attr]
            else:
                values[name] = result
    _contact_points(data, phone_country, errors, values)
    if "other_emails" in data:
        values["other_emails"] = _clean_points(data["other_emails"], "email", "", errors, "other_emails")
    if "other_phones" in data:
        values["other_phones"] = _clean_points(
            data["other_phones"], "phone", phone_country, errors, "other_phones"
        )
    if "website" in data:
        website = clean_text(data["website"])
        if website and "://" not in website:
            website = f"https://{website}"
        if website:
            try:
                _url_validator(website)
            except ValidationError:
                errors["website"] = [_("Enter a web address, e.g. example.com.")]
        if len(website) > 200:
            errors["website"] = [too_long(200)]
        values["website"] = website
    if "employees" in data:
        values["employees"] = _clean_int(data["employees"], "employees", errors, high=10_000_000)
    if "payment_terms_days" in data:
        values["payment_terms_days"] = _clean_int(
            data["payment_terms_days"], "payment_terms_days", errors, high=365
        )
    if "credit_limit" in data:
        values["credit_limit"] = _clean_decimal(data["credit_limit"], "credit_limit", errors, low=0)
    if "credit_currency" in data:
        currency = clean_text(data["credit_currency"]).upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            errors["credit_currency"] = [_("Use a three-letter currency code, e.g. EUR, RON, HUF, MYR.")]
        values["credit_currency"] = currency
    if values.get("credit_limit") is not None and not values.get("credit_currency", current.credit_currency):
        errors.setdefault("credit_currency", [_("Name the currency of the credit limit.")])
    if "discount_percent" in data:
        values["discount_percent"] = _clean_decimal(
            data["discount_percent"], "discount_percent", errors, low=0, high=100
        )
    if errors:
        raise invalid(errors)
    return values


# --- Contacts ------------------------------------------------------------------------------------

CONTACT_TEXT_FIELDS = max_lengths(Contact, ("first_name", "last_name", "position"))


def clean_contact_values(
    data: Mapping[str, Any], *, contact: Contact | None = None, country: str = ""
) -> dict[str, Any]:
    """Field values of a contact from what was sent (only the keys present); 422 on bad ones."""
    from django.conf import settings

    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    current = contact or Contact()
    values.update(check_texts(data, CONTACT_TEXT_FIELDS, errors))
    if "notes" in data:
        values["notes"] = str(data["notes"] or "").strip()
        problem = text_problem(values["notes"], 5000)
        if problem:
            errors["notes"] = [problem]
    first = values.get("first_name", current.first_name)
    last = values.get("last_name", current.last_name)
    if not (first or last):
        errors["first_name"] = [_("A contact needs a name.")]
    if "role" in data:
        role = clean_text(data["role"])
        if role and role not in ContactRole.values:
            errors["role"] = [_("Choose one of: %s.") % ", ".join(ContactRole.values)]
        values["role"] = role
    _contact_points(data, country, errors, values)
    if "other_emails" in data:
        values["other_emails"] = _clean_points(data["other_emails"], "email", "", errors, "other_emails")
    if "other_phones" in data:
        values["other_phones"] = _clean_points(data["other_phones"], "phone", country, errors, "other_phones")
    if "birthday" in data:
        birthday = data["birthday"]
        if isinstance(birthday, str):
            try:
                birthday = dt.date.fromisoformat(birthday.strip()) if birthday.strip() else None
            except ValueError:
                errors["birthday"] = [_("Enter a date as YYYY-MM-DD.")]
                birthday = None
        if isinstance(birthday, dt.datetime):
            birthday = birthday.date()
        if birthday is not None and not (dt.date(1900, 1, 1) <= birthday <= timezone.localdate()):
            errors["birthday"] = [_("Enter a birthday between 1900 and today.")]
        values["birthday"] = birthday
    if "preferred_language" in data:
        language = clean_text(data["preferred_language"]).lower()
        codes = [code for code, _label in settings.LANGUAGES]
        if language and language not in codes:
            errors["preferred_language"] = [_("Choose one of: %s.") % ", ".join(codes)]
        values["preferred_language"] = language
    if "consent" in data:
        consent = data["consent"]
        if not isinstance(consent, bool):
            errors["consent"] = [_("Use true or false.")]
        elif consent != current.consent:
            values["consent"] = consent
            values["consent_at"] = timezone.now() if consent else None
            values["consent_source"] = (
                clean_text(data.get("consent_source") or "manual", 100) if consent else ""
            )
    if errors:
        raise invalid(errors)
    return values
