"""The worker: signed deliveries, the delivery log, retries with backoff, and privacy."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.families.models import Child, Family, Guardian
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from app.webhooks.service import signature, verify_signature
from app.webhooks.worker import WorkerConfig, backoff
from tests.webhooks.conftest import subscribe

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(y: int, m: int, d: int, h: int = 10) -> str:
    return datetime(y, m, d, h, tzinfo=STOCKHOLM).isoformat()


def visit(plan, sequence: int):
    return next(v for v in plan.visits if v.sequence == sequence)


def book(client, plan, sequence: int = 4, when: str | None = None) -> dict:
    response = client.post(
        "/api/v1/bookings",
        json={
            "planned_visit_id": visit(plan, sequence).id,
            "starts_at": when or local(2027, 1, 12),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_a_booking_is_delivered_signed_and_logged(client, enrolled, receiver, worker_factory):
    s, plan = enrolled
    hook = subscribe(client, receiver, s.region_id)
    assert hook["secret"].startswith("whsec_")
    booking = book(client, plan)

    assert worker_factory().drain() == 1

    (got,) = receiver.received
    assert got.valid and got.path == "/hook"
    message = got.json()
    assert message["id"] == got.webhook_id
    assert message["type"] == "booking.booked"
    assert message["data"]["booking_id"] == booking["id"]
    assert message["data"]["booking_uid"] == booking["uid"]
    # The signature is HMAC-SHA256 over "{id}.{timestamp}.{body}" with the subscription secret.
    assert got.signature == signature(hook["secret"], got.webhook_id, int(got.timestamp), got.body)
    assert not verify_signature(
        "whsec_wrong", got.webhook_id, got.timestamp, got.body, got.signature
    )

    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert len(log) == 1
    entry = log[0]
    assert entry["event_id"] == got.webhook_id and entry["event_type"] == "booking.booked"
    assert entry["status"] == "delivered" and entry["attempt"] == 1
    assert entry["last_status_code"] == 200
    assert entry["delivered_at"] is not None and entry["next_attempt_at"] is None
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in entry["attempts"]] == [
        (1, 200, "delivered")
    ]
    assert worker_factory().drain() == 0  # nothing left: no second send


def test_event_types_filter_and_the_collaborating_municipality_receives(
    client, enrolled, receiver, worker_factory
):
    s, plan = enrolled
    subscribe(client, receiver, s.region_id, "/region", ["booking.cancelled"])
    subscribe(client, receiver, s.municipality_id, "/municipality")
    booking = book(client, plan)
    client.post(f"/api/v1/bookings/{booking['id']}/cancellation", json={"reason": "family"})

    worker_factory().drain()

    got = sorted((r.path, r.json()["type"]) for r in receiver.received)
    assert got == [
        ("/municipality", "booking.booked"),
        ("/municipality", "booking.cancelled"),
        ("/region", "booking.cancelled"),
    ]
    assert all(r.valid for r in receiver.received)
    # Each subscription is signed with its own secret; the two cancellations are one event.
    cancellations = [r for r in receiver.received if r.json()["type"] == "booking.cancelled"]
    assert len({r.webhook_id for r in cancellations}) == 1
    assert len({r.signature for r in cancellations}) == 2


def test_a_failing_receiver_is_retried_with_growing_backoff_and_the_same_id(
    client, session, enrolled, receiver, worker_factory
):
    s, plan = enrolled
    hook = subscribe(client, receiver, s.region_id)
    book(client, plan)
    receiver.statuses = [500, 503, 500]
    clock = Clock()
    worker = worker_factory(clock=clock, backoff_base_seconds=30)

    waits = []
    for _ in range(3):
        assert worker.drain() == 1
        assert worker.drain() == 0  # not due again yet
        session.rollback()
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.status == DeliveryStatus.pending
        waits.append((delivery.next_attempt_at - clock.now).total_seconds())
        session.rollback()
        clock.advance(waits[-1] + 1)
    assert waits == pytest.approx([30, 60, 120], abs=0.01)
    assert worker.drain() == 1

    assert [r.valid for r in receiver.received] == [True] * 4
    assert len({r.webhook_id for r in receiver.received}) == 1  # a redelivery is recognisable
    assert len({r.body for r in receiver.received}) == 1
    (entry,) = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert entry["status"] == "delivered" and entry["attempt"] == 4
    assert [(a["status_code"], a["outcome"]) for a in entry["attempts"]] == [
        (500, "retry"),
        (503, "retry"),
        (500, "retry"),
        (200, "delivered"),
    ]
    assert entry["attempts"][0]["error"] == "HTTP 500"


def test_after_max_attempts_the_delivery_fails(client, session, enrolled, worker_factory):
    s, plan = enrolled
    response = client.post(
        "/api/v1/webhooks",
        # Nothing listens on port 9 (discard) of this machine: connection refused.
        json={"url": "http://127.0.0.1:9/hook", "organization_id": s.region_id},
    )
    hook = response.json()
    book(client, plan)
    clock = Clock()
    worker = worker_factory(clock=clock, max_attempts=3, backoff_base_seconds=1)
    for _ in range(5):
        worker.drain()
        clock.advance(10)
    (entry,) = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert entry["status"] == "failed" and entry["attempt"] == 3
    assert [a["outcome"] for a in entry["attempts"]] == ["retry", "retry", "failed"]
    assert all(a["status_code"] is None and a["error"] for a in entry["attempts"])
    failed = client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", params={"status": "failed"}
    ).json()
    assert len(failed["items"]) == 1


def test_backoff_doubles_and_is_capped():
    config = WorkerConfig()
    assert [backoff(n, config).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30, config) == timedelta(hours=6)
    with pytest.raises(ValueError):
        WorkerConfig(timeout_seconds=10, lease_seconds=5)


def test_the_payload_carries_ids_and_times_but_nothing_about_the_people(
    client, session, enrolled, receiver, worker_factory
):
    s, plan = enrolled
    session.rollback()
    guardian = session.scalars(select(Guardian)).one()
    guardian.phone = "070-123 45 67"
    guardian.email = "fatima@example.se"
    session.commit()
    family = session.scalars(select(Family)).one()
    child = session.scalars(select(Child)).one()
    personal = [
        guardian.given_name,
        guardian.family_name,
        guardian.identity_number,
        guardian.identity_number.replace("-", ""),
        guardian.identity_number[2:],
        guardian.phone,
        guardian.email,
        child.given_name,
        child.identity_number,
        child.identity_number.replace("-", ""),
        family.street_address,
        family.postal_code,
        family.city,
        family.reference_code,
        "Sköterska",
        "Socionom",
    ]
    session.rollback()
    subscribe(client, receiver, s.region_id)
    booking = book(client, plan)
    client.post(
        f"/api/v1/bookings/{booking['id']}/cancellation",
        json={"reason": "family", "note": "Fatima ringde 070-123 45 67"},
    )
    worker_factory().drain()
    assert len(receiver.received) == 2
    for got in receiver.received:
        text = got.body.decode()
        for value in personal:
            assert value and value not in text, value
        assert "Fatima" not in text
        data = json.loads(text)["data"]
        assert set(data) == {
            "booking_id",
            "booking_uid",
            "family_id",
            "unit_id",
            "planned_visit_id",
            "kind",
            "status",
            "starts_at",
            "ends_at",
            "sequence",
            "version",
        }
    assert date.fromisoformat(data["starts_at"][:10]) == date(2027, 1, 12)


def test_a_deactivated_subscription_gets_nothing_more(client, enrolled, receiver, worker_factory):
    s, plan = enrolled
    hook = subscribe(client, receiver, s.region_id)
    book(client, plan)
    worker = worker_factory()
    worker.fan_out()  # the delivery row exists, not yet sent
    off = client.post(f"/api/v1/webhooks/{hook['id']}/deactivation")
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.post(f"/api/v1/webhooks/{hook['id']}/deactivation").status_code == 200
    book(client, plan, 5, local(2027, 5, 4))
    assert worker.drain() == 0
    assert receiver.received == []
    (entry,) = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert entry["status"] == "failed" and entry["last_error"] == "subscription deactivated"


def test_events_before_the_subscription_are_not_sent(client, enrolled, receiver, worker_factory):
    s, plan = enrolled
    book(client, plan)
    subscribe(client, receiver, s.region_id)
    assert worker_factory().drain() == 0
    assert receiver.received == []


def test_the_cli_sends_what_is_due_once(client, enrolled, receiver, database_url, monkeypatch):
    s, plan = enrolled
    subscribe(client, receiver, s.region_id)
    book(client, plan)
    monkeypatch.setenv("HEMBESOK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["webhooks", "work", "--once"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 delivery attempt(s) made" in result.stdout
    assert [r.valid for r in receiver.received] == [True]
    refused = CliRunner().invoke(cli, ["webhooks", "work", "--once", "--lease", "5"])
    assert refused.exit_code != 0  # the lease must outlast the 10 s request timeout
