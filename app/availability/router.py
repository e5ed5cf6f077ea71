from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import AwareDatetime

from app.auth.deps import CurrentPrincipal
from app.auth.scope import (
    ClosedDayChangeable,
    StaffChangeable,
    StaffReadable,
    UnitScheduleChangeable,
    UnitScheduleReadable,
    closed_day_organization,
    partner_organization_ids,
)
from app.availability import service
from app.availability.schemas import (
    AbsenceIn,
    AbsenceOut,
    BlockedTimeIn,
    BlockedTimeOut,
    ClosedDayIn,
    ClosedDayOut,
    OverrideIn,
    OverrideOut,
    WorkingHoursIn,
    WorkingHoursOut,
)
from app.deps import PageDep, SessionDep
from app.http.etag import IfMatch, set_etag
from app.pagination import Page

router = APIRouter(tags=["availability"])

WeeklyPattern = Annotated[list[WorkingHoursIn], Body(max_length=70)]
FromDate = Annotated[date | None, Query(description="Only dates on or after this one")]
ToDate = Annotated[date | None, Query(description="Only dates on or before this one")]


@router.put("/staff/{staff_id}/working-hours", dependencies=[StaffChangeable])
def replace_working_hours(
    staff_id: int,
    body: WeeklyPattern,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> list[WorkingHoursOut]:
    """Replace the weekly pattern (local wall-clock times; several spans per day allowed).
    If-Match with the pattern's ETag from GET required (428 without, 412 when stale)."""
    rows = service.replace_working_hours(session, staff_id, body, if_match)
    set_etag(response, service.working_hours_etag(staff_id, rows))
    return [WorkingHoursOut.model_validate(r) for r in rows]


@router.get("/staff/{staff_id}/working-hours", dependencies=[StaffReadable])
def list_working_hours(
    staff_id: int, session: SessionDep, response: Response
) -> list[WorkingHoursOut]:
    rows = service.list_working_hours(session, staff_id)
    set_etag(response, service.working_hours_etag(staff_id, rows))
    return [WorkingHoursOut.model_validate(r) for r in rows]


@router.post(
    "/staff/{staff_id}/working-hours/overrides",
    status_code=status.HTTP_201_CREATED,
    dependencies=[StaffChangeable],
)
def add_override(staff_id: int, body: OverrideIn, session: SessionDep) -> OverrideOut:
    return OverrideOut.model_validate(service.add_override(session, staff_id, body))


@router.get("/staff/{staff_id}/working-hours/overrides", dependencies=[StaffReadable])
def list_overrides(
    staff_id: int,
    session: SessionDep,
    page: PageDep,
    from_date: FromDate = None,
    to_date: ToDate = None,
) -> Page[OverrideOut]:
    rows, cursor = service.list_overrides(session, staff_id, page, from_date, to_date)
    return Page(items=[OverrideOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.delete(
    "/staff/{staff_id}/working-hours/overrides/{override_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[StaffChangeable],
)
def delete_override(staff_id: int, override_id: int, session: SessionDep) -> Response:
    service.delete_override(session, staff_id, override_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/staff/{staff_id}/absences",
    status_code=status.HTTP_201_CREATED,
    dependencies=[StaffChangeable],
)
def add_absence(staff_id: int, body: AbsenceIn, session: SessionDep) -> AbsenceOut:
    return AbsenceOut.model_validate(service.add_absence(session, staff_id, body))


@router.get("/staff/{staff_id}/absences", dependencies=[StaffReadable])
def list_absences(
    staff_id: int,
    session: SessionDep,
    page: PageDep,
    start: Annotated[AwareDatetime | None, Query(description="Absences ending after")] = None,
    end: Annotated[AwareDatetime | None, Query(description="Absences starting before")] = None,
) -> Page[AbsenceOut]:
    rows, cursor = service.list_absences(session, staff_id, page, start, end)
    return Page(items=[AbsenceOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.delete(
    "/staff/{staff_id}/absences/{absence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[StaffChangeable],
)
def delete_absence(staff_id: int, absence_id: int, session: SessionDep) -> Response:
    service.delete_absence(session, staff_id, absence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/units/{unit_id}/blocked-times",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UnitScheduleChangeable],
)
def add_blocked_time(unit_id: int, body: BlockedTimeIn, session: SessionDep) -> BlockedTimeOut:
    """Time blocked for the whole unit, e.g. a weekly team meeting (local time + RRULE)."""
    return BlockedTimeOut.model_validate(service.add_blocked_time(session, unit_id, body))


@router.get("/units/{unit_id}/blocked-times", dependencies=[UnitScheduleReadable])
def list_blocked_times(unit_id: int, session: SessionDep, page: PageDep) -> Page[BlockedTimeOut]:
    rows, cursor = service.list_blocked_times(session, unit_id, page)
    return Page(items=[BlockedTimeOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.delete(
    "/units/{unit_id}/blocked-times/{blocked_time_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[UnitScheduleChangeable],
)
def delete_blocked_time(unit_id: int, blocked_time_id: int, session: SessionDep) -> Response:
    service.delete_blocked_time(session, unit_id, blocked_time_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/closed-days", status_code=status.HTTP_201_CREATED)
def add_closed_day(
    body: ClosedDayIn, session: SessionDep, principal: CurrentPrincipal
) -> ClosedDayOut:
    """A closed date beyond the public holidays (which are always closed). Without
    organization_id it is your organization's; days for everyone come from the operator."""
    organization_id = closed_day_organization(session, principal, body.organization_id)
    body = body.model_copy(update={"organization_id": organization_id})
    return ClosedDayOut.model_validate(service.add_closed_day(session, body))


@router.get("/closed-days")
def list_closed_days(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    organization_id: Annotated[
        int | None, Query(description="This organization's days and the global ones")
    ] = None,
    from_date: FromDate = None,
    to_date: ToDate = None,
) -> Page[ClosedDayOut]:
    """Closed days for everyone and those of your organization and its partners."""
    visible = partner_organization_ids(session, principal)
    rows, cursor = service.list_closed_days(
        session, page, organization_id, from_date, to_date, visible
    )
    return Page(items=[ClosedDayOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.delete(
    "/closed-days/{closed_day_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ClosedDayChangeable],
)
def delete_closed_day(closed_day_id: int, session: SessionDep) -> Response:
    service.delete_closed_day(session, closed_day_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
