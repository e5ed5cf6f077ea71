from fastapi import APIRouter, status

from app.deps import PageDep, SessionDep
from app.families import service
from app.families.models import FamilyStatus
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
from app.pagination import Page

router = APIRouter(tags=["families"])


@router.post("/families", status_code=status.HTTP_201_CREATED)
def create_family(body: FamilyIn, session: SessionDep) -> FamilyOut:
    return FamilyOut.model_validate(service.create_family(session, body))


@router.get("/families")
def list_families(
    session: SessionDep,
    page: PageDep,
    unit_id: int | None = None,
    status: FamilyStatus | None = None,
) -> Page[FamilySummary]:
    rows, cursor = service.list_families(session, page, unit_id, status)
    return Page(items=[FamilySummary.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/families/{family_id}")
def get_family(family_id: int, session: SessionDep) -> FamilyOut:
    return FamilyOut.model_validate(service.get_family(session, family_id))


@router.patch("/families/{family_id}")
def update_family(family_id: int, body: FamilyPatch, session: SessionDep) -> FamilyOut:
    return FamilyOut.model_validate(service.update_family(session, family_id, body))


@router.post("/families/{family_id}/status")
def change_family_status(family_id: int, body: StatusChange, session: SessionDep) -> FamilyOut:
    """Record that the family declined, completed or left the program (with date and reason)."""
    return FamilyOut.model_validate(service.change_status(session, family_id, body))


@router.post("/families/{family_id}/guardians", status_code=status.HTTP_201_CREATED)
def add_guardian(family_id: int, body: GuardianIn, session: SessionDep) -> GuardianOut:
    return GuardianOut.model_validate(service.add_guardian(session, family_id, body))


@router.patch("/families/{family_id}/guardians/{guardian_id}")
def update_guardian(
    family_id: int, guardian_id: int, body: GuardianPatch, session: SessionDep
) -> GuardianOut:
    guardian = service.update_guardian(session, family_id, guardian_id, body)
    return GuardianOut.model_validate(guardian)


@router.post("/families/{family_id}/children", status_code=status.HTTP_201_CREATED)
def add_child(family_id: int, body: ChildIn, session: SessionDep) -> ChildOut:
    return ChildOut.model_validate(service.add_child(session, family_id, body))


@router.patch("/families/{family_id}/children/{child_id}")
def update_child(family_id: int, child_id: int, body: ChildPatch, session: SessionDep) -> ChildOut:
    """Update a child. A birth date re-anchors the plan; a personnummer replaces a reservnummer."""
    return ChildOut.model_validate(service.update_child(session, family_id, child_id, body))


@router.post("/families/{family_id}/consents", status_code=status.HTTP_201_CREATED)
def add_consent(family_id: int, body: ConsentIn, session: SessionDep) -> ConsentOut:
    return ConsentOut.model_validate(service.add_consent(session, family_id, body))


@router.post("/families/{family_id}/consents/{consent_id}/withdrawal")
def withdraw_consent(
    family_id: int, consent_id: int, body: ConsentWithdrawal, session: SessionDep
) -> ConsentWithdrawalOut:
    consent, cancelled = service.withdraw_consent(session, family_id, consent_id, body)
    return ConsentWithdrawalOut(
        **ConsentOut.model_validate(consent).model_dump(), cancelled_booking_ids=cancelled
    )
