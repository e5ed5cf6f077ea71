from fastapi import APIRouter, status

from app.deps import PageDep, SessionDep
from app.pagination import Page
from app.staff import service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn, StaffOut, StaffPatch

router = APIRouter(tags=["staff"])


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def create_staff(body: StaffIn, session: SessionDep) -> StaffOut:
    return StaffOut.model_validate(service.create_staff(session, body))


@router.get("/staff")
def list_staff(
    session: SessionDep,
    page: PageDep,
    unit_id: int | None = None,
    profession: Profession | None = None,
    active: bool | None = None,
) -> Page[StaffOut]:
    rows, cursor = service.list_staff(session, page, unit_id, profession, active)
    return Page(items=[StaffOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/staff/{staff_id}")
def get_staff(staff_id: int, session: SessionDep) -> StaffOut:
    return StaffOut.model_validate(service.get_staff(session, staff_id))


@router.patch("/staff/{staff_id}")
def update_staff(staff_id: int, body: StaffPatch, session: SessionDep) -> StaffOut:
    return StaffOut.model_validate(service.update_staff(session, staff_id, body))
