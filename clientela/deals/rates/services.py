"""Writes on the exchange rates: one rate or many at once (the page, the API's bulk load), each
an upsert on (currency, valid from) against the base currency. Admins only
(`manage_settings`); every created or changed rate is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, model_update
from clientela.core.errors import BusinessError
from clientela.core.permissions import require
from clientela.deals.models import RATE_DIGITS, RATE_PLACES, ExchangeRate
from clientela.deals.money import clean_currency, parse_decimal
from clientela.deals.rates.selectors import base_currency
from clientela.users.models import User

# A bulk load is a table of rates, not a data dump.
MAX_RATES = 1000
EARLIEST = dt.date(1990, 1, 1)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if day < EARLIEST or day > timezone.localdate() + dt.timedelta(days=366):
        raise ValueError(_("Enter a date between 1990 and one year from today."))
    return day


def _clean_row(
    row: Any, prefix: str, base: str, errors: dict[str, list[str]]
) -> tuple[str, Any, dt.date] | None:
    if not isinstance(row, dict):
        errors.setdefault(prefix.rstrip(".") or "__all__", []).append(
            _("Send a currency, a rate and a date.")
        )
        return None
    values: dict[str, Any] = {}
    try:
        values["currency"] = clean_currency(row.get("currency"), field=f"{prefix}currency")
        if values["currency"] == base:
            errors.setdefault(f"{prefix}currency", []).append(
                _("%(base)s is the base currency: its rate is always 1.") % {"base": base}
            )
            values.pop("currency")
    except BusinessError as exc:
        for name, texts in exc.errors.items():
            errors.setdefault(name, []).extend(texts)
    try:
        values["rate"] = parse_decimal(
            row.get("rate"),
            field=f"{prefix}rate",
            digits=RATE_DIGITS,
            places=RATE_PLACES,
            minimum=None,
            positive=True,
        )
    except BusinessError as exc:
        for name, texts in exc.errors.items():
            errors.setdefault(name, []).extend(texts)
    try:
        values["valid_from"] = _date(row.get("valid_from"))
    except ValueError as exc:
        errors.setdefault(f"{prefix}valid_from", []).append(str(exc))
    if len(values) < 3:
        return None
    return values["currency"], values["rate"], values["valid_from"]


def _save(by: User, rows: list[Any], *, prefixed: bool) -> list[ExchangeRate]:
    require(by, "manage_settings")
    base = base_currency()
    if not isinstance(rows, list) or not rows:
        raise BusinessError(_("Send at least one rate."), errors={"rates": [_("Send at least one rate.")]})
    if len(rows) > MAX_RATES:
        raise BusinessError(
            _("Send at most %(n)d rates at once.") % {"n": MAX_RATES},
            errors={"rates": [_("Send at most %(n)d rates at once.") % {"n": MAX_RATES}]},
        )
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[str, Any, dt.date]] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for index, row in enumerate(rows):
        prefix = f"rates.{index}." if prefixed else ""
        values = _clean_row(row, prefix, base, errors)
        if values is None:
            continue
        key = (values[0], values[2])
        if key in seen:
            errors.setdefault(f"{prefix}valid_from", []).append(
                _("The same currency and date are already in row %(row)d.") % {"row": seen[key] + 1}
            )
            continue
        seen[key] = index
        cleaned.append(values)
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)
    existing = {
        (rate.currency, rate.valid_from): rate
        for rate in ExchangeRate.objects.select_for_update().filter(
            base=base, currency__in={currency for currency, _rate, _day in cleaned}
        )
    }
    saved: list[ExchangeRate] = []
    for currency, value, day in cleaned:
        rate = existing.get((currency, day))
        if rate is None:
            rate = ExchangeRate.objects.create(
                currency=currency, base=base, rate=value, valid_from=day, created_by=by, updated_by=by
            )
            audit_create(actor=by, instance=rate, fields=["currency", "base", "rate", "valid_from"])
        else:
            model_update(instance=rate, data={"rate": value}, actor=by)  # sets who entered it
        saved.append(rate)
    return saved


@transaction.atomic
def exchange_rate_set(*, by: User, currency: Any, rate: Any, valid_from: Any) -> ExchangeRate:
    """Record (or correct) the rate of one currency from a day on."""
    return _save(by, [{"currency": currency, "rate": rate, "valid_from": valid_from}], prefixed=False)[0]


@transaction.atomic
def exchange_rates_upsert(*, by: User, rows: list[Any]) -> list[ExchangeRate]:
    """Record many rates at once, all or none; errors name the row (`rates.N.rate`)."""
    return _save(by, rows, prefixed=True)
