"""Money is exact: decimals from strings or integers, never floats; ISO 4217 currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clientela.core.errors import BusinessError
from clientela.deals.money import (
    clean_currency,
    format_money,
    line_total,
    parse_amount,
    parse_percent,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1250.5", "1250.50"),
        ("1 250.50", "1250.50"),
        (1250, "1250.00"),
        (Decimal("0.10"), "0.10"),
        ("0", "0.00"),
    ],
)
def test_amounts_parse_exactly(raw, expected):
    assert parse_amount(raw) == Decimal(expected)
    assert str(parse_amount(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (0.1, "string or an integer"),
        (True, "string or an integer"),
        ("12.345", "at most 2 decimal places"),
        ("-5", "0 or more"),
        ("abc", "Enter a number"),
        ("", "Enter a number"),
        ("NaN", "Enter a number"),
        ("Infinity", "Enter a number"),
        ("1e20", "too large"),
        ("1000000000000.00", "too large"),
    ],
)
def test_bad_amounts_are_field_errors(raw, message):
    with pytest.raises(BusinessError) as caught:
        parse_amount(raw, field="amount")
    assert caught.value.status == 422
    assert message in caught.value.errors["amount"][0]


def test_positive_amounts_refuse_zero():
    with pytest.raises(BusinessError) as caught:
        parse_amount("0", positive=True, field="payments.0.amount")
    assert "payments.0.amount" in caught.value.errors


def test_quantities_and_percentages():
    assert parse_quantity("2.5") == Decimal("2.500")
    with pytest.raises(BusinessError):
        parse_quantity("0")
    with pytest.raises(BusinessError):
        parse_quantity("1.2345")
    assert parse_percent("12.5") == Decimal("12.50")
    with pytest.raises(BusinessError) as caught:
        parse_percent("100.01")
    assert "discount_percent" in caught.value.errors


def test_line_total_rounds_half_up_to_the_cent():
    assert line_total(Decimal("3"), Decimal("0.335"), Decimal("0")) == Decimal("1.01")
    assert line_total(Decimal("2"), Decimal("1500.00"), Decimal("10")) == Decimal("2700.00")
    assert line_total(Decimal("1.5"), Decimal("99.99"), Decimal("12.5")) == Decimal("131.24")


@pytest.mark.parametrize("code", ["EUR", "ron", " huf ", "MYR", "USD"])
def test_known_currencies(code):
    assert clean_currency(code) == code.strip().upper()


@pytest.mark.parametrize("code", ["", "EURO", "XXX", "ABC", "E1R", None])
def test_unknown_currencies_are_field_errors(code):
    with pytest.raises(BusinessError) as caught:
        clean_currency(code)
    assert "ISO 4217" in caught.value.errors["currency"][0]


def test_format_money_groups_thousands():
    assert format_money(Decimal("1234567.5"), "RON") == "1\u00a0234\u00a0567.50\u00a0RON"
    assert format_money(Decimal("-12"), "EUR") == "-12.00\u00a0EUR"
    assert format_money(Decimal("5"), "") == "5.00"
