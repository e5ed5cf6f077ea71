"""Fixtures for the calendar tests: a movable clock, a team with a family in the program, and
checks every feed must pass (icalendar, Mozilla's ical.js, and the raw text's shape)."""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.programs.models import TemplateVisit
from app.scheduling import service as scheduling_service
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
ICAL_CHECK = Path(__file__).with_name("ical_check.mjs")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
API = "/api/v1"
# The calendar tests run in March 2026, so that a visit on the spring clock-change day (29 March)
# is inside the feeds' window.
NOW = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)


def local(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=STOCKHOLM)


@dataclass
class Clock:
    now: datetime = NOW


@pytest.fixture(autouse=True)
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock, pinned (bookings' cancellation times too); tests move it by setting `now.now`."""
    pinned = Clock()
    monkeypatch.setattr(clock, "now_utc", lambda: pinned.now)
    monkeypatch.setattr(scheduling_service, "now_utc", lambda: pinned.now)
    return pinned


@dataclass
class Team:
    setting: factories.Setting
    family_id: int
    reference_code: str
    visit_ids: dict[int, int]  # plan sequence -> planned visit id
    visit_count: int
    extra: dict[str, Any] = field(default_factory=dict)


def enrol(session: Session, s: factories.Setting, **family_fields: Any) -> Team:
    fam = factories.family(session, s.bvc_id, born=date(2026, 1, 10), **family_fields)
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=fam.id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2026, 2, 1),
        ),
    )
    plan = enrollments.plan(session, enrollment.id)
    count = session.scalar(
        select(func.count())
        .select_from(TemplateVisit)
        .where(TemplateVisit.template_id == enrollment.template_id)
    )
    return Team(
        setting=s,
        family_id=fam.id,
        reference_code=fam.reference_code,
        visit_ids={v.sequence: v.id for v in plan.visits},
        visit_count=int(count or 0),
    )


@pytest.fixture
def team(session: Session) -> Team:
    """A nurse and a social worker with one family (child born 2026-01-10) in the program."""
    result = enrol(session, factories.setting(session), interpreter_language="arabiska")
    session.rollback()  # end the read transaction: the app under test writes next
    return result


