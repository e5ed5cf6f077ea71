"""Feed tokens, and feeds: load the bookings, hand them to render.py, remember what was served.

A token is 256 random bits (secrets.token_urlsafe(32)); only its SHA-256 is stored. A feed request
finds its token by that hash: an index lookup may take longer for some hashes than others, but
what it could reveal is a prefix of the hash of a secret no one can guess, which does not help to
find the secret. The stored hash is compared with hmac.compare_digest all the same.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.calendar import render
from app.calendar.models import CalendarToken
from app.calendar.schemas import CalendarTokenIn
from app.config import Settings
from app.crud import get_or_404
from app.db import rolls_back
from app.enrollments.models import Enrollment, PlannedVisit
from app.errors import Conflict, NotFound
from app.families.models import Family
from app.organizations.models import Organization, Unit
from app.programs.models import TemplateVisit
from app.scheduling.models import (
    Booking,
    BookingKind,
    BookingParticipant,
    BookingStatus,
    ExternalParticipant,
)
from app.staff.models import Staff
from app.staff.profession import Profession

TOKEN_BYTES = 32
# What secrets.token_urlsafe(32) gives; anything else is not worth a database lookup.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret, which exists only in this response."""

    token: CalendarToken
    secret: str


def _issue(session: Session, **scope: int | str | None) -> IssuedToken:
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    token = CalendarToken(token_hash=hash_token(secret), created_at=clock.now_utc(), **scope)
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


@rolls_back
def issue_for_staff(session: Session, staff_id: int, data: CalendarTokenIn) -> IssuedToken:
    staff = get_or_404(session, Staff, staff_id, "staff member")
    if not staff.active:
        raise Conflict("the staff member is not active")
    issued = _issue(session, staff_id=staff.id, label=data.label)
    session.commit()
    return issued


@rolls_back
def issue_for_unit(session: Session, unit_id: int, data: CalendarTokenIn) -> IssuedToken:
    unit = get_or_404(session, Unit, unit_id, "unit")
    issued = _issue(session, unit_id=unit.id, label=data.label)
    session.commit()
    return issued


def get_token(session: Session, token_id: int) -> CalendarToken:
    return get_or_404(session, CalendarToken, token_id, "calendar token")


def _tokens(session: Session, where: ColumnElement[bool]) -> Sequence[CalendarToken]:
    return session.scalars(select(CalendarToken).where(where).order_by(CalendarToken.id)).all()


def staff_tokens(session: Session, staff_id: int) -> Sequence[CalendarToken]:
    get_or_404(session, Staff, staff_id, "staff member")
    return _tokens(session, CalendarToken.staff_id == staff_id)


def unit_tokens(session: Session, unit_id: int) -> Sequence[CalendarToken]:
    get_or_404(session, Unit, unit_id, "unit")
    return _tokens(session, CalendarToken.unit_id == unit_id)


@rolls_back
def rotate(session: Session, token_id: int) -> IssuedToken:
    """A new secret for the same feed; the old one stops working at once."""
    # Locked, so that two rotations at once do not leave two live successors.
    old = session.get(CalendarToken, token_id, with_for_update=True)
    if old is None:
        raise NotFound(f"calendar token {token_id} not found")
    if old.revoked_at is not None:
        raise Conflict("the token is revoked; create a new one")
    issued = _issue(session, staff_id=old.staff_id, unit_id=old.unit_id, label=old.label)
    old.revoked_at = issued.token.created_at
    old.replaced_by_id = issued.token.id
    session.commit()
    return issued


@rolls_back
def revoke(session: Session, token_id: int) -> CalendarToken:
    """Stop the feed; revoking a revoked token changes nothing."""
    token = get_token(session, token_id)
    if token.revoked_at is None:
        token.revoked_at = clock.now_utc()
        session.commit()
    return token


