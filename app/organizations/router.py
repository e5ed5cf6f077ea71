from typing import Annotated

from fastapi import APIRouter, Query, status

from app.crud import get_or_404
from app.deps import PageDep, SessionDep
from app.organizations import service
from app.organizations.models import Collaboration, OrganizationKind, UnitKind
from app.organizations.schemas import (
    CollaborationIn,
    CollaborationOut,
    CollaborationPatch,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from app.pagination import Page

router = APIRouter(tags=["organizations"])


@router.post("/organizations", status_code=status.HTTP_201_CREATED)
def create_organization(body: OrganizationIn, session: SessionDep) -> OrganizationOut:
    return OrganizationOut.model_validate(service.create_organization(session, body))


@router.get("/organizations")
def list_organizations(
    session: SessionDep, page: PageDep, kind: OrganizationKind | None = None
) -> Page[OrganizationOut]:
    rows, cursor = service.list_organizations(session, page, kind)
    return Page(items=[OrganizationOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/organizations/{organization_id}")
def get_organization(organization_id: int, session: SessionDep) -> OrganizationOut:
    return OrganizationOut.model_validate(service.get_organization(session, organization_id))


@router.patch("/organizations/{organization_id}")
def update_organization(
    organization_id: int, body: OrganizationPatch, session: SessionDep
) -> OrganizationOut:
    org = service.update_organization(session, organization_id, body)
    return OrganizationOut.model_validate(org)


@router.post("/units", status_code=status.HTTP_201_CREATED)
def create_unit(body: UnitIn, session: SessionDep) -> UnitOut:
    return UnitOut.model_validate(service.create_unit(session, body))


@router.get("/units")
def list_units(
    session: SessionDep,
    page: PageDep,
    organization_id: Annotated[int | None, Query()] = None,
    kind: UnitKind | None = None,
) -> Page[UnitOut]:
    rows, cursor = service.list_units(session, page, organization_id, kind)
    return Page(items=[UnitOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/units/{unit_id}")
def get_unit(unit_id: int, session: SessionDep) -> UnitOut:
    return UnitOut.model_validate(service.get_unit(session, unit_id))


@router.patch("/units/{unit_id}")
def update_unit(unit_id: int, body: UnitPatch, session: SessionDep) -> UnitOut:
    return UnitOut.model_validate(service.update_unit(session, unit_id, body))


@router.post("/collaborations", status_code=status.HTTP_201_CREATED)
def create_collaboration(body: CollaborationIn, session: SessionDep) -> CollaborationOut:
    return CollaborationOut.model_validate(service.create_collaboration(session, body))


@router.get("/collaborations")
def list_collaborations(
    session: SessionDep, page: PageDep, unit_id: int | None = None
) -> Page[CollaborationOut]:
    rows, cursor = service.list_collaborations(session, page, unit_id)
    return Page(items=[CollaborationOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/collaborations/{collaboration_id}")
def get_collaboration(collaboration_id: int, session: SessionDep) -> CollaborationOut:
    obj = get_or_404(session, Collaboration, collaboration_id, "collaboration")
    return CollaborationOut.model_validate(obj)


@router.patch("/collaborations/{collaboration_id}")
def update_collaboration(
    collaboration_id: int, body: CollaborationPatch, session: SessionDep
) -> CollaborationOut:
    return CollaborationOut.model_validate(
        service.update_collaboration(session, collaboration_id, body)
    )
