from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.clock import today_local
from app.crud import get_for_change, get_or_404
from app.db import rolls_back
from app.enrollments.models import Enrollment, EnrollmentStatus, PlannedVisit
from app.enrollments.schemas import (
    EnrollmentIn,
    EnrollmentOut,
    EnrollmentTeamChange,
    PlannedVisitOut,
    PlanOut,
)
from app.errors import Conflict, ConsentRequired, InvalidInput
from app.families.models import Child, Family, FamilyStatus
from app.organizations.models import Collaboration
from app.pagination import PageParams, paginate
from app.programs import service as programs
from app.programs.models import ProgramTemplate
from app.programs.plan import (
    OPEN_STATUSES,
    ChildDates,
    PlanRuleError,
    PlanStatus,
    fifth_birthday,
    plan_visit,
)
from app.scheduling.models import Booking, BookingStatus
from app.staff.models import Staff
from app.staff.profession import Profession


def get_enrollment(session: Session, enrollment_id: int) -> Enrollment:
    return get_or_404(session, Enrollment, enrollment_id, "enrollment")


def child_dates(child: Child) -> ChildDates:
    return ChildDates(expected_due_date=child.expected_due_date, birth_date=child.birth_date)


def _team_member(session: Session, staff_id: int, profession: Profession, field: str) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise InvalidInput.on(field, "no such staff member")
    if staff.profession != profession:
        raise InvalidInput.on(field, f"must be a {profession.value}")
    if not staff.active:
        raise InvalidInput.on(field, "staff member is not active")
    return staff


def _check_team(session: Session, family: Family, nurse_id: int, social_worker_id: int) -> None:
    nurse = _team_member(session, nurse_id, Profession.bhv_nurse, "nurse_id")
    if nurse.unit_id != family.unit_id:
        raise InvalidInput.on("nurse_id", "the nurse must work at the family's BVC")
    social = _team_member(session, social_worker_id, Profession.social_worker, "social_worker_id")
    collaborates = session.scalar(
        select(Collaboration.id).where(
            Collaboration.bvc_unit_id == family.unit_id,
            Collaboration.social_unit_id == social.unit_id,
            Collaboration.in_force_on(today_local()),
        )
    )
    if collaborates is None:
        raise InvalidInput.on(
            "social_worker_id",
            "the social worker's unit does not collaborate with the family's BVC",
        )


def _index_child(family: Family, child_id: int | None) -> Child:
    if child_id is None:
        if not family.children:
            raise InvalidInput.on("index_child_id", "the family has no child registered")
        # The youngest child (twins: the first registered) anchors the plan.
        return max(family.children, key=lambda c: (c.birth_date or c.expected_due_date, -c.id))
    for child in family.children:
        if child.id == child_id:
            return child
    raise InvalidInput.on("index_child_id", "not a child of this family")


def _planned_visits(
    template: ProgramTemplate, child: Child, enrolled_on: date
) -> list[PlannedVisit]:
    dates = child_dates(child)
    visits = []
    for index, template_visit in enumerate(template.visits):
        try:
            state = plan_visit(template_visit.rule(), dates, enrolled_on=enrolled_on)
        except PlanRuleError as exc:
            raise InvalidInput.on(f"template.visits.{index}.{exc.field}", exc.message) from None
        visits.append(
            PlannedVisit(
                template_visit_id=template_visit.id,
                sequence=template_visit.sequence,
                window_start=state.window.start,
                window_end=state.window.end,
                ideal_date=state.window.ideal,
                provisional=state.window.provisional,
                status=state.status,
                status_reason=state.reason,
            )
        )
    return visits


@rolls_back
def enroll(session: Session, data: EnrollmentIn) -> Enrollment:
    """Enrol a family: consent in force, a valid team, and the plan of every visit."""
    family = session.get(Family, data.family_id)
    if family is None:
        raise InvalidInput.on("family_id", "no such family")
    if family.status not in {FamilyStatus.offered, FamilyStatus.discontinued}:
        raise Conflict(f"a family that is {family.status.value} cannot be enrolled")
    enrolled_on = data.enrolled_on or today_local()
    if not any(c.in_force_on(enrolled_on) for c in family.consents):
        raise ConsentRequired("the family has no consent to joint visits in force")
    child = _index_child(family, data.index_child_id)
    limit = fifth_birthday(child_dates(child))
    if limit is not None and enrolled_on >= limit:
        raise InvalidInput.on("index_child_id", "the child is five or older: outside the program")
    template = (
        programs.get_template(session, data.template_id)
        if data.template_id is not None
        else programs.default_template(session)
    )
    if not template.is_current:
        raise InvalidInput.on("template_id", "enrol on the current version of the template")
    _check_team(session, family, data.nurse_id, data.social_worker_id)
    enrollment = Enrollment(
        family_id=family.id,
        template_id=template.id,
        index_child_id=child.id,
        nurse_id=data.nurse_id,
        social_worker_id=data.social_worker_id,
        enrolled_on=enrolled_on,
        visits=_planned_visits(template, child, enrolled_on),
    )
    session.add(enrollment)
    family.status = FamilyStatus.enrolled
    family.enrolled_on = enrolled_on
    session.commit()
    return enrollment


