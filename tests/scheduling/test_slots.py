"""The slot finder: clock changes, closed days, absences, buffers; properties with hypothesis."""

import itertools
import time as timer
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.availability.calendar import (
    Interval,
    WeeklyHours,
    closed_days,
    local_day,
    merge,
    working_intervals,
)
from app.clock import STOCKHOLM
from app.scheduling.slots import (
    MAX_SEARCH_DAYS,
    ParticipantCalendar,
    PartOfDay,
    Slot,
    SlotRequest,
    find_slots,
    rank,
    rank_key,
)

MIN = timedelta(minutes=1)
VISIT = timedelta(minutes=90)
BUFFER = timedelta(minutes=30)
EVERY_DAY_8_TO_16 = [WeeklyHours(d, time(8), time(16)) for d in range(7)]
CLOSED_2026 = closed_days([2026])


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=STOCKHOLM)


def local_times(slots: Iterable[Slot]) -> list[time]:
    return [s.starts_at.astimezone(STOCKHOLM).time() for s in slots]


def calendar(
    staff_id: int,
    first: date,
    last: date,
    *,
    weekly: Sequence[WeeklyHours] = EVERY_DAY_8_TO_16,
    closed: Mapping[date, str] = CLOSED_2026,
    busy: Sequence[Interval] = (),
) -> ParticipantCalendar:
    working: list[Interval] = []
    day = first
    while day <= last:
        working += working_intervals(day, weekly, [], closed)
        day += timedelta(1)
    return ParticipantCalendar(staff_id, working, busy)


def home_visit(first: date, last: date | None = None, **fields: object) -> SlotRequest:
    return SlotRequest(
        window_start=first,
        window_end=last or first,
        ideal=None,
        duration=VISIT,
        buffer_before=BUFFER,
        buffer_after=BUFFER,
        **fields,  # type: ignore[arg-type]
    )


def slots_on(day: date, *participants: ParticipantCalendar, **fields: object) -> list[Slot]:
    return find_slots(home_visit(day, **fields), participants, continuity=True, limit=1000)


QUARTERS_0830_TO_1400 = [
    (datetime(2000, 1, 1, 8, 30) + n * timedelta(minutes=15)).time() for n in range(23)
]


@pytest.mark.parametrize(
    ("day", "first_utc"),
    [
        (date(2026, 3, 29), datetime(2026, 3, 29, 6, 30, tzinfo=UTC)),  # summer time from 02:00
        (date(2026, 10, 25), datetime(2026, 10, 25, 7, 30, tzinfo=UTC)),  # winter time from 03:00
    ],
)
def test_clock_change_days_keep_local_working_hours(day: date, first_utc: datetime) -> None:
    slots = slots_on(day, calendar(1, day, day))

    assert local_times(slots) == QUARTERS_0830_TO_1400
    assert slots[0].starts_at == first_utc
    assert slots[-1].ends_at + BUFFER == local(day, 16)
    assert all(s.ends_at - s.starts_at == VISIT for s in slots)


def test_public_holiday_has_no_slots() -> None:
    day = date(2026, 5, 1)  # Första maj, a Friday
    assert slots_on(day, calendar(1, day, day)) == []


def test_midsommardagen_is_closed_and_midsommarafton_only_when_configured() -> None:
    eve, day = date(2026, 6, 19), date(2026, 6, 20)
    open_eve = closed_days([2026], closed_de_facto=())

    assert slots_on(day, calendar(1, day, day)) == []
    assert slots_on(day, calendar(1, day, day, closed=open_eve)) == []
    assert slots_on(eve, calendar(1, eve, eve)) == []
    assert local_times(slots_on(eve, calendar(1, eve, eve, closed=open_eve))) == (
        QUARTERS_0830_TO_1400
    )


def test_configured_closed_day_has_no_slots() -> None:
    day = date(2026, 9, 14)
    closed = closed_days([2026], extra={day: "Personaldag"})
    assert slots_on(day, calendar(1, day, day, closed=closed)) == []
    assert slots_on(day + timedelta(1), calendar(1, day, day + timedelta(1), closed=closed))


