"""Calendar feeds (/calendar/{token}.ics), their tokens, and single-visit invitations."""

from collections.abc import Sequence
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status

from app.auth.scope import (
    BookingScope,
    CalendarTokenManageable,
    StaffFeedManageable,
    UnitFeedManageable,
)
from app.calendar import service
from app.calendar.models import CalendarToken
from app.calendar.schemas import CalendarTokenCreated, CalendarTokenIn, CalendarTokenOut
from app.config import Settings
from app.deps import SessionDep, SettingsDep
from app.errors import problem_response

CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"
# The token is in the URL: no Referer may carry it on, and no shared cache may keep the feed.
FEED_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
}
_CALENDAR_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "iCalendar (RFC 5545)",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
}

router = APIRouter(tags=["calendar"])
feed_router = APIRouter(tags=["calendar"])


def base_url(request: Request, settings: Settings) -> str:
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


def _created(
    request: Request, settings: Settings, response: Response, issued: service.IssuedToken
) -> CalendarTokenCreated:
    feed_url = f"{base_url(request, settings)}/calendar/{issued.secret}.ics"
    response.headers["Location"] = f"/api/v1/calendar-tokens/{issued.token.id}"
    response.headers["Cache-Control"] = "no-store"
    return CalendarTokenCreated(
        **CalendarTokenOut.model_validate(issued.token).model_dump(),
        token=issued.secret,
        feed_url=feed_url,
        webcal_url="webcal://" + feed_url.split("://", 1)[1],
    )


def _out(tokens: Sequence[CalendarToken]) -> list[CalendarTokenOut]:
    return [CalendarTokenOut.model_validate(t) for t in tokens]


# Feed secrets stay in their own organization: a coordinator manages anyone's of it, a nurse or
# social worker their own and their unit's; anything else is 404.
@router.post(
    "/staff/{staff_id}/calendar-tokens",
    status_code=status.HTTP_201_CREATED,
    dependencies=[StaffFeedManageable],
)
def create_staff_token(
    staff_id: int,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    body: CalendarTokenIn | None = None,
) -> CalendarTokenCreated:
    """A feed of the staff member's visits; the secret and its links are shown only here."""
    issued = service.issue_for_staff(session, staff_id, body or CalendarTokenIn())
    return _created(request, settings, response, issued)


@router.get("/staff/{staff_id}/calendar-tokens", dependencies=[StaffFeedManageable])
def list_staff_tokens(staff_id: int, session: SessionDep) -> list[CalendarTokenOut]:
    return _out(service.staff_tokens(session, staff_id))


@router.post(
    "/units/{unit_id}/calendar-tokens",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UnitFeedManageable],
)
def create_unit_token(
    unit_id: int,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    body: CalendarTokenIn | None = None,
) -> CalendarTokenCreated:
    """A feed of every visit the unit's staff take part in (the team view)."""
    issued = service.issue_for_unit(session, unit_id, body or CalendarTokenIn())
    return _created(request, settings, response, issued)


@router.get("/units/{unit_id}/calendar-tokens", dependencies=[UnitFeedManageable])
def list_unit_tokens(unit_id: int, session: SessionDep) -> list[CalendarTokenOut]:
    return _out(service.unit_tokens(session, unit_id))


@router.get("/calendar-tokens/{token_id}", dependencies=[CalendarTokenManageable])
def get_token(token_id: int, session: SessionDep) -> CalendarTokenOut:
    return CalendarTokenOut.model_validate(service.get_token(session, token_id))


@router.post(
    "/calendar-tokens/{token_id}/rotation",
    status_code=status.HTTP_201_CREATED,
    dependencies=[CalendarTokenManageable],
)
def rotate_token(
    token_id: int,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> CalendarTokenCreated:
    """A new secret for the same feed; the old address gives 404 from now on."""
    return _created(request, settings, response, service.rotate(session, token_id))


@router.post("/calendar-tokens/{token_id}/revocation", dependencies=[CalendarTokenManageable])
def revoke_token(token_id: int, session: SessionDep) -> CalendarTokenOut:
    """The feed's address gives 404 from now on (as for an address that never existed)."""
    return CalendarTokenOut.model_validate(service.revoke(session, token_id))


# `:int` and inclusion before the scheduling router: `/bookings/{booking_id}` would take "5.ics".
@router.get(
    "/bookings/{booking_id:int}.ics",
    response_class=Response,
    responses=_CALENDAR_CONTENT,
    dependencies=[BookingScope],
)
def booking_invitation(
    booking_id: int, session: SessionDep, settings: SettingsDep, request: Request
) -> Response:
    """The visit as an invitation to e-mail (METHOD:REQUEST; METHOD:CANCEL once cancelled)."""
    body = service.invitation(session, booking_id, settings, base_url(request, settings))
    return Response(
        body,
        media_type=CALENDAR_MEDIA_TYPE,
        headers={
            **FEED_HEADERS,
            "Content-Disposition": f'attachment; filename="hembesok-{booking_id}.ics"',
        },
    )


def _feed_not_found() -> Response:
    # The same body for unknown, malformed and revoked tokens, and no path (it holds the secret).
    return problem_response(
        404,
        "Not found",
        "not-found",
        detail="No such calendar feed.",
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


def _not_modified(request: Request, served: service.ServedFeed) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when sent; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or served.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return served.last_modified <= since


def _feed(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    found = service.find_active(session, token)
    served = None
    if found is not None:
        served = service.serve_feed(session, found, settings, base_url(request, settings))
    if served is None:
        return _feed_not_found()
    headers = {
        **FEED_HEADERS,
        "ETag": served.etag,
        "Last-Modified": format_datetime(served.last_modified.astimezone(UTC), usegmt=True),
    }
    if _not_modified(request, served):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(served.body))
        return Response(media_type=CALENDAR_MEDIA_TYPE, headers=headers)
    return Response(served.body, media_type=CALENDAR_MEDIA_TYPE, headers=headers)


_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_CALENDAR_CONTENT,
    304: {"description": "Not modified (If-None-Match or If-Modified-Since)"},
}


@feed_router.get("/calendar/{token}.ics", response_class=Response, responses=_FEED_RESPONSES)
def calendar_feed(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Subscription feed: the staff member's or unit's visits, 30 days back to 18 months ahead.

    No METHOD (a snapshot); cancelled visits stay 30 days, marked CANCELLED and "INSTÄLLT:".
    Unknown and revoked tokens give the same 404.
    """
    return _feed(token, request, session, settings)


@feed_router.head("/calendar/{token}.ics", response_class=Response, responses=_FEED_RESPONSES)
def calendar_feed_head(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The feed's headers (ETag, Last-Modified, Content-Length) without the body."""
    return _feed(token, request, session, settings)
