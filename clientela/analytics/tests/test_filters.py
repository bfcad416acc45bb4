"""The report query: periods in the viewer's zone, comparisons, and bad filters refused per field."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from clientela.analytics.filters import Period, parse_filters, period_named
from clientela.core.errors import BusinessError

KL = zoneinfo.ZoneInfo("Asia/Kuala_Lumpur")


def test_named_periods_are_whole_calendar_units():
    today = dt.date(2026, 5, 20)
    assert (p := period_named("this_month", today, KL)).first == dt.date(2026, 5, 1) and p.last == dt.date(
        2026, 5, 31
    )
    assert (p := period_named("last_month", today, KL)).first == dt.date(2026, 4, 1) and p.last == dt.date(
        2026, 4, 30
    )
    assert (p := period_named("this_quarter", today, KL)).first == dt.date(2026, 4, 1) and p.last == dt.date(
        2026, 6, 30
    )
    assert (p := period_named("last_quarter", today, KL)).first == dt.date(2026, 1, 1) and p.last == dt.date(
        2026, 3, 31
    )
    assert (p := period_named("last_year", today, KL)).first == dt.date(2025, 1, 1) and p.last == dt.date(
        2025, 12, 31
    )
    assert (p := period_named("last_30", today, KL)).first == dt.date(2026, 4, 21) and p.days == 30


def test_period_starts_at_midnight_of_the_viewers_zone():
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), KL)
    # Midnight in Kuala Lumpur (UTC+8) is 16:00 UTC the day before.
    assert period.start.astimezone(dt.UTC) == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)
    assert period.end.astimezone(dt.UTC) == dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)


def test_comparison_with_the_previous_month_is_that_whole_month():
    march = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), KL)
    february = march.previous()
    assert (february.first, february.last) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    quarter = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30), KL).previous()
    assert (quarter.first, quarter.last) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    ten_days = Period(dt.date(2026, 3, 11), dt.date(2026, 3, 20), KL).previous()
    assert (ten_days.first, ten_days.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    leap = Period(dt.date(2028, 2, 29), dt.date(2028, 2, 29), KL).year_before()
    assert leap.first == dt.date(2027, 2, 28)


def _errors(user, data) -> dict[str, list[str]]:
    with pytest.raises(BusinessError) as caught:
        parse_filters(user, data)
    assert caught.value.status == 422
    return caught.value.errors


def test_bad_filters_are_field_errors(world):
    user = world.admin
    assert "period" in _errors(user, {"period": "fortnight"})
    assert "to" in _errors(user, {"period": "custom", "from": "2026-03-10", "to": "2026-03-01"})
    assert "to" in _errors(user, {"period": "custom", "from": "2000-01-01", "to": "2026-03-01"})
    assert "from" in _errors(user, {"period": "custom", "from": "10/03/2026", "to": "2026-03-01"})
    assert "source" in _errors(user, {"source": "carrier-pigeon"})
    assert "team" in _errors(user, {"team": "99999999999999999999999"})
    assert "country" in _errors(user, {"country": "Romania"})
    assert "pipeline" in _errors(user, {"pipeline": "424242"})
    assert "compare" in _errors(user, {"compare": "tomorrow"})


def test_a_manager_may_ask_only_about_themselves(world):
    mara = world.manager_north
    assert "manager" in _errors(mara, {"manager": str(world.manager_north2.pk)})
    assert "team" in _errors(mara, {"team": str(world.north.pk)})
    assert parse_filters(mara, {"manager": str(mara.pk)}).manager == mara.pk


def test_a_head_may_ask_about_their_team_and_people_only(world):
    head = world.head_north
    assert "team" in _errors(head, {"team": str(world.south.pk)})
    assert "manager" in _errors(head, {"manager": str(world.manager_south.pk)})
    filters = parse_filters(head, {"team": str(world.north.pk), "manager": str(world.manager_north.pk)})
    assert (filters.team, filters.manager) == (world.north.pk, world.manager_north.pk)


def test_control_characters_in_text_filters_are_dropped(world):
    filters = parse_filters(world.admin, {"campaign": "spring\x00sale", "industry": "  Retail   trade "})
    assert filters.campaign == ""
    assert filters.industry == "Retail trade"
