"""What a caller may see: the families of its organization's BVCs and of their partners.

A region (or private provider) sees the families of its own BVC units; a municipality sees the
families of the BVCs its socialtjänst units collaborate with. Anything else answers 404, as if
it did not exist, so ids of other organizations' families reveal nothing.
"""

from collections.abc import Sequence
from datetime import date
from enum import Enum

from fastapi import Depends, Request
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from app.audit import service as audit
from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal, Role
from app.auth.principal import Scope as AuthScope
from app.availability.models import ClosedDay
from app.calendar.models import CalendarToken
from app.clock import today_local
from app.deps import SessionDep
from app.enrollments.models import Enrollment, PlannedVisit
from app.errors import Forbidden, InvalidInput, NotFound
from app.families.models import Family
from app.organizations.models import Collaboration, Organization, Unit, UnitKind
from app.scheduling.models import Booking
from app.staff.models import Staff


def visible_bvc_ids(session: Session, principal: Principal | None) -> set[int] | None:
    """The BVC unit ids whose families the caller may see; None means no limit (operator)."""
    if principal is None or principal.unrestricted:
        return None
    own = select(Unit.id).where(Unit.organization_id == principal.organization_id)
    bvcs = set(session.scalars(own.where(Unit.kind == UnitKind.bvc)))
    partners = session.scalars(
        select(Collaboration.bvc_unit_id).where(
            Collaboration.social_unit_id.in_(own), Collaboration.in_force_on(today_local())
        )
    )
    return bvcs | set(partners)


def sees_identity_numbers(principal: Principal | None) -> bool:
    """Personnummer are for the BVC side (health care); socialtjänst works without them."""
    return principal is None or principal.unrestricted or principal.role is not Role.social_worker


def sees_protected_address(principal: Principal | None, team_staff_ids: set[int]) -> bool:
    """A protected family's address only for its own nurse and social worker."""
    if principal is None or principal.unrestricted:
        return True
    return principal.staff_id is not None and principal.staff_id in team_staff_ids


def _audit(
    request: Request,
    session: Session,
    principal: Principal,
    family_id: int,
    object_type: str,
    object_id: int,
) -> None:
    """Log the access in the request's transaction: reads commit now, writes with the change."""
    audit.record(
        session,
        request,
        principal,
        family_id=family_id,
        object_type=object_type,
        object_id=object_id,
    )
    if request.method in audit.READ_METHODS:
        session.commit()


def _guard(
    request: Request,
    session: Session,
    principal: Principal,
    families: Select[int, int],
    object_type: str,
    object_id: int,
) -> None:
    """404 unless the object's family (selected as family id, BVC unit id) is visible; audit it."""
    row = session.execute(families).first()
    if row is None or not _visible(session, principal, row[1]):
        raise NotFound(f"{object_type.replace('_', ' ')} {object_id} not found")
    _audit(request, session, principal, row[0], object_type, object_id)


