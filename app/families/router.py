from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal
from app.auth.scope import (
    FamilyScope,
    require_visible_unit,
    sees_identity_numbers,
    sees_protected_address,
    visible_bvc_ids,
)
from app.deps import PageDep, SessionDep
from app.enrollments.models import Enrollment, EnrollmentStatus
from app.families import service
from app.families.models import Family, FamilyStatus
from app.families.schemas import (
    ChildIn,
    ChildOut,
    ChildPatch,
    ConsentIn,
    ConsentOut,
    ConsentWithdrawal,
    ConsentWithdrawalOut,
    FamilyIn,
    FamilyOut,
    FamilyPatch,
    FamilySummary,
    GuardianIn,
    GuardianOut,
    GuardianPatch,
    StatusChange,
)
from app.http.etag import IfMatch, etag, set_etag
from app.pagination import Page

router = APIRouter(tags=["families"])


def family_out(session: Session, principal: Principal, family: Family) -> FamilyOut:
    """The family as this caller may see it: no identity numbers for socialtjänst, and a
    protected family's address only for the family's own team."""
    out = FamilyOut.model_validate(family)
    if not sees_identity_numbers(principal):
        for guardian in out.guardians:
            guardian.identity_number = None
        for child in out.children:
            child.identity_number = None
    if family.protected_identity:
        team = set(
            session.execute(
                select(Enrollment.nurse_id, Enrollment.social_worker_id).where(
                    Enrollment.family_id == family.id,
                    Enrollment.status == EnrollmentStatus.active,
                )
            ).one_or_none()
            or ()
        )
        if not sees_protected_address(principal, team):
            out.street_address = out.postal_code = out.city = None
    return out


@router.post("/families", status_code=status.HTTP_201_CREATED)
def create_family(
    body: FamilyIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> FamilyOut:
    require_visible_unit(session, principal, body.unit_id, "unit_id")
    family = service.create_family(session, body)
    audit.record_reads(session, request, principal, [family.id], "family", action="create")
    return family_out(session, principal, family)


@router.get("/families")
def list_families(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    request: Request,
    unit_id: int | None = None,
    status: FamilyStatus | None = None,
) -> Page[FamilySummary]:
    visible = visible_bvc_ids(session, principal)
    rows, cursor = service.list_families(session, page, unit_id, status, visible)
    audit.record_reads(session, request, principal, [r.id for r in rows], "family")
    return Page(items=[FamilySummary.model_validate(r) for r in rows], next_cursor=cursor)


def _family_etag(response: Response, session: Session, family_id: int) -> None:
    """Guardians, children and consents are parts of the family: they share its ETag."""
    set_etag(response, etag(service.get_family(session, family_id)))


@router.get("/families/{family_id}", dependencies=[FamilyScope])
def get_family(
    family_id: int, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> FamilyOut:
    family = service.get_family(session, family_id)
    set_etag(response, etag(family))
    return family_out(session, principal, family)


@router.patch("/families/{family_id}", dependencies=[FamilyScope])
def update_family(
    family_id: int,
    body: FamilyPatch,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> FamilyOut:
    """Change a family (If-Match required: 428 without it, 412 when stale); it moves only to a
    BVC whose families the caller sees."""
    if body.unit_id is not None:
        require_visible_unit(session, principal, body.unit_id, "unit_id")
    family = service.update_family(session, family_id, body, if_match)
    set_etag(response, etag(family))
    return family_out(session, principal, family)


@router.post("/families/{family_id}/status", dependencies=[FamilyScope])
def change_family_status(
    family_id: int,
    body: StatusChange,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> FamilyOut:
    """Record that the family declined, completed or left the program (with date and reason)."""
    family = service.change_status(session, family_id, body, if_match)
    set_etag(response, etag(family))
    return family_out(session, principal, family)


@router.post(
    "/families/{family_id}/guardians",
    status_code=status.HTTP_201_CREATED,
    dependencies=[FamilyScope],
)
def add_guardian(
    family_id: int,
    body: GuardianIn,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> GuardianOut:
    guardian = service.add_guardian(session, family_id, body, if_match)
    _family_etag(response, session, family_id)
    return GuardianOut.model_validate(guardian)


@router.patch("/families/{family_id}/guardians/{guardian_id}", dependencies=[FamilyScope])
def update_guardian(
    family_id: int,
    guardian_id: int,
    body: GuardianPatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> GuardianOut:
    """Change a guardian (If-Match with the family's ETag required)."""
    guardian = service.update_guardian(session, family_id, guardian_id, body, if_match)
    _family_etag(response, session, family_id)
    return GuardianOut.model_validate(guardian)


@router.post(
    "/families/{family_id}/children",
    status_code=status.HTTP_201_CREATED,
    dependencies=[FamilyScope],
)
def add_child(
    family_id: int,
    body: ChildIn,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ChildOut:
    child = service.add_child(session, family_id, body, if_match)
    _family_etag(response, session, family_id)
    return ChildOut.model_validate(child)


@router.patch("/families/{family_id}/children/{child_id}", dependencies=[FamilyScope])
def update_child(
    family_id: int,
    child_id: int,
    body: ChildPatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ChildOut:
    """Update a child (If-Match with the family's ETag required). A birth date re-anchors the
    plan; a personnummer replaces a reservnummer."""
    child = service.update_child(session, family_id, child_id, body, if_match)
    _family_etag(response, session, family_id)
    return ChildOut.model_validate(child)


@router.post(
    "/families/{family_id}/consents",
    status_code=status.HTTP_201_CREATED,
    dependencies=[FamilyScope],
)
def add_consent(
    family_id: int,
    body: ConsentIn,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ConsentOut:
    consent = service.add_consent(session, family_id, body, if_match)
    _family_etag(response, session, family_id)
    return ConsentOut.model_validate(consent)


@router.post("/families/{family_id}/consents/{consent_id}/withdrawal", dependencies=[FamilyScope])
def withdraw_consent(
    family_id: int,
    consent_id: int,
    body: ConsentWithdrawal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ConsentWithdrawalOut:
    consent, cancelled = service.withdraw_consent(session, family_id, consent_id, body, if_match)
    _family_etag(response, session, family_id)
    return ConsentWithdrawalOut(
        **ConsentOut.model_validate(consent).model_dump(), cancelled_booking_ids=cancelled
    )
