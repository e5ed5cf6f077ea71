"""Working time as intervals of instants: pure functions, no database or HTTP.

Everything a person's availability is made of is turned into half-open UTC intervals
`[start, end)`: weekly working hours and per-date overrides (local wall-clock times), closed days
(Swedish public holidays, the de facto holidays a BVC closes on, configured dates) and unit-wide
blocked times such as a weekly team meeting (a local wall-clock time repeated by an RFC 5545
RRULE). Local times are converted per date, so daylight-saving days keep their wall-clock hours:
08:00–16:00 is 06:00Z–14:00Z in summer time and 07:00Z–15:00Z in winter time.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from holidays.constants import DE_FACTO, PUBLIC
from holidays.countries.sweden import Sweden

from app.clock import STOCKHOLM

# The names `holidays` gives Sweden's DE_FACTO category with language="sv". They are not public
# holidays, but the annual leave act treats them like Sundays and most BVCs close.
DE_FACTO_NAMES = frozenset({"Midsommarafton", "Julafton", "Nyårsafton"})
DEFAULT_CLOSED_DE_FACTO: frozenset[str] = DE_FACTO_NAMES

_NO_EXTRA: Mapping[date, str] = MappingProxyType({})


@lru_cache(maxsize=64)
def _swedish_holidays(year: int, category: str) -> tuple[tuple[date, str], ...]:
    # Sweden(...) directly: country_holidays() does not pass include_sundays on, and its default
    # changed between releases (True up to 0.106), so it must always be given.
    calendar = Sweden(years=year, categories=(category,), language="sv", include_sundays=False)
    return tuple(sorted(calendar.items()))


def closed_days(
    years: Iterable[int],
    closed_de_facto: Iterable[str] = DEFAULT_CLOSED_DE_FACTO,
    extra: Mapping[date, str] = _NO_EXTRA,
) -> dict[date, str]:
    """Dates on which nobody works unless an override says so, with their Swedish names.

    Public holidays are always closed; of the de facto holidays only those named in
    `closed_de_facto` (by their Swedish name, see `DE_FACTO_NAMES`); `extra` adds configured
    dates. A date in several sources keeps the public holiday's name.
    """
    wanted = frozenset(closed_de_facto)
    unknown = wanted - DE_FACTO_NAMES
    if unknown:
        raise ValueError(f"not a Swedish de facto holiday: {', '.join(sorted(unknown))}")
    result: dict[date, str] = {}
    for year in sorted(set(years)):
        for day, name in _swedish_holidays(year, PUBLIC):
            result.setdefault(day, name)
        for day, name in _swedish_holidays(year, DE_FACTO):
            if name in wanted:
                result.setdefault(day, name)
    for day, name in extra.items():
        result.setdefault(day, name)
    return result


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span of time `[start, end)` between two aware instants, kept in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("interval bounds must be aware datetimes")
        if not self.start < self.end:
            raise ValueError("interval must end after it starts")
        if self.start.tzinfo is not UTC:
            object.__setattr__(self, "start", self.start.astimezone(UTC))
        if self.end.tzinfo is not UTC:
            object.__setattr__(self, "end", self.end.astimezone(UTC))

    def overlaps(self, other: "Interval") -> bool:
        """True when the two share some instant; intervals that only touch do not overlap."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Interval") -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined into one."""
    result: list[Interval] = []
    for interval in sorted(intervals):
        if result and interval.start <= result[-1].end:
            if interval.end > result[-1].end:
                result[-1] = Interval(result[-1].start, interval.end)
        else:
            result.append(interval)
    return result


def subtract(intervals: Iterable[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """The parts of `intervals` that overlap no interval of `busy`, merged and sorted."""
    cuts = merge(busy)
    result: list[Interval] = []
    i = 0
    for interval in merge(intervals):
        start = interval.start
        while i < len(cuts) and cuts[i].end <= start:
            i += 1
        j = i
        while j < len(cuts) and cuts[j].start < interval.end:
            if cuts[j].start > start:
                result.append(Interval(start, cuts[j].start))
            start = max(start, cuts[j].end)
            j += 1
        if start < interval.end:
            result.append(Interval(start, interval.end))
    return result


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The spans covered by both `a` and `b`, merged and sorted."""
    left, right = merge(a), merge(b)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            result.append(Interval(start, end))
        if left[i].end < right[j].end:
            i += 1
        else:
            j += 1
    return result