def test_absence_removes_slots_for_everyone_booked_together() -> None:
    day = date(2026, 9, 15)
    absence = Interval(local(day, 12), local(day, 13))
    nurse = calendar(1, day, day)
    social_worker = calendar(2, day, day, busy=[absence])

    slots = slots_on(day, nurse, social_worker)

    for slot in slots:
        assert not Interval(slot.starts_at - BUFFER, slot.ends_at + BUFFER).overlaps(absence)
        assert slot.staff_ids == (1, 2)
    # 10:00 + 90 min + 30 min buffer ends at 12:00; 13:30 - 30 min starts at 13:00.
    assert local_times(slots) == [
        time(8, 30), time(8, 45), time(9), time(9, 15), time(9, 30), time(9, 45), time(10),
        time(13, 30), time(13, 45), time(14),
    ]  # fmt: skip


def test_buffer_collision_blocks_a_start_soon_after_another_visit() -> None:
    day = date(2026, 9, 16)
    # An existing visit 09:00–10:30 with 30-minute buffers keeps the nurse busy 08:30–11:00.
    booked = Interval(local(day, 8, 30), local(day, 11))
    slots = slots_on(day, calendar(1, day, day, busy=[booked]))

    starts = local_times(slots)
    assert time(10, 45) not in starts
    assert time(11, 15) not in starts
    assert starts[0] == time(11, 30)


def test_back_to_back_visits_whose_buffers_touch_are_allowed() -> None:
    day = date(2026, 9, 17)
    early = [WeeklyHours(day.weekday(), time(6), time(16))]
    booked = Interval(local(day, 8, 30), local(day, 11))  # 09:00–10:30 plus buffers
    slots = slots_on(day, calendar(1, day, day, weekly=early, busy=[booked]))

    starts = local_times(slots)
    # Before: 06:30–08:00, buffered 06:00–08:30, touches the busy interval at 08:30.
    assert time(6, 30) in starts
    assert time(6, 45) not in starts
    # After: 11:30–13:00, buffered 11:00–13:30, touches it at 11:00.
    assert time(11, 30) in starts


def test_preferences_weekday_and_part_of_day() -> None:
    monday, friday = date(2026, 9, 14), date(2026, 9, 18)
    people = [calendar(1, monday, friday)]
    mornings = find_slots(
        home_visit(monday, friday, weekdays=frozenset({1, 3}), part_of_day=PartOfDay.morning),
        people,
        continuity=True,
        limit=1000,
    )
    afternoons = find_slots(
        home_visit(monday, friday, part_of_day=PartOfDay.afternoon),
        people,
        continuity=True,
        limit=1000,
    )

    assert {s.starts_at.astimezone(STOCKHOLM).date() for s in mornings} == {
        date(2026, 9, 15),
        date(2026, 9, 17),
    }
    assert max(local_times(mornings)) == time(11, 45)
    assert min(local_times(afternoons)) == time(12)


def test_not_before_cuts_earlier_starts() -> None:
    day = date(2026, 9, 15)
    cutoff = local(day, 10, 5)
    slots = slots_on(day, calendar(1, day, day), not_before=cutoff)
    assert local_times(slots)[0] == time(10, 15)
    assert all(s.starts_at.tzinfo is UTC for s in slots)


def test_ranking_prefers_the_ideal_date_then_the_earliest_time() -> None:
    first, last, ideal = date(2026, 9, 14), date(2026, 9, 18), date(2026, 9, 16)
    request = SlotRequest(first, last, ideal, VISIT, BUFFER, BUFFER)
    slots = find_slots(request, [calendar(1, first, last)], continuity=False, limit=60)

    days = [s.starts_at.astimezone(STOCKHOLM).date() for s in slots]
    assert days[:23] == [ideal] * 23
    assert set(days[23:]) == {date(2026, 9, 15), date(2026, 9, 17)}
    assert [s.days_from_ideal for s in slots[:24]] == [0] * 23 + [1]
    assert slots[23].starts_at < slots[24].starts_at


def test_rank_puts_the_familys_own_team_first() -> None:
    at = datetime(2026, 9, 14, 8, tzinfo=UTC)
    other_team_ideal = Slot(at, at + VISIT, (3, 4), continuity=False, days_from_ideal=0)
    own_team_later = Slot(at + timedelta(days=5), at, (1, 2), continuity=True, days_from_ideal=5)
    assert rank([other_team_ideal, own_team_later]) == [own_team_later, other_team_ideal]


