"""Tax ids and registration numbers: checked and written one way per country.

Where a country has a known format (RO, HU, MY, RU, GB) the value is checked — format and,
where the number carries one, its check digit — and stored in its canonical spelling, so
"RO 185 472 90" and "18547290" are the same company. Other countries are stored as typed
(trimmed, upper-cased) and compared without spaces and punctuation.

Each function raises `InvalidIdentifier` with a sentence a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from clientela.core.validation import too_long


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier for the country; `str(exc)` says why."""


@dataclass(frozen=True)
class TaxId:
    value: str  # canonical spelling, stored and shown
    key: str  # what "the same tax id" compares (e.g. HU: the 8-digit taxpayer number)


_separators = re.compile(r"[\s.\-/]+")


def _compact(raw: str) -> str:
    return _separators.sub("", raw or "").upper()


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


# --- Romania ----------------------------------------------------------------------------------


def _ro_cui_valid(number: str) -> bool:
    """CUI/CIF: 2–10 digits, the last a check digit over the others (weights 7 5 3 2 1 7 5 3 2)."""
    body, check = number[:-1].rjust(9, "0"), int(number[-1])
    return _weighted(body, (7, 5, 3, 2, 1, 7, 5, 3, 2)) * 10 % 11 % 10 == check


def _ro_cnp_valid(number: str) -> bool:
    """CNP (a private person's code): 13 digits, check digit with weights 2 7 9 1 4 6 3 5 8 2 7 9."""
    total = _weighted(number[:12], (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)) % 11
    return (1 if total == 10 else total) == int(number[12])


def _ro_tax(raw: str) -> TaxId:
    number = _compact(raw).removeprefix("RO")
    if not number.isdigit() or number.startswith("0"):
        raise InvalidIdentifier(
            _("A Romanian CUI has 2 to 10 digits, optionally after RO (e.g. RO18547290).")
        )
    if len(number) == 13:
        if not _ro_cnp_valid(number):
            raise InvalidIdentifier(_("This CNP's check digit is wrong: check for a typo."))
    elif not 2 <= len(number) <= 10:
        raise InvalidIdentifier(
            _("A Romanian CUI has 2 to 10 digits, optionally after RO (e.g. RO18547290).")
        )
    elif not _ro_cui_valid(number):
        raise InvalidIdentifier(_("This CUI's check digit is wrong: check for a typo."))
    return TaxId(number, number)


_ro_counties = {*range(1, 41), 51, 52}


def _ro_registration(raw: str) -> str:
    """ONRC number: the old J40/1234/2005 form or the 2024 form J2012000750528 (with a check digit)."""
    text = re.sub(r"[\s\\\-/]+", "/", (raw or "").strip().upper())
    old = re.fullmatch(r"([JFC])/?(\d{1,2})/(\d{1,6})/(?:\d{2}\.\d{2}\.)?(\d{4})", text)
    if old:
        kind, county, serial, year = old.groups()
        if int(county) not in _ro_counties:
            raise InvalidIdentifier(_("The county code %(county)s does not exist.") % {"county": county})
        if not 1990 <= int(year) <= 2024:
            raise InvalidIdentifier(_("The registration year must be between 1990 and 2024 in this form."))
        return f"{kind}{int(county):02d}/{int(serial)}/{year}"
    new = text.replace("/", "")
    if re.fullmatch(r"[JFC]\d{13}", new):
        year, county = int(new[1:5]), int(new[11:13])
        if not 1990 <= year <= dt.date.today().year:
            raise InvalidIdentifier(_("The registration year is not plausible."))
        if county not in _ro_counties | {0}:
            raise InvalidIdentifier(_("The county code %(county)s does not exist.") % {"county": county})
        digits = str(ord(new[0]) % 10) + new[1:13]
        if sum(int(d) for d in digits) % 10 != int(new[13]):
            raise InvalidIdentifier(_("This registration number's check digit is wrong: check for a typo."))
        return new
    raise InvalidIdentifier(_("Use the trade register form J40/1234/2005 or the new form J2012000750528."))


# --- Hungary ----------------------------------------------------------------------------------


def _hu_taxpayer_valid(number: str) -> bool:
    """The 8-digit taxpayer number (törzsszám): the 8th digit checks the first seven (9 7 3 1)."""
    return (10 - _weighted(number[:7], (9, 7, 3, 1, 9, 7, 3)) % 10) % 10 == int(number[7])


