from __future__ import annotations

import pytest

from clientela.core.normalise import (
    company_key,
    fold,
    name_key,
    normalise_email,
    normalise_phone,
    search_text,
)


@pytest.mark.parametrize(
    "raw",
    [
        "+40721123456",
        "+40 721 123 456",
        "(+40) 721-123-456",
        "0040721123456",
        "+40-721-123456",
        "0721 123 456",
    ],
)
def test_phone_formats_normalise_to_one_e164(raw):
    assert normalise_phone(raw, "RO") == ("+40721123456", None)


def test_phone_country_comes_from_default_when_written_nationally():
    assert normalise_phone("06 30 123 4567", "HU")[0] == "+36301234567"
    assert normalise_phone("012-345 6789", "MY")[0] == "+60123456789"


def test_bad_phone_is_an_error_not_a_silent_drop():
    e164, error = normalise_phone("call me maybe", "RO")
    assert e164 == "" and "Not a phone number" in error
    assert normalise_phone("", "RO") == ("", None)


def test_email_lowercased_and_validated():
    assert normalise_email("  Ion.Popescu@Example.COM ") == ("ion.popescu@example.com", None)
    assert normalise_email("ion@")[1] is not None
    assert normalise_email("") == ("", None)


def test_search_text_is_case_accent_and_script_insensitive():
    text = search_text("Ștefan", "Морозов", "Kovács Kft.")
    for term in ("stefan", "ștefan", "морозов", "morozov", "kovacs"):
        assert fold(term) in text or term in text


def test_name_key_matches_across_scripts():
    assert name_key("Алексей", "Морозов") == name_key("Aleksei", "Morozov") == "morozov a"


def test_company_key_ignores_legal_form():
    assert company_key("Alpha Nord SRL") == company_key("ALPHA  NORD") == "alpha nord"
