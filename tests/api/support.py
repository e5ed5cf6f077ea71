"""Helpers shared by the API tests: the pinned 'today', problem+json checks, request bodies."""

from datetime import date
from typing import Any

from httpx import Response

from tests.factories import personnummer

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
# Every API test runs on this day (see conftest.py): birth dates, consents and reference-code
# years depend on "today", and a fixed day keeps the expected dates hand-checkable.
TODAY = date(2027, 4, 1)
DUE = date(2027, 3, 15)
# Fragments of database error messages (SQLite and PostgreSQL); none may reach a client.
DATABASE_WORDS = (
    "insert into",
    "update ",
    "select ",
    "unique constraint",
    "duplicate key",
    "violates",
    "integrityerror",
    "psycopg",
    "sqlite",
    "[sql",
    "detail:",
    "key (",
    "background on this error",
)


def assert_problem(response: Response, status: int, *, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (naming `field`, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    if field is not None:
        assert field in error_fields(response), body
    return body


def error_fields(response: Response) -> list[str]:
    return [error["field"] for error in response.json().get("errors", [])]


def assert_no_database_text(body: dict[str, Any]) -> None:
    messages = [e["message"] for e in body.get("errors", [])]
    text = " ".join([body["title"], body.get("detail") or "", *messages]).lower()
    for word in DATABASE_WORDS:
        assert word not in text, (word, body)


def pnr(born: date, serial: int = 123) -> str:
    """A valid personnummer in the 12-digit form with hyphen."""
    return personnummer(born, serial)


def digits(number: str) -> str:
    """The 12-digit stored form of a 12-digit personnummer with hyphen."""
    return number.replace("-", "")


def family_body(unit_id: int, **fields: Any) -> dict[str, Any]:
    """A minimal valid family: one guardian and one unborn child due on DUE."""
    body: dict[str, Any] = {
        "unit_id": unit_id,
        "guardians": [{"given_name": "Amina", "family_name": "Hassan"}],
        "children": [{"expected_due_date": DUE.isoformat()}],
    }
    body.update(fields)
    return body


def create_family(client: Any, unit_id: int, **fields: Any) -> dict[str, Any]:
    response = client.post(f"{API}/families", json=family_body(unit_id, **fields))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def family_count(client: Any) -> int:
    """How many families exist, counted through the API (walks every page)."""
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{API}/families", params=params).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return total


def etag_url(url: str) -> str:
    """The resource whose ETag guards a change at `url`: guardians and children are parts of
    their family and share its ETag."""
    path = url.split("?")[0]
    for part in ("/guardians/", "/children/"):
        if part in path:
            return path.split(part)[0]
    return path


def read_then_write(client: Any, method: str, url: str, **kwargs: Any) -> Response:
    """A change as a client makes it: GET the resource, send its ETag back in If-Match."""
    current = client.get(etag_url(url))
    headers = dict(kwargs.pop("headers", None) or {})
    if "etag" in current.headers:
        headers.setdefault("If-Match", current.headers["etag"])
    response: Response = client.request(method, url, headers=headers, **kwargs)
    return response


def patch(client: Any, url: str, **kwargs: Any) -> Response:
    return read_then_write(client, "PATCH", url, **kwargs)


def put(client: Any, url: str, **kwargs: Any) -> Response:
    return read_then_write(client, "PUT", url, **kwargs)