def _hu_tax(raw: str) -> TaxId:
    number = _compact(raw)
    if re.fullmatch(r"HU\d{8}", number):  # EU VAT number
        if not _hu_taxpayer_valid(number[2:]):
            raise InvalidIdentifier(_("This tax number's check digit is wrong: check for a typo."))
        return TaxId(number, number[2:])
    if re.fullmatch(r"8\d{9}", number):  # a private person's tax id (adóazonosító jel)
        if sum(int(d) * (i + 1) for i, d in enumerate(number[:9])) % 11 != int(number[9]):
            raise InvalidIdentifier(_("This tax id's check digit is wrong: check for a typo."))
        return TaxId(number, number)
    if not re.fullmatch(r"\d{11}", number):
        raise InvalidIdentifier(_("A Hungarian tax number has 8-1-2 digits, e.g. 10773381-2-44."))
    if not _hu_taxpayer_valid(number[:8]):
        raise InvalidIdentifier(_("This tax number's check digit is wrong: check for a typo."))
    if number[8] not in "12345":
        raise InvalidIdentifier(_("The VAT code (the ninth digit) must be 1 to 5."))
    return TaxId(f"{number[:8]}-{number[8]}-{number[9:]}", number[:8])


def _hu_registration(raw: str) -> str:
    """Company register number (cégjegyzékszám): court 01–20, company form, 6 digits."""
    number = _compact(raw)
    if not re.fullmatch(r"\d{10}", number):
        raise InvalidIdentifier(_("A Hungarian company register number looks like 01-09-123456."))
    if not 1 <= int(number[:2]) <= 20:
        raise InvalidIdentifier(_("The court code (the first two digits) must be 01 to 20."))
    return f"{number[:2]}-{number[2:4]}-{number[4:]}"


# --- Malaysia ---------------------------------------------------------------------------------

# SSM entity types in the 12-digit number (since October 2019): the fifth and sixth digits.
_MY_ENTITY_TYPES = {"01", "02", "03", "04", "05", "06"}
_MY_TIN_PREFIXES = "IG|OG|SG|C|CS|D|E|F|FA|PT|TA|TC|TN|TR|TP|J|LE"


def _my_tax(raw: str) -> TaxId:
    number = _compact(raw)
    if not re.fullmatch(rf"(?:{_MY_TIN_PREFIXES})\d{{9,12}}", number):
        raise InvalidIdentifier(
            _("A Malaysian tax number (TIN) is a type prefix and digits, e.g. C2581234509 or IG12345678901.")
        )
    return TaxId(number, number)


def _my_registration(raw: str) -> str:
    """SSM number: 12 digits YYYY TT NNNNNN, or an older company (1312525-A) / business number."""
    text = (raw or "").strip().upper()
    # The transition period shows both: "201901000005 (1312525-A)" — the new number counts.
    text = re.sub(r"\s*\(.*\)\s*$", "", text)
    compact = re.sub(r"\s+", "", text)
    if re.fullmatch(r"\d{12}", compact):
        year, entity = int(compact[:4]), compact[4:6]
        if not 1900 <= year <= dt.date.today().year:
            raise InvalidIdentifier(_("The first four digits must be the year of registration."))
        if entity not in _MY_ENTITY_TYPES:
            raise InvalidIdentifier(_("The entity type (digits 5–6) must be 01 to 06."))
        return compact
    if re.fullmatch(r"\d{1,7}-?[A-Z]", compact):
        return f"{compact.rstrip('ABCDEFGHIJKLMNOPQRSTUVWXYZ').rstrip('-')}-{compact[-1]}"
    if re.fullmatch(r"[A-Z]{1,3}\d{4,10}-[A-Z]{1,3}", compact):
        return compact
    raise InvalidIdentifier(
        _("Use the 12-digit SSM number (e.g. 201901000005) or the older form (e.g. 1312525-A).")
    )


# --- Russia -----------------------------------------------------------------------------------


