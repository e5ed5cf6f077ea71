"""Booking through the API: joint visits, conflicts, consent, changes, outcomes and KVÅ."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text

from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.scheduling.models import Booking
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PROBLEM = "application/problem+json"


def local(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> str:
    return datetime(y, m, d, h, minute, tzinfo=STOCKHOLM).isoformat()


@pytest.fixture
def enrolled(session):
    """A family born 2026-09-01, enrolled with the default template; returns (setting, plan)."""
    s = factories.setting(session)
    fam = factories.family(
        session, s.bvc_id, born=date(2026, 9, 1), interpreter_language="arabiska"
    )
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=fam.id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2026, 8, 1),
        ),
    )
    plan = enrollments.plan(session, enrollment.id)
    session.rollback()  # end the read transaction: the app under test writes next
    return s, plan


def visit(plan, sequence: int):
    return next(v for v in plan.visits if v.sequence == sequence)


def test_booking_a_planned_visit_defaults_to_the_team_and_marks_the_plan(client, enrolled):
    s, plan = enrolled
    four_months = visit(plan, 4)  # window 2026-12-15 .. 2027-01-31
    response = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": four_months.id, "starts_at": local(2027, 1, 12)},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert {p["staff_id"] for p in body["participants"]} == {s.nurse_id, s.social_worker_id}
    assert body["is_joint"] is True
    assert body["location"] == "home"
    assert body["buffer_before_minutes"] == 30 and body["buffer_after_minutes"] == 30
    assert body["outside_window"] is False
    assert body["interpreter_language"] == "arabiska"
    assert [e["kind"] for e in body["externals"]] == ["interpreter"]
    ends = datetime.fromisoformat(body["ends_at"]) - datetime.fromisoformat(body["starts_at"])
    assert ends == timedelta(minutes=90)
    assert response.headers["etag"] == f'"booking-{body["id"]}-v1"'
    plan_now = client.get(f"/api/v1/enrollments/{plan.enrollment.id}/plan").json()
    booked = next(v for v in plan_now["visits"] if v["sequence"] == 4)
    assert booked["status"] == "booked"
    assert booked["booking_id"] == body["id"]


def test_booking_outside_the_window_is_allowed_but_flagged(client, enrolled):
    _, plan = enrolled
    response = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 3, 2)},
    )
    assert response.status_code == 201
    assert response.json()["outside_window"] is True


def test_overlapping_booking_of_the_same_nurse_gets_409_naming_her(client, session, enrolled):
    s, plan = enrolled
    first = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12, 10)},
    )
    assert first.status_code == 201
    other = factories.family(session, s.bvc_id, born=date(2026, 9, 2), serial=456)
    enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=other.id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2026, 8, 1),
        ),
    )
    # 11:45 starts inside the first visit's 30-minute after-buffer (until 12:00) plus ours.
    clash = client.post(
        "/api/v1/bookings",
        json={
            "family_id": other.id,
            "starts_at": local(2027, 1, 12, 11, 45),
            "ends_at": local(2027, 1, 12, 13),
        },
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith(PROBLEM)
    detail = clash.json()["detail"]
    assert "Anna Sköterska" in detail
    assert "F-" not in detail and "Storgatan" not in detail  # nothing about the other family
    # Buffered intervals that only touch are fine: first busy until 12:00, this from 12:00.
    touching = client.post(
        "/api/v1/bookings",
        json={
            "family_id": other.id,
            "starts_at": local(2027, 1, 12, 12, 30),
            "ends_at": local(2027, 1, 12, 13, 30),
        },
    )
    assert touching.status_code == 201, touching.text


def test_booking_without_a_social_worker_needs_a_reason_and_is_flagged(client, enrolled):
    s, plan = enrolled
    body = {
        "planned_visit_id": visit(plan, 4).id,
        "starts_at": local(2027, 1, 13),
        "staff": [{"staff_id": s.nurse_id}],
    }
    refused = client.post("/api/v1/bookings", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "missing_profession_reason"
    accepted = client.post(
        "/api/v1/bookings", json={**body, "missing_profession_reason": "Socialsekreterare sjuk"}
    )
    assert accepted.status_code == 201
    assert accepted.json()["is_joint"] is False
    assert accepted.json()["needs_follow_up"] is True


def test_no_booking_without_consent_and_withdrawal_cancels_future_joint_visits(
    client, session, enrolled
):
    _, plan = enrolled
    booked = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 5).id, "starts_at": local(2027, 5, 4)},
    ).json()
    family = client.get(f"/api/v1/families/{plan.enrollment.family_id}").json()
    consent_id = family["consents"][0]["id"]
    withdrawn = client.post(
        f"/api/v1/families/{family['id']}/consents/{consent_id}/withdrawal", json={}
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["cancelled_booking_ids"] == [booked["id"]]
    after = client.get(f"/api/v1/bookings/{booked['id']}").json()
    assert after["status"] == "cancelled"
    assert after["cancel_reason"] == "consent_withdrawn"
    assert after["sequence"] == 1
    refused = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 6).id, "starts_at": local(2027, 7, 6)},
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("consent-required")


def test_reschedule_needs_a_fresh_etag(client, enrolled):
    _, plan = enrolled
    created = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12)},
    )
    booking_id, tag = created.json()["id"], created.headers["etag"]
    move = {"starts_at": local(2027, 1, 14, 13)}
    missing = client.patch(f"/api/v1/bookings/{booking_id}", json=move)
    assert missing.status_code == 428
    moved = client.patch(f"/api/v1/bookings/{booking_id}", json=move, headers={"If-Match": tag})
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1
    assert moved.headers["etag"] != tag
    stale = client.patch(
        f"/api/v1/bookings/{booking_id}",
        json={"starts_at": local(2027, 1, 15)},
        headers={"If-Match": tag},
    )
    assert stale.status_code == 412
    detail = client.get(f"/api/v1/bookings/{booking_id}").json()
    assert [e["action"] for e in detail["events"]] == ["booked", "rescheduled"]
    assert detail["starts_at"].startswith("2027-01-14T12:00")  # 13:00 CET in UTC


def test_cancellation_frees_the_slot_and_keeps_history(client, enrolled):
    _, plan = enrolled
    four = visit(plan, 4)
    created = client.post(
        "/api/v1/bookings", json={"planned_visit_id": four.id, "starts_at": local(2027, 1, 12)}
    ).json()
    cancelled = client.post(
        f"/api/v1/bookings/{created['id']}/cancellation",
        json={"reason": "staff", "note": "Sjukdom"},
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    plan_now = client.get(f"/api/v1/enrollments/{plan.enrollment.id}/plan").json()
    assert next(v for v in plan_now["visits"] if v["sequence"] == 4)["status"] == "planned"
    again = client.post(
        "/api/v1/bookings", json={"planned_visit_id": four.id, "starts_at": local(2027, 1, 12)}
    )
    assert again.status_code == 201  # the cancelled visit no longer holds the slot
    history = client.get(f"/api/v1/bookings/{created['id']}").json()["events"]
    assert [e["action"] for e in history] == ["booked", "cancelled"]


def test_outcome_with_social_worker_gives_zv509_and_completes_the_visit(client, session, enrolled):
    s, plan = enrolled
    two_weeks = visit(plan, 2)  # born 2026-09-01: window in September 2026, in the past
    created = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": two_weeks.id, "starts_at": local(2026, 9, 10)},
    ).json()
    outcome = client.post(
        f"/api/v1/bookings/{created['id']}/outcome",
        json={
            "staff_ids": [s.nurse_id, s.social_worker_id],
            "held_at": "home",
            "guardians_present": 2,
            "both_guardians_present": True,
            "interpreter_used": True,
            "referrals": ["open_preschool"],
        },
    )
    assert outcome.status_code == 201, outcome.text
    assert outcome.json()["outcome"]["kva_codes"] == ["ZV509"]
    assert outcome.json()["status"] == "completed"
    plan_now = client.get(f"/api/v1/enrollments/{plan.enrollment.id}/plan").json()
    assert next(v for v in plan_now["visits"] if v["sequence"] == 2)["status"] == "completed"
    export = client.get(
        "/api/v1/kva-export",
        params={
            "starts_from": "2026-09-01T00:00:00Z",
            "starts_to": "2026-10-01T00:00:00Z",
            "format": "csv",
        },
    )
    assert export.status_code == 200
    lines = export.text.strip().splitlines()
    assert lines[1].split(",")[-1] == "ZV509"
    assert "SE2321000000-N001" in lines[1]


def test_outcome_without_social_services_gives_no_zv509(client, session, enrolled):
    s, plan = enrolled
    midwife = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=s.bvc_id,
            given_name="Mia",
            family_name="Barnmorska",
            profession=Profession.midwife,
        ),
    )
    created = client.post(
        "/api/v1/bookings",
        json={
            "planned_visit_id": visit(plan, 2).id,
            "starts_at": local(2026, 9, 10),
            "staff": [{"staff_id": s.nurse_id}, {"staff_id": midwife.id}],
            "missing_profession_reason": "Socialtjänsten kunde inte",
        },
    ).json()
    outcome = client.post(
        f"/api/v1/bookings/{created['id']}/outcome",
        json={"staff_ids": [s.nurse_id, midwife.id], "held_at": "clinic", "guardians_present": 1},
    )
    assert outcome.status_code == 201
    assert outcome.json()["outcome"]["kva_codes"] == []


def test_no_show_marks_the_visit_missed(client, enrolled):
    _, plan = enrolled
    created = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 2).id, "starts_at": local(2026, 9, 10)},
    ).json()
    response = client.post(f"/api/v1/bookings/{created['id']}/no-show", json={})
    assert response.status_code == 200
    plan_now = client.get(f"/api/v1/enrollments/{plan.enrollment.id}/plan").json()
    assert next(v for v in plan_now["visits"] if v["sequence"] == 2)["status"] == "missed"


def test_bookings_are_listed_by_staff_family_status_and_range(client, session, enrolled):
    s, plan = enrolled
    for sequence, when in ((4, local(2027, 1, 12)), (5, local(2027, 5, 4))):
        assert (
            client.post(
                "/api/v1/bookings",
                json={"planned_visit_id": visit(plan, sequence).id, "starts_at": when},
            ).status_code
            == 201
        )
    january = client.get(
        "/api/v1/bookings",
        params={
            "staff_id": s.nurse_id,
            "starts_from": "2027-01-01T00:00:00+01:00",
            "starts_to": "2027-02-01T00:00:00+01:00",
        },
    ).json()["items"]
    assert len(january) == 1
    by_family = client.get(
        "/api/v1/bookings", params={"family_id": plan.enrollment.family_id, "status": "booked"}
    ).json()["items"]
    assert len(by_family) == 2
    by_unit = client.get("/api/v1/bookings", params={"unit_id": s.social_unit_id}).json()["items"]
    assert len(by_unit) == 2
    too_long = client.get(
        "/api/v1/bookings",
        params={"starts_from": "2026-01-01T00:00:00Z", "starts_to": "2028-01-01T00:00:00Z"},
    )
    assert too_long.status_code == 422
    naive = client.get("/api/v1/bookings", params={"starts_from": "2027-01-01T00:00:00"})
    assert naive.status_code == 422


def test_a_refused_booking_leaves_nothing_behind_in_the_session(session, enrolled):
    """The service rolls back its own flushes, so a later commit cannot carry a half booking."""
    from sqlalchemy import func, select

    from app.config import Settings
    from app.errors import ProblemError
    from app.scheduling import service
    from app.scheduling.models import Booking
    from app.scheduling.schemas import BookingIn

    _, plan = enrolled
    settings = Settings()
    start = datetime(2027, 1, 12, 10, tzinfo=STOCKHOLM)
    service.create_booking(
        session, BookingIn(planned_visit_id=visit(plan, 4).id, starts_at=start), settings
    )
    with pytest.raises(ProblemError):
        service.create_booking(
            session, BookingIn(family_id=plan.enrollment.family_id, starts_at=start), settings
        )
    session.commit()
    assert session.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_concurrent_change_after_the_if_match_check_is_412_not_a_lost_update(client, enrolled):
    """The version is the UPDATE's condition (version_id_col): a writer that read version 1
    cannot overwrite a version 2 committed between its check and its write."""
    _, plan = enrolled
    created = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12)},
    )
    assert created.status_code == 201, created.text
    booking_id = created.json()["id"]
    armed = {"on": True}

    def other_writer(_mapper, connection, target):
        if armed["on"]:
            armed["on"] = False
            connection.execute(
                text("UPDATE booking SET version = version + 1 WHERE id = :id"), {"id": target.id}
            )

    event.listen(Booking, "before_update", other_writer)
    try:
        moved = client.patch(
            f"/api/v1/bookings/{booking_id}",
            json={"starts_at": local(2027, 1, 14)},
            headers={"If-Match": created.headers["etag"]},
        )
    finally:
        event.remove(Booking, "before_update", other_writer)
    assert moved.status_code == 412, moved.text
    stored = client.get(f"/api/v1/bookings/{booking_id}").json()
    assert datetime.fromisoformat(stored["starts_at"]) == datetime.fromisoformat(
        created.json()["starts_at"]
    )
