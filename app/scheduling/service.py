"""Booking joint visits: one transaction per change, overlaps refused by the database too."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.availability.models import Absence
from app.clock import STOCKHOLM, now_utc
from app.config import Settings
from app.db import rolls_back
from app.enrollments.models import Enrollment, EnrollmentStatus, PlannedVisit
from app.errors import (
    Conflict,
    ConsentRequired,
    FieldError,
    InvalidInput,
    NotFound,
)
from app.families.models import Family
from app.http import etag as http_etag
from app.organizations.models import Unit, UnitKind
from app.pagination import PageParams, paginate
from app.programs.models import TemplateVisit
from app.programs.plan import LocationKind, PlanStatus
from app.reports import facts as report_facts
from app.scheduling.kva import VisitFact, derive_codes
from app.scheduling.models import (
    Booking,
    BookingEvent,
    BookingKind,
    BookingLocation,
    BookingParticipant,
    BookingStatus,
    CancelReason,
    ExternalKind,
    ExternalParticipant,
    Outcome,
)
from app.scheduling.schemas import (
    BookingCancel,
    BookingChange,
    BookingIn,
    KvaRow,
    NoShowIn,
    OutcomeIn,
    StaffParticipantIn,
)
from app.staff.models import Staff
from app.staff.profession import Profession
from app.webhooks.service import record_booking_event

BOOKABLE_PLAN_STATUSES = {PlanStatus.planned, PlanStatus.cancelled, PlanStatus.missed}


class BookingConflict(Conflict):
    slug = "booking-conflict"
    title = "Staff member already booked"


@dataclass(frozen=True)
class Team:
    staff: list[Staff]
    units: dict[int, Unit]

    def has_nurse(self) -> bool:
        return any(s.profession == Profession.bhv_nurse for s in self.staff)

    def has_social_services(self) -> bool:
        return any(is_social_services(s, self.units[s.unit_id]) for s in self.staff)


def is_social_services(staff: Staff, unit: Unit) -> bool:
    return staff.profession == Profession.social_worker or unit.kind == UnitKind.social_services


def local_date(instant: datetime) -> date:
    return instant.astimezone(STOCKHOLM).date()


def etag(booking: Booking) -> str:
    return http_etag.etag(booking)


def check_if_match(booking: Booking, if_match: str | None, *, required: bool) -> None:
    http_etag.check_if_match(etag(booking), if_match, required=required, what="booking")


def get_booking(session: Session, booking_id: int) -> Booking:
    booking = session.get(
        Booking,
        booking_id,
        options=[
            selectinload(Booking.participants),
            selectinload(Booking.externals),
            selectinload(Booking.outcome),
        ],
    )
    if booking is None:
        raise NotFound(f"booking {booking_id} not found")
    return booking


def _team(session: Session, entries: Sequence[StaffParticipantIn] | Sequence[int]) -> Team:
    ids = [e if isinstance(e, int) else e.staff_id for e in entries]
    if len(set(ids)) != len(ids):
        raise InvalidInput.on("staff", "the same staff member is named twice")
    staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(ids)))}
    for index, staff_id in enumerate(ids):
        member = staff.get(staff_id)
        if member is None:
            raise InvalidInput.on(f"staff.{index}.staff_id", "no such staff member")
        if not member.active:
            raise InvalidInput.on(f"staff.{index}.staff_id", "staff member is not active")
    unit_ids = {s.unit_id for s in staff.values()}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    return Team(staff=[staff[i] for i in ids], units=units)


def _consent_in_force(family: Family, *days: date) -> None:
    for day in days:
        if not any(c.in_force_on(day) for c in family.consents):
            raise ConsentRequired(f"the family has no consent to joint visits in force on {day}")


def _busy(booking: Booking) -> tuple[datetime, datetime]:
    return (
        booking.starts_at - timedelta(minutes=booking.buffer_before_minutes),
        booking.ends_at + timedelta(minutes=booking.buffer_after_minutes),
    )


def _conflict_for(
    session: Session,
    staff: Sequence[Staff],
    busy: tuple[datetime, datetime],
    own_booking_id: int | None,
) -> BookingConflict | None:
    """The first staff member already busy in the interval, named without the other family."""
    start, end = busy
    stmt = (
        select(BookingParticipant)
        .where(
            BookingParticipant.staff_id.in_([s.id for s in staff]),
            BookingParticipant.active,
            BookingParticipant.busy_from < end,
            BookingParticipant.busy_to > start,
        )
        .order_by(BookingParticipant.busy_from)
        .limit(1)
    )
    if own_booking_id is not None:
        stmt = stmt.where(BookingParticipant.booking_id != own_booking_id)
    clash = session.scalar(stmt)
    if clash is None:
        return None
    member = next(s for s in staff if s.id == clash.staff_id)
    local_from = clash.busy_from.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    local_to = clash.busy_to.astimezone(STOCKHOLM).strftime("%H:%M")
    return BookingConflict(
        f"{member.given_name} {member.family_name} (staff {member.id}) is already booked "
        f"{local_from}–{local_to} (travel buffers included)",
        errors=[FieldError(field="staff", message=f"staff {member.id} is busy")],
    )


def _absence_conflict(
    session: Session, staff: Sequence[Staff], busy: tuple[datetime, datetime]
) -> None:
    start, end = busy
    absent = session.scalar(
        select(Absence.staff_id)
        .where(
            Absence.staff_id.in_([s.id for s in staff]),
            Absence.starts_at < end,
            Absence.ends_at > start,
        )
        .limit(1)
    )
    if absent is not None:
        raise BookingConflict(
            f"staff {absent} is absent at that time",
            errors=[FieldError(field="staff", message=f"staff {absent} is absent")],
        )


def _write_participants(session: Session, booking: Booking, team: Team) -> None:
    busy_from, busy_to = _busy(booking)
    conflict = _conflict_for(session, team.staff, (busy_from, busy_to), booking.id)
    if conflict is not None:
        raise conflict
    _absence_conflict(session, team.staff, (busy_from, busy_to))
    by_staff = {p.staff_id: p for p in booking.participants}
    booking.participants = [
        _participant(by_staff.get(s.id), s, busy_from, busy_to) for s in team.staff
    ]
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # The database's own guard (exclusion constraint / trigger) caught a concurrent writer.
        session.rollback()
        if not _is_overlap(exc):
            raise
        raise BookingConflict(
            "a staff member was booked by someone else at the same moment; pick another time",
            errors=[FieldError(field="staff", message="busy")],
        ) from None


def _participant(
    existing: BookingParticipant | None, staff: Staff, busy_from: datetime, busy_to: datetime
) -> BookingParticipant:
    row = existing or BookingParticipant(staff_id=staff.id, role=staff.profession.value)
    row.busy_from, row.busy_to, row.active = busy_from, busy_to, True
    return row


def _is_overlap(exc: IntegrityError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code == "23P01" or "booking_overlap" in str(exc.orig)


def _joint_flags(booking: Booking, team: Team, reason: str | None) -> None:
    booking.is_joint = team.has_nurse() and team.has_social_services()
    if booking.is_joint:
        booking.missing_profession_reason = None
        return
    if not reason:
        raise InvalidInput.on(
            "missing_profession_reason",
            "a joint visit needs a BHV nurse and a socialtjänst person (förordning 2025:74 §4); "
            "give a reason to book without both",
        )
    booking.missing_profession_reason = reason
    booking.needs_follow_up = True


def _event(booking: Booking, action: str, note: str | None = None) -> None:
    booking.events.append(
        BookingEvent(
            action=action,
            at=now_utc(),
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            staff_ids=[p.staff_id for p in booking.participants],
            note=note,
        )
    )
    # The webhook outbox row, in this same transaction (app/webhooks).
    record_booking_event(None, booking, action)


def _planned_visit(session: Session, planned_visit_id: int) -> tuple[PlannedVisit, Enrollment]:
    visit = session.get(
        PlannedVisit, planned_visit_id, options=[selectinload(PlannedVisit.template_visit)]
    )
    if visit is None:
        raise InvalidInput.on("planned_visit_id", "no such planned visit")
    enrollment = session.get_one(Enrollment, visit.enrollment_id)
    if enrollment.status != EnrollmentStatus.active:
        raise Conflict("the family's enrollment has ended")
    if visit.status not in BOOKABLE_PLAN_STATUSES:
        raise Conflict(f"the planned visit is {visit.status.value}; it cannot be booked again")
    return visit, enrollment


_LOCATION_FOR = {
    LocationKind.home: BookingLocation.home,
    LocationKind.clinic: BookingLocation.clinic,
    LocationKind.mhv_clinic: BookingLocation.mhv_clinic,
}


@rolls_back
def create_booking(session: Session, data: BookingIn, settings: Settings) -> Booking:
    """Book a planned visit or a follow-up visit in one transaction."""
    template_visit: TemplateVisit | None = None
    visit: PlannedVisit | None = None
    if data.planned_visit_id is not None:
        visit, enrollment = _planned_visit(session, data.planned_visit_id)
        template_visit = visit.template_visit
        family = session.get_one(Family, enrollment.family_id)
    else:
        assert data.family_id is not None
        found = session.get(Family, data.family_id)
        if found is None:
            raise InvalidInput.on("family_id", "no such family")
        family = found
        enrollment_or_none = session.scalar(
            select(Enrollment).where(
                Enrollment.family_id == family.id, Enrollment.status == EnrollmentStatus.active
            )
        )
        if enrollment_or_none is None:
            raise Conflict("follow-up visits are for families in the program")
        enrollment = enrollment_or_none
    _consent_in_force(family, local_date(data.starts_at), local_date(now_utc()))

    duration = timedelta(minutes=template_visit.default_duration_minutes if template_visit else 60)
    ends_at = data.ends_at or data.starts_at + duration
    if ends_at - data.starts_at > timedelta(hours=settings.max_booking_hours):
        raise InvalidInput.on("ends_at", f"a visit lasts at most {settings.max_booking_hours} h")
    location = data.location or (
        _LOCATION_FOR[template_visit.location_kind] if template_visit else BookingLocation.home
    )
    default_buffer = settings.home_visit_buffer_minutes if location == BookingLocation.home else 0
    team = _team(
        session,
        data.staff
        if data.staff is not None
        else [enrollment.nurse_id, enrollment.social_worker_id],
    )
    booking = Booking(
        uid=secrets.token_hex(16),
        family_id=family.id,
        planned_visit_id=visit.id if visit else None,
        kind=BookingKind.planned_visit if visit else BookingKind.follow_up,
        starts_at=data.starts_at,
        ends_at=ends_at,
        buffer_before_minutes=(
            data.buffer_before_minutes if data.buffer_before_minutes is not None else default_buffer
        ),
        buffer_after_minutes=(
            data.buffer_after_minutes if data.buffer_after_minutes is not None else default_buffer
        ),
        location=location,
        location_note=data.location_note,
        status=BookingStatus.booked,
        interpreter_language=family.interpreter_language,
        outside_window=bool(
            visit and not visit.window_start <= local_date(data.starts_at) <= visit.window_end
        ),
        externals=[ExternalParticipant(**e.model_dump()) for e in data.externals],
    )
    _joint_flags(booking, team, data.missing_profession_reason)
    if family.interpreter_language and not any(
        e.kind == ExternalKind.interpreter for e in booking.externals
    ):
        booking.externals.append(
            ExternalParticipant(kind=ExternalKind.interpreter, language=family.interpreter_language)
        )
    session.add(booking)
    _write_participants(session, booking, team)
    _event(booking, "booked")
    if visit is not None:
        visit.status = PlanStatus.booked
        visit.status_reason = None
    session.commit()
    return booking


@rolls_back
def reschedule(
    session: Session, booking_id: int, data: BookingChange, if_match: str | None
) -> Booking:
    booking = get_booking(session, booking_id)
    check_if_match(booking, if_match, required=True)
    if booking.status != BookingStatus.booked:
        raise Conflict(f"a {booking.status.value} booking cannot be moved")
    family = session.get_one(Family, booking.family_id)
    _consent_in_force(family, local_date(data.starts_at))
    ends_at = data.ends_at or data.starts_at + (booking.ends_at - booking.starts_at)
    team = _team(
        session,
        data.staff if data.staff is not None else [p.staff_id for p in booking.participants],
    )
    time_changed = (data.starts_at, ends_at) != (booking.starts_at, booking.ends_at)
    staff_changed = [s.id for s in team.staff] != [p.staff_id for p in booking.participants]
    booking.starts_at, booking.ends_at = data.starts_at, ends_at
    if data.location is not None:
        booking.location = data.location
    if data.location_note is not None:
        booking.location_note = data.location_note
    _joint_flags(booking, team, data.missing_profession_reason or booking.missing_profession_reason)
    if booking.planned_visit_id is not None:
        visit = session.get_one(PlannedVisit, booking.planned_visit_id)
        booking.outside_window = (
            not visit.window_start <= local_date(data.starts_at) <= visit.window_end
        )
    _write_participants(session, booking, team)
    if time_changed or staff_changed:
        booking.sequence += 1
    booking.version += 1
    _event(booking, "rescheduled")
    session.commit()
    return booking


def _close(booking: Booking, status: BookingStatus, *, release_staff: bool) -> None:
    booking.status = status
    booking.version += 1
    if release_staff:
        for participant in booking.participants:
            participant.active = False


@rolls_back
def cancel(session: Session, booking_id: int, data: BookingCancel, if_match: str | None) -> Booking:
    booking = get_booking(session, booking_id)
    check_if_match(booking, if_match, required=False)
    if booking.status != BookingStatus.booked:
        raise Conflict(f"a {booking.status.value} booking cannot be cancelled")
    _cancel(session, booking, data.reason, data.note)
    session.commit()
    return booking


def _cancel(session: Session, booking: Booking, reason: CancelReason, note: str | None) -> None:
    _close(booking, BookingStatus.cancelled, release_staff=True)
    booking.cancel_reason = reason
    booking.cancel_note = note
    booking.cancelled_at = now_utc()
    booking.sequence += 1
    _event(booking, "cancelled", f"{reason.value}: {note}" if note else reason.value)
    if booking.planned_visit_id is not None:
        visit = session.get_one(PlannedVisit, booking.planned_visit_id)
        # Staff-side cancellations leave the visit to be booked again; the family's are recorded.
        if reason in {CancelReason.family, CancelReason.consent_withdrawn}:
            visit.status = PlanStatus.cancelled
            visit.status_reason = f"cancelled: {reason.value}"
        else:
            visit.status = PlanStatus.planned
            visit.status_reason = None


@rolls_back
def no_show(session: Session, booking_id: int, data: NoShowIn, if_match: str | None) -> Booking:
    booking = get_booking(session, booking_id)
    check_if_match(booking, if_match, required=False)
    if booking.status != BookingStatus.booked:
        raise Conflict(f"a {booking.status.value} booking cannot be marked as no-show")
    if booking.starts_at > now_utc():
        raise Conflict("a visit that has not started cannot be a no-show")
    _close(booking, BookingStatus.no_show, release_staff=False)
    _event(booking, "no_show", data.note)
    if booking.planned_visit_id is not None:
        visit = session.get_one(PlannedVisit, booking.planned_visit_id)
        visit.status = PlanStatus.missed
        visit.status_reason = "the family was not at home"
    session.commit()
    return booking


@rolls_back
def record_outcome(
    session: Session, booking_id: int, data: OutcomeIn, if_match: str | None
) -> Booking:
    """Who took part and where; the KVÅ codes follow from the rules in kva.py."""
    booking = get_booking(session, booking_id)
    check_if_match(booking, if_match, required=False)
    if booking.status != BookingStatus.booked:
        raise Conflict(f"a {booking.status.value} booking cannot get an outcome")
    if booking.starts_at > now_utc():
        raise Conflict("record the outcome after the visit has started")
    team = _team(session, data.staff_ids)
    facts: set[VisitFact] = set()
    if team.has_social_services():
        facts.add(VisitFact.social_services_present)
    if data.held_at == BookingLocation.home:
        facts.add(VisitFact.home_visit)
    booking.outcome = outcome = Outcome(
        held_at=data.held_at,
        staff_ids=[s.id for s in team.staff],
        professions=sorted({s.profession.value for s in team.staff}),
        guardians_present=data.guardians_present,
        both_guardians_present=data.both_guardians_present,
        interpreter_used=data.interpreter_used,
        external_kinds=sorted({k.value for k in data.externals}),
        referrals=sorted({r.value for r in data.referrals}),
        kva_codes=derive_codes(facts),
        note=data.note,
    )
    # What the yearly reports count, fixed with the outcome.
    report_facts.record_visit_fact(
        session, booking, outcome, report_facts.team_facts(team.staff, team.units)
    )
    _close(booking, BookingStatus.completed, release_staff=False)
    _event(booking, "completed")
    if booking.planned_visit_id is not None:
        visit = session.get_one(PlannedVisit, booking.planned_visit_id)
        visit.status = PlanStatus.completed
        visit.status_reason = None
    session.commit()
    return booking


def cancel_future_joint_bookings(session: Session, family_id: int, since: datetime) -> list[int]:
    """Cancel the family's joint bookings from `since` on (consent withdrawn); no commit."""
    bookings = session.scalars(
        select(Booking)
        .where(
            Booking.family_id == family_id,
            Booking.status == BookingStatus.booked,
            Booking.is_joint,
            Booking.starts_at >= since,
        )
        .options(selectinload(Booking.participants))
        .order_by(Booking.starts_at)
    ).all()
    for booking in bookings:
        _cancel(session, booking, CancelReason.consent_withdrawn, "consent withdrawn")
    return [b.id for b in bookings]


