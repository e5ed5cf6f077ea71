"""The error contract (RFC 9457 problem+json) and cursor pagination, across the API."""

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.auth.deps import current_principal
from app.auth.principal import Principal
from app.config import Settings
from app.families import service as families_service
from app.main import create_app
from app.organizations import service as organizations_service
from app.organizations.models import Organization, OrganizationKind
from app.staff import service as staff_service
from tests.api.support import (
    API,
    DUE,
    assert_no_database_text,
    assert_problem,
    create_family,
    error_fields,
    family_body,
    family_count,
    patch,
)
from tests.factories import Setting


def cursor_of(payload: object) -> str:
    """A cursor in the API's encoding, around any JSON payload."""
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def walk(client: TestClient, path: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor."""
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"{API}/{path}", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        yield page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


def add_organizations(session: Session, count: int) -> None:
    session.add_all(
        Organization(name=f"Huvudman {n}", kind=OrganizationKind.other) for n in range(count)
    )
    session.commit()


# --- problem+json everywhere --------------------------------------------------------------------

CLIENT_ERRORS: dict[str, Callable[[TestClient, Setting], Response]] = {
    "unknown route": lambda c, w: c.get(f"{API}/no-such-thing"),
    "method not allowed": lambda c, w: c.delete(f"{API}/families"),
    "unknown id": lambda c, w: c.get(f"{API}/staff/9999"),
    "id not a number": lambda c, w: c.get(f"{API}/families/abc"),
    "duplicate": lambda c, w: c.post(
        f"{API}/staff",
        json={
            "unit_id": w.bvc_id,
            "given_name": "A",
            "family_name": "B",
            "profession": "bhv_nurse",
            "hsa_id": "SE2321000000-N001",
        },
    ),
    "consent required": lambda c, w: c.post(
        f"{API}/enrollments",
        json={
            "family_id": create_family(c, w.bvc_id)["id"],
            "nurse_id": w.nurse_id,
            "social_worker_id": w.social_worker_id,
        },
    ),
    "invalid field": lambda c, w: c.post(f"{API}/organizations", json={"name": "", "kind": "x"}),
    "missing body": lambda c, w: c.post(f"{API}/organizations"),
    "malformed JSON": lambda c, w: c.post(
        f"{API}/organizations",
        content=b'{"name": "X",',
        headers={"content-type": "application/json"},
    ),
    "body not an object": lambda c, w: c.post(f"{API}/organizations", json=["region"]),
    "bad query value": lambda c, w: c.get(f"{API}/families", params={"limit": "many"}),
}


@pytest.mark.parametrize("case", list(CLIENT_ERRORS))
def test_every_client_error_is_problem_json(client: TestClient, world: Setting, case: str) -> None:
    response = CLIENT_ERRORS[case](client, world)
    assert 400 <= response.status_code < 500, response.text
    body = assert_problem(response, response.status_code)
    assert body["instance"] == response.request.url.path
    assert_no_database_text(body)


def test_validation_problem_lists_every_bad_field(client: TestClient) -> None:
    response = client.post(f"{API}/organizations", json={"name": "", "kind": "county"})
    assert_problem(response, 422)
    assert sorted(error_fields(response)) == ["kind", "name"]
    assert all(e["message"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("organizations", {"name": "Region", "kind": "region", "nickname": "R"}, "nickname"),
        ("program-templates", {"key": "k-1", "name": "K", "visits": [], "owner": "me"}, "owner"),
    ],
)
def test_unknown_field_in_a_body_is_refused_naming_it(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{API}/{path}", json=body)
    problem = assert_problem(response, 422, field=field)
    assert "extra" in problem["detail"].lower() or "not permitted" in problem["detail"].lower()


def test_unknown_field_in_a_nested_object_is_refused(client: TestClient, world: Setting) -> None:
    body = family_body(world.bvc_id, children=[{"expected_due_date": DUE.isoformat(), "sex": "F"}])
    assert_problem(client.post(f"{API}/families", json=body), 422, field="children.0.sex")
    assert family_count(client) == 0


def test_read_only_fields_cannot_be_written(client: TestClient, world: Setting) -> None:
    body = family_body(world.bvc_id, reference_code="F-2027-0042", status="enrolled")
    response = client.post(f"{API}/families", json=body)
    assert_problem(response, 422)
    assert {"reference_code", "status"} <= set(error_fields(response))


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("organization", "name"),
        ("organization", "kind"),
        ("unit", "name"),
        ("staff", "given_name"),
        ("staff", "unit_id"),
        ("staff", "active"),
        ("family", "unit_id"),
        ("family", "protected_identity"),
        ("guardian", "family_name"),
    ],
)
def test_explicit_null_for_a_required_field_is_refused_naming_it(
    client: TestClient, world: Setting, target: str, field: str
) -> None:
    # PATCH leaves out what is not sent; null is not "leave it", and not a 409 conflict either.
    family = create_family(client, world.bvc_id)
    url = {
        "organization": f"{API}/organizations/{world.region_id}",
        "unit": f"{API}/units/{world.bvc_id}",
        "staff": f"{API}/staff/{world.nurse_id}",
        "family": f"{API}/families/{family['id']}",
        "guardian": f"{API}/families/{family['id']}/guardians/{family['guardians'][0]['id']}",
    }[target]
    read_url = url if target != "guardian" else f"{API}/families/{family['id']}"
    before = client.get(read_url).json()
    assert_problem(patch(client, url, json={field: None}), 422, field=field)
    assert client.get(read_url).json() == before


# --- text and dates -----------------------------------------------------------------------------

NUL = "Ann\x00a"


def nul_requests(world: Setting) -> dict[str, tuple[str, str, dict[str, Any], str]]:
    """Requests carrying a NUL byte: (method, path, body, field named in the refusal)."""
    visit = {
        "sequence": 1,
        "name": "Besök",
        "location_kind": "home",
        "anchor": "birth_date",
        "window_start": {"amount": 1, "unit": "weeks"},
        "window_end": {"amount": 3, "unit": "weeks"},
        "ideal": {"amount": 2, "unit": "weeks"},
        "required_professions": ["bhv_nurse"],
    }
    template = {"key": "nul-test", "name": "Mall", "visits": [visit]}
    return {
        "organization name": ("post", "organizations", {"name": NUL, "kind": "region"}, "name"),
        "unit name": (
            "post",
            "units",
            {"organization_id": world.region_id, "name": NUL, "kind": "bvc"},
            "name",
        ),
        "staff name": (
            "post",
            "staff",
            {
                "unit_id": world.bvc_id,
                "given_name": NUL,
                "family_name": "B",
                "profession": "bhv_nurse",
            },
            "given_name",
        ),
        "guardian name": (
            "post",
            "families",
            family_body(world.bvc_id, guardians=[{"given_name": NUL, "family_name": "B"}]),
            "guardians.0.given_name",
        ),
        "child name": (
            "post",
            "families",
            family_body(
                world.bvc_id, children=[{"given_name": NUL, "expected_due_date": DUE.isoformat()}]
            ),
            "children.0.given_name",
        ),
        "city": ("post", "families", family_body(world.bvc_id, city=NUL), "city"),
        "reservnummer region": (
            "post",
            "families",
            family_body(
                world.bvc_id,
                children=[
                    {
                        "birth_date": "2027-03-01",
                        "reserve_number": "992027000001",
                        "reserve_number_region": "Region\x00Stockholm",
                    }
                ],
            ),
            "children.0.reserve_number_region",
        ),
        "template name": ("post", "program-templates", {**template, "name": NUL}, "name"),
        "template description": (
            "post",
            "program-templates",
            {**template, "description": "Rad 1\n\x00"},
            "description",
        ),
        "template source": (
            "post",
            "program-templates",
            {**template, "source": "Källa\x00"},
            "source",
        ),
        "template visit name": (
            "post",
            "program-templates",
            {**template, "visits": [{**visit, "name": NUL}]},
            "visits.0.name",
        ),
    }


NUL_CASES = [
    "organization name",
    "unit name",
    "staff name",
    "guardian name",
    "child name",
    "city",
    "reservnummer region",
    "template name",
    "template description",
    "template source",
    "template visit name",
]


@pytest.mark.parametrize("case", NUL_CASES)
def test_nul_byte_in_text_is_refused_and_nothing_stored(
    client: TestClient, world: Setting, case: str
) -> None:
    # PostgreSQL cannot store NUL at all; SQLite would keep it and break CSV and iCal output.
    method, path, body, field = nul_requests(world)[case]
    before = {
        p: len(client.get(f"{API}/{p}", params={"limit": 200}).json()["items"])
        for p in ("organizations", "units", "staff", "families", "program-templates")
    }
    response = client.request(method, f"{API}/{path}", json=body)
    assert_problem(response, 422, field=field)
    after = {
        p: len(client.get(f"{API}/{p}", params={"limit": 200}).json()["items"]) for p in before
    }
    assert after == before


@pytest.mark.parametrize("text", ["Anna\x1b[31m", "Anna\nAndersson", "Anna\x7f"])
def test_control_characters_in_a_name_are_refused(
    client: TestClient, world: Setting, text: str
) -> None:
    response = patch(client, f"{API}/staff/{world.nurse_id}", json={"given_name": text})
    assert_problem(response, 422, field="given_name")
    assert client.get(f"{API}/staff/{world.nurse_id}").json()["given_name"] == "Anna"


def test_nul_byte_in_a_query_is_refused(client: TestClient) -> None:
    response = client.get(f"{API}/program-templates", params={"key": "a\x00b"})
    assert_problem(response, 422, field="key")


def test_names_keep_swedish_and_other_scripts(client: TestClient, world: Setting) -> None:
    names = {"given_name": "Åsa-Öyvind", "family_name": "عبد الله"}
    response = patch(client, f"{API}/staff/{world.nurse_id}", json=names)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in names} == names


@pytest.mark.parametrize(
    "value",
    [
        "2027-03-15T10:30:00",  # a naive date-time with a time of day is not a date
        "2027-03-15T10:30:00+01:00",
        "15/03/2027",
        "2027-3-15",
        "2027-02-30",
        "2027-13-01",
        "",
        "idag",
    ],
)
def test_dates_must_be_iso_calendar_dates(client: TestClient, world: Setting, value: str) -> None:
    body = family_body(world.bvc_id, children=[{"expected_due_date": value}])
    response = client.post(f"{API}/families", json=body)
    assert_problem(response, 422, field="children.0.expected_due_date")
    assert family_count(client) == 0


def test_iso_date_is_accepted_and_returned_as_iso(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id, offered_on="2027-02-28")
    assert family["offered_on"] == "2027-02-28"
    assert family["children"][0]["expected_due_date"] == DUE.isoformat()


@pytest.mark.parametrize("due", ["9999-06-01", "2030-01-01", "0001-01-01", "1899-12-31"])
def test_impossible_due_dates_are_refused(client: TestClient, world: Setting, due: str) -> None:
    # A due date is at most a pregnancy ahead; far-off dates only come from typing mistakes
    # (and the year 9999 once broke the plan: five years later does not exist).
    body = family_body(world.bvc_id, children=[{"expected_due_date": due}])
    assert_problem(
        client.post(f"{API}/families", json=body), 422, field="children.0.expected_due_date"
    )
    family = create_family(client, world.bvc_id)
    child_id = family["children"][0]["id"]
    response = patch(
        client,
        f"{API}/families/{family['id']}/children/{child_id}",
        json={"expected_due_date": due},
    )
    assert_problem(response, 422, field="expected_due_date")


# --- pagination ---------------------------------------------------------------------------------


def test_cursor_walks_every_family_once(client: TestClient, world: Setting) -> None:
    created = [create_family(client, world.bvc_id)["id"] for _ in range(23)]
    pages = list(walk(client, "families", limit=5))
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    seen = [f["id"] for page in pages for f in page]
    assert seen == sorted(created)


def test_a_full_last_page_has_no_cursor(client: TestClient, world: Setting) -> None:
    for _ in range(10):
        create_family(client, world.bvc_id)
    pages = list(walk(client, "families", limit=5))
    assert [len(page) for page in pages] == [5, 5]


def test_cursor_walk_with_a_filter_stays_inside_the_filter(
    client: TestClient, world: Setting
) -> None:
    declined = []
    for n in range(12):
        family = create_family(client, world.bvc_id)
        if n % 3 == 0:
            client.post(f"{API}/families/{family['id']}/status", json={"status": "declined"})
            declined.append(family["id"])
    seen = [f["id"] for page in walk(client, "families", limit=2, status="declined") for f in page]
    assert seen == declined


def test_family_added_during_a_walk_appears_once_and_nothing_repeats(
    client: TestClient, world: Setting
) -> None:
    for _ in range(6):
        create_family(client, world.bvc_id)
    seen: list[int] = []
    for number, page in enumerate(walk(client, "families", limit=4)):
        seen.extend(f["id"] for f in page)
        if number == 0:
            create_family(client, world.bvc_id)
    assert len(seen) == len(set(seen)) == 7


def test_every_list_pages_with_a_cursor(client: TestClient, world: Setting) -> None:
    # Five templates ship; walk them two at a time.
    pages = list(walk(client, "program-templates", limit=2))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert len({t["id"] for page in pages for t in page}) == 5
    staff_pages = list(walk(client, "staff", limit=1))
    assert [[s["id"] for s in page] for page in staff_pages] == [
        [world.nurse_id],
        [world.social_worker_id],
    ]


def test_limit_above_the_cap_is_capped_at_200(client: TestClient, session: Session) -> None:
    add_organizations(session, 205)
    response = client.get(f"{API}/organizations", params={"limit": 100000})
    assert response.status_code == 200, response.text
    first = response.json()
    assert len(first["items"]) == 200
    assert first["next_cursor"] is not None
    rest = client.get(
        f"{API}/organizations", params={"limit": 100000, "cursor": first["next_cursor"]}
    ).json()
    assert len(rest["items"]) == 5
    assert rest["next_cursor"] is None


def test_default_page_size_and_cap_come_from_settings(session: Session, database_url: str) -> None:
    add_organizations(session, 8)
    app = create_app(Settings(database_url=database_url, page_size_default=2, page_size_max=3))
    app.dependency_overrides[current_principal] = Principal.operator
    try:
        with TestClient(app) as small:
            assert len(small.get(f"{API}/organizations").json()["items"]) == 2
            capped = small.get(f"{API}/organizations", params={"limit": 100000}).json()
            assert len(capped["items"]) == 3
            assert capped["next_cursor"] is not None
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_limit_must_be_a_positive_whole_number(client: TestClient, limit: str) -> None:
    response = client.get(f"{API}/families", params={"limit": limit})
    assert_problem(response, 422, field="limit")


GARBAGE_CURSORS = {
    "not base64": "garbage!!",
    "base64 of text": base64.urlsafe_b64encode(b"hello").decode(),
    "a list": cursor_of([1, 2]),
    "null": cursor_of(None),
    "no after": cursor_of({"before": 3}),
    "negative": cursor_of({"after": -1}),
    "boolean": cursor_of({"after": True}),
    "text id": cursor_of({"after": "5"}),
    "fraction": cursor_of({"after": 1.5}),
    "beyond any id": cursor_of({"after": 2**70}),
    "too long": "A" * 500,
}


@pytest.mark.parametrize("case", list(GARBAGE_CURSORS))
def test_garbage_cursor_is_refused_naming_cursor(
    client: TestClient, world: Setting, case: str
) -> None:
    create_family(client, world.bvc_id)
    response = client.get(f"{API}/families", params={"cursor": GARBAGE_CURSORS[case]})
    assert_problem(response, 422, field="cursor")


def test_a_cursor_from_one_walk_works_in_a_filtered_walk(
    client: TestClient, world: Setting
) -> None:
    ids = [create_family(client, world.bvc_id)["id"] for _ in range(4)]
    cursor = client.get(f"{API}/families", params={"limit": 2}).json()["next_cursor"]
    rest = client.get(f"{API}/families", params={"cursor": cursor, "unit_id": world.bvc_id})
    assert [f["id"] for f in rest.json()["items"]] == ids[2:]


# --- not found ----------------------------------------------------------------------------------

UNKNOWN = [
    "organizations/424242",
    "units/424242",
    "collaborations/424242",
    "staff/424242",
    "families/424242",
    "enrollments/424242",
    "enrollments/424242/plan",
    "program-templates/424242",
]


@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_id_is_a_404_problem(client: TestClient, path: str) -> None:
    problem = assert_problem(client.get(f"{API}/{path}"), 404)
    assert "424242" in problem["detail"]


@pytest.mark.parametrize("path", [p.replace("424242", "abc") for p in UNKNOWN])
def test_id_that_is_not_a_number_is_refused(client: TestClient, path: str) -> None:
    response = client.get(f"{API}/{path}")
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"].endswith("_id")


@pytest.mark.parametrize(
    "request_",
    [
        ("get", "families/99999999999999999999", None),
        ("get", "staff/9223372036854775808", None),
        ("get", "families?unit_id=99999999999999999999", None),
        ("post", "units", {"organization_id": 99999999999999999999, "name": "X", "kind": "bvc"}),
    ],
    ids=["path", "path just past 64 bits", "query", "body"],
)
def test_id_beyond_the_database_range_is_a_client_error(
    client: TestClient, request_: tuple[str, str, dict[str, Any] | None]
) -> None:
    method, path, body = request_
    response = client.request(method, f"{API}/{path}", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)


# --- database errors never leak -----------------------------------------------------------------


def test_unique_violation_found_by_the_database_is_a_plain_409(
    client: TestClient, world: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two writers can both pass the service's "is this HSA-id free?" check; then only the
    # database's unique constraint stands. Skipping the check plays the loser of that race.
    monkeypatch.setattr(staff_service, "check_staff_fields", lambda *args, **kwargs: None)
    response = client.post(
        f"{API}/staff",
        json={
            "unit_id": world.bvc_id,
            "given_name": "Dubbel",
            "family_name": "Gångare",
            "profession": "bhv_nurse",
            "hsa_id": "SE2321000000-N001",
        },
    )
    body = assert_problem(response, 409)
    assert_no_database_text(body)
    assert "SE2321000000-N001" not in response.text
    assert "Dubbel" not in [s["given_name"] for s in client.get(f"{API}/staff").json()["items"]]


def test_unit_unique_violation_from_the_database_leaks_nothing(
    client: TestClient, world: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(organizations_service, "_ensure_hsa_free", lambda *args: None)
    response = client.post(
        f"{API}/units",
        json={
            "organization_id": world.region_id,
            "name": "Kopia",
            "kind": "bvc",
            "hsa_id": "SE2321000000-BVC1",
        },
    )
    assert_no_database_text(assert_problem(response, 409))
    assert "SE2321000000-BVC1" not in response.text


def test_reference_code_taken_by_a_concurrent_writer_is_retried(
    client: TestClient, world: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_family(client, world.bvc_id)  # F-2027-0001
    real = families_service.next_reference_code
    calls: list[str] = []

    def stale_first(session: Session, year: int) -> str:
        # The first read is stale, as if another writer inserted between read and insert.
        calls.append("call")
        return "F-2027-0001" if len(calls) == 1 else real(session, year)

    monkeypatch.setattr(families_service, "next_reference_code", stale_first)
    family = create_family(client, world.bvc_id)
    assert family["reference_code"] == "F-2027-0002"
    assert len(calls) == 2
    assert family_count(client) == 2


def test_reference_code_that_never_frees_up_gives_a_clean_409(
    client: TestClient, world: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_family(client, world.bvc_id)
    monkeypatch.setattr(families_service, "next_reference_code", lambda s, y: "F-2027-0001")
    response = client.post(f"{API}/families", json=family_body(world.bvc_id))
    assert_no_database_text(assert_problem(response, 409))
    assert family_count(client) == 1


def test_unexpected_error_is_a_500_problem_without_internals(
    client: TestClient, world: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM family -- internal detail")

    monkeypatch.setattr(families_service, "list_families", broken)
    response = client.get(f"{API}/families")
    assert_problem(response, 500)
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text


def test_busy_database_is_a_503_problem_with_retry_after(
    client: TestClient, world: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE family SET x=1", {}, Exception("database is locked"))

    monkeypatch.setattr(families_service, "list_families", locked)
    response = client.get(f"{API}/families")
    body = assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    assert_no_database_text(body)
    assert "locked" not in response.text


def test_405_lists_every_method_the_path_answers(client: TestClient) -> None:
    """RFC 9110 §15.5.6: the Allow header of a 405 names all the path's methods (Starlette alone
    names the first route's only, and GET and POST of one path are two routes)."""
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        documented = {
            m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"}
        }
        unused = sorted({"DELETE", "PATCH", "PUT", "POST"} - documented)
        if not unused:
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(unused[0], concrete)
        assert_problem(response, 405)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        # ⊇, not ==: /bookings/1.ics also matches /bookings/{booking_id}, which answers PATCH.
        assert documented <= allowed, (path, allowed)
        assert unused[0] not in allowed, (path, allowed)
        checked += 1
    assert checked > 40
