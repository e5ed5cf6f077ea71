from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import CurrentPrincipal
from app.auth.scope import (
    CollaborationChangeable,
    OperatorOnly,
    OrganizationChangeable,
    UnitChangeable,
    require_collaboration_change,
    require_collaboration_owner,
    require_own_organization,
)
from app.crud import get_or_404
from app.deps import PageDep, SessionDep
from app.http.etag import IfMatch, etag, set_etag
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


@router.post("/organizations", status_code=status.HTTP_201_CREATED, dependencies=[OperatorOnly])
def create_organization(
    body: OrganizationIn, session: SessionDep, response: Response
) -> OrganizationOut:
    org = service.create_organization(session, body)
    set_etag(response, etag(org))
    return OrganizationOut.model_validate(org)


@router.get("/organizations")
def list_organizations(
    session: SessionDep, page: PageDep, kind: OrganizationKind | None = None
) -> Page[OrganizationOut]:
    rows, cursor = service.list_organizations(session, page, kind)
    return Page(items=[OrganizationOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/organizations/{organization_id}")
def get_organization(
    organization_id: int, session: SessionDep, response: Response
) -> OrganizationOut:
    org = service.get_organization(session, organization_id)
    set_etag(response, etag(org))
    return OrganizationOut.model_validate(org)


@router.patch("/organizations/{organization_id}", dependencies=[OrganizationChangeable])
def update_organization(
    organization_id: int,
    body: OrganizationPatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> OrganizationOut:
    """Change an organization (If-Match required: 428 without it, 412 when stale)."""
    org = service.update_organization(session, organization_id, body, if_match)
    set_etag(response, etag(org))
    return OrganizationOut.model_validate(org)


@router.post("/units", status_code=status.HTTP_201_CREATED)
def create_unit(
    body: UnitIn, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> UnitOut:
    require_own_organization(session, principal, body.organization_id, "organization_id")
    unit = service.create_unit(session, body)
    set_etag(response, etag(unit))
    return UnitOut.model_validate(unit)


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
def get_unit(unit_id: int, session: SessionDep, response: Response) -> UnitOut:
    unit = service.get_unit(session, unit_id)
    set_etag(response, etag(unit))
    return UnitOut.model_validate(unit)


@router.patch("/units/{unit_id}", dependencies=[UnitChangeable])
def update_unit(
    unit_id: int,
    body: UnitPatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> UnitOut:
    """Change a unit (If-Match required: 428 without it, 412 when stale)."""
    unit = service.update_unit(session, unit_id, body, if_match)
    set_etag(response, etag(unit))
    return UnitOut.model_validate(unit)


@router.post("/collaborations", status_code=status.HTTP_201_CREATED)
def create_collaboration(
    body: CollaborationIn, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> CollaborationOut:
    require_collaboration_owner(session, principal, body.bvc_unit_id)
    collaboration = service.create_collaboration(session, body)
    set_etag(response, etag(collaboration))
    return CollaborationOut.model_validate(collaboration)


@router.get("/collaborations")
def list_collaborations(
    session: SessionDep, page: PageDep, unit_id: int | None = None
) -> Page[CollaborationOut]:
    rows, cursor = service.list_collaborations(session, page, unit_id)
    return Page(items=[CollaborationOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/collaborations/{collaboration_id}")
def get_collaboration(
    collaboration_id: int, session: SessionDep, response: Response
) -> CollaborationOut:
    collaboration = get_or_404(session, Collaboration, collaboration_id, "collaboration")
    set_etag(response, etag(collaboration))
    return CollaborationOut.model_validate(collaboration)


@router.patch("/collaborations/{collaboration_id}", dependencies=[CollaborationChangeable])
def update_collaboration(
    collaboration_id: int,
    body: CollaborationPatch,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> CollaborationOut:
    """End or change a collaboration (If-Match required: 428 without it, 412 when stale).
    The socialtjänst side may only end it sooner; the BVC's organization may also reopen it."""
    if "ended_on" in body.model_fields_set:
        require_collaboration_change(session, principal, collaboration_id, body.ended_on)
    collaboration = service.update_collaboration(session, collaboration_id, body, if_match)
    set_etag(response, etag(collaboration))
    return CollaborationOut.model_validate(collaboration)
