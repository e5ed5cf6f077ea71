import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime

from app.audit import service as audit
from app.auth.deps import CurrentPrincipal
from app.auth.scope import (
    BookingScope,
    PlannedVisitScope,
    require_visible_family,
    require_visible_participants,
    require_visible_planned_visit,
    require_visible_staff,
    visible_bvc_ids,
)
from app.deps import PageDep, SessionDep, SettingsDep
from app.errors import InvalidInput, NotFound
from app.http.etag import IfMatch
from app.pagination import Page
from app.scheduling import finder, service
from app.scheduling.finder import Preferences
from app.scheduling.models import Booking, BookingStatus
from app.scheduling.schemas import (
    BookingCancel,
    BookingChange,
    BookingDetail,
    BookingIn,
    BookingOut,
    NoShowIn,
    OutcomeIn,
    OutcomeOut,
    SlotOut,
)
from app.scheduling.slots import PartOfDay, Slot

router = APIRouter(tags=["bookings"])


def _with_etag(response: Response, booking: Booking) -> BookingDetail:
    response.headers["ETag"] = service.etag(booking)
    return BookingDetail.model_validate(booking)


@router.post("/bookings", status_code=status.HTTP_201_CREATED)
def create_booking(
    body: BookingIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    principal: CurrentPrincipal,
) -> BookingDetail:
    """Book a joint visit. 409 names the busy staff member; consent must be in force."""
    if body.planned_visit_id is not None:
        require_visible_planned_visit(request, session, principal, body.planned_visit_id)
    if body.family_id is not None:
        require_visible_family(request, session, principal, body.family_id, "family_id")
    require_visible_participants(session, principal, [p.staff_id for p in body.staff or []])
    booking = service.create_booking(session, body, settings)
    response.headers["Location"] = f"/api/v1/bookings/{booking.id}"
    return _with_etag(response, booking)


