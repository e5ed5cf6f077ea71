from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crud import apply_changes, get_for_change, get_or_404
from app.db import rolls_back
from app.errors import Conflict, InvalidInput
from app.organizations.models import Collaboration, Organization, Unit, UnitKind
from app.organizations.schemas import (
    CollaborationIn,
    CollaborationPatch,
    OrganizationIn,
    OrganizationPatch,
    UnitIn,
    UnitPatch,
)
from app.pagination import PageParams, paginate


def get_organization(session: Session, organization_id: int) -> Organization:
    return get_or_404(session, Organization, organization_id, "organization")


def _ensure_org_number_free(session: Session, org_number: str | None, own_id: int | None) -> None:
    if org_number is None:
        return
    other = session.scalar(select(Organization.id).where(Organization.org_number == org_number))
    if other is not None and other != own_id:
        raise Conflict("another organization has this organization number")


@rolls_back
def create_organization(session: Session, data: OrganizationIn) -> Organization:
    _ensure_org_number_free(session, data.org_number, None)
    org = Organization(**data.model_dump())
    session.add(org)
    session.commit()
    return org


@rolls_back
def update_organization(
    session: Session, organization_id: int, data: OrganizationPatch, if_match: str | None
) -> Organization:
    org = get_for_change(session, Organization, organization_id, "organization", if_match)
    _ensure_org_number_free(session, data.org_number, org.id)
    apply_changes(org, data)
    session.commit()
    return org


def list_organizations(
    session: Session, page: PageParams, kind: str | None = None
) -> tuple[Sequence[Organization], str | None]:
    stmt = select(Organization)
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    return paginate(session, stmt, Organization.id, page)


def get_unit(session: Session, unit_id: int) -> Unit:
    return get_or_404(session, Unit, unit_id, "unit")


def _ensure_hsa_free(session: Session, hsa_id: str | None, own_id: int | None) -> None:
    if hsa_id is None:
        return
    other = session.scalar(select(Unit.id).where(Unit.hsa_id == hsa_id))
    if other is not None and other != own_id:
        raise Conflict("another unit has this HSA-id")


@rolls_back
def create_unit(session: Session, data: UnitIn) -> Unit:
    if session.get(Organization, data.organization_id) is None:
        raise InvalidInput.on("organization_id", "no such organization")
    _ensure_hsa_free(session, data.hsa_id, None)
    unit = Unit(**data.model_dump())
    session.add(unit)
    session.commit()
    return unit


@rolls_back
def update_unit(session: Session, unit_id: int, data: UnitPatch, if_match: str | None) -> Unit:
    unit = get_for_change(session, Unit, unit_id, "unit", if_match)
    _ensure_hsa_free(session, data.hsa_id, unit.id)
    apply_changes(unit, data)
    session.commit()
    return unit


def list_units(
    session: Session,
    page: PageParams,
    organization_id: int | None = None,
    kind: UnitKind | None = None,
) -> tuple[Sequence[Unit], str | None]:
    stmt = select(Unit)
    if organization_id is not None:
        stmt = stmt.where(Unit.organization_id == organization_id)
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind)
    return paginate(session, stmt, Unit.id, page)


def _unit_of_kind(session: Session, unit_id: int, kind: UnitKind, field: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise InvalidInput.on(field, "no such unit")
    if unit.kind != kind:
        raise InvalidInput.on(field, f"unit must be of kind {kind.value}")
    return unit


@rolls_back
def create_collaboration(session: Session, data: CollaborationIn) -> Collaboration:
    _unit_of_kind(session, data.bvc_unit_id, UnitKind.bvc, "bvc_unit_id")
    _unit_of_kind(session, data.social_unit_id, UnitKind.social_services, "social_unit_id")
    if data.ended_on is not None and data.ended_on < data.started_on:
        raise InvalidInput.on("ended_on", "must not be before started_on")
    existing = session.scalar(
        select(Collaboration.id).where(
            Collaboration.bvc_unit_id == data.bvc_unit_id,
            Collaboration.social_unit_id == data.social_unit_id,
        )
    )
    if existing is not None:
        raise Conflict("these units already collaborate")
    collaboration = Collaboration(**data.model_dump())
    session.add(collaboration)
    session.commit()
    return collaboration


@rolls_back
def update_collaboration(
    session: Session, collaboration_id: int, data: CollaborationPatch, if_match: str | None
) -> Collaboration:
    collaboration = get_for_change(
        session, Collaboration, collaboration_id, "collaboration", if_match
    )
    if data.ended_on is not None and data.ended_on < collaboration.started_on:
        raise InvalidInput.on("ended_on", "must not be before started_on")
    apply_changes(collaboration, data)
    session.commit()
    return collaboration


def list_collaborations(
    session: Session, page: PageParams, unit_id: int | None = None
) -> tuple[Sequence[Collaboration], str | None]:
    stmt = select(Collaboration)
    if unit_id is not None:
        stmt = stmt.where(
            (Collaboration.bvc_unit_id == unit_id) | (Collaboration.social_unit_id == unit_id)
        )
    return paginate(session, stmt, Collaboration.id, page)
