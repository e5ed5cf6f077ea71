"""render.py on its own: what goes into a calendar, and the shape of the text."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.calendar import render
from app.calendar.render import External, Feed, StaffMember, Visit
from app.calendar.service import advance_last_modified
from tests.calendar.conftest import check_raw, local

NURSE = StaffMember(1, "Anna Sköterska", "bhv_nurse", "anna.skoterska@region.example")
WORKER = StaffMember(2, "Bo Socionom", "social_worker")
CHANGED = datetime(2026, 2, 1, 12, 30, 15, 123456, tzinfo=UTC)


def visit(**fields: object) -> Visit:
    base = Visit(
        booking_id=7,
        uid="0123abcd",
        sequence=0,
        starts_at=local(2026, 4, 14, 10).astimezone(UTC),
        ends_at=local(2026, 4, 14, 11, 30).astimezone(UTC),
        updated_at=CHANGED,
        cancelled=False,
        location="home",
        follow_up=False,
        reference_code="F-2027-0042",
        booking_url="https://hembesok.example/api/v1/bookings/7",
        visit_number=3,
        visit_count=8,
        staff=(NURSE, WORKER),
        externals=(External("interpreter", "arabiska"),),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


FEED = Feed(name="Hembesök · Anna Sköterska", uid="staff-1@hembesok", viewer_staff_id=1)


def lines(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def test_summary_gives_kind_number_and_reference_code_only():
    assert render.summary(visit()) == "Hembesök 3/8 · F-2027-0042"
    assert render.summary(visit(location="clinic")) == "Mottagningsbesök 3/8 · F-2027-0042"
    assert render.summary(visit(location="mhv_clinic")) == "Besök MHV 3/8 · F-2027-0042"
    assert render.summary(visit(follow_up=True, visit_number=None)) == (
        "Uppföljande besök · F-2027-0042"
    )
    assert render.summary(visit(cancelled=True)) == "INSTÄLLT: Hembesök 3/8 · F-2027-0042"


@given(
    location=st.sampled_from(["home", "clinic", "mhv_clinic", "other"]),
    allowed=st.booleans(),
    protected=st.booleans(),
)
def test_address_only_for_home_visits_when_allowed_and_never_when_protected(
    location, allowed, protected
):
    address = render.feed_address(
        location=location,
        street="Storgatan 1",
        postal_code="123 45",
        city="Testby",
        addresses_in_feeds=allowed,
        protected_identity=protected,
    )
    if location == "home" and allowed and not protected:
        assert address == "Storgatan 1, 123 45 Testby"
    else:
        assert address is None


def test_description_lists_the_other_participants_interpreter_and_link():
    text = render.description(visit(), viewer_staff_id=NURSE.staff_id)
    assert text == (
        "Deltagare: Bo Socionom (socialsekreterare)\n"
        "Tolk: arabiska\n"
        "Bokning: https://hembesok.example/api/v1/bookings/7"
    )
    team_view = render.description(visit(), viewer_staff_id=None)
    assert "Anna Sköterska (BHV-sjuksköterska), Bo Socionom (socialsekreterare)" in team_view
    assert "anna.skoterska" not in team_view  # e-mail addresses only as ATTENDEE in invitations


def test_feed_is_a_snapshot_with_names_refresh_hints_and_no_method():
    body = render.render_feed(FEED, [visit()])
    check_raw(body)
    text = lines(body)
    assert "VERSION:2.0" in text
    assert render.PRODID in body.decode()
    assert "NAME:Hembesök · Anna Sköterska" in text
    assert "X-WR-CALNAME:Hembesök · Anna Sköterska" in text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "X-PUBLISHED-TTL:PT1H" in text
    assert not any(line.startswith("METHOD") for line in text)
    event = icalendar.Calendar.from_ical(body).events[0]
    assert str(event["UID"]) == "0123abcd@hembesok"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert CHANGED.replace(microsecond=0) == event.DTSTAMP
    assert CHANGED.replace(microsecond=0) == event.LAST_MODIFIED
    assert "LOCATION" not in event


def test_spring_clock_change_day_keeps_local_time_with_tzid():
    body = render.render_feed(FEED, [visit(starts_at=datetime(2026, 3, 29, 8, tzinfo=UTC))])
    check_raw(body)
    assert "DTSTART;TZID=Europe/Stockholm:20260329T100000" in lines(body)


def test_a_time_that_occurs_twice_in_october_is_written_in_utc():
    # 02:30 on 25 October 2026 happens twice in Stockholm; 00:30 UTC is the first (CEST).
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    body = render.render_feed(
        FEED, [visit(starts_at=first, ends_at=first + timedelta(hours=2, minutes=30))]
    )
    check_raw(body)
    assert "DTSTART:20261025T003000Z" in lines(body)
    assert "DTEND;TZID=Europe/Stockholm:20261025T040000" in lines(body)


def test_vtimezone_covers_whole_years_around_the_events():
    june = datetime(2027, 6, 1, 8, tzinfo=UTC)
    visits = [
        visit(),
        visit(booking_id=8, uid="x", starts_at=june, ends_at=june + timedelta(hours=1)),
    ]
    body = render.render_feed(FEED, visits)
    check_raw(body)
    calendar = icalendar.Calendar.from_ical(body)
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Stockholm"]
    # The file's own VTIMEZONE, not the system's zone data, gives the right offsets.
    from_file = calendar.timezones[0].to_tz()
    for when, hours in [
        (datetime(2026, 1, 5, 10), 1),
        (datetime(2026, 4, 14, 10), 2),
        (datetime(2027, 6, 1, 10), 2),
        (datetime(2027, 12, 1, 10), 1),
    ]:
        assert when.replace(tzinfo=from_file).utcoffset() == timedelta(hours=hours), when


def test_same_visits_give_the_same_bytes_in_any_order():
    visits = [visit(booking_id=i, uid=f"u{i}", sequence=i) for i in range(1, 20)]
    first = render.render_feed(FEED, visits)
    assert render.render_feed(FEED, list(reversed(visits))) == first


def test_feed_is_byte_for_byte_what_icalendar_makes_of_the_whole_calendar():
    # render_feed renders (and caches) event by event; the result must not differ.
    visits = [visit(booking_id=i, uid=f"u{i}", cancelled=i % 2 == 0) for i in range(1, 6)]
    whole = icalendar.Calendar.new(prodid=render.PRODID, name=FEED.name, uid=FEED.uid)
    whole.add("REFRESH-INTERVAL", icalendar.vDuration(FEED.refresh, params={"VALUE": "DURATION"}))
    whole.add("X-PUBLISHED-TTL", icalendar.vDuration(FEED.refresh))
    for v in visits:
        whole.add_component(render._event(v, FEED.viewer_staff_id, render.STOCKHOLM))
    render._add_timezones(whole, visits, render.STOCKHOLM)
    assert render.render_feed(FEED, visits) == whole.to_ical()
    assert render.render_feed(FEED, visits) == whole.to_ical()  # from the cache


def test_a_changed_visit_is_rendered_again():
    before = render.render_feed(FEED, [visit()])
    after = render.render_feed(FEED, [visit(sequence=1, updated_at=CHANGED + timedelta(hours=1))])
    assert b"SEQUENCE:1" in after and b"SEQUENCE:0" in before


def test_long_text_is_folded_without_splitting_characters():
    many = tuple(StaffMember(i, f"Åsa Öberg-Ärlig {i}", "other") for i in range(10, 20))
    body = render.render_feed(FEED, [visit(staff=many, reference_code="F-2027-ÅÄÖ")])
    check_raw(body)
    description = str(icalendar.Calendar.from_ical(body).events[0]["DESCRIPTION"])
    assert "Åsa Öberg-Ärlig 19 (annan yrkesroll)" in description


def test_cancelled_visit_is_marked_in_status_and_title():
    body = render.render_feed(FEED, [visit(cancelled=True, sequence=2)])
    event = icalendar.Calendar.from_ical(body).events[0]
    assert event["STATUS"] == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("INSTÄLLT: ")
    assert event["SEQUENCE"] == 2


def test_invitation_requests_with_organizer_and_attendees():
    body = render.render_invitation(visit(), NURSE, "noreply@hembesok.invalid")
    check_raw(body, method="REQUEST")
    event = icalendar.Calendar.from_ical(body).events[0]
    assert str(event["ORGANIZER"]) == "mailto:anna.skoterska@region.example"
    assert event["ORGANIZER"].params["CN"] == "Anna Sköterska"
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:anna.skoterska@region.example"]


def test_invitation_for_a_cancelled_visit_is_a_cancel():
    body = render.render_invitation(visit(cancelled=True, sequence=1), NURSE, "x@y.invalid")
    check_raw(body, method="CANCEL")
    event = icalendar.Calendar.from_ical(body).events[0]
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_invitation_without_the_nurses_email_uses_the_fallback_organizer():
    no_mail = replace(NURSE, email=None)
    body = render.render_invitation(visit(staff=(no_mail,)), no_mail, "noreply@hembesok.invalid")
    event = icalendar.Calendar.from_ical(body).events[0]
    assert str(event["ORGANIZER"]) == "mailto:noreply@hembesok.invalid"
    assert "ATTENDEE" not in event


T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_last_modified_is_the_newest_change_when_first_served():
    assert advance_last_modified(None, None, '"a"', T0.replace(microsecond=5), T0) == T0


def test_last_modified_stays_while_the_body_is_unchanged():
    later = T0 + timedelta(days=1)
    assert advance_last_modified('"a"', T0, '"a"', T0, later) == T0


def test_last_modified_follows_a_newer_change():
    newer = T0 + timedelta(hours=1)
    assert advance_last_modified('"a"', T0, '"b"', newer, T0 + timedelta(days=1)) == newer


def test_last_modified_moves_forward_when_a_visit_leaves_the_feed():
    # The body changed but the newest remaining booking is older than what was served.
    older = T0 - timedelta(days=3)
    now = T0 + timedelta(minutes=5)
    assert advance_last_modified('"a"', T0, '"b"', older, now) == now
    # Within the same second as the last change: still strictly later.
    assert advance_last_modified('"a"', T0, '"b"', older, T0) == T0 + timedelta(seconds=1)


def test_mozilla_ical_js_reads_the_feed_as_thunderbird_would(ical_js):
    if ical_js is None:
        pytest.skip("node is not installed, so the ical.js checks are skipped (CI runs them)")
    spring = datetime(2026, 3, 29, 8, tzinfo=UTC)
    body = render.render_feed(
        FEED,
        [
            visit(),
            visit(booking_id=8, uid="x", starts_at=spring, ends_at=spring + timedelta(hours=1)),
        ],
    )
    seen = ical_js(body)
    assert seen["method"] is None
    assert seen["refresh_interval"] == "PT1H" and seen["published_ttl"] == "PT1H"
    assert [e["start"]["utc"] for e in seen["events"]] == [
        "2026-03-29T08:00:00.000Z",
        "2026-04-14T08:00:00.000Z",
    ]
    assert seen["events"][0]["start"]["local"] == "2026-03-29T10:00:00"
    assert seen["events"][0]["start"]["tzid"] == "Europe/Stockholm"
