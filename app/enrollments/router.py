from fastapi import APIRouter, Request, Response, status

from app.audit import service as audit
from app.auth.deps import CurrentPrincipal
from app.auth.scope import EnrollmentScope, require_visible_family, visible_bvc_ids
from app.deps import PageDep, SessionDep
from app.enrollments import service
from app.enrollments.models import EnrollmentStatus
from app.enrollments.schemas import EnrollmentIn, EnrollmentOut, EnrollmentTeamChange, PlanOut
from app.http.etag import IfMatch, etag, set_etag
from app.pagination import Page

router = APIRouter(tags=["enrollments"])


@router.post("/enrollments", status_code=status.HTTP_201_CREATED)
def enroll(
    body: EnrollmentIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> PlanOut:
    """Enrol a family (consent in force required) and return its visit plan."""
    require_visible_family(request, session, principal, body.family_id, "family_id")
    enrollment = service.enroll(session, body)
    return service.plan(session, enrollment.id)


@router.get("/enrollments")
def list_enrollments(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    request: Request,
    family_id: int | None = None,
    staff_id: int | None = None,
    status: EnrollmentStatus | None = None,
) -> Page[EnrollmentOut]:
    visible = visible_bvc_ids(session, principal)
    rows, cursor = service.list_enrollments(session, page, family_id, staff_id, status, visible)
    audit.record_reads(session, request, principal, [r.family_id for r in rows], "enrollment")
    return Page(items=[EnrollmentOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/enrollments/{enrollment_id}", dependencies=[EnrollmentScope])
def get_enrollment(enrollment_id: int, session: SessionDep, response: Response) -> EnrollmentOut:
    enrollment = service.get_enrollment(session, enrollment_id)
    set_etag(response, etag(enrollment))
    return EnrollmentOut.model_validate(enrollment)


@router.patch("/enrollments/{enrollment_id}", dependencies=[EnrollmentScope])
def change_team(
    enrollment_id: int,
    body: EnrollmentTeamChange,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> EnrollmentOut:
    """Change the family's nurse or social worker (continuity matters: change only when needed).
    If-Match required: 428 without it, 412 when stale."""
    enrollment = service.change_team(session, enrollment_id, body, if_match)
    set_etag(response, etag(enrollment))
    return EnrollmentOut.model_validate(enrollment)


@router.get("/enrollments/{enrollment_id}/plan", dependencies=[EnrollmentScope])
def get_plan(enrollment_id: int, session: SessionDep) -> PlanOut:
    return service.plan(session, enrollment_id)
