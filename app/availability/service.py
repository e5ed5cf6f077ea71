"""Availability data, and each participant's calendar as intervals for the slot finder."""

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.availability.calendar import (
    DEFAULT_CLOSED_DE_FACTO,
    BlockRule,
    DateHours,
    Interval,
    WeeklyHours,
    closed_days,
    expand_blocks,
    local_instant,
    working_intervals,
)
from app.availability.models import (
    Absence,
    ClosedDay,
    UnitBlockedTime,
    WorkingHours,
    WorkingHoursOverride,
)
from app.availability.schemas import (
    AbsenceIn,
    BlockedTimeIn,
    ClosedDayIn,
    OverrideIn,
    WorkingHoursIn,
)
from app.clock import STOCKHOLM
from app.crud import get_or_404
from app.db import rolls_back
from app.errors import Conflict, InvalidInput, NotFound
from app.http.etag import check_if_match, content_etag
from app.organizations.models import Organization, Unit
from app.pagination import PageParams, paginate
from app.scheduling.models import BookingParticipant
from app.scheduling.slots import ParticipantCalendar
from app.staff.models import Staff

# Longer than any search (the slot finder stops at 92 days): no unbounded scans.
MAX_CALENDAR_RANGE = timedelta(days=366)


def _staff(session: Session, staff_id: int) -> Staff:
    return get_or_404(session, Staff, staff_id, "staff member")


def _overlapping(spans: Iterable[tuple[time, time]]) -> bool:
    ordered = sorted(spans)
    return any(a[1] > b[0] for a, b in itertools.pairwise(ordered))


def working_hours_etag(staff_id: int, rows: Sequence[WorkingHours]) -> str:
    pattern = ";".join(f"{r.weekday},{r.start_time},{r.end_time}" for r in rows)
    return content_etag("working-hours", staff_id, pattern)


@rolls_back
def replace_working_hours(
    session: Session, staff_id: int, items: Sequence[WorkingHoursIn], if_match: str | None
) -> list[WorkingHours]:
    """The staff member's weekly pattern becomes exactly `items` (an empty list clears it).

    If-Match must name the pattern the caller read ("*" for any): the staff row is locked
    first, so two replacements of one pattern cannot both pass the check."""
    if session.get(Staff, staff_id, with_for_update=True) is None:
        raise NotFound(f"staff member {staff_id} not found")
    current = working_hours_etag(staff_id, list_working_hours(session, staff_id))
    check_if_match(current, if_match, required=True, what="weekly pattern")
    by_day: dict[int, list[tuple[int, WorkingHoursIn]]] = defaultdict(list)
    for index, item in enumerate(items):
        by_day[item.weekday].append((index, item))
    for entries in by_day.values():
        ordered = sorted(entries, key=lambda e: e[1].start_time)
        for (_, a), (index, b) in itertools.pairwise(ordered):
            if b.start_time < a.end_time:
                raise InvalidInput.on(
                    f"{index}.start_time", "overlaps other hours on the same weekday"
                )
    session.execute(delete(WorkingHours).where(WorkingHours.staff_id == staff_id))
    rows = [WorkingHours(staff_id=staff_id, **item.model_dump()) for item in items]
    session.add_all(rows)
    session.commit()
    return list_working_hours(session, staff_id)


def list_working_hours(session: Session, staff_id: int) -> list[WorkingHours]:
    _staff(session, staff_id)
    stmt = (
        select(WorkingHours)
        .where(WorkingHours.staff_id == staff_id)
        .order_by(WorkingHours.weekday, WorkingHours.start_time, WorkingHours.id)
    )
    return list(session.scalars(stmt))


@rolls_back
def add_override(session: Session, staff_id: int, data: OverrideIn) -> WorkingHoursOverride:
    """Hours on one date; refuses to mix a day off with hours, or overlapping hours."""
    _staff(session, staff_id)
    same_day = session.scalars(
        select(WorkingHoursOverride).where(
            WorkingHoursOverride.staff_id == staff_id, WorkingHoursOverride.on == data.on
        )
    ).all()
    if same_day:
        if data.start_time is None or data.end_time is None:
            raise Conflict("there are already hours on that date; delete them first")
        if any(o.start_time is None or o.end_time is None for o in same_day):
            raise Conflict("that date is already a day off; delete it first")
        spans = [(o.start_time, o.end_time) for o in same_day if o.start_time and o.end_time]
        if _overlapping([*spans, (data.start_time, data.end_time)]):
            raise Conflict("overlaps other hours on that date")
    override = WorkingHoursOverride(staff_id=staff_id, **data.model_dump())
    session.add(override)
    session.commit()
    return override


def list_overrides(
    session: Session,
    staff_id: int,
    page: PageParams,
    from_date: date | None = None,
    to_date: date | None = None,
) -> tuple[Sequence[WorkingHoursOverride], str | None]:
    _staff(session, staff_id)
    stmt = select(WorkingHoursOverride).where(WorkingHoursOverride.staff_id == staff_id)
    if from_date is not None:
        stmt = stmt.where(WorkingHoursOverride.on >= from_date)
    if to_date is not None:
        stmt = stmt.where(WorkingHoursOverride.on <= to_date)
    return paginate(session, stmt, WorkingHoursOverride.id, page)


