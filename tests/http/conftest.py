"""A probe app for the HTTP hygiene tests: the real app plus a few routes that misbehave on cue.

Callers: the `X-Test-Caller` header names the principal's subject (default: the operator), so
tests can act as two callers without real credentials.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient

from app.auth.deps import current_principal
from app.auth.principal import Principal, Role, Scope
from app.config import Settings
from app.http.idempotency import idempotency_guard
from app.main import create_app

PROBE_MAX_BODY = 1000


def caller_from_header(request: Request) -> Principal:
    subject = request.headers.get("x-test-caller")
    if subject is None:
        return Principal.operator()
    return Principal(
        subject=subject, role=Role.coordinator, organization_id=None, scopes=frozenset(Scope)
    )


@dataclass
class ProbeState:
    calls: int = 0
    fail: bool = False
    unavailable: bool = False
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def _probe_router(state: ProbeState) -> APIRouter:
    router = APIRouter()

    @router.post("/probe/echo", status_code=201)
    async def echo(request: Request, response: Response) -> dict[str, object]:
        state.calls += 1
        response.headers["Location"] = f"/api/v1/probe/things/{state.calls}"
        response.headers["ETag"] = f'"v{state.calls}"'
        response.headers["Set-Cookie"] = "never=stored"
        return {"call": state.calls, "body": (await request.body()).decode()}

    @router.post("/probe/slow", status_code=201)
    def slow() -> dict[str, int]:
        state.calls += 1
        state.entered.set()
        assert state.release.wait(10), "the test never released the slow request"
        return {"call": state.calls}

    @router.post("/probe/fail", status_code=201)
    def fail() -> dict[str, int]:
        state.calls += 1
        if state.fail:
            raise RuntimeError("boom")
        return {"call": state.calls}

    @router.post("/probe/unavailable", status_code=201)
    def unavailable() -> Response:
        state.calls += 1
        if state.unavailable:
            return JSONResponse({"detail": "down"}, status_code=503)
        return JSONResponse({"call": state.calls}, status_code=201)

    @router.post("/probe/stream")
    def stream() -> StreamingResponse:
        state.calls += 1
        chunks = [f"chunk {i} of call {state.calls}\n".encode() for i in range(5)]
        return StreamingResponse(iter(chunks), media_type="text/plain")

    @router.get("/probe/cached")
    def cached(response: Response) -> dict[str, str]:
        response.headers["Cache-Control"] = "private, max-age=60"
        return {"cached": "yes"}

    @router.post("/imports/probe")
    async def import_probe(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    return router


@pytest.fixture(scope="session")
def probe_state() -> ProbeState:
    return ProbeState()


@pytest.fixture(scope="session")
def probe_app(database_url: str, probe_state: ProbeState) -> Iterator[FastAPI]:
    application = create_app(Settings(database_url=database_url, max_body_bytes=PROBE_MAX_BODY))
    guarded = [Depends(current_principal), Depends(idempotency_guard)]
    application.include_router(_probe_router(probe_state), prefix="/api/v1", dependencies=guarded)

    @application.get("/boom")
    def boom() -> None:
        raise RuntimeError("unhandled")

    application.dependency_overrides[current_principal] = caller_from_header
    yield application
    application.state.engine.dispose()


@pytest.fixture
def probe(clean_db: None, probe_app: FastAPI, probe_state: ProbeState) -> Iterator[TestClient]:
    probe_state.calls = 0
    probe_state.fail = probe_state.unavailable = False
    probe_state.entered.clear()
    probe_state.release.clear()
    with TestClient(probe_app, raise_server_exceptions=False) as test_client:
        yield test_client
    probe_state.release.set()
