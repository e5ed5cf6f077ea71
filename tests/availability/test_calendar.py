"""Working time as intervals: holidays, clock changes, overrides, blocked times, algebra."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.availability.calendar import (
    DEFAULT_CLOSED_DE_FACTO,
    BlockRule,
    DateHours,
    Interval,
    WeeklyHours,
    check_rrule,
    closed_days,
    expand_blocks,
    intersect,
    local_day,
    merge,
    subtract,
    working_intervals,
)
from app.clock import STOCKHOLM

EIGHT_TO_FOUR = [WeeklyHours(d, time(8), time(16)) for d in range(7)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_public_and_default_de_facto_holidays_by_their_swedish_names() -> None:
    closed = closed_days([2026])

    assert closed[date(2026, 6, 20)] == "Midsommardagen"
    assert closed[date(2026, 6, 19)] == "Midsommarafton"
    assert closed[date(2026, 12, 24)] == "Julafton"
    assert closed[date(2026, 12, 31)] == "Nyårsafton"
    assert closed[date(2026, 1, 6)] == "Trettondedag jul"
    assert {"Midsommarafton", "Julafton", "Nyårsafton"} == DEFAULT_CLOSED_DE_FACTO


def test_ordinary_sundays_are_not_holidays() -> None:
    closed = closed_days([2026])
    assert date(2026, 3, 29) not in closed  # a Sunday: weekly hours decide, not the calendar
    assert date(2026, 4, 5) in closed  # Påskdagen, a Sunday and a public holiday


def test_de_facto_holidays_are_closed_only_when_chosen() -> None:
    only_christmas_eve = closed_days([2026], closed_de_facto=["Julafton"])
    none = closed_days([2026], closed_de_facto=())

    assert date(2026, 12, 24) in only_christmas_eve
    assert date(2026, 6, 19) not in only_christmas_eve
    assert date(2026, 6, 19) not in none
    assert none[date(2026, 6, 20)] == "Midsommardagen"  # public holidays are always closed


def test_unknown_de_facto_name_is_refused() -> None:
    with pytest.raises(ValueError, match="Valborgsmässoafton"):
        closed_days([2026], closed_de_facto=["Valborgsmässoafton"])


def test_extra_closed_days_keep_the_public_holidays_name() -> None:
    closed = closed_days(
        [2026], extra={date(2026, 8, 14): "Planeringsdag", date(2026, 5, 1): "Stängt"}
    )
    assert closed[date(2026, 8, 14)] == "Planeringsdag"
    assert closed[date(2026, 5, 1)] == "Första maj"


def test_several_years() -> None:
    closed = closed_days([2026, 2027])
    assert date(2026, 12, 25) in closed and date(2027, 12, 25) in closed


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 3, 28), utc(2026, 3, 28, 7), utc(2026, 3, 28, 15)),  # winter time
        (date(2026, 3, 29), utc(2026, 3, 29, 6), utc(2026, 3, 29, 14)),  # summer time from 02:00
        (date(2026, 10, 24), utc(2026, 10, 24, 6), utc(2026, 10, 24, 14)),  # summer time
        (date(2026, 10, 25), utc(2026, 10, 25, 7), utc(2026, 10, 25, 15)),  # winter from 03:00
    ],
)
def test_working_hours_are_local_wall_clock_on_clock_change_days(
    day: date, start: datetime, end: datetime
) -> None:
    assert working_intervals(day, EIGHT_TO_FOUR, [], {}) == [Interval(start, end)]
    assert working_intervals(day, EIGHT_TO_FOUR, [], {})[0].duration == timedelta(hours=8)


def test_local_day_is_23_or_25_hours_on_clock_change_days() -> None:
    assert local_day(date(2026, 3, 29)).duration == timedelta(hours=23)
    assert local_day(date(2026, 10, 25)).duration == timedelta(hours=25)
    assert local_day(date(2026, 9, 1)).duration == timedelta(hours=24)


def test_hours_inside_the_missing_spring_hour_do_not_crash() -> None:
    weekly = [WeeklyHours(6, time(2, 30), time(3))]
    assert working_intervals(date(2026, 3, 29), weekly, [], {}) == []


def test_closed_day_has_no_hours_unless_overridden() -> None:
    day = date(2026, 6, 19)  # Midsommarafton, a Friday
    closed = closed_days([2026])
    override = DateHours(day, time(9), time(12))

    assert working_intervals(day, EIGHT_TO_FOUR, [], closed) == []
    assert working_intervals(day, EIGHT_TO_FOUR, [override], closed) == [
        Interval(utc(2026, 6, 19, 7), utc(2026, 6, 19, 10))
    ]


def test_overrides_replace_the_weekly_hours_for_their_date_only() -> None:
    day = date(2026, 9, 15)
    overrides = [
        DateHours(day, time(13), time(17)),
        DateHours(day, time(7), time(10)),
        DateHours(date(2026, 9, 16), None, None),
    ]

    assert working_intervals(day, EIGHT_TO_FOUR, overrides, {}) == [
        Interval(utc(2026, 9, 15, 5), utc(2026, 9, 15, 8)),
        Interval(utc(2026, 9, 15, 11), utc(2026, 9, 15, 15)),
    ]
    assert working_intervals(date(2026, 9, 16), EIGHT_TO_FOUR, overrides, {}) == []
    assert working_intervals(date(2026, 9, 17), EIGHT_TO_FOUR, overrides, {}) == [
        Interval(utc(2026, 9, 17, 6), utc(2026, 9, 17, 14))
    ]


def test_split_weekly_hours_that_touch_are_one_interval() -> None:
    weekly = [WeeklyHours(1, time(12), time(16)), WeeklyHours(1, time(8), time(12))]
    assert working_intervals(date(2026, 9, 15), weekly, [], {}) == [
        Interval(utc(2026, 9, 15, 6), utc(2026, 9, 15, 14))
    ]


def test_hours_must_end_after_they_start() -> None:
    with pytest.raises(ValueError):
        WeeklyHours(0, time(16), time(8))
    with pytest.raises(ValueError):
        WeeklyHours(7, time(8), time(16))
    with pytest.raises(ValueError):
        DateHours(date(2026, 1, 1), time(8), None)


def test_weekly_team_meeting_stays_at_nine_local_across_both_clock_changes() -> None:
    monday_meeting = BlockRule(datetime(2026, 1, 5, 9), timedelta(hours=1), "FREQ=WEEKLY;BYDAY=MO")

    spring = expand_blocks([monday_meeting], utc(2026, 3, 20), utc(2026, 4, 3))
    autumn = expand_blocks([monday_meeting], utc(2026, 10, 19), utc(2026, 11, 3))

    assert [i.start for i in spring] == [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)]
    assert [i.start for i in autumn] == [
        utc(2026, 10, 19, 7),
        utc(2026, 10, 26, 8),
        utc(2026, 11, 2, 8),
    ]
    for interval in spring + autumn:
        assert interval.start.astimezone(STOCKHOLM).time() == time(9)
        assert interval.duration == timedelta(hours=1)


def test_blocks_are_expanded_only_inside_the_range_and_by_overlap() -> None:
    daily = BlockRule(datetime(2026, 1, 1, 23, 30), timedelta(hours=1), "FREQ=DAILY")
    once = BlockRule(datetime(2026, 9, 15, 13), timedelta(hours=2))

    # 14 September's block (21:30Z–22:30Z) ends before the range; the others start at its end.
    assert expand_blocks([daily, once], utc(2026, 9, 14, 22, 30), utc(2026, 9, 15, 11)) == []
    found = expand_blocks([daily, once], utc(2026, 9, 14, 22), utc(2026, 9, 15, 11))
    assert found == [Interval(utc(2026, 9, 14, 21, 30), utc(2026, 9, 14, 22, 30))]
    assert expand_blocks([once], utc(2026, 9, 15), utc(2026, 9, 16)) == [
        Interval(utc(2026, 9, 15, 11), utc(2026, 9, 15, 13))
    ]


def test_finite_rule_stops_at_until_and_count() -> None:
    until = BlockRule(datetime(2026, 9, 7, 9), timedelta(hours=1), "FREQ=WEEKLY;UNTIL=20260921")
    count = BlockRule(datetime(2026, 9, 7, 9), timedelta(hours=1), "FREQ=DAILY;COUNT=2")
    found = expand_blocks([until, count], utc(2026, 9, 1), utc(2026, 10, 31))
    assert [i.start.astimezone(STOCKHOLM).date() for i in found] == [
        date(2026, 9, 7),
        date(2026, 9, 7),
        date(2026, 9, 8),
        date(2026, 9, 14),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=HOURLY", "FREQ must be"),
        ("FREQ=WEEKLY;UNTIL=20261231T000000Z", "without Z"),
        ("FREQ=WEEKLY;UNTIL=20200101", "no occurrence"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "no occurrence"),
        ("FREQ=WEEKLY\nEXDATE:20260105", "single RRULE"),
        ("DTSTART:20260105T090000", "single RRULE"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
    ],
)
def test_bad_rules_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_rrule(text, datetime(2026, 1, 5, 9))


def test_rules_are_stored_in_canonical_form() -> None:
    assert check_rrule(" rrule:freq=weekly;byday=mo ", datetime(2026, 1, 5, 9)) == (
        "FREQ=WEEKLY;BYDAY=MO"
    )


def test_interval_needs_aware_ordered_bounds_and_is_kept_in_utc() -> None:
    with pytest.raises(ValueError):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        Interval(utc(2026, 1, 2), utc(2026, 1, 1))
    local = Interval(
        datetime(2026, 1, 1, 9, tzinfo=STOCKHOLM), datetime(2026, 1, 1, 10, tzinfo=STOCKHOLM)
    )
    assert local.start == utc(2026, 1, 1, 8) and local.start.tzinfo is UTC


def test_touching_intervals_do_not_overlap() -> None:
    a = Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 9))
    b = Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10))
    assert not a.overlaps(b) and not b.overlaps(a)
    assert a.overlaps(Interval(utc(2026, 1, 1, 8, 59), utc(2026, 1, 1, 11)))


# Interval algebra against a minute-by-minute model.

BASE = utc(2026, 1, 1)


@st.composite
def interval_lists(draw: st.DrawFn) -> list[Interval]:
    result = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, 100))
        length = draw(st.integers(1, 30))
        result.append(
            Interval(BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length))
        )
    return result


def minutes(intervals: list[Interval]) -> set[int]:
    covered: set[int] = set()
    for i in intervals:
        first = int((i.start - BASE).total_seconds() // 60)
        last = int((i.end - BASE).total_seconds() // 60)
        covered.update(range(first, last))
    return covered


def is_normal(intervals: list[Interval]) -> bool:
    return all(a.end < b.start for a, b in itertools.pairwise(intervals))


@given(interval_lists(), interval_lists())
def test_subtract_intersect_and_merge_match_sets_of_minutes(
    a: list[Interval], b: list[Interval]
) -> None:
    for result, expected in [
        (merge(a), minutes(a)),
        (subtract(a, b), minutes(a) - minutes(b)),
        (intersect(a, b), minutes(a) & minutes(b)),
    ]:
        assert minutes(result) == expected
        assert result == sorted(result)
    assert is_normal(merge(a))
    assert is_normal(subtract(a, b))
