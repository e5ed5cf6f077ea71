"""Request body size limit, security headers and CORS."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.http.middleware import API_CSP
from app.http.models import IdempotencyKey
from app.main import create_app
from tests.http.conftest import PROBE_MAX_BODY

PROBLEM_JSON = "application/problem+json"
MIB = 1024 * 1024


def _chunks(total: int, size: int = 256) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"x" * part


def _assert_413(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == 413
    assert body["type"].endswith("/payload-too-large")
    assert response.headers["x-content-type-options"] == "nosniff"


# Body size ------------------------------------------------------------------------------------


def test_default_limit_is_one_mebibyte():
    assert Settings().max_body_bytes == MIB


def test_body_over_the_limit_by_content_length_is_413(client: TestClient):
    body = b'{"name": "' + b"x" * MIB + b'", "kind": "region"}'
    _assert_413(
        client.post(
            "/api/v1/organizations", content=body, headers={"Content-Type": "application/json"}
        )
    )


def test_body_over_the_limit_without_content_length_is_413(probe: TestClient, session: Session):
    response = probe.post(
        "/api/v1/probe/echo",
        content=_chunks(PROBE_MAX_BODY + 1),
        headers={"Idempotency-Key": "big"},
    )
    assert "content-length" not in response.request.headers
    _assert_413(response)
    # Refused before any key was reserved.
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_streamed_body_over_the_limit_on_a_json_route_is_413(client: TestClient):
    response = client.post(
        "/api/v1/organizations",
        content=_chunks(MIB + 1, 64 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    _assert_413(response)


def test_body_at_the_limit_passes(probe: TestClient):
    response = probe.post("/api/v1/probe/echo", content=_chunks(PROBE_MAX_BODY))
    assert response.status_code == 201
    assert len(response.json()["body"]) == PROBE_MAX_BODY


def test_imports_have_their_own_limit(probe: TestClient):
    size = PROBE_MAX_BODY * 5
    declared = probe.post("/api/v1/imports/probe", content=b"x" * size)
    assert declared.status_code == 200 and declared.json() == {"size": size}
    streamed = probe.post("/api/v1/imports/probe", content=_chunks(size))
    assert streamed.status_code == 200 and streamed.json() == {"size": size}


# Security headers -----------------------------------------------------------------------------


def _assert_common(response) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path", ["/health", "/api/v1/organizations", "/api/v1/organizations/999999", "/openapi.json"]
)
def test_security_headers_on_api_responses(client: TestClient, path: str):
    response = client.get(path)
    _assert_common(response)
    assert response.headers["content-security-policy"] == API_CSP
    assert "strict-transport-security" not in response.headers


def test_api_responses_are_not_stored_by_caches(client: TestClient):
    assert client.get("/api/v1/organizations").headers["cache-control"] == "no-store"
    missing = client.get("/api/v1/organizations/999999")
    assert missing.status_code == 404
    assert missing.headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/health").headers


def test_a_routes_own_cache_control_wins(probe: TestClient):
    assert probe.get("/api/v1/probe/cached").headers["cache-control"] == "private, max-age=60"


def test_calendar_feed_keeps_its_referrer_policy(client: TestClient):
    response = client.get("/calendar/not-a-token.ics")
    assert response.status_code == 404
    _assert_common(response)


def test_hsts_only_over_https(app):  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as secure:
        response = secure.get("/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_docs_page_may_load_swagger_from_the_cdn(client: TestClient):
    docs = client.get("/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp
    for url in ("https://cdn.jsdelivr.net/npm/swagger-ui-dist", "https://fastapi.tiangolo.com"):
        assert url in docs.text
    redoc = client.get("/redoc")
    assert "https://cdn.jsdelivr.net" in redoc.headers["content-security-policy"]
    _assert_common(docs)


def test_unhandled_error_still_carries_the_headers(probe: TestClient):
    response = probe.get("/boom")
    assert response.status_code == 500
    _assert_common(response)
    assert response.headers["content-security-policy"] == API_CSP


def test_413_and_problem_responses_carry_the_headers(client: TestClient):
    response = client.post(
        "/api/v1/organizations",
        content=b"x" * (MIB + 1),
        headers={"Content-Type": "application/json"},
    )
    _assert_common(response)
    assert response.headers["cache-control"] == "no-store"


# CORS ----------------------------------------------------------------------------------------

PREFLIGHT = {
    "Origin": "https://app.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
}


def test_cors_is_off_by_default(client: TestClient):
    assert Settings().cors_origins == []
    preflight = client.options("/api/v1/organizations", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/api/v1/organizations", headers={"Origin": "https://app.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_exactly_the_configured_origins(database_url: str, clean_db: None):
    app = create_app(Settings(database_url=database_url, cors_origins=["https://app.example"]))
    try:
        with TestClient(app) as api:
            preflight = api.options("/api/v1/organizations", headers=PREFLIGHT)
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == "https://app.example"
            assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
            _assert_common(preflight)

            other = api.options(
                "/api/v1/organizations", headers={**PREFLIGHT, "Origin": "https://evil.example"}
            )
            assert other.status_code == 400
            assert "access-control-allow-origin" not in other.headers

            simple = api.get("/health", headers={"Origin": "https://app.example"})
            assert simple.headers["access-control-allow-origin"] == "https://app.example"
            assert "etag" in simple.headers["access-control-expose-headers"].lower()
            foreign = api.get("/health", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in foreign.headers
    finally:
        app.state.engine.dispose()