def check_range(start: datetime, end: datetime, settings: Settings) -> None:
    if end <= start:
        raise InvalidInput.on("starts_to", "must be after starts_from")
    if end - start > timedelta(days=settings.max_list_range_days):
        raise InvalidInput.on(
            "starts_to", f"a range spans at most {settings.max_list_range_days} days"
        )


@dataclass(frozen=True)
class BookingFilters:
    staff_id: int | None = None
    unit_id: int | None = None
    family_id: int | None = None
    status: BookingStatus | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    visible_units: set[int] | None = None  # None: no limit (operator)


def bookings_query(filters: BookingFilters) -> Select[Booking]:
    stmt = select(Booking).options(
        selectinload(Booking.participants),
        selectinload(Booking.externals),
        selectinload(Booking.outcome),
    )
    if filters.staff_id is not None or filters.unit_id is not None:
        participants = select(BookingParticipant.booking_id).join(
            Staff, Staff.id == BookingParticipant.staff_id
        )
        if filters.staff_id is not None:
            participants = participants.where(BookingParticipant.staff_id == filters.staff_id)
        if filters.unit_id is not None:
            participants = participants.where(Staff.unit_id == filters.unit_id)
        stmt = stmt.where(Booking.id.in_(participants))
    if filters.family_id is not None:
        stmt = stmt.where(Booking.family_id == filters.family_id)
    if filters.visible_units is not None:
        stmt = stmt.where(
            Booking.family_id.in_(
                select(Family.id).where(Family.unit_id.in_(filters.visible_units))
            )
        )
    if filters.status is not None:
        stmt = stmt.where(Booking.status == filters.status)
    if filters.starts_from is not None:
        stmt = stmt.where(Booking.starts_at >= filters.starts_from)
    if filters.starts_to is not None:
        stmt = stmt.where(Booking.starts_at < filters.starts_to)
    return stmt


