import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import select

from app.audit import service
from app.audit.models import AuditEvent
from app.auth.deps import CurrentPrincipal
from app.auth.scope import visible_bvc_ids
from app.deps import PageDep, SessionDep
from app.errors import NotFound
from app.families.models import Family
from app.pagination import Page, encode_cursor
from app.schemas_common import OutputModel

router = APIRouter(tags=["audit"])


class AuditEventOut(OutputModel):
    id: int
    chain: str
    at: AwareDatetime
    subject: str
    role: str
    organization_id: int | None
    staff_id: int | None
    action: str
    family_id: int | None
    object_type: str
    object_id: str | None
    method: str
    path: str
    request_id: str
    prev_hash: str
    hash: str


class ChainCheck(BaseModel):
    chain: str
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None


@router.get("/audit-events")
def list_audit_events(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    family_id: int | None = None,
    staff_id: int | None = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    starts_from: AwareDatetime | None = None,
    starts_to: AwareDatetime | None = None,
) -> Page[AuditEventOut]:
    """Who read or changed what, in your organization's chain (filters: family, staff, time)."""
    rows = service.list_events(
        session,
        principal,
        family_id=family_id,
        staff_id=staff_id,
        subject=subject,
        starts_from=starts_from,
        starts_to=starts_to,
        after_id=page.after_id,
        limit=page.limit + 1,
    )
    cursor = encode_cursor(rows[page.limit - 1].id) if len(rows) > page.limit else None
    return Page(
        items=[AuditEventOut.model_validate(r) for r in rows[: page.limit]], next_cursor=cursor
    )


@router.get(
    "/audit-events/extract",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def patient_log_extract(
    session: SessionDep,
    principal: CurrentPrincipal,
    family_id: int,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Every logged access to one family's data, by anyone (the patient's log extract)."""
    family = session.get(Family, family_id)
    scope = visible_bvc_ids(session, principal)
    if family is None or (scope is not None and family.unit_id not in scope):
        raise NotFound(f"family {family_id} not found")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.family_id == family_id).order_by(AuditEvent.id)
    ).all()
    if format == "json":
        return [AuditEventOut.model_validate(e).model_dump(mode="json") for e in events]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["at", "subject", "role", "organization_id", "action", "object", "path"])
    for e in events:
        writer.writerow(
            [
                e.at.isoformat(),
                e.subject,
                e.role,
                e.organization_id or "",
                e.action,
                f"{e.object_type}:{e.object_id or ''}",
                e.path,
            ]
        )
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/audit-events/verification")
def verify_audit_chain(session: SessionDep, principal: CurrentPrincipal) -> list[ChainCheck]:
    """Recompute the hash chain: any altered or removed event shows as not ok."""
    return [
        ChainCheck(
            chain=chain, ok=v.ok, checked=v.checked, first_bad_id=v.first_bad_id, reason=v.reason
        )
        for chain, v in service.verify(session, principal).items()
    ]
