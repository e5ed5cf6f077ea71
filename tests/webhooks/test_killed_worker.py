"""A worker killed with SIGKILL mid-delivery loses nothing: its lease runs out, another worker
sends the event again (same Webhook-Id), and every event reaches the receiver at least once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.webhooks.models import (
    DeliveryStatus,
    OutboxEvent,
    WebhookDelivery,
    WebhookDeliveryAttempt,
)
from tests.webhooks.conftest import subscribe

ROOT = Path(__file__).resolve().parents[2]
STOCKHOLM = ZoneInfo("Europe/Stockholm")
LEASE = 4.0


def local(y: int, m: int, d: int, h: int = 10) -> str:
    return datetime(y, m, d, h, tzinfo=STOCKHOLM).isoformat()


def start_worker(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HEMBESOK_DATABASE_URL": database_url}
    command = [
        sys.executable,
        "-m",
        "app.webhooks.worker",
        "work",
        "--timeout",
        str(LEASE - 1),
        "--lease",
        str(LEASE),
        "--poll",
        "0.1",
        "--backoff",
        "0.5",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_killed_worker_loses_no_event(
    client, session, enrolled, receiver, database_url, tmp_path
):
    s, plan = enrolled
    visits = {v.sequence: v for v in plan.visits}
    hook = subscribe(client, receiver, s.region_id)
    session.rollback()

    def book(sequence: int, when: str) -> None:
        response = client.post(
            "/api/v1/bookings", json={"planned_visit_id": visits[sequence].id, "starts_at": when}
        )
        assert response.status_code == 201, response.text

    book(4, local(2027, 1, 12))
    book(5, local(2027, 5, 4))
    book(6, local(2027, 9, 7))

    def deliveries() -> list[dict]:
        """A snapshot of the delivery rows, read in a transaction of its own."""
        session.rollback()
        rows = [
            {
                "id": d.id,
                "status": d.status,
                "attempt": d.attempt,
                "locked_by": d.locked_by,
                "locked_until": d.locked_until,
                "event_id": str(d.event.event_id),
            }
            for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        ]
        session.rollback()
        return rows

    log = tmp_path / "workers.log"
    receiver.stall.set()  # the receiver takes the first message and never answers
    first = start_worker(database_url, log)
    try:
        receiver.wait_for(1, timeout=30)
        stuck = next(d for d in deliveries() if d["locked_by"] is not None)
        assert stuck["status"] == DeliveryStatus.pending and stuck["attempt"] == 1
        assert stuck["locked_until"] is not None
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    # While no worker runs, the clinic goes on booking.
    book(7, local(2027, 12, 7))
    assert client.post("/api/v1/bookings", json={}).status_code == 422  # writes nothing
    receiver.stall.clear()
    receiver.release.set()

    second = start_worker(database_url, log)
    try:
        session.rollback()
        total = 4
        wait_until(
            lambda: (
                len(rows := deliveries()) == total
                and all(d["status"] == DeliveryStatus.delivered for d in rows)
            ),
            timeout=60,
            what="every delivery to succeed: " + log.read_text(errors="replace")[-2000:],
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    assert second.returncode == 0, log.read_text(errors="replace")

    session.rollback()
    event_ids = {str(e) for e in session.scalars(select(OutboxEvent.event_id))}
    assert len(event_ids) == total
    received = Counter(r.webhook_id for r in receiver.received if r.valid)
    assert set(received) == event_ids  # every event delivered at least once
    assert all(r.valid for r in receiver.received)
    # The message the killed worker was sending came again, recognisably: same id, same body.
    assert received[stuck["event_id"]] == 2
    assert sum(received.values()) == total + 1
    repeats = [r.body for r in receiver.received if r.webhook_id == stuck["event_id"]]
    assert repeats[0] == repeats[1]

    attempts = session.scalars(
        select(WebhookDeliveryAttempt)
        .where(WebhookDeliveryAttempt.delivery_id == stuck["id"])
        .order_by(WebhookDeliveryAttempt.id)
    ).all()
    assert [a.outcome for a in attempts] == ["interrupted", "delivered"]
    assert attempts[0].worker != attempts[1].worker
    session.rollback()
    entry = next(
        d
        for d in client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
        if d["id"] == stuck["id"]
    )
    assert [a["outcome"] for a in entry["attempts"]] == ["interrupted", "delivered"]
