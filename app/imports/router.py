"""CSV imports over HTTP: a dry run by default, 201 when applied, 422 naming every bad line."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.audit import service as audit
from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal
from app.auth.scope import own_unit_ids, visible_bvc_ids
from app.deps import SessionDep, SettingsDep
from app.errors import PROBLEM_MEDIA_TYPE, InvalidInput, ProblemError
from app.imports.schemas import ImportKind, ImportReport
from app.imports.service import PayloadTooLarge, import_csv

router = APIRouter(tags=["imports"])

CSV_MEDIA_TYPE = "text/csv"
_UTF8 = {"utf-8", "utf8"}
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_200_OK: {"description": "Dry run: what an apply would do, with every bad row"},
    status.HTTP_201_CREATED: {"model": ImportReport, "description": "Applied: every row written"},
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "description": "The file is over the size limit",
        "content": _PROBLEM_CONTENT,
    },
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: {
        "description": "The body is not UTF-8 text/csv",
        "content": _PROBLEM_CONTENT,
    },
}


def _csv_request_body(example: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": example}},
        }
    }


DryRun = Annotated[
    bool,
    Query(description="Only check the file and report; set to false to write (all or nothing)"),
]


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


async def _read_csv(request: Request, max_bytes: int) -> bytes:
    mime, _, params = request.headers.get("content-type", "").partition(";")
    if mime.strip().lower() != CSV_MEDIA_TYPE:
        raise UnsupportedMediaType(f"send the file as {CSV_MEDIA_TYPE}")
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip(" \"'").lower() not in _UTF8:
            raise UnsupportedMediaType("send the file as UTF-8")
    too_large = PayloadTooLarge(f"the file is larger than {max_bytes} bytes; split it")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


async def _import(
    kind: ImportKind,
    request: Request,
    response: Response,
    session: Session,
    max_bytes: int,
    dry_run: bool,
    allowed_units: set[int] | None,
    principal: Principal,
) -> ImportReport:
    body = await _read_csv(request, max_bytes)

    def audit_created(ids: list[int]) -> None:
        if kind is ImportKind.families:
            for family_id in ids:
                audit.record(
                    session,
                    request,
                    principal,
                    family_id=family_id,
                    object_type="family",
                    object_id=family_id,
                    action="create",
                )

    report = await run_in_threadpool(
        import_csv,
        session,
        kind,
        body,
        dry_run=dry_run,
        max_bytes=max_bytes,
        allowed_units=allowed_units,
        before_commit=audit_created,
    )
    if report.errors and not dry_run:
        raise InvalidInput(f"{_what_failed(report)}; nothing was imported", errors=report.errors)
    if report.applied:
        response.status_code = status.HTTP_201_CREATED
    return report


def _what_failed(report: ImportReport) -> str:
    lines = {e.line for e in report.errors}
    if 1 in lines:
        return "the header (line 1) has errors"
    return f"{len(lines)} {'row has' if len(lines) == 1 else 'rows have'} errors"


@router.post(
    "/imports/staff",
    responses=_RESPONSES,
    openapi_extra=_csv_request_body(
        "unit_hsa_id;given_name;family_name;profession;hsa_id;email\n"
        "SE2321000032-BVC1;Anna;Berg;bhv_nurse;SE2321000032-AB12;anna.berg@example.se\n"
    ),
)
async def import_staff(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    dry_run: DryRun = True,
) -> ImportReport:
    """Import staff from CSV into units of your own organization. Columns: unit_hsa_id or
    unit_id, given_name, family_name, profession, hsa_id, email, active (true/false, ja/nej or
    1/0). Delimiter `,` or `;`."""
    own = own_unit_ids(session, principal)
    return await _import(
        ImportKind.staff,
        request,
        response,
        session,
        settings.import_max_bytes,
        dry_run,
        own,
        principal,
    )


@router.post(
    "/imports/families",
    responses=_RESPONSES,
    openapi_extra=_csv_request_body(
        "unit_hsa_id;guardian1_given_name;guardian1_family_name;child_expected_due_date\n"
        "SE2321000032-BVC1;Sara;Ali;2026-03-01\n"
    ),
)
async def import_families(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    dry_run: DryRun = True,
) -> ImportReport:
    """Import families from CSV into the BVCs whose families you see, one child a row with one
    or two guardians (guardian1_*, guardian2_*) and the child (child_*); the family columns are
    those of POST /families. Empty cell = not given. Delimiter `,` or `;`."""
    visible = visible_bvc_ids(session, principal)
    return await _import(
        ImportKind.families,
        request,
        response,
        session,
        settings.import_max_bytes,
        dry_run,
        visible,
        principal,
    )
