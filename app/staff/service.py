from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crud import apply_changes, get_for_change, get_or_404
from app.db import rolls_back
from app.errors import Conflict, InvalidInput
from app.organizations.models import Unit
from app.pagination import PageParams, paginate
from app.staff.models import Staff
from app.staff.profession import Profession
from app.staff.schemas import StaffIn, StaffPatch


def get_staff(session: Session, staff_id: int) -> Staff:
    return get_or_404(session, Staff, staff_id, "staff member")


def check_staff_fields(
    session: Session, unit_id: int | None, hsa_id: str | None, own_id: int | None
) -> None:
    """Refuse references to missing units and HSA-ids held by someone else."""
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise InvalidInput.on("unit_id", "no such unit")
    if hsa_id is not None:
        other = session.scalar(select(Staff.id).where(Staff.hsa_id == hsa_id))
        if other is not None and other != own_id:
            raise Conflict("another staff member has this HSA-id")


def build_staff(session: Session, data: StaffIn) -> Staff:
    """A new staff member, added to the session but not committed."""
    check_staff_fields(session, data.unit_id, data.hsa_id, None)
    staff = Staff(**data.model_dump())
    session.add(staff)
    return staff


@rolls_back
def create_staff(session: Session, data: StaffIn) -> Staff:
    staff = build_staff(session, data)
    session.commit()
    return staff


@rolls_back
def update_staff(session: Session, staff_id: int, data: StaffPatch, if_match: str | None) -> Staff:
    staff = get_for_change(session, Staff, staff_id, "staff", if_match)
    check_staff_fields(session, data.unit_id, data.hsa_id, staff.id)
    apply_changes(staff, data)
    session.commit()
    return staff


def list_staff(
    session: Session,
    page: PageParams,
    unit_id: int | None = None,
    profession: Profession | None = None,
    active: bool | None = None,
    organization_ids: set[int] | None = None,
) -> tuple[Sequence[Staff], str | None]:
    """Staff matching the filters; `organization_ids` limits them to those organizations'
    units (None: no limit)."""
    stmt = select(Staff)
    if organization_ids is not None:
        stmt = stmt.where(
            Staff.unit_id.in_(select(Unit.id).where(Unit.organization_id.in_(organization_ids)))
        )
    if unit_id is not None:
        stmt = stmt.where(Staff.unit_id == unit_id)
    if profession is not None:
        stmt = stmt.where(Staff.profession == profession)
    if active is not None:
        stmt = stmt.where(Staff.active == active)
    return paginate(session, stmt, Staff.id, page)
