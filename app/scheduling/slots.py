"""The slot finder: pure functions, no database or HTTP.

A start time is free when, for every participant, the visit with its travel buffers
`[start - buffer_before, end + buffer_after)` lies inside one of their working intervals and
overlaps none of their busy intervals. Busy intervals already carry other visits' buffers, so two
buffered visits may touch but never overlap (intervals are half-open).

The work is interval arithmetic over the whole window, not a scan of every minute: each
participant's free time becomes the set of possible start instants, the sets are intersected, and
only then is the local quarter-hour grid laid over what is left.
"""

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.availability.calendar import Interval, local_instant, subtract
from app.clock import STOCKHOLM

MAX_SEARCH_DAYS = 92
DEFAULT_STEP = timedelta(minutes=15)
NOON = time(12, 0)

_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PartOfDay(StrEnum):
    morning = "morning"  # the visit starts before 12:00 local time
    afternoon = "afternoon"  # the visit starts at or after 12:00 local time


@dataclass(frozen=True)
class SlotRequest:
    """What to look for: a window of local dates (both inclusive) and the visit's shape."""

    window_start: date
    window_end: date
    ideal: date | None
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    step: timedelta = DEFAULT_STEP
    weekdays: frozenset[int] | None = None
    part_of_day: PartOfDay | None = None
    zone: ZoneInfo = STOCKHOLM
    not_before: datetime | None = None

    def __post_init__(self) -> None:
        if self.window_end < self.window_start:
            raise ValueError("window_end must not be before window_start")
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        if self.buffer_before < timedelta(0) or self.buffer_after < timedelta(0):
            raise ValueError("buffers must not be negative")
        seconds = self.step.total_seconds()
        if seconds < 60 or seconds % 60 or 86_400 % seconds:
            raise ValueError("step must be whole minutes dividing a day")
        if self.weekdays is not None and not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays must be 0 (Monday) to 6 (Sunday)")
        if self.not_before is not None:
            if self.not_before.utcoffset() is None:
                raise ValueError("not_before must be an aware datetime")
            object.__setattr__(self, "not_before", self.not_before.astimezone(UTC))

    @property
    def days(self) -> int:
        return (self.window_end - self.window_start).days + 1

    def search_range(self) -> Interval:
        """The instants a participant's calendar must cover for this request.

        From the window's first local midnight less the buffer before, to the last day's end plus
        the visit and the buffer after (a late start may end after midnight).
        """
        first = local_instant(self.window_start, time(0), self.zone)
        last = local_instant(self.window_end + _DAY, time(0), self.zone)
        return Interval(first - self.buffer_before, last + self.duration + self.buffer_after)


@dataclass(frozen=True)
class ParticipantCalendar:
    staff_id: int
    working: Sequence[Interval]
    busy: Sequence[Interval]


@dataclass(frozen=True)
class Slot:
    """A bookable start; `days_from_ideal` is the absolute distance in local days, if known."""

    starts_at: datetime
    ends_at: datetime
    staff_ids: tuple[int, ...]
    continuity: bool
    days_from_ideal: int | None


def rank_key(slot: Slot) -> tuple[bool, bool, int, datetime, tuple[int, ...]]:
    """Continuity first, then closest to the ideal date, then earliest; staff ids break ties."""
    return (
        not slot.continuity,
        slot.days_from_ideal is None,
        slot.days_from_ideal or 0,
        slot.starts_at,
        slot.staff_ids,
    )


def rank(slots: Iterable[Slot]) -> list[Slot]:
    """Slots in the order they should be offered (a total order, so the result is stable)."""
    return sorted(slots, key=rank_key)


# Sets of possible start instants are lists of closed ranges (lo, hi): a start at hi is fine.
_Starts = list[tuple[datetime, datetime]]


def _possible_starts(calendar: ParticipantCalendar, request: SlotRequest) -> _Starts:
    before = request.buffer_before
    tail = request.duration + request.buffer_after
    free = subtract(calendar.working, calendar.busy)
    starts: _Starts = []
    for interval in free:
        lo, hi = interval.start + before, interval.end - tail
        if lo <= hi:
            starts.append((lo, hi))
    return starts


