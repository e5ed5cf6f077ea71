"""Each role gets exactly its rights on every router app.main mounts.

The matrix sends each role to a read and a write endpoint of each router: a role without the
scope gets 403; a role with it gets past the check (an empty body then gets 422, a list 200).
Real successes for the typical work of each role follow.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import Role
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from tests import factories
from tests.api.support import family_body
from tests.auth.support import API, PASSWORD, Users, assert_forbidden, bearer

NURSE, SOCIAL, COORD, AUDITOR = Role.nurse, Role.social_worker, Role.coordinator, Role.auditor
EVERYONE = frozenset({NURSE, SOCIAL, COORD, AUDITOR})
WORKERS = frozenset({NURSE, SOCIAL, COORD})  # all roles that work with visits
ADMINS = frozenset({COORD})
FAMILY_WRITERS = frozenset({NURSE, COORD})  # socialtjänst does not register families


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {staff} and {unit}: the caller's own staff member and unit
    allowed: frozenset[Role]
    ok: int | None = None  # the status when allowed; None: anything but 401, 403 and 5xx

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def read(path: str, allowed: frozenset[Role], ok: int | None = 200) -> Call:
    return Call("GET", path, allowed, ok)


def write(path: str, allowed: frozenset[Role], method: str = "POST", ok: int | None = 422) -> Call:
    return Call(method, path, allowed, ok)  # sent with an empty JSON body


MATRIX = [
    # auth
    read("/auth/me", EVERYONE),
    write("/accounts", ADMINS),
    read("/api-keys", ADMINS),
    write("/api-keys", ADMINS),
    # organizations
    read("/organizations", WORKERS),
    write("/organizations", frozenset()),  # the operator's alone
    read("/units", WORKERS),
    write("/units", ADMINS),
    read("/collaborations", WORKERS),
    write("/collaborations", ADMINS),
    # staff
    read("/staff", WORKERS),
    write("/staff", ADMINS),
    # programs
    read("/program-templates", WORKERS),
    write("/program-templates", ADMINS),
    # families
    read("/families", FAMILY_WRITERS | {SOCIAL}),
    write("/families", FAMILY_WRITERS),
    # enrollments
    read("/enrollments", FAMILY_WRITERS | {SOCIAL}),
    write("/enrollments", FAMILY_WRITERS),
    # availability
    read("/closed-days", WORKERS),
    write("/closed-days", WORKERS),
    read("/staff/{staff}/working-hours", WORKERS),
    write("/staff/{staff}/working-hours", WORKERS, method="PUT"),
    read("/units/{unit}/blocked-times", WORKERS),
    write("/units/{unit}/blocked-times", WORKERS),
    # calendar
    read("/staff/{staff}/calendar-tokens", WORKERS),
    write("/staff/{staff}/calendar-tokens", WORKERS, ok=201),  # the body is optional
    # scheduling
    read("/bookings", WORKERS),
    write("/bookings", WORKERS),
    read("/slots", WORKERS, ok=None),
    read("/kva-export", WORKERS, ok=None),
    # imports
    write("/imports/staff", ADMINS, ok=415),  # wants text/csv
    write("/imports/families", ADMINS, ok=415),
    # audit
    read("/audit-events", frozenset({AUDITOR}), ok=None),
    read("/audit-events/verification", frozenset({AUDITOR}), ok=None),
    # reports
    read("/reports/tariffs", WORKERS, ok=None),
    read("/reports/grant-followup", WORKERS, ok=None),
    # webhooks
    read("/webhooks", ADMINS),
    write("/webhooks", ADMINS),
]


def own(users: Users, role: Role) -> dict[str, int]:
    w = users.world
    if role is SOCIAL:
        return {"staff": w.social_worker_id, "unit": w.social_unit_id}
    return {"staff": w.nurse_id, "unit": w.bvc_id}


@pytest.mark.parametrize("role", [NURSE, SOCIAL, COORD, AUDITOR], ids=str)
def test_each_role_gets_exactly_its_rights(client: TestClient, users: Users, role: Role) -> None:
    wrong = []
    for call in MATRIX:
        path = API + call.path.format(**own(users, role))
        body: dict[str, Any] | None = {} if call.method != "GET" else None
        response = client.request(call.method, path, json=body, headers=users[role])
        status = response.status_code
        if role in call.allowed:
            fine = status == call.ok if call.ok else status not in (401, 403) and status < 500
        else:
            fine = status == 403
        if not fine:
            wrong.append(f"{call}: {status} {response.text[:200]}")
    assert wrong == [], "\n".join(wrong)


def test_the_matrix_covers_every_mounted_router(client: TestClient) -> None:
    """A router added to app.main without a row here fails this test (routers are told apart
    by their OpenAPI tags)."""

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    paths = client.get("/openapi.json").json()["paths"]
    operations = {
        (method.upper(), shape(path)): set(operation.get("tags", []))
        for path, methods in paths.items()
        if path.startswith(API) and path != f"{API}/auth/token"
        for method, operation in methods.items()
    }
    covered = set()
    for call in MATRIX:
        tags = operations.get((call.method, shape(API + call.path)))
        assert tags is not None, f"{call} is not in the OpenAPI document"
        covered |= tags
    assert set().union(*operations.values()) - covered == set()


STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_a_social_worker_reads_families_and_books_but_does_not_register(
    client: TestClient, session: Session, users: Users
) -> None:
    w = users.world
    family = factories.family(session, w.bvc_id, born=date(2026, 9, 1))
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=family.id,
            nurse_id=w.nurse_id,
            social_worker_id=w.social_worker_id,
            enrolled_on=date(2026, 8, 1),
        ),
    )
    plan = enrollments.plan(session, enrollment.id)
    four_months = next(v for v in plan.visits if v.sequence == 4)
    session.rollback()
    worker = users[SOCIAL]
    listed = client.get(f"{API}/families", headers=worker)
    assert listed.status_code == 200
    assert family.id in [f["id"] for f in listed.json()["items"]]
    assert_forbidden(client.post(f"{API}/families", json=family_body(w.bvc_id), headers=worker))
    starts = datetime(2027, 1, 12, 10, tzinfo=STOCKHOLM).isoformat()
    booked = client.post(
        f"{API}/bookings",
        json={"planned_visit_id": four_months.id, "starts_at": starts},
        headers=worker,
    )
    assert booked.status_code == 201, booked.text
    assert client.get(f"{API}/bookings", headers=worker).status_code == 200


def test_a_nurse_registers_families_but_does_not_administer(
    client: TestClient, users: Users
) -> None:
    w = users.world
    nurse = users[NURSE]
    created = client.post(f"{API}/families", json=family_body(w.bvc_id), headers=nurse)
    assert created.status_code == 201, created.text
    assert_forbidden(
        client.post(
            f"{API}/organizations", json={"name": "Ny region", "kind": "region"}, headers=nurse
        )
    )
    assert_forbidden(client.post(f"{API}/staff", json=staff_body(w.bvc_id), headers=nurse))
    assert_forbidden(client.post(f"{API}/program-templates", json=TEMPLATE, headers=nurse))


def test_a_coordinator_administers(client: TestClient, users: Users) -> None:
    w = users.world
    coordinator = users[COORD]
    organization = client.post(
        f"{API}/organizations", json={"name": "Ny region", "kind": "region"}, headers=coordinator
    )
    assert_forbidden(organization)  # new organizations come from the operator
    unit = client.post(
        f"{API}/units",
        json={"organization_id": w.region_id, "name": "BVC Norr", "kind": "bvc"},
        headers=coordinator,
    )
    assert unit.status_code == 201, unit.text
    staff = client.post(f"{API}/staff", json=staff_body(w.bvc_id), headers=coordinator)
    assert staff.status_code == 201, staff.text
    template = client.post(f"{API}/program-templates", json=TEMPLATE, headers=coordinator)
    assert template.status_code == 201, template.text
    family = client.post(f"{API}/families", json=family_body(w.bvc_id), headers=coordinator)
    assert family.status_code == 201, family.text


def test_an_auditor_sees_no_families_nor_bookings(client: TestClient, users: Users) -> None:
    auditor = users[AUDITOR]
    assert client.get(f"{API}/auth/me", headers=auditor).json()["scopes"] == ["audit:read"]
    assert_forbidden(client.get(f"{API}/families", headers=auditor))
    assert_forbidden(client.get(f"{API}/bookings", headers=auditor))
    assert_forbidden(client.get(f"{API}/enrollments", headers=auditor))


def staff_body(unit_id: int) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "given_name": "Greta",
        "family_name": "Barnmorska",
        "profession": "midwife",
    }


def _offset(amount: int, unit: str) -> dict[str, Any]:
    return {"amount": amount, "unit": unit}


TEMPLATE: dict[str, Any] = {
    "key": "var-egen-modell",
    "name": "Vår egen modell",
    "visits": [
        {
            "sequence": 1,
            "name": "Hembesök 1",
            "location_kind": "home",
            "anchor": "birth_date",
            "window_start": _offset(2, "weeks"),
            "window_end": _offset(4, "weeks"),
            "ideal": _offset(3, "weeks"),
            "required_professions": ["bhv_nurse", "social_worker"],
        }
    ],
}


# Creating accounts: admin only, own organization only, strong passwords.


def account_body(**fields: Any) -> dict[str, Any]:
    body = {"username": "ny.skoterska", "password": PASSWORD, "role": "nurse"}
    body.update(fields)
    return body


def test_a_coordinator_creates_accounts_in_their_own_organization(
    client: TestClient, users: Users
) -> None:
    created = client.post(f"{API}/accounts", json=account_body(), headers=users[COORD])
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == users.world.region_id
    assert "password" not in created.text and "hash" not in created.text
    token = client.post(
        f"{API}/auth/token", json={"username": "ny.skoterska", "password": PASSWORD}
    ).json()["access_token"]
    assert client.get(f"{API}/auth/me", headers=bearer(token)).json()["role"] == "nurse"
    again = client.post(f"{API}/accounts", json=account_body(), headers=users[COORD])
    assert again.status_code == 409


def test_account_creation_needs_admin(client: TestClient, users: Users) -> None:
    for role in (NURSE, SOCIAL, AUDITOR):
        assert_forbidden(client.post(f"{API}/accounts", json=account_body(), headers=users[role]))


def test_a_coordinator_cannot_create_accounts_for_another_organization(
    client: TestClient, users: Users
) -> None:
    response = client.post(
        f"{API}/accounts",
        json=account_body(organization_id=users.world.municipality_id),
        headers=users[COORD],
    )
    assert_forbidden(response)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "elva tecken"}, "password"),  # 11 characters
        ({"password": ""}, "password"),
        ({"role": "system"}, "role"),
        ({"role": "superuser"}, "role"),
        ({"username": "AB"}, "username"),
    ],
)
def test_weak_passwords_and_bad_accounts_get_422(
    client: TestClient, users: Users, fields: dict[str, Any], field: str
) -> None:
    response = client.post(f"{API}/accounts", json=account_body(**fields), headers=users[COORD])
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_account_is_linked_only_to_staff_of_its_own_organization(
    client: TestClient, users: Users
) -> None:
    """Else a coordinator could make a login for another organization's team member (and see
    protected addresses meant for that team)."""
    w = users.world
    response = client.post(
        f"{API}/accounts",
        json=account_body(staff_id=w.social_worker_id),  # the municipality's social worker
        headers=users[COORD],
    )
    assert response.status_code == 422, response.text
    assert "staff_id" in [e["field"] for e in response.json()["errors"]]
    own = client.post(
        f"{API}/accounts", json=account_body(staff_id=w.nurse_id), headers=users[COORD]
    )
    assert own.status_code == 201, own.text


def test_a_coordinator_cannot_make_an_auditor(client: TestClient, users: Users) -> None:
    """Auditors oversee the coordinators; their accounts come from the operator or the IdP."""
    response = client.post(
        f"{API}/accounts", json=account_body(role="auditor"), headers=users[COORD]
    )
    assert_forbidden(response)
