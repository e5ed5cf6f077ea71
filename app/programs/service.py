from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from app.crud import get_or_404
from app.db import rolls_back
from app.errors import Conflict, InvalidInput
from app.pagination import PageParams, paginate
from app.programs.builtin import BUILTIN_TEMPLATES, TemplateSpec, VisitSpec
from app.programs.models import ProgramTemplate, TemplateVisit
from app.programs.schemas import TemplateIn, TemplateRevision, TemplateVisitIn


def get_template(session: Session, template_id: int) -> ProgramTemplate:
    return get_or_404(session, ProgramTemplate, template_id, "program template")


def default_template(session: Session) -> ProgramTemplate:
    template = session.scalar(
        select(ProgramTemplate).where(ProgramTemplate.is_default, ProgramTemplate.is_current)
    )
    if template is None:
        raise InvalidInput.on("template_id", "no default template; name one")
    return template


def list_templates(
    session: Session, page: PageParams, *, all_versions: bool = False, key: str | None = None
) -> tuple[Sequence[ProgramTemplate], str | None]:
    stmt = select(ProgramTemplate).options(selectinload(ProgramTemplate.visits))
    if not all_versions:
        stmt = stmt.where(ProgramTemplate.is_current)
    if key is not None:
        stmt = stmt.where(ProgramTemplate.key == key)
    return paginate(session, stmt, ProgramTemplate.id, page)


def _visit_row(visit: TemplateVisitIn | VisitSpec) -> TemplateVisit:
    return TemplateVisit(
        sequence=visit.sequence,
        name=visit.name,
        theme=visit.theme,
        location_kind=visit.location_kind,
        anchor=visit.anchor,
        window_start_amount=visit.window_start.amount,
        window_start_unit=visit.window_start.unit,
        window_end_amount=visit.window_end.amount,
        window_end_unit=visit.window_end.unit,
        ideal_amount=visit.ideal.amount,
        ideal_unit=visit.ideal.unit,
        required_professions=[p.value for p in visit.required_professions],
        is_ordinary=visit.is_ordinary,
        default_duration_minutes=visit.default_duration_minutes,
        window_note=visit.window_note,
    )


def _add_version(
    session: Session,
    key: str,
    version: int,
    data: TemplateRevision | TemplateSpec,
    visits: Iterable[TemplateVisitIn | VisitSpec],
) -> ProgramTemplate:
    if data.is_default:
        # Only one default at a time; earlier versions keep their own flag for history.
        session.execute(
            update(ProgramTemplate).where(ProgramTemplate.is_current).values(is_default=False)
        )
    template = ProgramTemplate(
        key=key,
        version=version,
        name=data.name,
        description=data.description,
        source=data.source,
        is_default=data.is_default,
        is_current=True,
        visits=[_visit_row(v) for v in sorted(visits, key=lambda v: v.sequence)],
    )
    session.add(template)
    return template


@rolls_back
def create_template(session: Session, data: TemplateIn) -> ProgramTemplate:
    exists = session.scalar(select(ProgramTemplate.id).where(ProgramTemplate.key == data.key))
    if exists is not None:
        raise Conflict(f"a template with key {data.key!r} exists; send a new version to it instead")
    template = _add_version(session, data.key, 1, data, data.visits)
    session.commit()
    return template


@rolls_back
def revise_template(session: Session, template_id: int, data: TemplateRevision) -> ProgramTemplate:
    """Make the next version; the version an enrollment uses is never changed under it."""
    current = get_template(session, template_id)
    if not current.is_current:
        raise Conflict("only the current version of a template can be revised")
    if "is_default" not in data.model_fields_set:
        # An edit of the schedule that says nothing about the default keeps the template's role.
        data = data.model_copy(update={"is_default": current.is_default})
    current.is_current = False
    session.flush()
    template = _add_version(session, current.key, current.version + 1, data, data.visits)
    session.commit()
    return template


def seed_builtin_templates(session: Session) -> int:
    """Insert the shipped templates whose key is not yet present; returns how many were added."""
    present = set(session.scalars(select(ProgramTemplate.key)))
    added = 0
    for spec in BUILTIN_TEMPLATES:
        if spec.key in present:
            continue
        _add_version(session, spec.key, 1, spec, spec.visits)
        session.flush()
        added += 1
    return added
