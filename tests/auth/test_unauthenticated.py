"""Nothing but the health check, the login and calendar feeds answers without credentials."""

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.auth.support import API, assert_unauthorized, bearer

PUBLIC_API = {("POST", f"{API}/auth/token")}


def api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every /api/v1 operation of the OpenAPI document, ids in the path replaced by 1."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith(API):
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            if (method.upper(), path) not in PUBLIC_API:
                found.append((method.upper(), concrete))
    return found


SAMPLE = [
    ("GET", f"{API}/families"),
    ("POST", f"{API}/families"),
    ("GET", f"{API}/families/1"),
    ("POST", f"{API}/bookings"),
    ("GET", f"{API}/bookings"),
    ("GET", f"{API}/bookings/1.ics"),
    ("GET", f"{API}/program-templates"),
    ("POST", f"{API}/program-templates"),
    ("GET", f"{API}/organizations"),
    ("GET", f"{API}/staff"),
    ("GET", f"{API}/reports/tariffs"),
    ("POST", f"{API}/imports/staff"),
    ("GET", f"{API}/auth/me"),
    ("POST", f"{API}/accounts"),
    ("POST", f"{API}/api-keys"),
]


@pytest.mark.parametrize(("method", "path"), SAMPLE)
def test_a_sample_of_endpoints_needs_credentials(
    client: TestClient, method: str, path: str
) -> None:
    body = assert_unauthorized(client.request(method, path, json={} if method != "GET" else None))
    assert body["title"] == "Authentication required"
    assert body["instance"] == path


def test_every_api_operation_needs_credentials(client: TestClient, auth_app: FastAPI) -> None:
    operations = api_operations(auth_app)
    assert len(operations) > 50  # the whole API, not an empty list
    answered = {
        (method, path): client.request(method, path).status_code for method, path in operations
    }
    assert {op: status for op, status in answered.items() if status != 401} == {}


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer   ",
        "Basic YW5uYTpwYXNzd29yZA==",
        "Token abc",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer hbk_not-a-key-anyone-has",
    ],
)
def test_malformed_or_unknown_credentials_are_refused(
    client: TestClient, authorization: str
) -> None:
    assert_unauthorized(client.get(f"{API}/families", headers={"Authorization": authorization}))


def test_health_answers_without_credentials(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_login_answers_without_credentials(client: TestClient) -> None:
    # No account: a 401 from the login itself (not the "send a bearer token" gate).
    body = assert_unauthorized(
        client.post(f"{API}/auth/token", json={"username": "nobody", "password": "x" * 12})
    )
    assert body["detail"] == "wrong username or password"
    invalid = client.post(f"{API}/auth/token", json={"username": "nobody"})
    assert invalid.status_code == 422


def test_calendar_feeds_use_their_own_secret_not_a_login(client: TestClient) -> None:
    assert client.get("/calendar/no-such-token.ics").status_code == 404


def test_a_credential_on_the_health_check_is_not_needed_nor_checked(client: TestClient) -> None:
    assert client.get("/health", headers=bearer("garbage")).status_code == 200
