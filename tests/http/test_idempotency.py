"""Idempotency-Key: replay, reuse with another body, concurrent retries, 5xx, per-caller keys."""

import threading
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.deps import current_principal
from app.auth.principal import Principal, Scope
from app.auth.schemas import ApiKeyIn
from app.config import Settings
from app.db import utcnow
from app.http.idempotency import idempotent_post_paths, request_hash
from app.http.models import IdempotencyKey, IdempotencyState
from app.main import create_app
from app.organizations.models import Organization
from tests import factories
from tests.http.conftest import ProbeState, caller_from_header

PROBLEM_JSON = "application/problem+json"
ORG = {"name": "Region Idempotens", "kind": "region"}


def _count(session: Session, model: type) -> int:
    session.rollback()  # a fresh snapshot: the app wrote through its own connections
    return session.scalar(select(func.count()).select_from(model)) or 0


def _rows(session: Session) -> list[IdempotencyKey]:
    session.rollback()  # a fresh snapshot: the app wrote through its own connections
    return list(session.scalars(select(IdempotencyKey).order_by(IdempotencyKey.id)))


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_same_key_and_body_replays_the_stored_response(client: TestClient, session: Session):
    first = client.post("/api/v1/organizations", json=ORG, headers=_key("org-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = client.post("/api/v1/organizations", json=ORG, headers=_key("org-1"))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert _count(session, Organization) == 1
    [row] = _rows(session)
    assert (row.key, row.subject, row.method, row.path) == (
        "org-1",
        "operator",
        "POST",
        "/api/v1/organizations",
    )
    assert row.state == IdempotencyState.completed
    assert row.response_status == 201


def test_replay_keeps_location_and_etag_but_not_cookies(probe: TestClient):
    first = probe.post("/api/v1/probe/echo", content=b"hello", headers=_key("echo"))
    again = probe.post("/api/v1/probe/echo", content=b"hello", headers=_key("echo"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"call": 1, "body": "hello"}
    assert again.headers["location"] == first.headers["location"] == "/api/v1/probe/things/1"
    assert again.headers["etag"] == first.headers["etag"] == '"v1"'
    assert "set-cookie" in first.headers and "set-cookie" not in again.headers
    assert again.headers["idempotent-replayed"] == "true"
    # Security headers are added to the replay as to any response.
    assert again.headers["x-content-type-options"] == "nosniff"


def test_quoted_structured_field_key_is_the_same_key(probe: TestClient):
    probe.post("/api/v1/probe/echo", content=b"x", headers=_key("abc-123"))
    again = probe.post("/api/v1/probe/echo", content=b"x", headers=_key('"abc-123"'))
    assert again.headers["idempotent-replayed"] == "true"


def test_same_key_with_another_body_is_422(client: TestClient, session: Session):
    assert client.post("/api/v1/organizations", json=ORG, headers=_key("k")).status_code == 201
    other = {**ORG, "name": "Another region"}
    response = client.post("/api/v1/organizations", json=other, headers=_key("k"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert _count(session, Organization) == 1


def test_same_key_on_another_path_or_query_is_422(probe: TestClient):
    assert probe.post("/api/v1/probe/echo", content=b"a", headers=_key("k")).status_code == 201
    elsewhere = probe.post("/api/v1/probe/fail", content=b"a", headers=_key("k"))
    assert elsewhere.status_code == 422
    with_query = probe.post("/api/v1/probe/echo?dry_run=false", content=b"a", headers=_key("k"))
    assert with_query.status_code == 422


def test_retry_while_the_first_is_in_progress_is_409(client: TestClient, session: Session):
    body = b'{"name": "Region Samtidig", "kind": "region"}'
    session.add(
        IdempotencyKey(
            key="busy",
            subject="operator",
            method="POST",
            path="/api/v1/organizations",
            request_hash=request_hash("", body),
            state=IdempotencyState.in_progress,
            created_at=utcnow(),
        )
    )
    session.commit()
    response = client.post(
        "/api/v1/organizations",
        content=body,
        headers={**_key("busy"), "Content-Type": "application/json"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"].endswith("/idempotency-key-in-progress")
    assert response.headers["retry-after"] == "1"
    assert _count(session, Organization) == 0


def test_concurrent_retry_gets_409_then_the_stored_response(
    probe: TestClient, probe_state: ProbeState, session: Session
):
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = probe.post("/api/v1/probe/slow", content=b"{}", headers=_key("slow"))

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert probe_state.entered.wait(10), "the first request never reached its handler"
        # The reservation was committed before the handler ran: visible to any connection.
        [row] = _rows(session)
        assert row.state == IdempotencyState.in_progress
        retry = probe.post("/api/v1/probe/slow", content=b"{}", headers=_key("slow"))
        assert retry.status_code == 409
    finally:
        probe_state.release.set()
        worker.join(10)
    first_response = results["first"]
    assert first_response.status_code == 201  # type: ignore[attr-defined]
    replay = probe.post("/api/v1/probe/slow", content=b"{}", headers=_key("slow"))
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == {"call": 1}
    assert probe_state.calls == 1


def test_unhandled_error_is_not_stored_and_the_retry_runs(
    probe: TestClient, probe_state: ProbeState, session: Session
):
    probe_state.fail = True
    failed = probe.post("/api/v1/probe/fail", content=b"{}", headers=_key("retry-me"))
    assert failed.status_code == 500
    assert _rows(session) == []
    probe_state.fail = False
    retried = probe.post("/api/v1/probe/fail", content=b"{}", headers=_key("retry-me"))
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert probe_state.calls == 2


def test_5xx_response_is_not_stored(probe: TestClient, probe_state: ProbeState, session: Session):
    probe_state.unavailable = True
    down = probe.post("/api/v1/probe/unavailable", content=b"{}", headers=_key("k503"))
    assert down.status_code == 503
    assert _rows(session) == []
    probe_state.unavailable = False
    up = probe.post("/api/v1/probe/unavailable", content=b"{}", headers=_key("k503"))
    assert up.status_code == 201
    assert [r.state for r in _rows(session)] == [IdempotencyState.completed]


def test_client_errors_are_stored_and_replayed(client: TestClient, session: Session):
    invalid = {"name": "", "kind": "region"}
    first = client.post("/api/v1/organizations", json=invalid, headers=_key("bad"))
    assert first.status_code == 422
    again = client.post("/api/v1/organizations", json=invalid, headers=_key("bad"))
    assert again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"].startswith(PROBLEM_JSON)


def test_keys_are_scoped_per_caller(
    client: TestClient, app: FastAPI, session: Session, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.dependency_overrides, current_principal, caller_from_header)
    alice = client.post(
        "/api/v1/organizations", json=ORG, headers={**_key("shared"), "X-Test-Caller": "alice"}
    )
    bob = client.post(
        "/api/v1/organizations", json=ORG, headers={**_key("shared"), "X-Test-Caller": "bob"}
    )
    other_body = {**ORG, "name": "Carol's region"}
    carol = client.post(
        "/api/v1/organizations",
        json=other_body,
        headers={**_key("shared"), "X-Test-Caller": "carol"},
    )
    assert alice.status_code == bob.status_code == carol.status_code == 201
    assert "idempotent-replayed" not in bob.headers
    assert alice.json()["id"] != bob.json()["id"]
    assert _count(session, Organization) == 3
    assert sorted(r.subject for r in _rows(session)) == ["alice", "bob", "carol"]


def test_without_a_key_nothing_is_stored(client: TestClient, session: Session):
    assert client.post("/api/v1/organizations", json=ORG).status_code == 201
    assert client.post("/api/v1/organizations", json=ORG).status_code == 201
    assert _count(session, Organization) == 2
    assert _rows(session) == []


def test_key_on_a_get_is_ignored(client: TestClient, session: Session):
    assert client.get("/api/v1/organizations", headers=_key("get")).status_code == 200
    assert _rows(session) == []


@pytest.mark.parametrize("value", ["", "has space", "x" * 256, "åäö"])
def test_malformed_key_is_400(probe: TestClient, session: Session, value: str):
    response = probe.post(
        "/api/v1/probe/echo", content=b"x", headers={"Idempotency-Key": value.encode()}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert _rows(session) == []


def test_expired_key_is_forgotten(client: TestClient, session: Session):
    old = utcnow() - timedelta(hours=25)
    session.add(
        IdempotencyKey(
            key="old",
            subject="operator",
            method="POST",
            path="/api/v1/organizations",
            request_hash="0" * 64,
            state=IdempotencyState.completed,
            response_status=201,
            response_headers=[["content-type", "application/json"]],
            response_body=b"{}",
            created_at=old,
            completed_at=old,
        )
    )
    session.commit()
    response = client.post("/api/v1/organizations", json=ORG, headers=_key("old"))
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    [row] = _rows(session)
    assert row.created_at > old and row.request_hash != "0" * 64


def test_abandoned_reservation_is_taken_over(probe: TestClient, session: Session):
    session.add(
        IdempotencyKey(
            key="crashed",
            subject="operator",
            method="POST",
            path="/api/v1/probe/echo",
            request_hash=request_hash("", b"x"),
            state=IdempotencyState.in_progress,
            created_at=utcnow() - timedelta(minutes=10),
        )
    )
    session.commit()
    response = probe.post("/api/v1/probe/echo", content=b"x", headers=_key("crashed"))
    assert response.status_code == 201
    [row] = _rows(session)
    assert row.state == IdempotencyState.completed


def test_streaming_response_streams_and_replays(probe: TestClient):
    first = probe.post("/api/v1/probe/stream", content=b"s", headers=_key("stream"))
    assert first.status_code == 200
    assert first.text.count("chunk") == 5
    again = probe.post("/api/v1/probe/stream", content=b"s", headers=_key("stream"))
    assert again.text == first.text
    assert again.headers["content-type"].startswith("text/plain")
    assert again.headers["idempotent-replayed"] == "true"


def test_real_credentials_key_by_subject(database_url: str, session: Session):
    """With real authentication (whose lookup opens the request's transaction), too."""
    world = factories.setting(session)
    key, plain = auth_service.create_api_key(
        session,
        Principal.operator(),
        ApiKeyIn(
            name="Integration",
            scopes=[Scope.bookings_read, Scope.bookings_write],
            organization_id=world.region_id,
        ),
    )
    real = create_app(Settings(database_url=database_url))
    try:
        with TestClient(real, raise_server_exceptions=False) as api:
            headers = {"Authorization": f"Bearer {plain}", **_key("closed-1")}
            body = {"organization_id": world.region_id, "on": "2027-01-07", "name": "Stängt"}
            first = api.post("/api/v1/closed-days", json=body, headers=headers)
            assert first.status_code == 201, first.text
            again = api.post("/api/v1/closed-days", json=body, headers=headers)
            assert again.status_code == 201
            assert again.headers["idempotent-replayed"] == "true"
            assert again.content == first.content
            unauthenticated = api.post("/api/v1/closed-days", json=body, headers=_key("c2"))
            assert unauthenticated.status_code == 401
    finally:
        real.state.engine.dispose()
    assert [r.subject for r in _rows(session)] == [f"apikey:{key.id}"]


def test_secret_bearing_routes_do_not_take_part(app: FastAPI):
    paths = idempotent_post_paths(app)
    assert "/api/v1/organizations" in paths and "/api/v1/bookings" in paths
    assert "/api/v1/imports/families" in paths
    for secret in ("/api/v1/api-keys", "/api/v1/accounts", "/api/v1/auth/token"):
        assert secret not in paths
    assert not any("calendar-tokens" in p for p in paths)


def test_openapi_documents_the_header_on_idempotent_posts(client: TestClient):
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/api/v1/organizations"]["post"]
    [header] = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is False
    api_keys = schema["paths"]["/api/v1/api-keys"]["post"]
    assert all(p["name"] != "Idempotency-Key" for p in api_keys.get("parameters", []))
    get = schema["paths"]["/api/v1/organizations"]["get"]
    assert all(p["name"] != "Idempotency-Key" for p in get.get("parameters", []))


def test_a_long_subject_is_stored_by_its_hash(probe: TestClient, session: Session):
    caller = {"X-Test-Caller": "oidc:https://idp.example/" + "r" * 400 + "#someone"}
    first = probe.post("/api/v1/probe/echo", content=b"x", headers={**_key("long"), **caller})
    again = probe.post("/api/v1/probe/echo", content=b"x", headers={**_key("long"), **caller})
    assert first.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    [row] = _rows(session)
    assert row.subject.startswith("sha256:") and len(row.subject) == 71


def test_a_precondition_failure_is_not_stored_and_the_retry_runs(
    client: TestClient, session: Session
):
    """412/428 answer the If-Match header, which the key does not cover: the client fetches the
    current ETag and retries with the same key, and that retry must run."""
    setting = factories.setting(session)
    family = factories.family(session, setting.bvc_id, born=date(2026, 9, 1))
    session.rollback()
    url = f"/api/v1/families/{family.id}/status"
    body = {"status": "declined", "reason": "Vill inte"}
    stale = client.post(url, json=body, headers=_key("decline") | {"If-Match": '"family-0-v1"'})
    assert stale.status_code == 412, stale.text
    current = client.get(f"/api/v1/families/{family.id}").headers["etag"]
    retried = client.post(url, json=body, headers=_key("decline") | {"If-Match": current})
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["status"] == "declined"
    replayed = client.post(url, json=body, headers=_key("decline") | {"If-Match": current})
    assert replayed.headers["idempotent-replayed"] == "true"