@rolls_back
def change_team(
    session: Session, enrollment_id: int, data: EnrollmentTeamChange, if_match: str | None
) -> Enrollment:
    enrollment = get_for_change(session, Enrollment, enrollment_id, "enrollment", if_match)
    family = session.get_one(Family, enrollment.family_id)
    nurse_id = data.nurse_id or enrollment.nurse_id
    social_worker_id = data.social_worker_id or enrollment.social_worker_id
    _check_team(session, family, nurse_id, social_worker_id)
    enrollment.nurse_id = nurse_id
    enrollment.social_worker_id = social_worker_id
    session.commit()
    return enrollment


def reanchor_for_child(session: Session, child: Child) -> None:
    """Recompute the open windows of every active plan anchored on this child (no commit)."""
    enrollments = session.scalars(
        select(Enrollment)
        .where(Enrollment.index_child_id == child.id, Enrollment.status == EnrollmentStatus.active)
        .options(selectinload(Enrollment.visits).selectinload(PlannedVisit.template_visit))
    ).all()
    dates = child_dates(child)
    for enrollment in enrollments:
        for visit in enrollment.visits:
            if visit.status not in OPEN_STATUSES:
                continue
            try:
                state = plan_visit(
                    visit.template_visit.rule(),
                    dates,
                    enrolled_on=enrollment.enrolled_on,
                    current=visit.status,
                )
            except PlanRuleError as exc:
                raise InvalidInput.on(exc.field, exc.message) from None
            visit.window_start = state.window.start
            visit.window_end = state.window.end
            visit.ideal_date = state.window.ideal
            visit.provisional = state.window.provisional
            visit.status = state.status
            visit.status_reason = state.reason


def end_active_enrollment(session: Session, family_id: int, outcome: str, on: date) -> None:
    """Close the family's active plan: open visits become cancelled (no commit)."""
    enrollment = session.scalar(
        select(Enrollment).where(
            Enrollment.family_id == family_id, Enrollment.status == EnrollmentStatus.active
        )
    )
    if enrollment is None:
        return
    enrollment.status = EnrollmentStatus(outcome)
    enrollment.ended_on = on
    for visit in enrollment.visits:
        if visit.status in OPEN_STATUSES:
            visit.status = PlanStatus.cancelled
            visit.status_reason = f"family {outcome} the program"


def plan(session: Session, enrollment_id: int) -> PlanOut:
    enrollment = get_or_404(
        session,
        Enrollment,
        enrollment_id,
        "enrollment",
        options=[
            selectinload(Enrollment.visits).selectinload(PlannedVisit.template_visit),
            selectinload(Enrollment.template),
        ],
    )
    family = session.get_one(Family, enrollment.family_id)
    # The latest booking of each visit that is not cancelled (a rebooked visit has several).
    bookings = {
        b.planned_visit_id: b
        for b in session.scalars(
            select(Booking)
            .where(
                Booking.planned_visit_id.in_([v.id for v in enrollment.visits]),
                Booking.status != BookingStatus.cancelled,
            )
            .order_by(Booking.id)
        )
    }
    visits = [
        PlannedVisitOut(
            id=v.id,
            sequence=v.sequence,
            name=v.template_visit.name,
            theme=v.template_visit.theme,
            location_kind=v.template_visit.location_kind,
            required_professions=[Profession(p) for p in v.template_visit.required_professions],
            is_ordinary=v.template_visit.is_ordinary,
            default_duration_minutes=v.template_visit.default_duration_minutes,
            window_start=v.window_start,
            window_end=v.window_end,
            ideal_date=v.ideal_date,
            provisional=v.provisional,
            status=v.status,
            status_reason=v.status_reason,
            booking_id=(b := bookings.get(v.id)) and b.id,
            booking_starts_at=b and b.starts_at,
            booking_status=b and b.status,
        )
        for v in enrollment.visits
    ]
    return PlanOut(
        enrollment=EnrollmentOut.model_validate(enrollment),
        family_reference_code=family.reference_code,
        template_key=enrollment.template.key,
        template_version=enrollment.template.version,
        template_name=enrollment.template.name,
        visits=visits,
    )


def list_enrollments(
    session: Session,
    page: PageParams,
    family_id: int | None = None,
    staff_id: int | None = None,
    status: EnrollmentStatus | None = None,
    visible_units: set[int] | None = None,
) -> tuple[Sequence[Enrollment], str | None]:
    stmt = select(Enrollment)
    if visible_units is not None:
        stmt = stmt.join(Family, Family.id == Enrollment.family_id).where(
            Family.unit_id.in_(visible_units)
        )
    if family_id is not None:
        stmt = stmt.where(Enrollment.family_id == family_id)
    if staff_id is not None:
        stmt = stmt.where(
            (Enrollment.nurse_id == staff_id) | (Enrollment.social_worker_id == staff_id)
        )
    if status is not None:
        stmt = stmt.where(Enrollment.status == status)
    return paginate(session, stmt, Enrollment.id, page)
