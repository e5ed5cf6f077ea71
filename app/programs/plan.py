"""Visit windows and plan statuses: pure functions, no database or HTTP.

A template visit is due in a window of the child's age (or of pregnancy, for visits anchored on the
expected due date). Offsets are calendar offsets computed with dateutil's relativedelta, so adding
one month to 31 January gives the last day of February and a child born on 29 February turns one on
28 February. Window ends are exclusive offsets: "1–2 weeks" is [1 week, 3 weeks), i.e. the days on
which the child is one or two weeks old; the inclusive last date is one day before.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from app.clock import STOCKHOLM

PROGRAM_AGE_LIMIT = relativedelta(years=5)


class OffsetUnit(StrEnum):
    days = "days"
    weeks = "weeks"
    months = "months"


class LocationKind(StrEnum):
    home = "home"
    clinic = "clinic"
    mhv_clinic = "mhv_clinic"


class Anchor(StrEnum):
    expected_due_date = "expected_due_date"
    birth_date = "birth_date"


class PlanStatus(StrEnum):
    planned = "planned"
    booked = "booked"
    completed = "completed"
    missed = "missed"
    cancelled = "cancelled"
    not_applicable = "not_applicable"


OPEN_STATUSES = frozenset({PlanStatus.planned, PlanStatus.booked})


class PlanRuleError(ValueError):
    """A template rule or child that cannot give a valid plan."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Offset:
    amount: int
    unit: OffsetUnit

    def delta(self) -> relativedelta:
        if self.unit is OffsetUnit.months:
            return relativedelta(months=self.amount)
        if self.unit is OffsetUnit.weeks:
            return relativedelta(weeks=self.amount)
        return relativedelta(days=self.amount)

    def after(self, anchor: date) -> date:
        """The date this offset lands on counted from the anchor."""
        result: date = anchor + self.delta()
        return result

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"


@dataclass(frozen=True)
class VisitRule:
    sequence: int
    anchor: Anchor
    window_start: Offset
    window_end: Offset  # exclusive
    ideal: Offset


@dataclass(frozen=True)
class ChildDates:
    expected_due_date: date | None
    birth_date: date | None


@dataclass(frozen=True)
class DueWindow:
    start: date
    end: date  # inclusive last day
    ideal: date
    provisional: bool  # anchored on the due date because the birth is not yet recorded

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class PlannedState:
    window: DueWindow
    status: PlanStatus
    reason: str | None


# Every day of a leap-year cycle, so month lengths and 29 February all get checked.
_REFERENCE_ANCHORS = tuple(date(2023, 1, 1) + timedelta(days=n) for n in range(4 * 365 + 1))


def validate_rule(rule: VisitRule) -> None:
    """Refuse rules with an empty window, an ideal outside it, or a reach past age five."""
    if rule.anchor is Anchor.birth_date and rule.window_start.amount < 0:
        raise PlanRuleError(
            "window_start", "visits anchored on the birth date start at birth or later"
        )
    if rule.anchor is Anchor.expected_due_date and rule.window_end.amount > 0:
        # After birth the birth date is the anchor; due-date anchors are for visits in pregnancy.
        raise PlanRuleError(
            "window_end", "visits anchored on the due date must end by the due date"
        )
    for anchor in _REFERENCE_ANCHORS:
        start = rule.window_start.after(anchor)
        end = rule.window_end.after(anchor)
        if end <= start:
            raise PlanRuleError("window_end", "window end must come after window start")
        if not start <= rule.ideal.after(anchor) < end:
            raise PlanRuleError("ideal", "ideal age must lie inside the window")
        if end - timedelta(days=1) >= anchor + PROGRAM_AGE_LIMIT:
            raise PlanRuleError("window_end", "visits past the age of five are outside the program")


def is_prenatal(rule: VisitRule) -> bool:
    return rule.anchor is Anchor.expected_due_date and rule.window_end.amount <= 0


def anchor_for(rule: VisitRule, child: ChildDates) -> tuple[date, bool]:
    """The date the rule counts from, and whether it is provisional (birth not yet recorded)."""
    if rule.anchor is Anchor.expected_due_date:
        anchor = child.expected_due_date or child.birth_date
        if anchor is None:
            raise PlanRuleError(
                "expected_due_date", "the child has neither due date nor birth date"
            )
        return anchor, False
    if child.birth_date is not None:
        return child.birth_date, False
    if child.expected_due_date is None:
        raise PlanRuleError("expected_due_date", "the child has neither due date nor birth date")
    return child.expected_due_date, True


def due_window(rule: VisitRule, child: ChildDates) -> DueWindow:
    """The dates on which the visit is due for this child."""
    anchor, provisional = anchor_for(rule, child)
    start = rule.window_start.after(anchor)
    end = rule.window_end.after(anchor) - timedelta(days=1)
    return DueWindow(start=start, end=end, ideal=rule.ideal.after(anchor), provisional=provisional)


def fifth_birthday(child: ChildDates) -> date | None:
    born = child.birth_date or child.expected_due_date
    if born is None:
        return None
    result: date = born + PROGRAM_AGE_LIMIT
    return result


def plan_visit(
    rule: VisitRule,
    child: ChildDates,
    *,
    enrolled_on: date,
    current: PlanStatus | None = None,
) -> PlannedState:
    """The window and status a visit should have now.

    `current` is the visit's stored status (None when the plan is first made). Closed visits
    (completed, missed, cancelled) keep their status; open ones follow the child's dates.
    """
    window = due_window(rule, child)
    limit = fifth_birthday(child)
    if limit is not None and window.start >= limit:
        raise PlanRuleError("window_start", "visits past the age of five are outside the program")
    if current is not None and current not in OPEN_STATUSES:
        return PlannedState(window, current, None)
    born = child.birth_date
    if (
        is_prenatal(rule)
        and born is not None
        and (current is not PlanStatus.booked or born < window.start)
    ):
        # A booked prenatal visit inside its window may have taken place: its outcome decides.
        reason = (
            "born before the prenatal visit"
            if born <= window.end
            else "prenatal window passed without a visit"
        )
        return PlannedState(window, PlanStatus.not_applicable, reason)
    if current is None and window.end < enrolled_on:
        return PlannedState(window, PlanStatus.not_applicable, "window had passed at enrollment")
    return PlannedState(window, current or PlanStatus.planned, None)


def age_on(birth_date: date, day: date) -> relativedelta:
    return relativedelta(day, birth_date)


def local_day_bounds(day: date, zone: ZoneInfo = STOCKHOLM) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight, in UTC (23 or 25 hours apart on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def window_instants(window: DueWindow, zone: ZoneInfo = STOCKHOLM) -> tuple[datetime, datetime]:
    """The window as half-open instants: local midnight of the first day to after the last."""
    return local_day_bounds(window.start, zone)[0], local_day_bounds(window.end, zone)[1]