def family_in_scope(
    family_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> None:
    """Path dependency: 404 for a family outside the caller's organization and partners."""
    families = select(Family.id, Family.unit_id).where(Family.id == family_id)
    _guard(request, session, principal, families, "family", family_id)


def enrollment_in_scope(
    enrollment_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> None:
    families = (
        select(Family.id, Family.unit_id)
        .join(Enrollment, Enrollment.family_id == Family.id)
        .where(Enrollment.id == enrollment_id)
    )
    _guard(request, session, principal, families, "enrollment", enrollment_id)


def planned_visit_in_scope(
    planned_visit_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> None:
    families = (
        select(Family.id, Family.unit_id)
        .join(Enrollment, Enrollment.family_id == Family.id)
        .join(PlannedVisit, PlannedVisit.enrollment_id == Enrollment.id)
        .where(PlannedVisit.id == planned_visit_id)
    )
    _guard(request, session, principal, families, "planned_visit", planned_visit_id)


def booking_in_scope(
    booking_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> None:
    families = (
        select(Family.id, Family.unit_id)
        .join(Booking, Booking.family_id == Family.id)
        .where(Booking.id == booking_id)
    )
    _guard(request, session, principal, families, "booking", booking_id)


def _visible(session: Session, principal: Principal, unit_id: int) -> bool:
    scope = visible_bvc_ids(session, principal)
    return scope is None or unit_id in scope


def require_visible_family(
    request: Request, session: Session, principal: Principal, family_id: int, field: str
) -> None:
    """For bodies naming a family: out of scope reads as 'no such family' (422), not 403."""
    unit_id = session.scalar(select(Family.unit_id).where(Family.id == family_id))
    if unit_id is None or not _visible(session, principal, unit_id):
        raise InvalidInput.on(field, "no such family")
    _audit(request, session, principal, family_id, "family", family_id)


def require_visible_planned_visit(
    request: Request, session: Session, principal: Principal, visit_id: int
) -> None:
    try:
        planned_visit_in_scope(visit_id, request, session, principal)
    except NotFound:
        raise InvalidInput.on("planned_visit_id", "no such planned visit") from None


def require_visible_unit(session: Session, principal: Principal, unit_id: int, field: str) -> None:
    if not _visible(session, principal, unit_id):
        raise InvalidInput.on(field, "no such unit")


FamilyScope = Depends(family_in_scope)
EnrollmentScope = Depends(enrollment_in_scope)
PlannedVisitScope = Depends(planned_visit_in_scope)
BookingScope = Depends(booking_in_scope)


def organization_for(
    session: Session, principal: Principal, requested: int | None, what: str
) -> int:
    """The organization a new account, key or subscription belongs to: the caller's own; the
    operator must name one."""
    if principal.unrestricted:
        if requested is None:
            raise InvalidInput.on("organization_id", "required")
        if session.get(Organization, requested) is None:
            raise InvalidInput.on("organization_id", "no such organization")
        return requested
    assert principal.organization_id is not None
    if requested is not None and requested != principal.organization_id:
        raise Forbidden(f"{what} are created for your own organization only")
    return principal.organization_id


# The directory and the schedules around it.
#
# Organizations, units and collaborations are a public directory: every role reads them, and an
# organization changes only its own entries (403 for another's, which is no secret). Staff, their
# availability and their units' blocked times are seen by the caller's organization and its
# partners (organizations with a unit in an active collaboration with one of the caller's units:
# a nurse books a social worker of the partner socialtjänst, and vice versa); they are changed
# by the caller's own organization only (403 for a partner's, 404 for anyone else's).


def partner_organization_ids(session: Session, principal: Principal | None) -> set[int] | None:
    """The caller's organization and the organizations it runs the program with; None means
    no limit (operator)."""
    if principal is None or principal.unrestricted:
        return None
    own = principal.organization_id
    assert own is not None
    bvc, social = aliased(Unit), aliased(Unit)
    pairs = session.execute(
        select(bvc.organization_id, social.organization_id)
        .select_from(Collaboration)
        .join(bvc, bvc.id == Collaboration.bvc_unit_id)
        .join(social, social.id == Collaboration.social_unit_id)
        .where(
            or_(bvc.organization_id == own, social.organization_id == own),
            Collaboration.in_force_on(today_local()),
        )
    )
    return {own} | {organization for pair in pairs for organization in pair}


class Reach(Enum):
    """How far an object is from the caller: its own organization's, a partner's, or neither."""

    own = "own"
    partner = "partner"
    none = "none"


def _reach(session: Session, principal: Principal, organization_id: int) -> Reach:
    if principal.unrestricted or organization_id == principal.organization_id:
        return Reach.own
    partners = partner_organization_ids(session, principal)
    return Reach.partner if partners is not None and organization_id in partners else Reach.none


def _staff_organization(session: Session, staff_id: int) -> int | None:
    return session.scalar(
        select(Unit.organization_id)
        .join(Staff, Staff.unit_id == Unit.id)
        .where(Staff.id == staff_id)
    )


def _unit_organization(session: Session, unit_id: int) -> int | None:
    return session.scalar(select(Unit.organization_id).where(Unit.id == unit_id))


def _read_or_change(
    session: Session,
    principal: Principal,
    organization_id: int | None,
    change: bool,
    what: str,
) -> None:
    """404 unless own or a partner's; for a change also 403 unless own."""
    reach = Reach.none if organization_id is None else _reach(session, principal, organization_id)
    if reach is Reach.none:
        raise NotFound(f"{what} not found")
    if change and reach is not Reach.own:
        raise Forbidden(f"{what} belongs to a partner organization: only it changes it")


def staff_readable(staff_id: int, session: SessionDep, principal: CurrentPrincipal) -> None:
    """Path dependency: a staff member (and their availability) of the caller's organization
    or a partner's; anyone else's is 404."""
    organization = _staff_organization(session, staff_id)
    _read_or_change(session, principal, organization, False, f"staff member {staff_id}")


def staff_changeable(staff_id: int, session: SessionDep, principal: CurrentPrincipal) -> None:
    """Path dependency: 404 as for reading, then 403 for a partner's staff member."""
    organization = _staff_organization(session, staff_id)
    _read_or_change(session, principal, organization, True, f"staff member {staff_id}")


def unit_schedule_readable(unit_id: int, session: SessionDep, principal: CurrentPrincipal) -> None:
    """Path dependency for a unit's blocked times: they follow its staff's visibility."""
    organization = _unit_organization(session, unit_id)
    _read_or_change(session, principal, organization, False, f"unit {unit_id}")


def unit_schedule_changeable(
    unit_id: int, session: SessionDep, principal: CurrentPrincipal
) -> None:
    organization = _unit_organization(session, unit_id)
    _read_or_change(session, principal, organization, True, f"unit {unit_id}")


def _own_or_403(principal: Principal, organization_id: int, what: str) -> None:
    if not principal.unrestricted and organization_id != principal.organization_id:
        raise Forbidden(f"{what} of another organization is not yours to change")


def organization_changeable(
    organization_id: int, session: SessionDep, principal: CurrentPrincipal
) -> None:
    """Path dependency: the directory is public, so another organization's entry is 403."""
    if session.get(Organization, organization_id) is None:
        raise NotFound(f"organization {organization_id} not found")
    _own_or_403(principal, organization_id, "an organization")


def unit_changeable(unit_id: int, session: SessionDep, principal: CurrentPrincipal) -> None:
    organization = _unit_organization(session, unit_id)
    if organization is None:
        raise NotFound(f"unit {unit_id} not found")
    _own_or_403(principal, organization, "a unit")


def require_collaboration_owner(session: Session, principal: Principal, bvc_unit_id: int) -> None:
    """A collaboration opens the BVC's families to the socialtjänst side, so the BVC's
    organization makes it (403: the directory is public). A missing unit is left to the
    service (422 naming the field)."""
    organization = _unit_organization(session, bvc_unit_id)
    if principal.unrestricted or organization is None:
        return
    if organization != principal.organization_id:
        raise Forbidden("a collaboration is made by the organization of its BVC")


def collaboration_changeable(
    collaboration_id: int, session: SessionDep, principal: CurrentPrincipal
) -> None:
    """Path dependency: 404 when missing, 403 unless the caller's organization runs a unit of it
    (the change itself is checked by require_collaboration_change)."""
    collaboration = session.get(Collaboration, collaboration_id)
    if collaboration is None:
        raise NotFound(f"collaboration {collaboration_id} not found")
    parties = {
        _unit_organization(session, u)
        for u in (collaboration.bvc_unit_id, collaboration.social_unit_id)
    }
    if not principal.unrestricted and principal.organization_id not in parties:
        raise Forbidden("a collaboration is changed by the organizations of its units")


def require_collaboration_change(
    session: Session, principal: Principal, collaboration_id: int, ended_on: date | None
) -> None:
    """The BVC's organization changes its collaboration freely; the socialtjänst side may only
    end it sooner (it must not reopen or prolong access to the BVC's families)."""
    collaboration = session.get_one(Collaboration, collaboration_id)
    if principal.unrestricted:
        return
    if _unit_organization(session, collaboration.bvc_unit_id) == principal.organization_id:
        return
    current = collaboration.ended_on
    if ended_on is None or (current is not None and ended_on > current):
        raise Forbidden(
            "the socialtjänst side may only end a collaboration, not reopen or extend it"
        )


def report_organization(principal: Principal, requested: int | None) -> int | None:
    """Whose report: the caller's own organization (the default); the whole country or another
    organization only for the operator (403: organizations are a public directory)."""
    if principal.unrestricted:
        return requested
    if requested is not None and requested != principal.organization_id:
        raise Forbidden("reports are for your own organization")
    return principal.organization_id


def operator_only(principal: CurrentPrincipal) -> None:
    """Route dependency: new organizations come from the operator (CLI or operator session)."""
    if not principal.unrestricted:
        raise Forbidden("organizations are created by the operator")


def require_own_organization(
    session: Session, principal: Principal, organization_id: int, field: str
) -> None:
    """For bodies naming an organization to create something in: 422 when it does not exist,
    403 when it is another's (the directory is public)."""
    if session.get(Organization, organization_id) is None:
        raise InvalidInput.on(field, "no such organization")
    _own_or_403(principal, organization_id, "the directory")


def own_unit_ids(session: Session, principal: Principal | None) -> set[int] | None:
    """The units of the caller's own organization; None means no limit (operator)."""
    if principal is None or principal.unrestricted:
        return None
    own = select(Unit.id).where(Unit.organization_id == principal.organization_id)
    return set(session.scalars(own))


def require_own_unit(session: Session, principal: Principal, unit_id: int, field: str) -> None:
    """For bodies placing staff in a unit: only the caller's own organization's units."""
    organization = _unit_organization(session, unit_id)
    if organization is None:
        raise InvalidInput.on(field, "no such unit")
    if not principal.unrestricted and organization != principal.organization_id:
        raise InvalidInput.on(field, "not a unit of your organization")


def _first_invisible_staff(
    session: Session, principal: Principal, staff_ids: Sequence[int]
) -> int | None:
    """The index of the first staff member outside the caller's organization and partners."""
    partners = partner_organization_ids(session, principal)
    if partners is None or not staff_ids:
        return None
    rows = session.execute(
        select(Staff.id, Unit.organization_id)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.id.in_(staff_ids))
    )
    organization_of = {row.id: row.organization_id for row in rows}
    return next(
        (i for i, s in enumerate(staff_ids) if organization_of.get(s) not in partners), None
    )


def require_visible_staff(
    session: Session, principal: Principal, staff_ids: Sequence[int], field: str
) -> None:
    """For queries naming staff: another organization's reads as 'no active staff member'."""
    index = _first_invisible_staff(session, principal, staff_ids)
    if index is not None:
        raise InvalidInput.on(field, f"no active staff member {staff_ids[index]}")


def require_visible_participants(
    session: Session, principal: Principal, participants: Sequence[int] | None
) -> None:
    """For a booking's staff list: another organization's member reads as 'no such staff
    member', as the service says for a missing one."""
    index = _first_invisible_staff(session, principal, participants or [])
    if index is not None:
        raise InvalidInput.on(f"staff.{index}.staff_id", "no such staff member")


def _manages_feed(
    session: Session,
    principal: Principal,
    staff_id: int | None = None,
    unit_id: int | None = None,
) -> bool:
    """A feed's secret is handed out to its own organization only: a coordinator for anyone of
    it, a nurse or social worker for themselves and their own unit."""
    if principal.unrestricted:
        return True
    if staff_id is not None:
        organization = _staff_organization(session, staff_id)
    else:
        assert unit_id is not None
        organization = _unit_organization(session, unit_id)
    if organization is None or organization != principal.organization_id:
        return False
    if principal.can(AuthScope.admin):
        return True
    if principal.staff_id is None:
        return False
    if staff_id is not None:
        return staff_id == principal.staff_id
    return session.scalar(select(Staff.unit_id).where(Staff.id == principal.staff_id)) == unit_id


def staff_feed_manageable(staff_id: int, session: SessionDep, principal: CurrentPrincipal) -> None:
    if not _manages_feed(session, principal, staff_id=staff_id):
        raise NotFound(f"staff member {staff_id} not found")


def unit_feed_manageable(unit_id: int, session: SessionDep, principal: CurrentPrincipal) -> None:
    if not _manages_feed(session, principal, unit_id=unit_id):
        raise NotFound(f"unit {unit_id} not found")


def calendar_token_manageable(
    token_id: int, session: SessionDep, principal: CurrentPrincipal
) -> None:
    token = session.get(CalendarToken, token_id)
    if token is None or not _manages_feed(
        session, principal, staff_id=token.staff_id, unit_id=token.unit_id
    ):
        raise NotFound(f"calendar token {token_id} not found")


def closed_day_organization(
    session: Session, principal: Principal, requested: int | None
) -> int | None:
    """The organization a new closed day belongs to: none (everyone's) only from the operator;
    a user's day is their own organization's unless they name it."""
    if principal.unrestricted:
        return requested
    assert principal.organization_id is not None
    if requested is None:
        return principal.organization_id
    if session.get(Organization, requested) is None:
        raise InvalidInput.on("organization_id", "no such organization")
    _own_or_403(principal, requested, "a closed day")
    return requested


def closed_day_changeable(
    closed_day_id: int, session: SessionDep, principal: CurrentPrincipal
) -> None:
    """Everyone's days and partners' days are seen but not changed (403); others' are 404."""
    closed_day = session.get(ClosedDay, closed_day_id)
    if closed_day is None:
        raise NotFound(f"closed day {closed_day_id} not found")
    if closed_day.organization_id is None:
        if not principal.unrestricted:
            raise Forbidden("closed days for everyone are changed by the operator")
        return
    _read_or_change(
        session, principal, closed_day.organization_id, True, f"closed day {closed_day_id}"
    )


StaffReadable = Depends(staff_readable)
StaffChangeable = Depends(staff_changeable)
UnitScheduleReadable = Depends(unit_schedule_readable)
UnitScheduleChangeable = Depends(unit_schedule_changeable)
OrganizationChangeable = Depends(organization_changeable)
UnitChangeable = Depends(unit_changeable)
CollaborationChangeable = Depends(collaboration_changeable)
OperatorOnly = Depends(operator_only)
StaffFeedManageable = Depends(staff_feed_manageable)
UnitFeedManageable = Depends(unit_feed_manageable)
CalendarTokenManageable = Depends(calendar_token_manageable)
ClosedDayChangeable = Depends(closed_day_changeable)
