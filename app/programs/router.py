from typing import Annotated

from fastapi import APIRouter, Query, status

from app.deps import PageDep, SessionDep
from app.pagination import Page
from app.programs import service
from app.programs.schemas import (
    TEMPLATE_KEY_PATTERN,
    TemplateIn,
    TemplateOut,
    TemplateRevision,
)

router = APIRouter(tags=["program templates"])


@router.get("/program-templates")
def list_templates(
    session: SessionDep,
    page: PageDep,
    all_versions: bool = False,
    key: Annotated[str | None, Query(pattern=TEMPLATE_KEY_PATTERN)] = None,
) -> Page[TemplateOut]:
    """The current version of each template (all versions with all_versions=true)."""
    rows, cursor = service.list_templates(session, page, all_versions=all_versions, key=key)
    return Page(items=[TemplateOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/program-templates", status_code=status.HTTP_201_CREATED)
def create_template(body: TemplateIn, session: SessionDep) -> TemplateOut:
    return TemplateOut.model_validate(service.create_template(session, body))


@router.get("/program-templates/{template_id}")
def get_template(template_id: int, session: SessionDep) -> TemplateOut:
    return TemplateOut.model_validate(service.get_template(session, template_id))


@router.post("/program-templates/{template_id}/versions", status_code=status.HTTP_201_CREATED)
def revise_template(template_id: int, body: TemplateRevision, session: SessionDep) -> TemplateOut:
    """Edit a template: the edit becomes a new version; enrollments keep the version they use."""
    return TemplateOut.model_validate(service.revise_template(session, template_id, body))
