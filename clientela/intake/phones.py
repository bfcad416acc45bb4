"""Phone numbers already written in international form (`+40 721 …`, `0040…`, `(+40) 721-…`),
turned into E.164 without the full `phonenumbers` parser: most of what files carry, and the
parser caps an import at a few thousand rows a second. Anything else goes to
`core.normalise.normalise_phone`, and the answers are the same (tests compare the two).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, region_code_for_country_code
from phonenumbers.phonenumberutil import (
    ValidationResult,
    _maybe_strip_national_prefix_carrier_code,
    _test_number_length,
)

from clientela.core.normalise import clean_text, normalise_phone

_SIMPLE_INTERNATIONAL = re.compile(r"\+[0-9][0-9 .\-]*[0-9]")
_non_digits = re.compile(r"\D+")
_NOT_STRIPPED = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
_POSSIBLE = (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
_metadata_cache: dict[int, Any] = {}


def _metadata(country_code: int) -> Any:
    try:
        return _metadata_cache[country_code]
    except KeyError:
        region = region_code_for_country_code(country_code)
        meta = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
        _metadata_cache[country_code] = meta
        return meta


def international_e164(digits: str) -> tuple[str, bool] | None:
    """`(e164, possible)` for the digits after a `+`, exactly as `phonenumbers.parse` +
    `is_possible_number` would decide; None when the parser would take another path (then the
    caller asks `phonenumbers` itself). Mirrors `phonenumberutil.parse` for this one shape."""
    if len(digits) < 3 or len(digits) > 250 or digits[0] == "0":
        return None
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    if len(national) < 2:
        return None
    meta = _metadata(country_code)
    if meta is None:
        return None
    _carrier, stripped, _found = _maybe_strip_national_prefix_carrier_code(national, meta)
    if _test_number_length(stripped, meta) not in _NOT_STRIPPED:
        national = stripped
    if len(national) < 2 or len(national) > 17:
        return None
    possible = _test_number_length(national, meta) in _POSSIBLE
    return f"+{country_code}{national}", possible


def fast_normalise_phone(raw: str, default_country: str) -> tuple[str, str | None]:
    """Same answer as `core.normalise.normalise_phone(raw, default_country)`."""
    text = clean_text(raw)
    if not text:
        return "", None
    candidate = text
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    candidate = candidate.replace("(+", "+").replace("(", "").replace(")", "")
    if candidate.startswith("+") and _SIMPLE_INTERNATIONAL.fullmatch(candidate):
        parsed = international_e164(_non_digits.sub("", candidate))
        if parsed is not None:
            e164, possible = parsed
            if possible:
                return e164, None
            return "", _("Not a possible phone number: %(value)s") % {"value": text}
    return normalise_phone(raw, default_country)