def find_active(session: Session, secret: str) -> CalendarToken | None:
    """The live token for a secret from a feed URL; None for unknown, malformed and revoked."""
    if not TOKEN_SHAPE.fullmatch(secret):
        return None
    digest = hash_token(secret)
    token = session.scalar(select(CalendarToken).where(CalendarToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token if token.revoked_at is None else None


@dataclass(frozen=True)
class ServedFeed:
    body: bytes
    etag: str
    last_modified: datetime


def body_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest() + '"'


def advance_last_modified(
    served_etag: str | None,
    served_at: datetime | None,
    etag: str,
    newest_change: datetime,
    now: datetime,
) -> datetime:
    """Last-Modified for a body: the newest booking change, but never earlier than what was
    served before, and strictly later whenever the body changed.

    Apple revalidates with If-Modified-Since only, so a feed that lost a booking (moved to other
    staff, out of the window) must still look newer than the copy the client holds.
    """
    newest = newest_change.replace(microsecond=0)
    if served_at is None:
        return newest
    if served_etag == etag:
        return served_at
    if newest > served_at:
        return newest
    return max(now.replace(microsecond=0), served_at + timedelta(seconds=1))


def feed_window(now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    return (
        now - timedelta(days=settings.calendar_days_back),
        now + relativedelta(months=settings.calendar_months_ahead),
    )


def _feed_conditions(
    token: CalendarToken, now: datetime, settings: Settings
) -> list[ColumnElement[bool]]:
    """The bookings a feed shows: its staff member's (or unit's), inside the window, and the
    cancelled ones only for a while after their cancellation."""
    start, end = feed_window(now, settings)
    taking_part: Select[tuple[int]] = select(BookingParticipant.booking_id)
    if token.staff_id is not None:
        taking_part = taking_part.where(BookingParticipant.staff_id == token.staff_id)
    else:
        taking_part = taking_part.join(Staff, Staff.id == BookingParticipant.staff_id).where(
            Staff.unit_id == token.unit_id
        )
    kept_since = now - timedelta(days=settings.calendar_cancelled_kept_days)
    return [
        Booking.id.in_(taking_part),
        Booking.starts_at >= start,
        Booking.starts_at < end,
        or_(Booking.status != BookingStatus.cancelled, Booking.cancelled_at >= kept_since),
    ]


@dataclass(frozen=True)
class _Loaded:
    visits: list[render.Visit]
    staff: dict[int, render.StaffMember]
    team: dict[int, list[int]]  # booking id -> staff ids, in booking order
    newest_change: datetime | None


def _load(session: Session, where: list[ColumnElement[bool]], base_url: str) -> _Loaded:
    """The bookings matching `where` as render.Visit. Columns, not ORM objects: a feed holds
    thousands of bookings, and building entities for them costs more than rendering."""
    bookings = session.execute(
        select(
            Booking.id,
            Booking.uid,
            Booking.family_id,
            Booking.planned_visit_id,
            Booking.kind,
            Booking.starts_at,
            Booking.ends_at,
            Booking.location,
            Booking.status,
            Booking.sequence,
            Booking.updated_at,
        )
        .where(*where)
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    ids = select(Booking.id).where(*where)
    team: dict[int, list[int]] = {}
    for booking_id, staff_id in session.execute(
        select(BookingParticipant.booking_id, BookingParticipant.staff_id)
        .where(BookingParticipant.booking_id.in_(ids))
        .order_by(BookingParticipant.id)
    ):
        team.setdefault(booking_id, []).append(staff_id)
    externals: dict[int, list[render.External]] = {}
    for booking_id, kind, language in session.execute(
        select(
            ExternalParticipant.booking_id, ExternalParticipant.kind, ExternalParticipant.language
        )
        .where(ExternalParticipant.booking_id.in_(ids))
        .order_by(ExternalParticipant.id)
    ):
        externals.setdefault(booking_id, []).append(render.External(kind.value, language))
    staff = {
        row.id: render.StaffMember(
            staff_id=row.id,
            name=f"{row.given_name} {row.family_name}",
            profession=row.profession.value,
            email=row.email,
        )
        for row in session.execute(
            select(
                Staff.id, Staff.given_name, Staff.family_name, Staff.profession, Staff.email
            ).where(Staff.id.in_(sorted({i for ids_ in team.values() for i in ids_})))
        )
    }
    families = {
        row.id: row
        for row in session.execute(
            select(
                Family.id,
                Family.reference_code,
                Family.street_address,
                Family.postal_code,
                Family.city,
                Family.protected_identity,
                Organization.addresses_in_feeds,
            )
            .join(Unit, Unit.id == Family.unit_id)
            .join(Organization, Organization.id == Unit.organization_id)
            .where(Family.id.in_(sorted({b.family_id for b in bookings})))
        )
    }
    planned = {
        visit_id: (sequence, template_id)
        for visit_id, sequence, template_id in session.execute(
            select(PlannedVisit.id, PlannedVisit.sequence, Enrollment.template_id)
            .join(Enrollment, Enrollment.id == PlannedVisit.enrollment_id)
            .where(
                PlannedVisit.id.in_(
                    sorted({b.planned_visit_id for b in bookings if b.planned_visit_id})
                )
            )
        )
    }
    counts: dict[int, int] = {
        template_id: count
        for template_id, count in session.execute(
            select(TemplateVisit.template_id, func.count())
            .where(TemplateVisit.template_id.in_(sorted({t for _, t in planned.values()})))
            .group_by(TemplateVisit.template_id)
        )
    }
    visits = []
    for b in bookings:
        family = families[b.family_id]
        number, count = None, None
        if b.planned_visit_id is not None:
            number, template_id = planned[b.planned_visit_id]
            count = counts.get(template_id)
        visits.append(
            render.Visit(
                booking_id=b.id,
                uid=b.uid,
                sequence=b.sequence,
                starts_at=b.starts_at,
                ends_at=b.ends_at,
                updated_at=b.updated_at,
                cancelled=b.status == BookingStatus.cancelled,
                location=b.location.value,
                follow_up=b.kind == BookingKind.follow_up,
                reference_code=family.reference_code,
                booking_url=f"{base_url}/api/v1/bookings/{b.id}",
                visit_number=number,
                visit_count=count,
                staff=tuple(staff[i] for i in team.get(b.id, [])),
                externals=tuple(externals.get(b.id, [])),
                address=render.feed_address(
                    location=b.location.value,
                    street=family.street_address,
                    postal_code=family.postal_code,
                    city=family.city,
                    addresses_in_feeds=family.addresses_in_feeds,
                    protected_identity=family.protected_identity,
                ),
            )
        )
    # Cancelled bookings count too: their cancellation may be the newest change in the feed.
    newest = max((b.updated_at for b in bookings), default=None)
    return _Loaded(visits=visits, staff=staff, team=team, newest_change=newest)


def serve_feed(
    session: Session, token: CalendarToken, settings: Settings, base_url: str
) -> ServedFeed | None:
    """The feed's bytes, ETag and Last-Modified; None when its staff member has left."""
    now = clock.now_utc()
    if token.staff_id is not None:
        member = session.get_one(Staff, token.staff_id)
        if not member.active:
            return None
        feed = render.Feed(
            name=f"Hembesök · {member.given_name} {member.family_name}",
            uid=f"staff-{member.id}@{render.UID_DOMAIN}",
            viewer_staff_id=member.id,
        )
    else:
        assert token.unit_id is not None
        unit = session.get_one(Unit, token.unit_id)
        feed = render.Feed(
            name=f"Hembesök · {unit.name}", uid=f"unit-{unit.id}@{render.UID_DOMAIN}"
        )
    loaded = _load(session, _feed_conditions(token, now, settings), base_url)
    body = render.render_feed(feed, loaded.visits)
    etag = body_etag(body)
    last_modified = advance_last_modified(
        token.feed_etag,
        token.feed_modified_at,
        etag,
        loaded.newest_change or token.created_at,
        now,
    )
    if (token.feed_etag, token.feed_modified_at) != (etag, last_modified):
        token.feed_etag, token.feed_modified_at = etag, last_modified
        session.commit()
    return ServedFeed(body=body, etag=etag, last_modified=last_modified)


def invitation(session: Session, booking_id: int, settings: Settings, base_url: str) -> bytes:
    """One booking as METHOD:REQUEST (or CANCEL), organised by its nurse."""
    loaded = _load(session, [Booking.id == booking_id], base_url)
    if not loaded.visits:
        raise NotFound(f"booking {booking_id} not found")
    team = [loaded.staff[i] for i in loaded.team.get(booking_id, [])]
    nurse = next((s for s in team if s.profession == Profession.bhv_nurse), None)
    return render.render_invitation(
        loaded.visits[0],
        nurse or (team[0] if team else None),
        settings.calendar_fallback_organizer,
    )
