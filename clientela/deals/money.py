"""Money: ISO 4217 currencies and exact decimal amounts (never floats).

Every amount that enters the deals app — from a form, the API, an import or a demo loader —
goes through `parse_decimal`, which refuses floats, too many decimal places, negative values
and numbers too large for the database column, naming the field in the error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError

# Active ISO 4217 currency codes in ordinary commercial use (funds, metals and test codes left out).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

# The currency a new deal starts in, from its team's country (else EUR).
CURRENCY_BY_COUNTRY = {
    "RO": "RON",
    "MD": "MDL",
    "HU": "HUF",
    "MY": "MYR",
    "RU": "RUB",
    "UA": "UAH",
    "PL": "PLN",
    "CZ": "CZK",
    "BG": "BGN",
    "RS": "RSD",
    "GB": "GBP",
    "US": "USD",
    "SG": "SGD",
    "CH": "CHF",
}
DEFAULT_CURRENCY = "EUR"

# Column sizes (max_digits, decimal_places) shared by models and validation.
AMOUNT_DIGITS, AMOUNT_PLACES = 14, 2
QUANTITY_DIGITS, QUANTITY_PLACES = 12, 3
PERCENT_DIGITS, PERCENT_PLACES = 5, 2
CENT = Decimal("0.01")
NARROW_SPACE = "\u00a0"  # no-break space: an amount never wraps


def currency_for_country(country: str) -> str:
    return CURRENCY_BY_COUNTRY.get((country or "").upper(), DEFAULT_CURRENCY)


def invalid(field: str, message: str) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors={field: [message]}, status=422)


def clean_currency(value: Any, *, field: str = "currency") -> str:
    """An upper-case ISO 4217 code, or a field error."""
    code = str(value or "").strip().upper()
    if code not in ISO_4217:
        raise invalid(field, _("Use a three-letter ISO 4217 currency code, e.g. EUR, RON, HUF, MYR."))
    return code


def parse_decimal(
    value: Any,
    *,
    field: str,
    digits: int = AMOUNT_DIGITS,
    places: int = AMOUNT_PLACES,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
    positive: bool = False,
) -> Decimal:
    """An exact decimal from a Decimal, int or string — floats are refused (they are not exact)."""
    if isinstance(value, bool | float):
        raise invalid(field, _('Send the number as a string or an integer, e.g. "1250.50".'))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        text = str(value if value is not None else "").strip().replace(" ", "").replace("\u00a0", "")
        if not text:
            raise invalid(field, _("Enter a number."))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise invalid(field, _("Enter a number, e.g. 1250.50.")) from None
    if not number.is_finite():
        raise invalid(field, _("Enter a number, e.g. 1250.50."))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise invalid(field, _("Use at most %(places)d decimal places.") % {"places": places})
    if minimum is not None and number < minimum:
        raise invalid(field, _("Must be %(min)s or more.") % {"min": minimum})
    if positive and number <= 0:
        raise invalid(field, _("Must be more than zero."))
    if maximum is not None and number > maximum:
        raise invalid(field, _("Must be %(max)s or less.") % {"max": maximum})
    limit = Decimal(10) ** (digits - places)
    if abs(number) >= limit:
        raise invalid(field, _("The number is too large."))
    return number.quantize(Decimal(1).scaleb(-places))


def parse_amount(value: Any, *, field: str = "amount", positive: bool = False) -> Decimal:
    return parse_decimal(value, field=field, positive=positive)


def parse_quantity(value: Any, *, field: str = "quantity") -> Decimal:
    return parse_decimal(value, field=field, digits=QUANTITY_DIGITS, places=QUANTITY_PLACES, positive=True)


def parse_percent(value: Any, *, field: str = "discount_percent") -> Decimal:
    return parse_decimal(
        value, field=field, digits=PERCENT_DIGITS, places=PERCENT_PLACES, maximum=Decimal(100)
    )


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """quantity × unit price × (1 − discount), rounded half-up to the cent."""
    gross = quantity * unit_price
    net = gross * (Decimal(100) - discount_percent) / Decimal(100)
    return net.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str) -> str:
    """ "12 345.50 EUR" — groups of three with no-break spaces, the same in every language."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    whole, _dot, cents = f"{abs(amount):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = f"{sign}{NARROW_SPACE.join(groups)}.{cents}"
    return f"{text}{NARROW_SPACE}{currency}" if currency else text
