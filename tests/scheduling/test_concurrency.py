"""Twenty nurses' clicks at once: exactly one booking wins, on real server processes."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from app.auth import service as auth
from app.auth.principal import Principal, Scope
from app.auth.schemas import ApiKeyIn
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.scheduling.models import BookingParticipant
from tests import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
RACERS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "HEMBESOK_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start: {process.stderr.read() if process.stderr else ''}")


def _race(bases: list[str], bodies: list[dict[str, object]], key: str) -> list[httpx.Response]:
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | None] = [None] * len(bodies)

    def fire(i: int) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=bases[i % len(bases)], timeout=60, headers=headers) as client:
            barrier.wait()
            results[i] = client.post("/api/v1/bookings", json=bodies[i])

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def test_simultaneous_overlapping_bookings_of_one_nurse_give_one_success(session, database_url):
    # Replicas share PostgreSQL; the embedded SQLite database is served by one process.
    servers = 1 if database_url.startswith("sqlite") else 2
    s = factories.setting(session)
    families = [
        factories.family(session, s.bvc_id, born=date(2026, 9, 1), serial=100 + i)
        for i in range(RACERS)
    ]
    for fam in families:
        enrollments.enroll(
            session,
            EnrollmentIn(
                family_id=fam.id,
                nurse_id=s.nurse_id,
                social_worker_id=s.social_worker_id,
                enrolled_on=date(2026, 9, 10),
            ),
        )
    start = datetime(2027, 1, 12, 10, 0, tzinfo=STOCKHOLM)
    bodies: list[dict[str, object]] = [
        {
            "family_id": fam.id,
            "starts_at": (start + timedelta(minutes=i)).isoformat(),
            "ends_at": (start + timedelta(minutes=90 + i)).isoformat(),
        }
        for i, fam in enumerate(families)
    ]
    _, key = auth.create_api_key(
        session,
        Principal.operator(),
        ApiKeyIn(name="booking robot", scopes=[Scope.bookings_write], organization_id=s.region_id),
    )
    processes = [_start_server(database_url) for _ in range(servers)]
    try:
        responses = _race([base for _, base in processes], bodies, key)
    finally:
        for process, _ in processes:
            process.terminate()
            process.wait(timeout=10)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, [
        r.text for r in responses if r.status_code >= 500
    ]
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"].startswith("application/problem+json")
    winner = next(r for r in responses if r.status_code == 201).json()
    session.expire_all()
    active = session.scalar(
        select(func.count()).select_from(BookingParticipant).where(BookingParticipant.active)
    )
    assert active == 2  # the winner's nurse and social worker, nobody else
    assert winner["status"] == "booked"