def _ru_inn_valid(number: str) -> bool:
    if len(number) == 10:
        return _weighted(number, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10 == int(number[9])
    first = _weighted(number, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    second = _weighted(number, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
    return (first, second) == (int(number[10]), int(number[11]))


def _ru_tax(raw: str) -> TaxId:
    number = _compact(raw)
    if not number.isdigit() or len(number) not in (10, 12):
        raise InvalidIdentifier(_("An INN has 10 digits (a company) or 12 digits (a person)."))
    if not _ru_inn_valid(number):
        raise InvalidIdentifier(_("This INN's check digit is wrong: check for a typo."))
    return TaxId(number, number)


def _ru_registration(raw: str) -> str:
    """OGRN (13 digits, companies) or OGRNIP (15 digits, sole traders), each with a check digit."""
    number = _compact(raw)
    if number.isdigit() and len(number) == 13:
        valid = int(number[:12]) % 11 % 10 == int(number[12])
    elif number.isdigit() and len(number) == 15:
        valid = int(number[:14]) % 13 % 10 == int(number[14])
    else:
        raise InvalidIdentifier(_("An OGRN has 13 digits (15 for a sole trader's OGRNIP)."))
    if not valid:
        raise InvalidIdentifier(_("This OGRN's check digit is wrong: check for a typo."))
    return number


# --- United Kingdom ---------------------------------------------------------------------------

# Companies House prefixes (Scotland, Northern Ireland, LLPs, overseas companies …).
_GB_PREFIXES = {
    "AC", "BR", "CE", "CS", "FC", "FE", "GE", "GS", "IC", "IP", "LP", "NA", "NC", "NF", "NI", "NL",
    "NO", "NP", "NR", "NV", "NZ", "OC", "OE", "PC", "R0", "RC", "SA", "SC", "SE", "SF", "SG", "SI",
    "SL", "SO", "SP", "SR", "SZ", "ZC",
}  # fmt: skip


def _gb_tax(raw: str) -> TaxId:
    """VAT registration number: 9 digits (12 for a branch) with a mod-97 check, or GD/HA numbers."""
    number = _compact(raw).removeprefix("GB")
    if re.fullmatch(r"GD[0-4]\d\d|HA[5-9]\d\d", number):
        return TaxId(f"GB{number}", number)
    if not number.isdigit() or len(number) not in (9, 12):
        raise InvalidIdentifier(_("A UK VAT number has 9 digits, optionally after GB (e.g. GB980780684)."))
    if _weighted(number[:9], (8, 7, 6, 5, 4, 3, 2, 10, 1)) % 97 not in (0, 42, 55):
        raise InvalidIdentifier(_("This VAT number's check digits are wrong: check for a typo."))
    return TaxId(f"GB{number}", number[:9])


def _gb_registration(raw: str) -> str:
    """Companies House number: 8 digits (leading zeros may be left out) or a prefix and 6 digits."""
    number = _compact(raw)
    if number.isdigit() and 1 <= len(number) <= 8:
        return number.rjust(8, "0")
    if re.fullmatch(r"[A-Z][A-Z0-9]\d{6}", number) and number[:2] in _GB_PREFIXES:
        return number
    raise InvalidIdentifier(
        _("A UK company number has 8 digits or a two-letter prefix and 6 digits (e.g. 01234567, SC123456).")
    )


# --- The per-country table ----------------------------------------------------------------------

TAX_ID_RULES = {"RO": _ro_tax, "HU": _hu_tax, "MY": _my_tax, "RU": _ru_tax, "GB": _gb_tax}
REGISTRATION_RULES = {
    "RO": _ro_registration,
    "HU": _hu_registration,
    "MY": _my_registration,
    "RU": _ru_registration,
    "GB": _gb_registration,
}


def normalise_tax_id(country: str, raw: str) -> TaxId:
    """The canonical tax id for `country`; `TaxId("", "")` for an empty value."""
    text = " ".join((raw or "").split()).upper()
    if not text:
        return TaxId("", "")
    rule = TAX_ID_RULES.get((country or "").upper())
    if rule is not None:
        return rule(text)
    if len(text) > 40:
        raise InvalidIdentifier(too_long(40))
    return TaxId(text, re.sub(r"[^0-9A-Z]", "", text))


def normalise_registration_number(country: str, raw: str) -> str:
    """The canonical registration number for `country`; '' for an empty value."""
    text = " ".join((raw or "").split()).upper()
    if not text:
        return ""
    rule = REGISTRATION_RULES.get((country or "").upper())
    if rule is not None:
        return rule(text)
    if len(text) > 60:
        raise InvalidIdentifier(too_long(60))
    return text
