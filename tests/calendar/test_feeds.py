"""Feeds over HTTP: tokens, content in icalendar and ical.js, caching headers, invitations."""

import hashlib
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from sqlalchemy import select

from app.calendar.models import CalendarToken
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests.api.support import patch
from tests.calendar.conftest import (
    API,
    NOW,
    book,
    event_uid,
    feed_events,
    feed_path,
    follow_up,
    local,
    staff_token,
    unit_token,
)

CALENDAR = "text/calendar; charset=utf-8"


def test_token_is_shown_once_with_links_and_stored_only_as_a_hash(client, session, team):
    created = staff_token(client, team.setting.nurse_id, "Outlook på jobbet")
    secret = created["token"]
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    assert created["feed_url"] == f"http://testserver/calendar/{secret}.ics"
    assert created["webcal_url"] == f"webcal://testserver/calendar/{secret}.ics"
    assert created["scope"] == "staff" and created["label"] == "Outlook på jobbet"
    shown = client.get(f"{API}/calendar-tokens/{created['id']}").json()
    listed = client.get(f"{API}/staff/{team.setting.nurse_id}/calendar-tokens").json()
    assert secret not in str(shown) and secret not in str(listed)
    assert [t["id"] for t in listed] == [created["id"]]
    row = session.scalars(select(CalendarToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str([getattr(row, c.key) for c in CalendarToken.__table__.columns])


def test_creation_response_is_not_cached(client, team):
    response = client.post(f"{API}/staff/{team.setting.nurse_id}/calendar-tokens")
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["location"] == f"{API}/calendar-tokens/{response.json()['id']}"


def test_two_tokens_never_share_a_secret(client, team):
    secrets = {staff_token(client, team.setting.nurse_id)["token"] for _ in range(5)}
    assert len(secrets) == 5


def test_tokens_for_unknown_staff_or_unit_are_404(client, team):
    assert client.post(f"{API}/staff/999999/calendar-tokens").status_code == 404
    assert client.post(f"{API}/units/999999/calendar-tokens").status_code == 404
    assert client.get(f"{API}/calendar-tokens/999999").status_code == 404


def test_staff_feed_shows_the_visits_in_both_parsers(client, team, parse_all):
    first = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    second = book(client, team.visit_ids[4], local(2026, 4, 14, 13, 30))
    created = staff_token(client, team.setting.nurse_id)
    response = client.get(feed_path(created))
    assert response.status_code == 200
    assert response.headers["content-type"] == CALENDAR
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "private" in response.headers["cache-control"]
    _, seen = parse_all(response.content)
    assert seen["method"] is None
    assert seen["name"] == seen["calname"] == "Hembesök · Anna Sköterska"
    assert seen["refresh_interval"] == "PT1H" and seen["published_ttl"] == "PT1H"
    assert seen["timezones"] == ["Europe/Stockholm"]
    events = {e["uid"]: e for e in seen["events"]}
    assert list(events) == [event_uid(first), event_uid(second)]
    one = events[event_uid(first)]
    assert one["summary"] == f"Hembesök 3/{team.visit_count} · {team.reference_code}"
    assert one["start"]["tzid"] == "Europe/Stockholm"
    assert one["start"]["local"] == "2026-03-20T09:00:00"
    assert datetime.fromisoformat(one["start"]["utc"]) == datetime.fromisoformat(first["starts_at"])
    assert one["status"] == "CONFIRMED" and one["sequence"] == 0
    assert "Bo Socionom (socialsekreterare)" in one["description"]
    assert "Anna Sköterska" not in one["description"]  # the subscriber herself
    assert "Tolk: arabiska" in one["description"]
    assert f"http://testserver/api/v1/bookings/{first['id']}" in one["description"]
    assert one["location"] is None  # the organisation has not allowed addresses in feeds


def test_unit_feed_is_the_team_view(client, team, parse_all):
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    social = client.get(feed_path(unit_token(client, team.setting.social_unit_id)))
    assert social.status_code == 200
    _, seen = parse_all(social.content)
    assert seen["name"] == "Hembesök · Förebyggande socialtjänst"
    assert [e["uid"] for e in seen["events"]] == [event_uid(booked)]
    # Both staff are listed in the team view.
    assert "Anna Sköterska" in seen["events"][0]["description"]
    assert "Bo Socionom" in seen["events"][0]["description"]


def test_addresses_appear_only_when_the_organisation_allows_them(client, team, parse_all):
    patch(
        client, f"{API}/organizations/{team.setting.region_id}", json={"addresses_in_feeds": True}
    )
    book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    _, seen = parse_all(client.get(feed_path(staff_token(client, team.setting.nurse_id))).content)
    assert seen["events"][0]["location"] == "Storgatan 1, 12345 Testby"


def test_feed_window_is_30_days_back_to_18_months_ahead(client, team, parse_all):
    too_old = follow_up(client, team.family_id, local(2026, 2, 10, 9))  # 34 days before NOW
    recent = follow_up(client, team.family_id, local(2026, 2, 20, 9))
    far = book(client, team.visit_ids[5], local(2027, 9, 1, 9))
    too_far = follow_up(client, team.family_id, local(2027, 9, 20, 9))  # past 16 Sep 2027
    _, seen = parse_all(client.get(feed_path(staff_token(client, team.setting.nurse_id))).content)
    uids = [e["uid"] for e in seen["events"]]
    assert uids == [event_uid(recent), event_uid(far)]
    assert seen["events"][0]["summary"] == f"Uppföljande besök · {team.reference_code}"
    assert event_uid(too_old) not in uids and event_uid(too_far) not in uids


def test_dst_day_visit_keeps_its_local_time(client, team, parse_all):
    booked = book(client, team.visit_ids[3], local(2026, 3, 29, 10))
    response = client.get(feed_path(staff_token(client, team.setting.nurse_id)))
    raw = response.content.replace(b"\r\n ", b"")
    assert b"DTSTART;TZID=Europe/Stockholm:20260329T100000\r\n" in raw
    _, seen = parse_all(response.content)
    event = seen["events"][0]
    assert event["uid"] == event_uid(booked)
    assert event["start"]["utc"] == "2026-03-29T08:00:00.000Z"


def _reschedule(client, booking, starts, **extra):
    response = client.patch(
        f"{API}/bookings/{booking['id']}",
        json={"starts_at": starts.isoformat(), **extra},
        headers={"If-Match": booking["etag"]},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_sequence_rises_after_a_reschedule_and_the_feed_changes(client, team, parse_all):
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    before = client.get(path)
    _reschedule(client, booked, local(2026, 3, 24, 13))
    after = client.get(path)
    _, old = parse_all(before.content)
    _, new = parse_all(after.content)
    assert old["events"][0]["uid"] == new["events"][0]["uid"]
    assert new["events"][0]["sequence"] == old["events"][0]["sequence"] + 1
    assert new["events"][0]["start"]["local"] == "2026-03-24T13:00:00"
    assert after.headers["etag"] != before.headers["etag"]
    assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(
        before.headers["last-modified"]
    )


def test_cancelled_visit_stays_30_days_marked_then_leaves(client, team, now, parse_all):
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    cancelled = client.post(
        f"{API}/bookings/{booked['id']}/cancellation", json={"reason": "family"}
    )
    assert cancelled.status_code == 200
    _, seen = parse_all(client.get(path).content)
    event = seen["events"][0]
    assert event["status"] == "CANCELLED"
    assert event["summary"].startswith("INSTÄLLT: Hembesök 3/")
    assert event["sequence"] == 1
    cancelled_at = datetime.fromisoformat(cancelled.json()["cancelled_at"])
    assert cancelled_at == NOW
    now.now = cancelled_at + timedelta(days=29)
    assert len(parse_all(client.get(path).content)[1]["events"]) == 1
    now.now = cancelled_at + timedelta(days=31)
    assert parse_all(client.get(path).content)[1]["events"] == []


def test_unchanged_data_gives_identical_bytes_and_etag(client, team):
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    first = client.get(path)
    second = client.get(path)
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"] == '"' + hashlib.sha256(first.content).hexdigest() + '"'
    assert first.headers["last-modified"] == second.headers["last-modified"]
    updated = client.get(f"{API}/bookings/{booked['id']}").json()
    assert event_uid(updated) in feed_events(first.content)


def test_if_none_match_gives_304(client, team):
    book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    etag = client.get(path).headers["etag"]
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["referrer-policy"] == "no-referrer"
    assert client.get(path, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_gives_304_and_200_once_changed(client, team):
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    last_modified = client.get(path).headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = parsedate_to_datetime(last_modified) - timedelta(seconds=1)
    stale = format_datetime(earlier, usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": stale}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200
    _reschedule(client, booked, local(2026, 3, 24, 13))
    changed = client.get(path, headers={"If-Modified-Since": last_modified})
    assert changed.status_code == 200
    assert parsedate_to_datetime(changed.headers["last-modified"]) > parsedate_to_datetime(
        last_modified
    )


def test_last_modified_never_moves_back_when_a_visit_leaves_the_feed(client, session, team, now):
    other_nurse = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=team.setting.bvc_id,
            given_name="Cilla",
            family_name="Vikarie",
            profession=Profession.bhv_nurse,
        ),
    ).id
    session.rollback()
    early = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    late = book(client, team.visit_ids[4], local(2026, 4, 14, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    now.now = NOW + timedelta(minutes=1)
    first = client.get(path)
    # The newest booking moves to the other nurse: it leaves this feed, and the newest change
    # left in the feed is older than the Last-Modified already served.
    _reschedule(
        client,
        late,
        local(2026, 4, 15, 9),
        staff=[{"staff_id": other_nurse}, {"staff_id": team.setting.social_worker_id}],
    )
    now.now = NOW + timedelta(minutes=2)
    second = client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert second.status_code == 200
    assert list(feed_events(second.content)) == [event_uid(early)]
    assert parsedate_to_datetime(second.headers["last-modified"]) > parsedate_to_datetime(
        first.headers["last-modified"]
    )


def test_head_gives_the_headers_without_a_body(client, team):
    book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    path = feed_path(staff_token(client, team.setting.nurse_id))
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["last-modified"] == got.headers["last-modified"]
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == CALENDAR
    assert client.head(path, headers={"If-None-Match": got.headers["etag"]}).status_code == 304


def test_rotation_retires_the_old_address(client, team):
    old = staff_token(client, team.setting.nurse_id, "telefon")
    assert client.get(feed_path(old)).status_code == 200
    rotated = client.post(f"{API}/calendar-tokens/{old['id']}/rotation")
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["token"] != old["token"] and new["label"] == "telefon"
    assert new["staff_id"] == team.setting.nurse_id
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    retired = client.get(f"{API}/calendar-tokens/{old['id']}").json()
    assert retired["active"] is False and retired["replaced_by_id"] == new["id"]
    assert client.post(f"{API}/calendar-tokens/{old['id']}/rotation").status_code == 409


def test_revoked_and_unknown_tokens_get_the_same_404(client, team):
    created = staff_token(client, team.setting.nurse_id)
    revoked = client.post(f"{API}/calendar-tokens/{created['id']}/revocation")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = client.post(f"{API}/calendar-tokens/{created['id']}/revocation")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    gone = client.get(feed_path(created))
    unknown = client.get("/calendar/" + "A" * 43 + ".ics")
    malformed = client.get("/calendar/short.ics")
    for response in (gone, unknown, malformed):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.content == gone.content
    assert created["token"].encode() not in gone.content
    assert client.head(feed_path(created)).status_code == 404


def test_feed_of_a_staff_member_who_left_is_404(client, team):
    created = staff_token(client, team.setting.nurse_id)
    patch(client, f"{API}/staff/{team.setting.nurse_id}", json={"active": False})
    assert client.get(feed_path(created)).status_code == 404
    assert client.post(f"{API}/staff/{team.setting.nurse_id}/calendar-tokens").status_code == 409


def test_invitation_is_a_request_then_a_cancel(client, team, parse_all):
    patch(client, f"{API}/staff/{team.setting.nurse_id}", json={"email": "anna@bvc.example"})
    patch(client, f"{API}/staff/{team.setting.social_worker_id}", json={"email": "bo@soc.example"})
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    response = client.get(f"{API}/bookings/{booked['id']}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CALENDAR
    _, seen = parse_all(response.content, method="REQUEST")
    assert seen["method"] == "REQUEST"
    event = seen["events"][0]
    assert event["uid"] == event_uid(booked)
    assert event["organizer"] == "mailto:anna@bvc.example"
    assert sorted(event["attendees"]) == ["mailto:anna@bvc.example", "mailto:bo@soc.example"]
    client.post(f"{API}/bookings/{booked['id']}/cancellation", json={"reason": "staff"})
    cancelled = client.get(f"{API}/bookings/{booked['id']}.ics")
    _, seen = parse_all(cancelled.content, method="CANCEL")
    assert seen["events"][0]["status"] == "CANCELLED"
    assert seen["events"][0]["sequence"] == 1


def test_invitation_route_and_booking_route_both_answer(client, team):
    booked = book(client, team.visit_ids[3], local(2026, 3, 20, 9))
    as_json = client.get(f"{API}/bookings/{booked['id']}")
    assert as_json.status_code == 200 and as_json.json()["id"] == booked["id"]
    as_ics = client.get(f"{API}/bookings/{booked['id']}.ics")
    assert as_ics.status_code == 200 and as_ics.content.startswith(b"BEGIN:VCALENDAR")
    assert client.get(f"{API}/bookings/999999.ics").status_code == 404


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_clock_change_days_agree_in_both_parsers(client, team, parse_all, day):
    booked = book(client, team.visit_ids[3], local(day.year, day.month, day.day, 10))
    _, seen = parse_all(client.get(f"{API}/bookings/{booked['id']}.ics").content, "REQUEST")
    start = datetime.fromisoformat(seen["events"][0]["start"]["utc"])
    assert start == datetime.fromisoformat(booked["starts_at"]).astimezone(UTC)
