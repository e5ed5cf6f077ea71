"""Slot finding against stored calendars: loads data, calls the pure slot finder, ranks."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.availability.service import participant_calendars
from app.clock import STOCKHOLM, now_utc, today_local
from app.config import Settings
from app.enrollments.models import Enrollment, EnrollmentStatus, PlannedVisit
from app.errors import Conflict, InvalidInput, NotFound
from app.families.models import Family
from app.organizations.models import Collaboration
from app.programs.plan import LocationKind
from app.scheduling.slots import (
    MAX_SEARCH_DAYS,
    ParticipantCalendar,
    PartOfDay,
    Slot,
    SlotRequest,
    find_slots,
    rank,
)
from app.staff.models import Staff
from app.staff.profession import Profession

MAX_SUBSTITUTES = 4


@dataclass(frozen=True)
class Preferences:
    weekdays: frozenset[int] | None = None
    part_of_day: PartOfDay | None = None
    limit: int = 20


def _buffer(location_is_home: bool, settings: Settings) -> timedelta:
    return timedelta(minutes=settings.home_visit_buffer_minutes if location_is_home else 0)


def _request(
    window_start: date,
    window_end: date,
    ideal: date | None,
    duration: timedelta,
    buffer: timedelta,
    prefs: Preferences,
) -> SlotRequest:
    if (window_end - window_start).days + 1 > MAX_SEARCH_DAYS:
        raise InvalidInput.on("to_date", f"search at most {MAX_SEARCH_DAYS} days at a time")
    return SlotRequest(
        window_start=window_start,
        window_end=window_end,
        ideal=ideal,
        duration=duration,
        buffer_before=buffer,
        buffer_after=buffer,
        weekdays=prefs.weekdays,
        part_of_day=prefs.part_of_day,
        zone=STOCKHOLM,
        not_before=now_utc(),
    )


def _search(
    session: Session,
    request: SlotRequest,
    teams: Sequence[tuple[tuple[int, ...], bool]],
    limit: int,
) -> list[Slot]:
    """Slots for each candidate team (continuity flag per team), ranked together."""
    everyone = sorted({staff_id for team, _ in teams for staff_id in team})
    span = request.search_range()
    calendars: dict[int, ParticipantCalendar] = {
        c.staff_id: c for c in participant_calendars(session, everyone, span.start, span.end)
    }
    found: list[Slot] = []
    for team, continuity in teams:
        found.extend(
            find_slots(request, [calendars[i] for i in team], continuity=continuity, limit=limit)
        )
    return rank(found)[:limit]


def _substitutes(session: Session, family: Family, team: tuple[int, int]) -> list[tuple[int, int]]:
    """Other active nurses of the family's BVC and social workers of collaborating units."""
    nurse_id, social_id = team
    nurses = session.scalars(
        select(Staff.id)
        .where(
            Staff.unit_id == family.unit_id,
            Staff.profession == Profession.bhv_nurse,
            Staff.active,
            Staff.id != nurse_id,
        )
        .order_by(Staff.id)
    )
    partner_units = select(Collaboration.social_unit_id).where(
        Collaboration.bvc_unit_id == family.unit_id, Collaboration.in_force_on(today_local())
    )
    workers = session.scalars(
        select(Staff.id)
        .where(
            Staff.unit_id.in_(partner_units),
            Staff.profession == Profession.social_worker,
            Staff.active,
            Staff.id != social_id,
        )
        .order_by(Staff.id)
    )
    return [(n, social_id) for n in islice(nurses, MAX_SUBSTITUTES)] + [
        (nurse_id, w) for w in islice(workers, MAX_SUBSTITUTES)
    ]


def slots_for_planned_visit(
    session: Session,
    planned_visit_id: int,
    settings: Settings,
    prefs: Preferences,
    *,
    staff_ids: Sequence[int] | None = None,
    include_substitutes: bool = False,
) -> list[Slot]:
    """Where the family's team (or the named staff) can all make the visit inside its window."""
    visit = session.get(
        PlannedVisit, planned_visit_id, options=[selectinload(PlannedVisit.template_visit)]
    )
    if visit is None:
        raise NotFound(f"planned visit {planned_visit_id} not found")
    enrollment = session.get_one(Enrollment, visit.enrollment_id)
    if enrollment.status != EnrollmentStatus.active:
        raise Conflict("the family's enrollment has ended")
    family = session.get_one(Family, enrollment.family_id)
    start = max(visit.window_start, today_local())
    if start > visit.window_end:
        raise Conflict("the visit's window has passed; search free times with GET /slots")
    team = (enrollment.nurse_id, enrollment.social_worker_id)
    chosen = tuple(staff_ids) if staff_ids else team
    _check_staff(session, chosen)
    teams: list[tuple[tuple[int, ...], bool]] = [(chosen, set(chosen) == set(team))]
    if include_substitutes and not staff_ids:
        teams += [(t, False) for t in _substitutes(session, family, team)]
    template_visit = visit.template_visit
    request = _request(
        start,
        visit.window_end,
        visit.ideal_date,
        timedelta(minutes=template_visit.default_duration_minutes),
        _buffer(template_visit.location_kind == LocationKind.home, settings),
        prefs,
    )
    return _search(session, request, teams, prefs.limit)


def slots_for_staff(
    session: Session,
    staff_ids: Sequence[int],
    from_date: date,
    to_date: date,
    duration_minutes: int,
    home_visit: bool,
    settings: Settings,
    prefs: Preferences,
) -> list[Slot]:
    """Free times shared by any set of staff, e.g. for a follow-up visit outside the plan."""
    if to_date < from_date:
        raise InvalidInput.on("to_date", "must not be before from_date")
    _check_staff(session, staff_ids)
    request = _request(
        from_date,
        to_date,
        None,
        timedelta(minutes=duration_minutes),
        _buffer(home_visit, settings),
        prefs,
    )
    return _search(session, request, [(tuple(staff_ids), False)], prefs.limit)


def _check_staff(session: Session, staff_ids: Sequence[int]) -> None:
    if len(set(staff_ids)) != len(staff_ids):
        raise InvalidInput.on("staff_id", "the same staff member is named twice")
    found = set(session.scalars(select(Staff.id).where(Staff.id.in_(staff_ids), Staff.active)))
    missing = [i for i in staff_ids if i not in found]
    if missing:
        raise InvalidInput.on("staff_id", f"no active staff member {missing[0]}")


def local_text(instant: datetime) -> str:
    return instant.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
