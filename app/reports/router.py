from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from app.auth.deps import CurrentPrincipal
from app.auth.scope import report_organization
from app.deps import SessionDep
from app.reports import render, service
from app.reports.models import Tariff
from app.reports.schemas import CompensationOut, GrantFollowupOut, TariffOut

router = APIRouter(prefix="/reports", tags=["reports"])

Year = Annotated[int, Query(ge=2000, le=2100, description="Calendar year (Europe/Stockholm)")]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/grant-followup", response_model=GrantFollowupOut, responses=CSV_RESPONSE)
def grant_followup(
    session: SessionDep,
    year: Year,
    organization_id: Annotated[
        int | None,
        Query(
            description="A region (its BVC units) or a municipality (its socialtjänst); "
            "by default your own; the whole country (omitted) only for the operator"
        ),
    ] = None,
    unit_id: Annotated[int | None, Query(description="One BVC unit")] = None,
    format: Format = "json",
    *,
    principal: CurrentPrincipal,
) -> Any:
    """The yearly grant follow-up (återrapportering to Socialstyrelsen), per BVC and month.

    Definitions: docs/reports.md. A region's totals equal the sum of its municipalities'.
    """
    organization_id = report_organization(principal, organization_id)
    report = GrantFollowupOut.of(service.grant_followup(session, year, organization_id, unit_id))
    if format == "csv":
        return _csv(render.grant_followup_csv(report), f"grant-followup-{year}.csv")
    return report


@router.get("/compensation", response_model=CompensationOut, responses=CSV_RESPONSE)
def compensation(
    session: SessionDep,
    year: Year,
    organization_id: Annotated[
        int | None,
        Query(
            description="The region paying its BVC units: by default your own; all regions "
            "(omitted) only for the operator"
        ),
    ] = None,
    format: Format = "json",
    *,
    principal: CurrentPrincipal,
) -> Any:
    """What each BVC is due per month for home visits made with socialtjänst, by the tariffs."""
    organization_id = report_organization(principal, organization_id)
    report = CompensationOut.of(service.compensation(session, year, organization_id))
    if format == "csv":
        return _csv(render.compensation_csv(report), f"compensation-{year}.csv")
    return report


@router.get("/tariffs")
def list_tariffs(session: SessionDep) -> list[TariffOut]:
    """The compensation tariffs (region, amounts, units on fixed compensation), oldest first."""
    rows = session.scalars(select(Tariff).order_by(Tariff.region_name, Tariff.valid_from))
    return [TariffOut.model_validate(t) for t in rows]