def test_window_longer_than_the_cap_is_refused() -> None:
    first = date(2026, 1, 1)
    ok = home_visit(first, first + timedelta(MAX_SEARCH_DAYS - 1))
    too_long = home_visit(first, first + timedelta(MAX_SEARCH_DAYS))
    people = [calendar(1, first, first)]

    find_slots(ok, people, continuity=True, limit=1)
    with pytest.raises(ValueError, match="longer than 92 days"):
        find_slots(too_long, people, continuity=True, limit=1)


def test_bad_requests_are_refused() -> None:
    day = date(2026, 9, 14)
    with pytest.raises(ValueError):
        home_visit(day, day - timedelta(1))
    with pytest.raises(ValueError):
        SlotRequest(day, day, None, timedelta(0))
    with pytest.raises(ValueError):
        SlotRequest(day, day, None, VISIT, step=timedelta(minutes=7))
    with pytest.raises(ValueError, match="twice"):
        find_slots(home_visit(day), [calendar(1, day, day)] * 2, continuity=True, limit=1)
    with pytest.raises(ValueError, match="participant"):
        find_slots(home_visit(day), [], continuity=True, limit=1)


def test_a_full_window_for_three_people_is_fast() -> None:
    first = date(2026, 3, 1)
    last = first + timedelta(MAX_SEARCH_DAYS - 1)
    weekly = [WeeklyHours(d, time(8), time(16)) for d in range(5)]
    people = []
    for staff_id in (1, 2, 3):
        busy = [
            Interval(local(first + timedelta(n), 8 + staff_id), local(first + timedelta(n), 12))
            for n in range(0, MAX_SEARCH_DAYS, 2)
        ]
        people.append(calendar(staff_id, first, last, weekly=weekly, busy=busy))
    request = SlotRequest(first, last, first + timedelta(40), VISIT, BUFFER, BUFFER)

    started = timer.perf_counter()
    slots = find_slots(request, people, continuity=True, limit=20)
    elapsed = timer.perf_counter() - started

    assert len(slots) == 20
    assert elapsed < 0.25  # a few milliseconds in practice; this only catches minute scanning


# Properties, against a brute-force oracle that tests every grid point one by one.

