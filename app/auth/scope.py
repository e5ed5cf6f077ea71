"""What a caller may see: the families of its organization's BVCs and of their partners.

A region (or private provider) sees the families of its own BVC units; a municipality sees the
families of the BVCs its socialtjänst units collaborate with. Anything else answers 404, as if
it did not exist, so ids of other organizations' families reveal nothing.
"""

from fastapi import Depends, Request
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal, Role
from app.deps import SessionDep
from app.enrollments.models import Enrollment, PlannedVisit
from app.errors import Forbidden, InvalidInput, NotFound
from app.families.models import Family
from app.organizations.models import Collaboration, Organization, Unit, UnitKind
from app.scheduling.models import Booking


def visible_bvc_ids(session: Session, principal: Principal | None) -> set[int] | None:
    """The BVC unit ids whose families the caller may see; None means no limit (operator)."""
    if principal is None or principal.unrestricted:
        return None
    own = select(Unit.id).where(Unit.organization_id == principal.organization_id)
    bvcs = set(session.scalars(own.where(Unit.kind == UnitKind.bvc)))
    partners = session.scalars(
        select(Collaboration.bvc_unit_id).where(
            Collaboration.social_unit_id.in_(own), Collaboration.ended_on.is_(None)
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