@dataclass(frozen=True)
class WeeklyHours:
    """Working hours on a weekday (0 = Monday), local wall-clock times; end after start."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not self.start < self.end:
            raise ValueError("working hours must end after they start")


@dataclass(frozen=True)
class DateHours:
    """Hours replacing the weekly pattern on one date; `start` and `end` None = not working."""

    on: date
    start: time | None
    end: time | None

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither for a day off")
        if self.start is not None and self.end is not None and not self.start < self.end:
            raise ValueError("working hours must end after they start")


def local_instant(day: date, at: time, zone: ZoneInfo = STOCKHOLM) -> datetime:
    """The UTC instant of a local wall-clock time on a date.

    A time skipped by the spring clock change is read with the offset before the change (02:30
    becomes 03:30 summer time); a time repeated in the autumn means its first occurrence.
    """
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


def local_day(day: date, zone: ZoneInfo = STOCKHOLM) -> Interval:
    """The local calendar day as UTC instants (23 or 25 hours long on clock-change days)."""
    return Interval(
        local_instant(day, time(0), zone), local_instant(day + timedelta(1), time(0), zone)
    )


def working_intervals(
    day: date,
    weekly: Iterable[WeeklyHours],
    overrides: Iterable[DateHours],
    closed: Mapping[date, str],
    zone: ZoneInfo = STOCKHOLM,
) -> list[Interval]:
    """One person's working time on a local date, as merged UTC intervals.

    Overrides for the date replace the weekly hours (on a closed day too: an override means they
    do work); otherwise a closed day has no working time and any other day its weekday's hours.
    """
    todays = [o for o in overrides if o.on == day]
    spans: list[tuple[time, time]]
    if todays:
        spans = [(o.start, o.end) for o in todays if o.start is not None and o.end is not None]
    elif day in closed:
        spans = []
    else:
        weekday = day.weekday()
        spans = [(w.start, w.end) for w in weekly if w.weekday == weekday]
    intervals = []
    for start, end in spans:
        begins, ends = local_instant(day, start, zone), local_instant(day, end, zone)
        # Hours inside the spring clock change's missing hour can come out empty or reversed.
        if begins < ends:
            intervals.append(Interval(begins, ends))
    return merge(intervals)


@dataclass(frozen=True)
class BlockRule:
    """Time blocked for a whole unit: a local wall-clock start, a length and an optional RRULE.

    `first_start_local` is naive on purpose: it is a wall-clock time in the unit's zone, so a
    weekly 09:00 meeting stays at 09:00 across daylight-saving changes.
    """

    first_start_local: datetime
    duration: timedelta
    rrule: str | None = None

    def __post_init__(self) -> None:
        if self.first_start_local.tzinfo is not None:
            raise ValueError("first_start_local must be a naive local wall-clock time")
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")


def expand_blocks(
    blocks: Sequence[BlockRule],
    range_start: datetime,
    range_end: datetime,
    zone: ZoneInfo = STOCKHOLM,
) -> list[Interval]:
    """The occurrences of `blocks` that overlap `[range_start, range_end)`, as UTC intervals.

    Recurrences are expanded in local wall-clock time and only between the range bounds, so an
    unending rule costs no more than the range asks for.
    """
    result: list[Interval] = []
    if not range_start < range_end:
        return result
    wanted = Interval(range_start, range_end)
    # Local naive bounds, widened by a day for clock changes and by the block's length so that a
    # block starting before the range but reaching into it is found.
    local_lo = range_start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    local_hi = range_end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    for block in blocks:
        if block.rrule is None:
            starts = [block.first_start_local]
        else:
            rule = rrulestr(block.rrule, dtstart=block.first_start_local)
            starts = rule.between(local_lo - block.duration, local_hi, inc=True)
        for local_start in starts:
            start = local_start.replace(tzinfo=zone).astimezone(UTC)
            occurrence = Interval(start, start + block.duration)
            if occurrence.overlaps(wanted):
                result.append(occurrence)
    return sorted(result)


_RRULE_TEXT = re.compile(r"^(?:RRULE:)?[A-Z0-9=;,+\-]+$")
_ALLOWED_FREQ = re.compile(r"(?:^|;)FREQ=(?:DAILY|WEEKLY|MONTHLY|YEARLY)(?:;|$)")
_PROBE = relativedelta(years=2)


def check_rrule(text: str, first_start_local: datetime) -> str:
    """The rule in canonical form (no `RRULE:` prefix), or ValueError saying what is wrong.

    One RRULE line with FREQ DAILY or coarser (expansion walks from the first occurrence, so finer
    rules would cost too much), an UNTIL in local time without `Z`, and at least one occurrence
    within two years of the first start.
    """
    rule_text = text.strip().upper()
    if not _RRULE_TEXT.match(rule_text):
        raise ValueError("must be a single RRULE line such as FREQ=WEEKLY;BYDAY=MO")
    rule_text = rule_text.removeprefix("RRULE:")
    if not _ALLOWED_FREQ.search(rule_text):
        raise ValueError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if re.search(r"(?:^|;)UNTIL=[0-9T]*Z", rule_text):
        raise ValueError("UNTIL must be a local time, without Z")
    try:
        rule = rrulestr(rule_text, dtstart=first_start_local)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"not a valid RRULE: {exc}") from None
    if not rule.between(first_start_local, first_start_local + _PROBE, inc=True):
        raise ValueError("the rule gives no occurrence within two years of the first start")
    return rule_text