WINDOW_STARTS = [date(2026, 3, 27), date(2026, 10, 23), date(2026, 6, 18), date(2026, 9, 14)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[SlotRequest, list[ParticipantCalendar]]:
    first = draw(st.sampled_from(WINDOW_STARTS)) + timedelta(draw(st.integers(0, 3)))
    last = first + timedelta(draw(st.integers(0, 4)))
    minutes = st.integers(0, 24 * 4 - 1).map(lambda q: q * 15)
    people = []
    for staff_id in draw(st.lists(st.integers(1, 50), min_size=1, max_size=3, unique=True)):
        working: list[Interval] = []
        day = first - timedelta(1)
        while day <= last + timedelta(1):
            for _ in range(draw(st.integers(0, 2))):
                a, b = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
                begins, ends = local(day, a // 60, a % 60), local(day, b // 60, b % 60)
                if begins < ends:  # not inside the spring clock change's missing hour
                    working.append(Interval(begins, ends))
            day += timedelta(1)
        busy = []
        span_start = local(first, 0)
        for _ in range(draw(st.integers(0, 6))):
            offset = timedelta(minutes=5 * draw(st.integers(0, 12 * 24 * 6)))
            length = timedelta(minutes=5 * draw(st.integers(1, 60)))
            busy.append(Interval(span_start + offset, span_start + offset + length))
        people.append(ParticipantCalendar(staff_id, working, busy))
    weekdays = draw(st.none() | st.frozensets(st.integers(0, 6), min_size=1))
    ideal = draw(st.none() | st.just(first + timedelta(draw(st.integers(-2, 6)))))
    not_before = draw(
        st.none() | st.integers(0, 12 * 24 * 4).map(lambda n: local(first, 0) + 5 * n * MIN)
    )
    request = SlotRequest(
        window_start=first,
        window_end=last,
        ideal=ideal,
        duration=timedelta(minutes=5 * draw(st.integers(1, 48))),
        buffer_before=timedelta(minutes=5 * draw(st.integers(0, 12))),
        buffer_after=timedelta(minutes=5 * draw(st.integers(0, 12))),
        step=timedelta(minutes=draw(st.sampled_from([5, 15, 30, 60]))),
        weekdays=weekdays,
        part_of_day=draw(st.none() | st.sampled_from(list(PartOfDay))),
        not_before=not_before,
    )
    return request, people


def free_by_brute_force(
    request: SlotRequest, people: Sequence[ParticipantCalendar]
) -> set[datetime]:
    result = set()
    day = request.window_start
    step = int(request.step.total_seconds() // 60)
    while day <= request.window_end:
        span = local_day(day)
        t = span.start
        while t < span.end:
            wall = t.astimezone(STOCKHOLM)
            on_grid = (wall.hour * 60 + wall.minute) % step == 0
            buffered = Interval(
                t - request.buffer_before, t + request.duration + request.buffer_after
            )
            if (
                on_grid
                and (request.weekdays is None or day.weekday() in request.weekdays)
                and (
                    request.part_of_day is None
                    or (wall.hour < 12) == (request.part_of_day is PartOfDay.morning)
                )
                and (request.not_before is None or t >= request.not_before)
                and all(
                    any(w.contains(buffered) for w in merge(p.working))
                    and not any(b.overlaps(buffered) for b in p.busy)
                    for p in people
                )
            ):
                result.add(t)
            t += 5 * MIN
        day += timedelta(1)
    return result


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_finds_exactly_the_free_grid_points(
    scenario: tuple[SlotRequest, list[ParticipantCalendar]],
) -> None:
    request, people = scenario
    slots = find_slots(request, people, continuity=True, limit=100_000)
    assert {s.starts_at for s in slots} == free_by_brute_force(request, people)
    assert len(slots) == len({s.starts_at for s in slots})


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_slot_overlaps_busy_time_or_leaves_working_hours_or_the_window(
    scenario: tuple[SlotRequest, list[ParticipantCalendar]],
) -> None:
    request, people = scenario
    for slot in find_slots(request, people, continuity=False, limit=100_000):
        buffered = Interval(
            slot.starts_at - request.buffer_before, slot.ends_at + request.buffer_after
        )
        for person in people:
            assert not any(b.overlaps(buffered) for b in person.busy)
            assert any(w.contains(buffered) for w in merge(person.working))
        assert (
            request.window_start
            <= slot.starts_at.astimezone(STOCKHOLM).date()
            <= request.window_end
        )
        assert slot.ends_at - slot.starts_at == request.duration
        assert slot.staff_ids == tuple(sorted(p.staff_id for p in people))


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(1, 40))
def test_result_is_stable_ranked_and_a_prefix_of_the_full_ranking(
    scenario: tuple[SlotRequest, list[ParticipantCalendar]], limit: int
) -> None:
    request, people = scenario
    full = find_slots(request, people, continuity=True, limit=100_000)
    top = find_slots(request, people, continuity=True, limit=limit)
    reordered = [
        ParticipantCalendar(p.staff_id, list(reversed(p.working)), list(reversed(p.busy)))
        for p in reversed(people)
    ]

    assert top == full[:limit]
    assert find_slots(request, reordered, continuity=True, limit=limit) == top
    assert rank(full) == full
    keys = [rank_key(s) for s in full]
    assert keys == sorted(keys)
    if request.ideal is not None:
        distances = [s.days_from_ideal for s in full]
        assert distances == sorted(d for d in distances if d is not None)


@given(
    st.lists(
        st.builds(
            Slot,
            starts_at=st.integers(0, 500).map(
                lambda n: datetime(2026, 9, 1, tzinfo=UTC) + 15 * n * MIN
            ),
            ends_at=st.just(datetime(2026, 12, 1, tzinfo=UTC)),
            staff_ids=st.sampled_from([(1,), (1, 2), (2, 3)]),
            continuity=st.booleans(),
            days_from_ideal=st.none() | st.integers(0, 30),
        ),
        max_size=30,
    )
)
def test_rank_orders_by_continuity_then_ideal_then_time(slots: list[Slot]) -> None:
    ranked = rank(slots)
    assert rank(list(reversed(slots))) == ranked
    for a, b in itertools.pairwise(ranked):
        assert a.continuity >= b.continuity
        if a.continuity == b.continuity and None not in (a.days_from_ideal, b.days_from_ideal):
            assert a.days_from_ideal is not None and b.days_from_ideal is not None
            assert a.days_from_ideal <= b.days_from_ideal
            if a.days_from_ideal == b.days_from_ideal:
                assert a.starts_at <= b.starts_at