def list_bookings(
    session: Session, page: PageParams, settings: Settings, filters: BookingFilters
) -> tuple[Sequence[Booking], str | None]:
    if filters.starts_from is not None and filters.starts_to is not None:
        check_range(filters.starts_from, filters.starts_to, settings)
    return paginate(session, bookings_query(filters), Booking.id, page)


def kva_rows(
    session: Session,
    starts_from: datetime,
    starts_to: datetime,
    unit_id: int | None,
    visible_units: set[int] | None = None,
) -> list[KvaRow]:
    """One row per completed visit with its KVÅ codes, for registering in the journal system."""
    stmt = (
        select(Booking, Family, Unit)
        .join(Family, Family.id == Booking.family_id)
        .join(Unit, Unit.id == Family.unit_id)
        .where(
            Booking.status == BookingStatus.completed,
            Booking.starts_at >= starts_from,
            Booking.starts_at < starts_to,
        )
        .options(selectinload(Booking.outcome))
        .order_by(Booking.starts_at, Booking.id)
    )
    if unit_id is not None:
        stmt = stmt.where(Family.unit_id == unit_id)
    if visible_units is not None:
        stmt = stmt.where(Family.unit_id.in_(visible_units))
    rows = session.execute(stmt).all()
    staff_ids = {i for booking, _, _ in rows if booking.outcome for i in booking.outcome.staff_ids}
    hsa = {
        staff_id: hsa_id
        for staff_id, hsa_id in session.execute(
            select(Staff.id, Staff.hsa_id).where(Staff.id.in_(staff_ids))
        )
    }
    return [
        KvaRow(
            booking_id=booking.id,
            family_id=booking.family_id,
            visit_date=local_date(booking.starts_at).isoformat(),
            unit_hsa_id=unit.hsa_id,
            unit_name=unit.name,
            staff_hsa_ids=[h for i in booking.outcome.staff_ids if (h := hsa.get(i))],
            kva_codes=list(booking.outcome.kva_codes),
        )
        for booking, _family, unit in rows
        if booking.outcome is not None
    ]
