"""Every booking change writes its outbox event in the change's own transaction."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.organizations import service as organizations
from app.organizations.models import OrganizationKind
from app.organizations.schemas import OrganizationIn
from app.scheduling import service as scheduling
from app.scheduling.models import Booking, BookingEvent
from app.webhooks.models import OutboxEvent
from tests.webhooks.conftest import subscribe

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(y: int, m: int, d: int, h: int = 10) -> str:
    return datetime(y, m, d, h, tzinfo=STOCKHOLM).isoformat()


def visit(plan, sequence: int):
    return next(v for v in plan.visits if v.sequence == sequence)


def events(session) -> list[OutboxEvent]:
    session.rollback()
    found = list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
    session.rollback()
    return found


def test_booking_reschedule_cancel_outcome_and_no_show_each_write_one_event(
    client, session, enrolled
):
    s, plan = enrolled
    booked = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12)},
    )
    assert booked.status_code == 201, booked.text
    booking_id = booked.json()["id"]
    moved = client.patch(
        f"/api/v1/bookings/{booking_id}",
        json={"starts_at": local(2027, 1, 14, 13)},
        headers={"If-Match": booked.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    cancelled = client.post(
        f"/api/v1/bookings/{booking_id}/cancellation", json={"reason": "staff", "note": "Sjuk"}
    )
    assert cancelled.status_code == 200
    past = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 2).id, "starts_at": local(2026, 9, 10)},
    ).json()
    completed = client.post(
        f"/api/v1/bookings/{past['id']}/outcome",
        json={
            "staff_ids": [s.nurse_id, s.social_worker_id],
            "held_at": "home",
            "guardians_present": 1,
        },
    )
    assert completed.status_code == 201, completed.text
    missed = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 3).id, "starts_at": local(2026, 10, 20)},
    ).json()
    assert client.post(f"/api/v1/bookings/{missed['id']}/no-show", json={}).status_code == 200

    found = events(session)
    assert [(e.type, e.payload["booking_id"]) for e in found] == [
        ("booking.booked", booking_id),
        ("booking.rescheduled", booking_id),
        ("booking.cancelled", booking_id),
        ("booking.booked", past["id"]),
        ("booking.completed", past["id"]),
        ("booking.booked", missed["id"]),
        ("booking.no_show", missed["id"]),
    ]
    assert len({e.event_id for e in found}) == len(found)
    rescheduled = found[1].payload
    assert rescheduled["starts_at"] == "2027-01-14T12:00:00Z"  # 13:00 CET
    assert rescheduled["sequence"] == 1 and rescheduled["status"] == "booked"
    assert found[2].payload["status"] == "cancelled" and found[2].payload["sequence"] == 2
    assert found[4].payload["status"] == "completed"
    assert found[0].payload["planned_visit_id"] == visit(plan, 4).id
    # The owner is the BVC's region; the collaborating municipality is in the audience.
    assert {e.organization_id for e in found} == {s.region_id}
    assert all(e.audience == sorted([s.region_id, s.municipality_id]) for e in found)
    assert all(e.fanned_out_at is None for e in found)
    # One outbox event per history entry: the two are written together.
    assert session.scalar(select(func.count()).select_from(BookingEvent)) == len(found)
    session.rollback()


def test_a_refused_booking_writes_no_event(client, session, enrolled):
    s, plan = enrolled
    refused = client.post(
        "/api/v1/bookings",
        json={
            "planned_visit_id": visit(plan, 4).id,
            "starts_at": local(2027, 1, 13),
            "staff": [{"staff_id": s.nurse_id}],
        },
    )
    assert refused.status_code == 422
    first = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12)},
    )
    assert first.status_code == 201
    clash = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 5).id, "starts_at": local(2027, 1, 12, 11)},
    )
    assert clash.status_code == 409  # the same team is busy: nothing written
    assert [e.type for e in events(session)] == ["booking.booked"]


def test_the_event_rolls_back_with_the_change(client, session, enrolled):
    _, plan = enrolled
    created = client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12)},
    ).json()
    session.rollback()
    booking = session.get_one(Booking, created["id"])
    cancelled = scheduling.cancel_future_joint_bookings(
        session, booking.family_id, datetime(2026, 12, 1, tzinfo=UTC)
    )  # adds its changes to the session without committing
    assert cancelled == [created["id"]]
    inside = session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)).all()
    assert inside == ["booking.booked", "booking.cancelled"]  # visible in the transaction
    session.rollback()
    assert [e.type for e in events(session)] == ["booking.booked"]
    assert session.get_one(Booking, created["id"]).status.value == "booked"
    session.rollback()


def test_a_third_organization_is_not_in_the_audience(client, session, enrolled, receiver):
    _, plan = enrolled
    other = organizations.create_organization(
        session, OrganizationIn(name="Annan kommun", kind=OrganizationKind.municipality)
    )
    session.rollback()
    subscribe(client, receiver, other.id, "/other")
    client.post(
        "/api/v1/bookings",
        json={"planned_visit_id": visit(plan, 4).id, "starts_at": local(2027, 1, 12)},
    )
    (event,) = events(session)
    assert other.id not in event.audience
    assert event.occurred_at > datetime.now(UTC) - timedelta(minutes=1)
    assert date.fromisoformat(event.payload["starts_at"][:10]) == date(2027, 1, 12)
