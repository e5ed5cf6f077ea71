from fastapi import APIRouter, Response, status

from app.auth.deps import CurrentPrincipal
from app.auth.scope import (
    StaffChangeable,
    StaffReadable,
    partner_organization_ids,
    require_own_unit,
)
from app.deps import PageDep, SessionDep
from app.http.etag import IfMatch, etag, set_etag
from app.pagination import Page
from app.staff import service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn, StaffOut, StaffPatch

router = APIRouter(tags=["staff"])


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def create_staff(
    body: StaffIn, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> StaffOut:
    require_own_unit(session, principal, body.unit_id, "unit_id")
    staff = service.create_staff(session, body)
    set_etag(response, etag(staff))
    return StaffOut.model_validate(staff)


@router.get("/staff")
def list_staff(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    unit_id: int | None = None,
    profession: Profession | None = None,
    active: bool | None = None,
) -> Page[StaffOut]:
    """Staff of your organization and of the organizations it collaborates with."""
    visible = partner_organization_ids(session, principal)
    rows, cursor = service.list_staff(session, page, unit_id, profession, active, visible)
    return Page(items=[StaffOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/staff/{staff_id}", dependencies=[StaffReadable])
def get_staff(staff_id: int, session: SessionDep, response: Response) -> StaffOut:
    staff = service.get_staff(session, staff_id)
    set_etag(response, etag(staff))
    return StaffOut.model_validate(staff)


@router.patch("/staff/{staff_id}", dependencies=[StaffChangeable])
def update_staff(
    staff_id: int,
    body: StaffPatch,
    session: SessionDep,
    response: Response,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> StaffOut:
    """Change a staff member (If-Match required: 428 without it, 412 when stale)."""
    if body.unit_id is not None:
        require_own_unit(session, principal, body.unit_id, "unit_id")
    staff = service.update_staff(session, staff_id, body, if_match)
    set_etag(response, etag(staff))
    return StaffOut.model_validate(staff)
