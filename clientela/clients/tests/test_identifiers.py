"""Tax ids and registration numbers per country: format, check digits, canonical spelling."""

from __future__ import annotations

import pytest

from clientela.clients.identifiers import (
    InvalidIdentifier,
    normalise_registration_number,
    normalise_tax_id,
)


@pytest.mark.parametrize(
    ("country", "raw", "value", "key"),
    [
        ("RO", "RO 185 472 90", "18547290", "18547290"),
        ("RO", "18547290", "18547290", "18547290"),
        ("RO", "ro18547290", "18547290", "18547290"),
        ("RO", "1630615123457", "1630615123457", "1630615123457"),  # a private person's CNP
        ("HU", "10773381-2-44", "10773381-2-44", "10773381"),
        ("HU", "10773381244", "10773381-2-44", "10773381"),
        ("HU", "HU10773381", "HU10773381", "10773381"),  # the EU VAT form: same taxpayer
        ("RU", "7707083893", "7707083893", "7707083893"),
        ("RU", "123456789047", "123456789047", "123456789047"),
        ("GB", "GB 980 7806 84", "GB980780684", "980780684"),
        ("GB", "980780684", "GB980780684", "980780684"),
        ("MY", "C 2581234509", "C2581234509", "C2581234509"),
        ("DE", "DE 123 456 789", "DE 123 456 789", "DE123456789"),  # no known format: kept
        ("", "anything-1", "ANYTHING-1", "ANYTHING1"),
    ],
)
def test_valid_tax_ids_become_canonical(country, raw, value, key):
    result = normalise_tax_id(country, raw)
    assert (result.value, result.key) == (value, key)


@pytest.mark.parametrize(
    ("country", "raw", "why"),
    [
        ("RO", "18547291", "check digit"),
        ("RO", "RO0123", "2 to 10 digits"),
        ("RO", "12345678901", "2 to 10 digits"),
        ("RO", "1630615123458", "check digit"),
        ("HU", "10773382-2-44", "check digit"),
        ("HU", "10773381-7-44", "VAT code"),
        ("HU", "1077338", "8-1-2"),
        ("RU", "1234567895", "check digit"),
        ("RU", "123456789037", "check digit"),
        ("RU", "12345", "10 digits"),
        ("GB", "802311781", "check digits"),
        ("GB", "GB12345", "9 digits"),
        ("MY", "12345", "TIN"),
    ],
)
def test_invalid_tax_ids_say_why(country, raw, why):
    with pytest.raises(InvalidIdentifier, match=why):
        normalise_tax_id(country, raw)


def test_empty_tax_id_is_nothing():
    assert normalise_tax_id("RO", "  ").value == ""


@pytest.mark.parametrize(
    ("country", "raw", "value"),
    [
        ("RO", "J40/1234/2005", "J40/1234/2005"),
        ("RO", "j 40 1234 2005", "J40/1234/2005"),
        ("RO", "J5/750/22.11.2012", "J05/750/2012"),
        ("RO", "J2012000750528", "J2012000750528"),  # the 2024 form, check digit 8
        ("HU", "01-09-123456", "01-09-123456"),
        ("HU", "0109123456", "01-09-123456"),
        ("RU", "1027700132195", "1027700132195"),  # OGRN with its check digit
        ("GB", "1234567", "01234567"),
        ("GB", "sc123456", "SC123456"),
        ("MY", "201901000005", "201901000005"),
        ("MY", "201901000005 (1312525-A)", "201901000005"),
        ("MY", "1312525-A", "1312525-A"),
        ("MY", "1312525A", "1312525-A"),
        ("FR", "RCS Paris 123", "RCS PARIS 123"),
    ],
)
def test_valid_registration_numbers(country, raw, value):
    assert normalise_registration_number(country, raw) == value


@pytest.mark.parametrize(
    ("country", "raw", "why"),
    [
        ("RO", "J49/1234/2005", "county"),
        ("RO", "J40/1234/1980", "1990"),
        ("RO", "J2012000750529", "check digit"),
        ("RO", "X123", "J40/1234/2005"),
        ("HU", "21-09-123456", "court"),
        ("HU", "01-09-12345", "01-09-123456"),
        ("RU", "1027700132196", "check digit"),
        ("RU", "12345", "13 digits"),
        ("GB", "XX123456", "8 digits"),
        ("MY", "201907000005", "entity type"),
        ("MY", "209901000005", "year"),
        ("MY", "ABC", "12-digit"),
    ],
)
def test_invalid_registration_numbers_say_why(country, raw, why):
    with pytest.raises(InvalidIdentifier, match=why):
        normalise_registration_number(country, raw)
