"""Normalising what people type: phones to E.164, e-mails, names, and search keys.

The raw value is always kept next to the normalised one by the caller. Functions here are
pure and cached where the same input recurs (imports repeat phone formats and names).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from unidecode import unidecode

_email_validator = EmailValidator()
_spaces = re.compile(r"\s+")
_non_digits = re.compile(r"\D+")


def clean_text(value: object, max_length: int | None = None) -> str:
    """Trim and collapse inner white space; None becomes ''."""
    text = _spaces.sub(" ", str(value or "")).strip()
    return text[:max_length] if max_length else text


@lru_cache(maxsize=65536)
def normalise_phone(raw: str, default_country: str = "") -> tuple[str, str | None]:
    """`(e164, None)` for a valid number, `("", message)` otherwise; `("", None)` when empty.

    A number written with `00` or `+` carries its country; otherwise `default_country`
    (the row's country or the team default) is used.
    """
    text = clean_text(raw)
    if not text:
        return "", None
    candidate = text
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    # "(+40) 721-..." — parentheses around the country code
    candidate = candidate.replace("(+", "+").replace("(", "").replace(")", "")
    region = (default_country or "").upper() or None
    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return "", _("Not a phone number: %(value)s") % {"value": text}
    if not phonenumbers.is_possible_number(number):
        return "", _("Not a possible phone number: %(value)s") % {"value": text}
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalise_email(raw: str) -> tuple[str, str | None]:
    """`(lowercased, None)` if valid, `("", message)` if not, `("", None)` when empty."""
    text = clean_text(raw).lower()
    if not text:
        return "", None
    if text.startswith("mailto:"):
        text = text[7:]
    try:
        _email_validator(text)
    except ValidationError:
        return "", _("Not a valid e-mail address: %(value)s") % {"value": text}
    return text, None


def fold(text: str) -> str:
    """Lowercase without accents, keeping the script: 'Ștefan' → 'stefan', 'Фёдор' → 'федор'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def transliterate(text: str) -> str:
    """ASCII spelling of any script, lowercased: 'Морозов' → 'morozov'."""
    return unidecode(text).lower().strip()


def search_text(*parts: str) -> str:
    """One searchable string: folded original spelling plus its Latin transliteration."""
    folded = " ".join(fold(p) for p in parts if p)
    latin = transliterate(folded)
    return folded if latin == folded else f"{folded} {latin}"


def phone_digits(phone: str) -> str:
    return _non_digits.sub("", phone or "")


@lru_cache(maxsize=65536)
def name_key(first_name: str, last_name: str) -> str:
    """Key for fuzzy duplicate candidates: transliterated last name + first initial.

    'Морозов Алексей' and 'Morozov Aleksei' share the key 'morozov a'.
    """
    last = re.sub(r"[^a-z0-9]", "", transliterate(last_name))
    first = re.sub(r"[^a-z0-9]", "", transliterate(first_name))
    if not last and not first:
        return ""
    return f"{last} {first[:1]}".strip()


@lru_cache(maxsize=65536)
def company_key(name: str) -> str:
    """Company name without legal form and punctuation, transliterated: 'ООО Альфа' ≈ 'Alfa SRL'."""
    # Unidecode writes the Cyrillic soft and hard signs as apostrophes: drop them inside words.
    words = re.findall(r"[a-z0-9]+", transliterate(name).replace("'", "").replace('"', ""))
    legal = {"srl", "sa", "ltd", "llc", "ooo", "kft", "zrt", "bt", "sdn", "bhd", "inc", "gmbh", "plc", "co"}
    return " ".join(w for w in words if w not in legal)
