"""API of the exchange rates: list them (everyone signed in; `on` gives the rates in force on a
day) and load many at once (admins): an upsert on (currency, valid from), all rows or none,
errors named by row (`rates.3.rate`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from ninja import Query, Router, Schema

from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.deals.models import ExchangeRate
from clientela.deals.money import clean_currency
from clientela.deals.rates import selectors, services

router = Router()  # tagged "deals" by the deals router it is mounted on


class ExchangeRateOut(Schema):
    currency: str
    base: str
    rate: Decimal
    valid_from: dt.date
    entered_by: str | None
    entered_at: dt.datetime

    @staticmethod
    def resolve_entered_by(obj: ExchangeRate) -> str | None:
        return obj.updated_by.username if obj.updated_by else None

    @staticmethod
    def resolve_entered_at(obj: ExchangeRate) -> dt.datetime:
        return obj.updated_at


class ExchangeRateQuery(PageParams):
    currency: str | None = None
    on: dt.date | None = None


@router.get(
    "/exchange-rates",
    response=Page[ExchangeRateOut],
    summary="Exchange rates into the base currency (with `on`: those in force that day)",
    operation_id="clientela_deals_api_list_exchange_rates",
)
def list_exchange_rates(request: AuthedRequest, query: Query[ExchangeRateQuery]) -> dict[str, Any]:
    rates: QuerySet[ExchangeRate] = selectors.recorded_rates()
    if query.currency:
        rates = rates.filter(currency=clean_currency(query.currency))
    if query.on is not None:
        rates = rates.filter(pk__in=[rate.pk for rate in selectors.rates_on(query.on).values()])
    return paginate(rates, query)


class ExchangeRateIn(Schema):
    # Raw values: the service checks them and names the row and field of each error.
    currency: Any = None
    rate: Any = None
    valid_from: Any = None


class ExchangeRatesIn(Schema):
    rates: list[ExchangeRateIn]


class ExchangeRatesSaved(Schema):
    base: str
    saved: list[ExchangeRateOut]


@router.post(
    "/exchange-rates",
    response=ExchangeRatesSaved,
    summary="Record many exchange rates at once (admins): an upsert on currency and valid-from date",
    operation_id="clientela_deals_api_upsert_exchange_rates",
)
def upsert_exchange_rates(request: AuthedRequest, payload: ExchangeRatesIn) -> dict[str, Any]:
    saved = services.exchange_rates_upsert(by=request.user, rows=[row.model_dump() for row in payload.rates])
    rates = ExchangeRate.objects.filter(pk__in=[rate.pk for rate in saved]).select_related("updated_by")
    return {"base": selectors.base_currency(), "saved": list(rates.order_by("currency", "-valid_from"))}
