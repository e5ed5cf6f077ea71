"""Bookings as iCalendar text: pure functions, no database or HTTP.

Everything a calendar client shows leaves the region's systems, so what goes in is decided here:
the visit kind, its number in the program and the family's reference code, the staff taking part
and the interpreter's language — never a family member's name, identity number or phone number.
The family's address only for a home visit, only when the organisation allows addresses in feeds,
and never for a family with protected identity.

The same visits give the same bytes: DTSTAMP and LAST-MODIFIED come from the booking's own change
time, UIDs from the booking, and the VTIMEZONE spans whole calendar years around the events.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration
from icalendar.enums import STATUS

from app.clock import STOCKHOLM

PRODID = "-//Hembesök//Kalender 1.0//SV"
UID_DOMAIN = "hembesok"
REFRESH_INTERVAL = timedelta(hours=1)
CANCELLED_PREFIX = "INSTÄLLT: "

VISIT_KINDS = {
    "home": "Hembesök",
    "clinic": "Mottagningsbesök",
    "mhv_clinic": "Besök MHV",
    "other": "Besök",
}
FOLLOW_UP = "Uppföljande besök"

PROFESSIONS = {
    "bhv_nurse": "BHV-sjuksköterska",
    "social_worker": "socialsekreterare",
    "midwife": "barnmorska",
    "dental": "tandvård",
    "librarian": "bibliotekarie",
    "other": "annan yrkesroll",
}
EXTERNALS = {
    "interpreter": "tolk",
    "librarian": "bibliotekarie",
    "dental_nurse": "tandsköterska",
    "midwife": "barnmorska",
    "other": "extern deltagare",
}


@dataclass(frozen=True)
class StaffMember:
    staff_id: int
    name: str
    profession: str
    email: str | None = None


@dataclass(frozen=True)
class External:
    """Someone from outside the teams; only the kind and language go into a calendar."""

    kind: str
    language: str | None = None


@dataclass(frozen=True)
class Visit:
    """One booking as a calendar event, with nothing in it that may not leave the service."""

    booking_id: int
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime
    cancelled: bool
    location: str
    follow_up: bool
    reference_code: str
    booking_url: str
    visit_number: int | None = None
    visit_count: int | None = None
    staff: tuple[StaffMember, ...] = ()
    externals: tuple[External, ...] = ()
    address: str | None = None


@dataclass(frozen=True)
class Feed:
    name: str
    uid: str
    # Whose calendar this is: they are left out of "Deltagare".
    viewer_staff_id: int | None = None
    refresh: timedelta = field(default=REFRESH_INTERVAL)


def feed_address(
    *,
    location: str,
    street: str | None,
    postal_code: str | None,
    city: str | None,
    addresses_in_feeds: bool,
    protected_identity: bool,
) -> str | None:
    """The address a feed may show: a home visit's, if the organisation allows it, never when
    the family has protected identity."""
    if protected_identity or not addresses_in_feeds or location != "home":
        return None
    town = " ".join(p for p in (postal_code, city) if p)
    text = ", ".join(p for p in (street, town) if p)
    return text or None


def summary(visit: Visit) -> str:
    """'Hembesök 3/8 · F-2027-0042', 'Uppföljande besök · F-…', prefixed when cancelled."""
    if visit.follow_up:
        title = FOLLOW_UP
    else:
        title = VISIT_KINDS.get(visit.location, "Besök")
        if visit.visit_number is not None:
            count = f"/{visit.visit_count}" if visit.visit_count else ""
            title = f"{title} {visit.visit_number}{count}"
    text = f"{title} · {visit.reference_code}"
    return CANCELLED_PREFIX + text if visit.cancelled else text


def description(visit: Visit, viewer_staff_id: int | None = None) -> str:
    """The other participants (staff names and professions, interpreter language) and a link."""
    others = [s for s in visit.staff if s.staff_id != viewer_staff_id]
    lines = []
    if others:
        people = ", ".join(
            f"{s.name} ({PROFESSIONS.get(s.profession, s.profession)})" for s in others
        )
        lines.append(f"Deltagare: {people}")
    for external in visit.externals:
        label = EXTERNALS.get(external.kind, EXTERNALS["other"]).capitalize()
        lines.append(f"{label}: {external.language}" if external.language else label)
    if visit.cancelled:
        lines.append("Besöket är inställt.")
    lines.append(f"Bokning: {visit.booking_url}")
    return "\n".join(lines)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    """Local time with TZID, except a time that occurs twice (the autumn clock change): UTC, so
    no client has to guess which 02:30 is meant."""
    local = instant.astimezone(tz)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return _utc(instant)
    return local


def _event(visit: Visit, viewer_staff_id: int | None, tz: ZoneInfo) -> Event:
    event = Event.new(
        uid=f"{visit.uid}@{UID_DOMAIN}",
        stamp=_utc(visit.updated_at),
        last_modified=_utc(visit.updated_at),
        start=_local(visit.starts_at, tz),
        end=_local(visit.ends_at, tz),
        sequence=visit.sequence,
        summary=summary(visit),
        description=description(visit, viewer_staff_id),
        location=visit.address,
        status=STATUS.CANCELLED if visit.cancelled else STATUS.CONFIRMED,
        url=visit.booking_url,
    )
    event.add("TRANSP", "TRANSPARENT" if visit.cancelled else "OPAQUE")
    return event


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    # Slow to compute (icalendar scans the zone's offsets), and the same for every feed.
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )


def _timezone_for(visits: Sequence[Visit], tz: ZoneInfo) -> Timezone | None:
    """The VTIMEZONE for the events' TZID, spanning the whole years around them: it holds both
    offsets, and changes only when the events reach another year. None when no event uses it."""
    if not any(_local(t, tz).tzinfo is not UTC for v in visits for t in (v.starts_at, v.ends_at)):
        return None
    first = min(v.starts_at for v in visits).astimezone(tz).year
    last = max(v.ends_at for v in visits).astimezone(tz).year
    return _vtimezone(tz.key, first, last)


def _add_timezones(calendar: Calendar, visits: Sequence[Visit], tz: ZoneInfo) -> None:
    timezone = _timezone_for(visits, tz)
    if timezone is not None:
        calendar.subcomponents.insert(0, timezone)


def _bytes(calendar: Calendar) -> bytes:
    ical: bytes = calendar.to_ical()
    return ical


# icalendar takes about 0.4 ms per event; a feed re-renders only the visits that changed.
# A Visit is immutable and holds everything the event shows (sequence and update time too), so
# a changed booking is a new key. 10,000 events are a few megabytes.
@lru_cache(maxsize=10_000)
def _event_bytes(visit: Visit, viewer_staff_id: int | None, tz: ZoneInfo) -> bytes:
    ical: bytes = _event(visit, viewer_staff_id, tz).to_ical()
    return ical


_CALENDAR_END = b"END:VCALENDAR\r\n"


def render_feed(feed: Feed, visits: Iterable[Visit], tz: ZoneInfo = STOCKHOLM) -> bytes:
    """A subscription feed: a snapshot without METHOD (RFC 5545 §3.7.2), refreshed hourly.

    The same bytes as adding every event to one icalendar Calendar; the events are rendered
    one by one so that each can be reused from the cache.
    """
    ordered = sorted(visits, key=lambda v: (v.starts_at, v.booking_id))
    calendar = Calendar.new(prodid=PRODID, name=feed.name, uid=feed.uid)
    calendar.add("REFRESH-INTERVAL", vDuration(feed.refresh, params={"VALUE": "DURATION"}))
    calendar.add("X-PUBLISHED-TTL", vDuration(feed.refresh))
    _add_timezones(calendar, ordered, tz)
    head = _bytes(calendar).removesuffix(_CALENDAR_END)
    events = b"".join(_event_bytes(v, feed.viewer_staff_id, tz) for v in ordered)
    return head + events + _CALENDAR_END


def render_invitation(
    visit: Visit,
    organizer: StaffMember | None,
    fallback_organizer: str,
    tz: ZoneInfo = STOCKHOLM,
) -> bytes:
    """One visit as an iTIP message (RFC 5546): REQUEST, or CANCEL for a cancelled visit.

    The organizer is the visit's nurse (her e-mail, else the service's no-reply address); the
    attendees are the staff taking part who have an e-mail address.
    """
    calendar = Calendar.new(prodid=PRODID, method="CANCEL" if visit.cancelled else "REQUEST")
    # The UID comes from the visit; Calendar.new() would add a random one to the calendar.
    del calendar["UID"]
    event = _event(visit, None, tz)
    organizer_email = organizer.email if organizer and organizer.email else fallback_organizer
    event.add(
        "ORGANIZER", vCalAddress.new(organizer_email, cn=organizer.name if organizer else None)
    )
    for member in visit.staff:
        if member.email:
            event.add(
                "ATTENDEE",
                vCalAddress.new(
                    member.email,
                    cn=member.name,
                    role="REQ-PARTICIPANT",
                    partstat="NEEDS-ACTION",
                ),
            )
    calendar.add_component(event)
    _add_timezones(calendar, [visit], tz)
    return _bytes(calendar)
