"""A local webhook receiver that checks signatures, a family to book for, and a worker."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_sessionmaker
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.webhooks.service import verify_signature
from app.webhooks.worker import Worker, WorkerConfig
from tests import factories


@dataclass
class Received:
    path: str
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    valid: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next status in `statuses` (then 200); 401 if unsigned.

    With `stall` set, a request is recorded and then held without an answer until `release`
    is set: a receiver that is slow, or a worker that dies while it waits.
    """

    base_url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret
    statuses: list[int] = field(default_factory=list)
    stall: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {len(self.received)} of {count} requests")
            time.sleep(0.05)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            webhook_id = self.headers.get("Webhook-Id", "")
            timestamp = self.headers.get("Webhook-Timestamp", "")
            sig = self.headers.get("Webhook-Signature", "")
            secret = receiver.secrets.get(self.path)
            valid = secret is not None and verify_signature(
                secret, webhook_id, timestamp, body, sig, now=int(time.time())
            )
            with receiver.lock:
                receiver.received.append(
                    Received(self.path, webhook_id, timestamp, sig, body, valid)
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            if receiver.stall.is_set():
                receiver.release.wait(60)
            if not valid:
                status = 401
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the worker is gone

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def enrolled(session: Session) -> tuple[factories.Setting, Any]:
    """A family born 2026-09-01, enrolled with the default template; returns (setting, plan)."""
    s = factories.setting(session)
    fam = factories.family(
        session,
        s.bvc_id,
        born=date(2026, 9, 1),
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


@pytest.fixture
def worker_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def worker_factory(
    worker_engine: Engine,
) -> Callable[..., Worker]:
    factory: sessionmaker[Session] = make_sessionmaker(worker_engine)

    def make(**kwargs: Any) -> Worker:
        clock = kwargs.pop("clock", None)
        config = WorkerConfig(**{"timeout_seconds": 2.0, "lease_seconds": 5.0, **kwargs})
        return Worker(factory, config, clock=clock) if clock else Worker(factory, config)

    return make


def subscribe(
    client: Any,
    receiver: Receiver,
    organization_id: int,
    path: str = "/hook",
    event_types: list[str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": receiver.url(path), "organization_id": organization_id}
    if event_types is not None:
        body["event_types"] = event_types
    response = client.post("/api/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secrets[path] = created["secret"]
    return created
