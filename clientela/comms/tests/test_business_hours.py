"""Business-time arithmetic: the pure functions every response clock relies on."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest

from clientela.comms.business_hours import (
    BusinessHoursError,
    Calendar,
    NoWorkingHoursError,
    add_business_time,
    business_minutes_between,
    default_weekly_hours,
    describe_week,
    is_open,
    next_opening,
    parse_weekly_hours,
)

BUCHAREST = zoneinfo.ZoneInfo("Europe/Bucharest")
KUALA_LUMPUR = zoneinfo.ZoneInfo("Asia/Kuala_Lumpur")
UTC = dt.UTC


def at(zone: zoneinfo.ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def calendar(
    zone: str = "Europe/Bucharest", hours: dict | None = None, holidays: tuple[dt.date, ...] = ()
) -> Calendar:
    return Calendar.build(weekly_hours=hours or default_weekly_hours(), time_zone=zone, holidays=holidays)


ROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SPLIT_DAY = {day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_the_dates_used_here_are_the_weekdays_the_tests_assume():
    assert dt.date(2025, 3, 3).weekday() == 0  # Monday
    assert dt.date(2025, 3, 7).weekday() == 4  # Friday
    assert dt.date(2025, 3, 30).weekday() == 6  # Sunday: EU clocks go forward
    assert dt.date(2025, 10, 26).weekday() == 6  # Sunday: EU clocks go back


def test_same_day():
    due = add_business_time(at(BUCHAREST, 2025, 3, 3, 10, 0), 120, calendar())
    assert due == at(BUCHAREST, 2025, 3, 3, 12, 0)
    assert due.tzinfo == BUCHAREST


def test_overnight_the_clock_pauses_at_closing_time():
    due = add_business_time(at(BUCHAREST, 2025, 3, 3, 17, 30), 120, calendar())
    assert due == at(BUCHAREST, 2025, 3, 4, 10, 30)


def test_a_budget_ending_exactly_at_closing_time_is_due_at_closing_time():
    assert add_business_time(at(BUCHAREST, 2025, 3, 3, 16, 0), 120, calendar()) == at(
        BUCHAREST, 2025, 3, 3, 18, 0
    )


def test_before_opening_the_clock_starts_at_opening():
    assert add_business_time(at(BUCHAREST, 2025, 3, 3, 6, 45), 30, calendar()) == at(
        BUCHAREST, 2025, 3, 3, 9, 30
    )


def test_friday_evening_is_due_on_monday():
    assert add_business_time(at(BUCHAREST, 2025, 3, 7, 17, 0), 120, calendar()) == at(
        BUCHAREST, 2025, 3, 10, 10, 0
    )
    # Arriving on Saturday: the clock starts on Monday morning.
    assert add_business_time(at(BUCHAREST, 2025, 3, 8, 11, 0), 15, calendar()) == at(
        BUCHAREST, 2025, 3, 10, 9, 15
    )


def test_holidays_are_skipped():
    holidays = (dt.date(2025, 3, 10), dt.date(2025, 3, 11))  # Monday and Tuesday
    due = add_business_time(at(BUCHAREST, 2025, 3, 7, 17, 0), 120, calendar(holidays=holidays))
    assert due == at(BUCHAREST, 2025, 3, 12, 10, 0)
    assert not is_open(at(BUCHAREST, 2025, 3, 10, 12, 0), calendar(holidays=holidays))


def test_two_intervals_a_day_pause_over_lunch():
    cal = calendar(hours=SPLIT_DAY)
    assert add_business_time(at(BUCHAREST, 2025, 3, 3, 12, 30), 60, cal) == at(BUCHAREST, 2025, 3, 3, 14, 30)
    assert add_business_time(at(BUCHAREST, 2025, 3, 3, 13, 15), 15, cal) == at(BUCHAREST, 2025, 3, 3, 14, 15)
    # A whole working day is 8 hours, not 9.
    assert (
        business_minutes_between(at(BUCHAREST, 2025, 3, 3, 0, 0), at(BUCHAREST, 2025, 3, 4, 0, 0), cal) == 480
    )
    assert is_open(at(BUCHAREST, 2025, 3, 3, 12, 59), cal)
    assert not is_open(at(BUCHAREST, 2025, 3, 3, 13, 30), cal)


def test_the_same_instant_on_bucharest_and_kuala_lumpur_calendars():
    instant = dt.datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # 08:00 in Bucharest, 14:00 in Kuala Lumpur
    bucharest, kuala_lumpur = calendar("Europe/Bucharest"), calendar("Asia/Kuala_Lumpur")
    assert not is_open(instant, bucharest)
    assert is_open(instant, kuala_lumpur)
    assert add_business_time(instant, 120, bucharest) == at(BUCHAREST, 2025, 3, 3, 11, 0)
    assert add_business_time(instant, 120, bucharest) == dt.datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert add_business_time(instant, 120, kuala_lumpur) == at(KUALA_LUMPUR, 2025, 3, 3, 16, 0)
    assert add_business_time(instant, 300, kuala_lumpur) == at(KUALA_LUMPUR, 2025, 3, 4, 10, 0)
    # A Monday-morning instant in UTC that is still Sunday night somewhere else is not open there.
    sunday_evening = dt.datetime(2025, 3, 2, 22, 30, tzinfo=UTC)  # Mon 00:30 Bucharest, Mon 06:30 KL
    assert add_business_time(sunday_evening, 60, kuala_lumpur) == at(KUALA_LUMPUR, 2025, 3, 3, 10, 0)
    assert add_business_time(sunday_evening, 60, bucharest) == at(BUCHAREST, 2025, 3, 3, 10, 0)


def test_the_answer_does_not_depend_on_the_zone_the_start_is_given_in():
    start_local = at(BUCHAREST, 2025, 3, 3, 17, 30)
    start_utc = start_local.astimezone(UTC)
    start_kl = start_local.astimezone(KUALA_LUMPUR)
    answers = {add_business_time(start, 120, calendar()) for start in (start_local, start_utc, start_kl)}
    assert answers == {at(BUCHAREST, 2025, 3, 4, 10, 30)}


def test_friday_to_monday_across_the_spring_forward_weekend():
    due = add_business_time(at(BUCHAREST, 2025, 3, 28, 17, 0), 120, calendar())
    assert due == at(BUCHAREST, 2025, 3, 31, 10, 0)
    assert due.utcoffset() == dt.timedelta(hours=3)  # summer time
    assert due.astimezone(UTC) == dt.datetime(2025, 3, 31, 7, 0, tzinfo=UTC)


def test_dst_change_days_have_their_real_length():
    cal = calendar(hours=ROUND_THE_CLOCK)
    spring_day = (at(BUCHAREST, 2025, 3, 30, 0, 0), at(BUCHAREST, 2025, 3, 31, 0, 0))
    autumn_day = (at(BUCHAREST, 2025, 10, 26, 0, 0), at(BUCHAREST, 2025, 10, 27, 0, 0))
    assert business_minutes_between(*spring_day, cal) == 23 * 60
    assert business_minutes_between(*autumn_day, cal) == 25 * 60
    # 24 real hours from Saturday noon end at 13:00 on Sunday by the (advanced) wall clock.
    assert add_business_time(at(BUCHAREST, 2025, 3, 29, 12, 0), 24 * 60, cal) == at(
        BUCHAREST, 2025, 3, 30, 13, 0
    )
    assert add_business_time(at(BUCHAREST, 2025, 10, 25, 12, 0), 24 * 60, cal) == at(
        BUCHAREST, 2025, 10, 26, 11, 0
    )


def test_a_working_day_on_a_dst_change_day_keeps_its_wall_clock_hours():
    every_day = {day: [["09:00", "18:00"]] for day in ROUND_THE_CLOCK}
    cal = calendar(hours=every_day)
    sunday = dt.date(2025, 3, 30)
    assert add_business_time(at(BUCHAREST, 2025, 3, 30, 17, 0), 120, cal) == at(BUCHAREST, 2025, 3, 31, 10, 0)
    opens, closes = cal.windows_on(sunday)[0]
    assert opens.astimezone(BUCHAREST).time() == dt.time(9, 0)
    assert closes - opens == dt.timedelta(hours=9)


def test_an_interval_starting_in_the_skipped_hour_starts_when_the_clock_resumes():
    # 03:00–03:59 does not exist in Bucharest on 30 March 2025 (03:00 → 04:00).
    night = {"sun": [["03:00", "05:00"]]}
    cal = calendar(hours=night)
    assert (
        business_minutes_between(at(BUCHAREST, 2025, 3, 30, 0, 0), at(BUCHAREST, 2025, 3, 31, 0, 0), cal)
        == 60
    )
    assert add_business_time(at(BUCHAREST, 2025, 3, 30, 0, 0), 30, cal) == at(BUCHAREST, 2025, 3, 30, 4, 30)


def test_minutes_between_is_the_inverse_of_add():
    cal = calendar(hours=SPLIT_DAY, holidays=(dt.date(2025, 3, 12),))
    start = at(BUCHAREST, 2025, 3, 1, 0, 0)
    for hour_step in range(0, 24 * 14, 7):
        moment = start + dt.timedelta(hours=hour_step, minutes=hour_step % 60)
        for minutes in (1, 15, 59, 120, 240, 481, 2000):
            due = add_business_time(moment, minutes, cal)
            assert business_minutes_between(moment, due, cal) == minutes, (moment, minutes)


def test_minutes_between():
    cal = calendar()
    friday, monday = at(BUCHAREST, 2025, 3, 7, 17, 0), at(BUCHAREST, 2025, 3, 10, 10, 0)
    assert business_minutes_between(friday, monday, cal) == 120
    assert business_minutes_between(monday, friday, cal) == -120
    assert business_minutes_between(at(BUCHAREST, 2025, 3, 8, 9), at(BUCHAREST, 2025, 3, 8, 17), cal) == 0
    assert business_minutes_between(friday, friday + dt.timedelta(seconds=119), cal) == 1


def test_is_open_boundaries_and_next_opening():
    cal = calendar()
    assert not is_open(at(BUCHAREST, 2025, 3, 3, 8, 59), cal)
    assert is_open(at(BUCHAREST, 2025, 3, 3, 9, 0), cal)
    assert is_open(at(BUCHAREST, 2025, 3, 3, 17, 59), cal)
    assert not is_open(at(BUCHAREST, 2025, 3, 3, 18, 0), cal)
    assert next_opening(at(BUCHAREST, 2025, 3, 7, 18, 0), cal) == at(BUCHAREST, 2025, 3, 10, 9, 0)
    assert next_opening(at(BUCHAREST, 2025, 3, 3, 11, 0), cal) == at(BUCHAREST, 2025, 3, 3, 11, 0)


def test_a_calendar_without_working_hours_raises_instead_of_hanging():
    closed = calendar(hours={"mon": []})
    started = time.monotonic()
    with pytest.raises(NoWorkingHoursError):
        add_business_time(at(BUCHAREST, 2025, 3, 3, 10, 0), 60, closed)
    with pytest.raises(NoWorkingHoursError):
        next_opening(at(BUCHAREST, 2025, 3, 3, 10, 0), closed)
    assert business_minutes_between(at(BUCHAREST, 2025, 3, 3), at(BUCHAREST, 2025, 3, 10), closed) == 0
    # Holidays covering more than a year: also an error, not a loop.
    year = tuple(dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(400))
    with pytest.raises(NoWorkingHoursError):
        add_business_time(at(BUCHAREST, 2025, 1, 1, 10, 0), 60, calendar(holidays=year))
    assert time.monotonic() - started < 2


def test_bad_input_is_a_clear_error():
    with pytest.raises(BusinessHoursError, match="time zone"):
        add_business_time(dt.datetime(2025, 3, 3, 10, 0), 60, calendar())
    with pytest.raises(BusinessHoursError, match="negative"):
        add_business_time(at(BUCHAREST, 2025, 3, 3, 10, 0), -5, calendar())
    with pytest.raises(BusinessHoursError) as caught:
        calendar(zone="Mars/Olympus_Mons")
    assert "time_zone" in caught.value.errors
    assert add_business_time(at(BUCHAREST, 2025, 3, 8, 10, 0), 0, calendar()) == at(
        BUCHAREST, 2025, 3, 8, 10, 0
    )


@pytest.mark.parametrize(
    ("hours", "field", "fragment"),
    [
        ({"mon": [["9:00", "18:00"]]}, "mon", "HH:MM"),
        ({"tue": [["18:00", "09:00"]]}, "tue", "end after"),
        ({"wed": [["09:00", "13:00"], ["12:00", "18:00"]]}, "wed", "overlap"),
        ({"thu": [["09:00"]]}, "thu", "pair"),
        ({"fri": "09:00-18:00"}, "fri", "list"),
        ({"fri": [["24:00", "24:00"]]}, "fri", "HH:MM"),
        ({"funday": []}, "__all__", "funday"),
    ],
)
def test_weekly_hours_validation_names_the_bad_day(hours, field, fragment):
    with pytest.raises(BusinessHoursError) as caught:
        parse_weekly_hours(hours)
    assert field in caught.value.errors
    assert fragment in caught.value.errors[field][0]


def test_weekly_hours_round_trip():
    week = parse_weekly_hours({**SPLIT_DAY, "sat": [["10:00", "24:00"]]})
    assert describe_week(week)["mon"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert describe_week(week)["sat"] == [["10:00", "24:00"]]
    assert describe_week(week)["sun"] == []