@router.get("/bookings")
def list_bookings(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    principal: CurrentPrincipal,
    request: Request,
    staff_id: int | None = None,
    unit_id: int | None = None,
    family_id: int | None = None,
    status: BookingStatus | None = None,
    starts_from: AwareDatetime | None = None,
    starts_to: AwareDatetime | None = None,
) -> Page[BookingOut]:
    filters = service.BookingFilters(
        staff_id=staff_id,
        unit_id=unit_id,
        family_id=family_id,
        status=status,
        starts_from=starts_from,
        starts_to=starts_to,
        visible_units=visible_bvc_ids(session, principal),
    )
    rows, cursor = service.list_bookings(session, page, settings, filters)
    audit.record_reads(session, request, principal, [r.family_id for r in rows], "booking")
    return Page(items=[BookingOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/bookings/{booking_id}", dependencies=[BookingScope])
def get_booking(booking_id: int, session: SessionDep, response: Response) -> BookingDetail:
    return _with_etag(response, service.get_booking(session, booking_id))


@router.patch("/bookings/{booking_id}", dependencies=[BookingScope])
def reschedule_booking(
    booking_id: int,
    body: BookingChange,
    session: SessionDep,
    response: Response,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> BookingDetail:
    """Move a booking (If-Match required: 428 without it, 412 when stale)."""
    require_visible_participants(session, principal, [p.staff_id for p in body.staff or []])
    return _with_etag(response, service.reschedule(session, booking_id, body, if_match))


@router.post("/bookings/{booking_id}/cancellation", dependencies=[BookingScope])
def cancel_booking(
    booking_id: int,
    body: BookingCancel,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> BookingDetail:
    return _with_etag(response, service.cancel(session, booking_id, body, if_match))


@router.post("/bookings/{booking_id}/no-show", dependencies=[BookingScope])
def mark_no_show(
    booking_id: int,
    body: NoShowIn,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> BookingDetail:
    return _with_etag(response, service.no_show(session, booking_id, body, if_match))


@router.post(
    "/bookings/{booking_id}/outcome",
    status_code=status.HTTP_201_CREATED,
    dependencies=[BookingScope],
)
def record_outcome(
    booking_id: int,
    body: OutcomeIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> BookingDetail:
    """Record who took part and where; returns the booking with its KVÅ codes."""
    require_visible_participants(session, principal, body.staff_ids)
    return _with_etag(response, service.record_outcome(session, booking_id, body, if_match))


@router.get("/bookings/{booking_id}/outcome", dependencies=[BookingScope])
def get_outcome(booking_id: int, session: SessionDep) -> OutcomeOut:
    booking = service.get_booking(session, booking_id)
    if booking.outcome is None:
        raise NotFound("no outcome recorded for this booking")
    return OutcomeOut.model_validate(booking.outcome)


@router.get(
    "/kva-export",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def kva_export(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    starts_from: AwareDatetime,
    starts_to: AwareDatetime,
    unit_id: int | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """KVÅ codes per completed visit (ZV509 for every visit with socialtjänst), JSON or CSV."""
    service.check_range(starts_from, starts_to, settings)
    visible = visible_bvc_ids(session, principal)
    rows = service.kva_rows(session, starts_from, starts_to, unit_id, visible)
    audit.record_reads(session, request, principal, [r.family_id for r in rows], "kva", "export")
    if format == "json":
        return [row.model_dump() for row in rows]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["booking_id", "visit_date", "unit_hsa_id", "unit_name", "staff_hsa_ids", "kva_codes"]
    )
    for row in rows:
        writer.writerow(
            [
                row.booking_id,
                row.visit_date,
                row.unit_hsa_id or "",
                row.unit_name,
                " ".join(row.staff_hsa_ids),
                " ".join(row.kva_codes),
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="kva.csv"'},
    )


def _slots_out(slots: list[Slot]) -> list[SlotOut]:
    return [
        SlotOut(
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            local_start=finder.local_text(s.starts_at),
            staff_ids=list(s.staff_ids),
            continuity=s.continuity,
            days_from_ideal=s.days_from_ideal,
        )
        for s in slots
    ]


Weekdays = Annotated[
    list[int] | None, Query(description="Preferred weekdays, 0 = Monday … 6 = Sunday")
]
StaffIds = Annotated[list[int] | None, Query(alias="staff_id", max_length=6)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _prefs(weekday: list[int] | None, part_of_day: PartOfDay | None, limit: int) -> Preferences:
    if weekday and not all(0 <= d <= 6 for d in weekday):
        raise InvalidInput.on("weekday", "0 (Monday) to 6 (Sunday)")
    return Preferences(
        weekdays=frozenset(weekday) if weekday else None, part_of_day=part_of_day, limit=limit
    )


@router.get(
    "/planned-visits/{planned_visit_id}/slots", tags=["slots"], dependencies=[PlannedVisitScope]
)
def planned_visit_slots(
    planned_visit_id: int,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    staff_ids: StaffIds = None,
    weekday: Weekdays = None,
    part_of_day: PartOfDay | None = None,
    include_substitutes: bool = False,
    limit: Limit = 20,
) -> list[SlotOut]:
    """Times when the family's team is free for the visit (buffers included) inside its window.

    Ranked: the family's own team first, then closest to the ideal age, then earliest.
    """
    require_visible_staff(session, principal, staff_ids or [], "staff_id")
    slots = finder.slots_for_planned_visit(
        session,
        planned_visit_id,
        settings,
        _prefs(weekday, part_of_day, limit),
        staff_ids=staff_ids,
        include_substitutes=include_substitutes,
    )
    return _slots_out(slots)


@router.get("/slots", tags=["slots"])
def free_slots(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    staff_ids: Annotated[list[int], Query(alias="staff_id", min_length=1, max_length=6)],
    from_date: date,
    to_date: date,
    duration_minutes: Annotated[int, Query(ge=15, le=480)] = 60,
    home_visit: bool = True,
    weekday: Weekdays = None,
    part_of_day: PartOfDay | None = None,
    limit: Limit = 20,
) -> list[SlotOut]:
    """Times when all the named staff are free (at most 92 days searched), for follow-ups.
    Staff of organizations yours does not collaborate with read as unknown (422)."""
    require_visible_staff(session, principal, staff_ids, "staff_id")
    slots = finder.slots_for_staff(
        session,
        staff_ids,
        from_date,
        to_date,
        duration_minutes,
        home_visit,
        settings,
        _prefs(weekday, part_of_day, limit),
    )
    return _slots_out(slots)