def book(client: Any, planned_visit_id: int, starts: datetime, **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"{API}/bookings",
        json={"planned_visit_id": planned_visit_id, "starts_at": starts.isoformat(), **extra},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    body["etag"] = response.headers["etag"]
    return body


def follow_up(client: Any, family_id: int, starts: datetime) -> dict[str, Any]:
    response = client.post(
        f"{API}/bookings", json={"family_id": family_id, "starts_at": starts.isoformat()}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def staff_token(client: Any, staff_id: int, label: str | None = None) -> dict[str, Any]:
    response = client.post(f"{API}/staff/{staff_id}/calendar-tokens", json={"label": label})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def unit_token(client: Any, unit_id: int) -> dict[str, Any]:
    response = client.post(f"{API}/units/{unit_id}/calendar-tokens")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def feed_path(created: dict[str, Any]) -> str:
    return urlsplit(created["feed_url"]).path


# --- checks every feed must pass -------------------------------------------------------------

_TZID_PARAM = re.compile(rb";TZID=([^;:]+)[;:]")
_TZID_DEFINED = re.compile(rb"^TZID:(.+)$", re.MULTILINE)


def unfolded_lines(body: bytes) -> list[bytes]:
    return body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").split(b"\r\n")


def check_raw(body: bytes, *, method: str | None = None) -> None:
    """CRLF line ends, lines folded at 75 octets, a VTIMEZONE for every TZID, DTSTAMP in UTC,
    METHOD only where expected."""
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in body.replace(b"\r\n", b""), "a bare CR"
    for line in body.split(b"\r\n"):
        assert len(line) <= 75, f"line not folded at 75 octets: {line!r}"
        line.decode("utf-8")  # folding must not split a UTF-8 sequence
    lines = unfolded_lines(body)
    used = set(_TZID_PARAM.findall(body.replace(b"\r\n ", b"")))
    defined = {tzid.strip() for tzid in _TZID_DEFINED.findall(b"\n".join(lines))}
    assert used <= defined, f"TZIDs without VTIMEZONE: {used - defined}"
    stamps = [line for line in lines if line.startswith(b"DTSTAMP")]
    assert len(stamps) == lines.count(b"BEGIN:VEVENT"), "a VEVENT without one DTSTAMP"
    for stamp in stamps:
        assert re.fullmatch(rb"DTSTAMP:\d{8}T\d{6}Z", stamp), stamp
    methods = [line for line in lines if line.startswith(b"METHOD")]
    assert methods == ([f"METHOD:{method}".encode()] if method else [])


IcalJs = Callable[[bytes], dict[str, Any]]


@pytest.fixture(scope="session")
def ical_js() -> IcalJs | None:
    """Parse with Mozilla's ical.js through node; None when node is missing, except in CI."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node not found, and CI must run the ical.js checks")
        return None
    if not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js is not installed: run `npm ci` (make test does)")

    def parse(body: bytes) -> dict[str, Any]:
        done = subprocess.run(
            [node, str(ICAL_CHECK)], input=body, capture_output=True, timeout=60, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr.decode()
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    return parse


def _icalendar_view(calendar: icalendar.Calendar) -> dict[str, Any]:
    """What the tests read from ical.js, taken from icalendar when node is missing."""

    def text(component: Any, name: str) -> str | None:
        return str(component[name]) if name in component else None

    def when(value: datetime) -> dict[str, Any]:
        tzid = None if value.tzinfo is UTC else getattr(value.tzinfo, "key", None)
        return {
            "local": value.replace(tzinfo=None).isoformat(),
            "tzid": tzid,
            "utc": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }

    def attendees(event: Any) -> list[str]:
        found = event.get("ATTENDEE", [])
        return [str(a) for a in (found if isinstance(found, list) else [found])]

    return {
        "method": text(calendar, "METHOD"),
        "name": text(calendar, "NAME"),
        "calname": text(calendar, "X-WR-CALNAME"),
        "refresh_interval": calendar["REFRESH-INTERVAL"].to_ical().decode()
        if "REFRESH-INTERVAL" in calendar
        else None,
        "published_ttl": calendar["X-PUBLISHED-TTL"].to_ical().decode()
        if "X-PUBLISHED-TTL" in calendar
        else None,
        "timezones": [tz.tz_name for tz in calendar.timezones],
        "events": [
            {
                "uid": text(e, "UID"),
                "sequence": int(e.get("SEQUENCE", 0)),
                "summary": text(e, "SUMMARY"),
                "description": text(e, "DESCRIPTION"),
                "location": text(e, "LOCATION"),
                "status": text(e, "STATUS"),
                "start": when(e.start),
                "end": when(e.end),
                "dtstamp_utc": e.DTSTAMP.tzinfo is not None,
                "organizer": text(e, "ORGANIZER"),
                "attendees": attendees(e),
            }
            for e in calendar.events
        ],
    }


@pytest.fixture
def parse_all(ical_js: IcalJs | None) -> Callable[..., tuple[icalendar.Calendar, dict[str, Any]]]:
    """Check the raw text, parse with icalendar and with ical.js; both must see the same events.
    Returns icalendar's calendar and ical.js's view (icalendar's, when node is missing)."""

    def parse(body: bytes, method: str | None = None) -> tuple[icalendar.Calendar, dict[str, Any]]:
        check_raw(body, method=method)
        calendar = icalendar.Calendar.from_ical(body)
        if ical_js is None:
            return calendar, _icalendar_view(calendar)
        seen = ical_js(body)
        assert [str(e["UID"]) for e in calendar.events] == [e["uid"] for e in seen["events"]]
        for ours, theirs in zip(calendar.events, seen["events"], strict=True):
            assert ours.start == datetime.fromisoformat(theirs["start"]["utc"])
            assert ours.end == datetime.fromisoformat(theirs["end"]["utc"])
            assert theirs["dtstamp_utc"] is True
            assert str(ours["SUMMARY"]) == theirs["summary"]
            assert int(ours.get("SEQUENCE", 0)) == theirs["sequence"]
        return calendar, seen

    return parse


def feed_events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.events}


def event_uid(booking: dict[str, Any]) -> str:
    return f"{booking['uid']}@hembesok"