@rolls_back
def delete_override(session: Session, staff_id: int, override_id: int) -> None:
    override = session.get(WorkingHoursOverride, override_id)
    if override is None or override.staff_id != staff_id:
        raise NotFound(f"override {override_id} not found")
    session.delete(override)
    session.commit()


@rolls_back
def add_absence(session: Session, staff_id: int, data: AbsenceIn) -> Absence:
    """An absence; whole days run from local midnight to the local midnight after the last."""
    _staff(session, staff_id)
    if data.first_day is not None and data.last_day is not None:
        starts_at = local_instant(data.first_day, time(0), STOCKHOLM)
        ends_at = local_instant(data.last_day + timedelta(days=1), time(0), STOCKHOLM)
    elif data.starts_at is not None and data.ends_at is not None:
        # In UTC already in memory, so the response shows what a later read will.
        starts_at, ends_at = data.starts_at.astimezone(UTC), data.ends_at.astimezone(UTC)
    else:  # the schema already refuses this
        raise InvalidInput.on("starts_at", "give starts_at and ends_at, or first_day and last_day")
    absence = Absence(
        staff_id=staff_id, kind=data.kind, starts_at=starts_at, ends_at=ends_at, note=data.note
    )
    session.add(absence)
    session.commit()
    return absence


def list_absences(
    session: Session,
    staff_id: int,
    page: PageParams,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[Sequence[Absence], str | None]:
    """Absences overlapping `[start, end)` (either bound may be left out)."""
    _staff(session, staff_id)
    stmt = select(Absence).where(Absence.staff_id == staff_id)
    if start is not None:
        stmt = stmt.where(Absence.ends_at > start)
    if end is not None:
        stmt = stmt.where(Absence.starts_at < end)
    return paginate(session, stmt, Absence.id, page)


@rolls_back
def delete_absence(session: Session, staff_id: int, absence_id: int) -> None:
    absence = session.get(Absence, absence_id)
    if absence is None or absence.staff_id != staff_id:
        raise NotFound(f"absence {absence_id} not found")
    session.delete(absence)
    session.commit()


@rolls_back
def add_blocked_time(session: Session, unit_id: int, data: BlockedTimeIn) -> UnitBlockedTime:
    get_or_404(session, Unit, unit_id, "unit")
    blocked = UnitBlockedTime(unit_id=unit_id, **data.model_dump())
    session.add(blocked)
    session.commit()
    return blocked


def list_blocked_times(
    session: Session, unit_id: int, page: PageParams
) -> tuple[Sequence[UnitBlockedTime], str | None]:
    get_or_404(session, Unit, unit_id, "unit")
    stmt = select(UnitBlockedTime).where(UnitBlockedTime.unit_id == unit_id)
    return paginate(session, stmt, UnitBlockedTime.id, page)


@rolls_back
def delete_blocked_time(session: Session, unit_id: int, blocked_time_id: int) -> None:
    blocked = session.get(UnitBlockedTime, blocked_time_id)
    if blocked is None or blocked.unit_id != unit_id:
        raise NotFound(f"blocked time {blocked_time_id} not found")
    session.delete(blocked)
    session.commit()


@rolls_back
def add_closed_day(session: Session, data: ClosedDayIn) -> ClosedDay:
    if data.organization_id is not None and session.get(Organization, data.organization_id) is None:
        raise InvalidInput.on("organization_id", "no such organization")
    same = select(ClosedDay.id).where(ClosedDay.on == data.on)
    if data.organization_id is None:
        same = same.where(ClosedDay.organization_id.is_(None))
    else:
        same = same.where(ClosedDay.organization_id == data.organization_id)
    if session.scalar(same) is not None:
        raise Conflict("that date is already a closed day")
    closed = ClosedDay(**data.model_dump())
    session.add(closed)
    session.commit()
    return closed


def list_closed_days(
    session: Session,
    page: PageParams,
    organization_id: int | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    visible_organizations: set[int] | None = None,
) -> tuple[Sequence[ClosedDay], str | None]:
    """Configured closed days; with an organization, its own and the global ones. Only the
    global ones and those of `visible_organizations` (None: no limit)."""
    stmt = select(ClosedDay)
    if visible_organizations is not None:
        stmt = stmt.where(
            or_(
                ClosedDay.organization_id.in_(visible_organizations),
                ClosedDay.organization_id.is_(None),
            )
        )
    if organization_id is not None:
        stmt = stmt.where(
            or_(ClosedDay.organization_id == organization_id, ClosedDay.organization_id.is_(None))
        )
    if from_date is not None:
        stmt = stmt.where(ClosedDay.on >= from_date)
    if to_date is not None:
        stmt = stmt.where(ClosedDay.on <= to_date)
    return paginate(session, stmt, ClosedDay.id, page)


@rolls_back
def delete_closed_day(session: Session, closed_day_id: int) -> None:
    closed = get_or_404(session, ClosedDay, closed_day_id, "closed day")
    session.delete(closed)
    session.commit()


def participant_calendars(
    session: Session,
    staff_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    closed_de_facto: Iterable[str] = DEFAULT_CLOSED_DE_FACTO,
    exclude_booking_id: int | None = None,
) -> list[ParticipantCalendar]:
    """Working and busy time of each staff member over `[start, end)`, in the order given.

    Working time is built per local date from weekly hours, overrides and closed days (public
    holidays, the chosen de facto holidays, and configured days of the staff member's
    organization or of everyone). Busy time is absences, the unit's blocked times and active
    booking participations (`exclude_booking_id` leaves one booking out, for rescheduling it).
    One query per table for all staff; nothing per day.
    """
    if not start < end:
        raise ValueError("start must be before end")
    if end - start > MAX_CALENDAR_RANGE:
        raise ValueError("the range is longer than a year")
    ids = list(dict.fromkeys(staff_ids))
    staff_rows = session.execute(
        select(Staff.id, Staff.unit_id, Unit.organization_id)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.id.in_(ids))
    ).all()
    unit_of = {row.id: row.unit_id for row in staff_rows}
    organization_of = {row.id: row.organization_id for row in staff_rows}
    missing = [i for i in ids if i not in unit_of]
    if missing:
        raise NotFound(f"staff member {missing[0]} not found")

    first_day = start.astimezone(STOCKHOLM).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(STOCKHOLM).date()
    days = [first_day + timedelta(n) for n in range((last_day - first_day).days + 1)]

    weekly: dict[int, list[WeeklyHours]] = defaultdict(list)
    for hours in session.scalars(select(WorkingHours).where(WorkingHours.staff_id.in_(ids))):
        weekly[hours.staff_id].append(WeeklyHours(hours.weekday, hours.start_time, hours.end_time))

    overrides: dict[tuple[int, date], list[DateHours]] = defaultdict(list)
    for override in session.scalars(
        select(WorkingHoursOverride).where(
            WorkingHoursOverride.staff_id.in_(ids),
            WorkingHoursOverride.on >= first_day,
            WorkingHoursOverride.on <= last_day,
        )
    ):
        overrides[(override.staff_id, override.on)].append(
            DateHours(override.on, override.start_time, override.end_time)
        )

    organizations = set(organization_of.values())
    configured: dict[int | None, dict[date, str]] = defaultdict(dict)
    for closed_day in session.scalars(
        select(ClosedDay).where(
            or_(ClosedDay.organization_id.in_(organizations), ClosedDay.organization_id.is_(None)),
            ClosedDay.on >= first_day,
            ClosedDay.on <= last_day,
        )
    ):
        configured[closed_day.organization_id][closed_day.on] = closed_day.name
    holidays = closed_days(range(first_day.year, last_day.year + 1), closed_de_facto)

    busy: dict[int, list[Interval]] = defaultdict(list)
    for absence in session.scalars(
        select(Absence).where(
            Absence.staff_id.in_(ids), Absence.starts_at < end, Absence.ends_at > start
        )
    ):
        busy[absence.staff_id].append(Interval(absence.starts_at, absence.ends_at))

    participations = select(BookingParticipant).where(
        BookingParticipant.staff_id.in_(ids),
        BookingParticipant.active.is_(True),
        BookingParticipant.busy_from < end,
        BookingParticipant.busy_to > start,
    )
    if exclude_booking_id is not None:
        participations = participations.where(BookingParticipant.booking_id != exclude_booking_id)
    for participation in session.scalars(participations):
        busy[participation.staff_id].append(
            Interval(participation.busy_from, participation.busy_to)
        )

    rules: dict[int, list[BlockRule]] = defaultdict(list)
    for blocked in session.scalars(
        select(UnitBlockedTime).where(UnitBlockedTime.unit_id.in_(set(unit_of.values())))
    ):
        rules[blocked.unit_id].append(
            BlockRule(
                blocked.first_start_local,
                timedelta(minutes=blocked.duration_minutes),
                blocked.rrule,
            )
        )
    blocked_in_unit = {
        unit_id: expand_blocks(unit_rules, start, end, STOCKHOLM)
        for unit_id, unit_rules in rules.items()
    }

    result = []
    for staff_id in ids:
        closed = {**configured[None], **configured[organization_of[staff_id]], **holidays}
        working: list[Interval] = []
        for day in days:
            working += working_intervals(
                day, weekly[staff_id], overrides.get((staff_id, day), ()), closed, STOCKHOLM
            )
        staff_busy = busy[staff_id] + blocked_in_unit.get(unit_of[staff_id], [])
        result.append(ParticipantCalendar(staff_id, working, sorted(staff_busy)))
    return result
