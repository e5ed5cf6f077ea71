"""The slot finder through the API: the team's common free times inside the visit's window."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests import factories
from tests.api.support import put

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEK = [{"weekday": d, "start_time": "08:00", "end_time": "16:00"} for d in range(5)]


@pytest.fixture
def planned(client, session):
    """A family due 2027-03-15 with its team working weekdays 08–16; returns (setting, plan)."""
    s = factories.setting(session)
    fam = factories.family(session, s.bvc_id, due=date(2027, 3, 15))
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=fam.id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2026, 11, 1),
        ),
    )
    plan = enrollments.plan(session, enrollment.id)
    session.rollback()
    for staff_id in (s.nurse_id, s.social_worker_id):
        assert put(client, f"/api/v1/staff/{staff_id}/working-hours", json=WEEK).status_code == 200
    return s, plan


def visit(plan, sequence):
    return next(v for v in plan.visits if v.sequence == sequence)


def test_slots_lie_in_the_window_in_working_hours_and_rank_by_ideal_age(client, planned):
    s, plan = planned
    four = visit(plan, 4)  # provisional window from the due date
    response = client.get(f"/api/v1/planned-visits/{four.id}/slots", params={"limit": 50})
    assert response.status_code == 200, response.text
    slots = response.json()
    assert len(slots) == 50
    for slot in slots:
        start = datetime.fromisoformat(slot["starts_at"]).astimezone(STOCKHOLM)
        end = datetime.fromisoformat(slot["ends_at"]).astimezone(STOCKHOLM)
        assert four.window_start <= start.date() <= four.window_end
        assert start.weekday() < 5
        assert start.time() >= datetime(2000, 1, 1, 8, 30).time()  # 30 min travel first
        assert (end + timedelta(minutes=30)).time() <= datetime(2000, 1, 1, 16, 0).time()
        assert end - start == timedelta(minutes=90)
        assert slot["continuity"] is True
        assert sorted(slot["staff_ids"]) == sorted([s.nurse_id, s.social_worker_id])
    distances = [slot["days_from_ideal"] for slot in slots]
    assert distances == sorted(distances)
    assert distances[0] <= 1


def test_a_booked_slot_is_no_longer_offered(client, planned):
    _, plan = planned
    four = visit(plan, 4)
    first = client.get(f"/api/v1/planned-visits/{four.id}/slots").json()[0]
    booked = client.post(
        "/api/v1/bookings", json={"planned_visit_id": four.id, "starts_at": first["starts_at"]}
    )
    assert booked.status_code == 201
    five = visit(plan, 5)
    # Another visit of the same team on that day cannot overlap the booking or its buffers.
    again = client.get(
        "/api/v1/slots",
        params={
            "staff_id": [plan.enrollment.nurse_id],
            "from_date": first["local_start"][:10],
            "to_date": first["local_start"][:10],
            "duration_minutes": 90,
            "limit": 100,
        },
    ).json()
    busy_from = datetime.fromisoformat(first["starts_at"]) - timedelta(minutes=30)
    busy_to = datetime.fromisoformat(first["ends_at"]) + timedelta(minutes=30)
    for slot in again:
        start = datetime.fromisoformat(slot["starts_at"]) - timedelta(minutes=30)
        end = datetime.fromisoformat(slot["ends_at"]) + timedelta(minutes=30)
        assert end <= busy_from or start >= busy_to
    assert five.id != four.id


def test_weekday_and_part_of_day_preferences_are_respected(client, planned):
    _, plan = planned
    slots = client.get(
        f"/api/v1/planned-visits/{visit(plan, 4).id}/slots",
        params={"weekday": [1, 3], "part_of_day": "afternoon", "limit": 30},
    ).json()
    assert slots
    for slot in slots:
        start = datetime.fromisoformat(slot["starts_at"]).astimezone(STOCKHOLM)
        assert start.weekday() in (1, 3)
        assert start.hour >= 12


def test_substitutes_come_after_the_own_team(client, session, planned):
    s, plan = planned
    substitute = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=s.bvc_id,
            given_name="Cecilia",
            family_name="Vikarie",
            profession=Profession.bhv_nurse,
        ),
    )
    session.rollback()
    put(client, f"/api/v1/staff/{substitute.id}/working-hours", json=WEEK)
    # The family's nurse is on vacation for all but the window's last weekday.
    four = visit(plan, 4)
    last_weekday = four.window_end
    while last_weekday.weekday() >= 5:
        last_weekday -= timedelta(days=1)
    absence = client.post(
        f"/api/v1/staff/{s.nurse_id}/absences",
        json={
            "kind": "vacation",
            "first_day": four.window_start.isoformat(),
            "last_day": (last_weekday - timedelta(days=1)).isoformat(),
        },
    )
    assert absence.status_code == 201, absence.text
    slots = client.get(
        f"/api/v1/planned-visits/{four.id}/slots",
        params={"include_substitutes": True, "limit": 100},
    ).json()
    continuity = [slot["continuity"] for slot in slots]
    assert True in continuity and False in continuity
    assert continuity == sorted(continuity, reverse=True)  # own team first
    for slot in slots:
        day = datetime.fromisoformat(slot["starts_at"]).astimezone(STOCKHOLM).date()
        if s.nurse_id in slot["staff_ids"]:
            assert day == last_weekday
        else:
            assert substitute.id in slot["staff_ids"]


def test_free_slot_search_is_capped_and_validated(client, planned):
    s, _ = planned
    too_long = client.get(
        "/api/v1/slots",
        params={"staff_id": [s.nurse_id], "from_date": "2027-01-01", "to_date": "2027-06-01"},
    )
    assert too_long.status_code == 422
    unknown = client.get(
        "/api/v1/slots",
        params={"staff_id": [999999], "from_date": "2027-01-01", "to_date": "2027-01-10"},
    )
    assert unknown.status_code == 422
    ok = client.get(
        "/api/v1/slots",
        params={
            "staff_id": [s.nurse_id, s.social_worker_id],
            "from_date": "2027-01-04",
            "to_date": "2027-01-08",
            "duration_minutes": 60,
            "home_visit": False,
        },
    )
    assert ok.status_code == 200
    first = datetime.fromisoformat(ok.json()[0]["starts_at"]).astimezone(STOCKHOLM)
    assert (first.date(), first.hour, first.minute) == (date(2027, 1, 4), 8, 0)


def test_a_passed_window_is_refused(client, session):
    s = factories.setting(session)
    fam = factories.family(session, s.bvc_id, born=date(2026, 6, 1))
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=fam.id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2026, 6, 5),
        ),
    )
    two_weeks = enrollments.plan(session, enrollment.id).visits[1]
    session.rollback()
    response = client.get(f"/api/v1/planned-visits/{two_weeks.id}/slots")
    assert response.status_code == 409
