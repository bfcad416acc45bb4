"""Reads of the exchange rates: the rates in force on a day, every recorded rate, and a set of
per-currency amounts converted into the base currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from clientela.deals.models import ExchangeRate
from clientela.deals.money import CENT


def base_currency() -> str:
    """The company's base currency (`CLIENTELA_BASE_CURRENCY`, EUR when unset)."""
    return str(settings.BASE_CURRENCY)


def recorded_rates(*, base: str | None = None) -> QuerySet[ExchangeRate]:
    """Every rate recorded against the base currency, newest first per currency."""
    return (
        ExchangeRate.objects.filter(base=base or base_currency())
        .select_related("updated_by")
        .order_by("currency", "-valid_from")
    )


def rates_on(day: dt.date | None = None, *, base: str | None = None) -> dict[str, ExchangeRate]:
    """Per currency, the latest rate valid on or before `day` (today by default)."""
    day = day or timezone.localdate()
    found: dict[str, ExchangeRate] = {}
    # A few rows per currency: read them all and keep each currency's newest.
    for rate in ExchangeRate.objects.filter(base=base or base_currency(), valid_from__lte=day).order_by(
        "currency", "-valid_from"
    ):
        found.setdefault(rate.currency, rate)
    return found


@dataclass
class ConvertedPart:
    currency: str
    amount: Decimal
    rate: Decimal | None  # None: no rate recorded for the currency (shown apart)
    converted: Decimal | None


@dataclass
class ConvertedTotal:
    """Amounts in several currencies as one figure in the base currency.

    `total` sums the parts that have a rate (the base currency itself counts at 1), each
    converted and rounded half-up to the cent; `missing` are the parts without a rate, never
    added to the total."""

    base: str
    total: Decimal = Decimal("0.00")
    parts: list[ConvertedPart] = field(default_factory=list)

    @property
    def missing(self) -> list[ConvertedPart]:
        return [part for part in self.parts if part.rate is None]

    @property
    def converted(self) -> list[ConvertedPart]:
        return [part for part in self.parts if part.rate is not None]


def convert(
    amounts: list[tuple[str, Decimal]], *, rates: dict[str, ExchangeRate], base: str
) -> ConvertedTotal:
    result = ConvertedTotal(base=base)
    for currency, amount in sorted(amounts):
        if currency == base:
            part = ConvertedPart(currency, amount, Decimal(1), amount.quantize(CENT, rounding=ROUND_HALF_UP))
        elif currency in rates:
            rate = rates[currency].rate
            part = ConvertedPart(
                currency, amount, rate, (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            )
        else:
            part = ConvertedPart(currency, amount, None, None)
        result.parts.append(part)
        if part.converted is not None:
            result.total += part.converted
    return result