def _intersect_closed(a: _Starts, b: _Starts) -> _Starts:
    result: _Starts = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            result.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def _ceil_to_grid(instant: datetime, step: timedelta, zone: ZoneInfo) -> datetime:
    """The first instant at or after `instant` whose local wall-clock time is on the grid."""
    for _ in range(3):  # again only if the step crossed a clock change
        offset = instant.astimezone(zone).utcoffset() or timedelta(0)
        remainder = (instant + offset - _EPOCH) % step  # exact: timedeltas are whole microseconds
        if not remainder:
            break
        instant += step - remainder
    return instant


def _grid(lo: datetime, hi: datetime, step: timedelta, zone: ZoneInfo) -> Iterator[datetime]:
    current = _ceil_to_grid(lo, step, zone)
    while current <= hi:
        yield current
        # Realigning after each step keeps the grid local when an offset change is not a
        # multiple of the step (never in Sweden; cheap to be right).
        current = _ceil_to_grid(current + step, step, zone)


def find_slots(
    request: SlotRequest,
    participants: Sequence[ParticipantCalendar],
    *,
    continuity: bool,
    limit: int,
) -> list[Slot]:
    """The best `limit` start times at which every participant is free, in rank order.

    Raises ValueError for a window longer than MAX_SEARCH_DAYS, no participants, a staff member
    named twice or a limit below one.
    """
    if request.days > MAX_SEARCH_DAYS:
        raise ValueError(f"the search window is longer than {MAX_SEARCH_DAYS} days")
    if not participants:
        raise ValueError("at least one participant is needed")
    staff_ids = tuple(sorted(p.staff_id for p in participants))
    if len(set(staff_ids)) != len(staff_ids):
        raise ValueError("a staff member is named twice")
    if limit < 1:
        raise ValueError("limit must be at least 1")

    zone = request.zone
    starts = _possible_starts(participants[0], request)
    for calendar in participants[1:]:
        if not starts:
            break
        starts = _intersect_closed(starts, _possible_starts(calendar, request))

    # (distance from the ideal date, start): the rank order within one call.
    candidates: list[tuple[int, datetime]] = []
    day_index = 0
    days = [request.window_start + timedelta(n) for n in range(request.days)]
    bounds = [_day_bounds(day, request) for day in days]
    for lo, hi in starts:
        # Skip the days that end before this range; ranges are sorted, so never look back.
        while day_index < len(days) and bounds[day_index][1] < lo:
            day_index += 1
        index = day_index
        while index < len(days) and bounds[index][0] <= hi:
            day = days[index]
            day_lo, day_hi = bounds[index]
            index += 1
            if request.weekdays is not None and day.weekday() not in request.weekdays:
                continue
            first, last = max(lo, day_lo), min(hi, day_hi)
            if request.not_before is not None:
                first = max(first, request.not_before)
            distance = abs((day - request.ideal).days) if request.ideal is not None else 0
            candidates.extend((distance, start) for start in _grid(first, last, request.step, zone))

    duration = request.duration
    best = heapq.nsmallest(limit, candidates)
    return [
        Slot(
            starts_at=start,
            ends_at=start + duration,
            staff_ids=staff_ids,
            continuity=continuity,
            days_from_ideal=distance if request.ideal is not None else None,
        )
        for distance, start in best
    ]


def _day_bounds(day: date, request: SlotRequest) -> tuple[datetime, datetime]:
    """The closed range of start instants allowed on a local date (part of day applied)."""
    start = local_instant(day, time(0), request.zone)
    end = local_instant(day + _DAY, time(0), request.zone) - _TICK
    if request.part_of_day is PartOfDay.morning:
        end = min(end, local_instant(day, NOON, request.zone) - _TICK)
    elif request.part_of_day is PartOfDay.afternoon:
        start = max(start, local_instant(day, NOON, request.zone))
    return start, end
