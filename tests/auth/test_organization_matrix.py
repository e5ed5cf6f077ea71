"""Another organization's objects: 404 (or 403 where the object is public) on every route.

The rows are keyed by the app's own routes (`app.routes`, walked with FastAPI's route
contexts), so a new /api/v1 route with an id in its path, or a new list, fails
`test_every_route_has_a_row` until someone decides its scope here. Each row is sent by a
coordinator of an unrelated region (all scopes but audit), who must be refused, and then by the
owning organization's coordinator, who must get the row's status.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.models import Account
from app.auth.principal import ROLE_SCOPES, Principal, Role, Scope
from app.auth.schemas import ApiKeyIn
from app.auth.tokens import Verifier
from app.availability import service as availability
from app.availability.models import AbsenceKind
from app.availability.schemas import AbsenceIn, BlockedTimeIn, ClosedDayIn, OverrideIn
from app.calendar import service as calendar
from app.calendar.schemas import CalendarTokenIn
from app.clock import today_local
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.families.models import Family
from app.organizations import service as organizations
from app.organizations.models import Collaboration, OrganizationKind, UnitKind
from app.organizations.schemas import CollaborationIn, OrganizationIn, UnitIn
from app.programs.models import ProgramTemplate
from app.scheduling import service as scheduling
from app.scheduling.models import BookingLocation
from app.scheduling.schemas import BookingIn, OutcomeIn
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from app.webhooks import service as webhooks
from app.webhooks.schemas import WebhookSubscriptionIn
from tests import factories
from tests.auth.support import API, PROBLEM_JSON

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PUBLIC = 0  # the outsider gets through like the owner: a directory entry, or global data


@dataclass(frozen=True)
class Row:
    outsider: int  # 404 (secret), 403 (public but not yours) or PUBLIC
    ok: int  # what the owning organization's coordinator gets
    body: Any = None  # for POST/PATCH/PUT; None sends {}
    etag_from: str | None = None  # GET this path (same ids) for If-Match; default: the path
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> key in World.ids
    query: str = ""


OVERRIDE = {"on": "2027-02-02"}
ABSENCE = {"kind": "training", "first_day": "2027-02-03", "last_day": "2027-02-03"}
BLOCKED = {"first_start_local": "2027-02-01T13:00:00", "duration_minutes": 60, "reason": "APT"}
TOKEN_BODY = {"label": "Telefonen"}
FAMILY = "/families/{family_id}"
BOOKING = "/bookings/{booking_id}"
SLOTS_QUERY = "?include_substitutes=false"

# method, path as app.routes spells it (without /api/v1) -> row
ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/api-keys/{key_id}/revocation"): Row(404, 200),
    # The directory: public, changed only by its own organization.
    ("GET", "/organizations/{organization_id}"): Row(PUBLIC, 200),
    ("PATCH", "/organizations/{organization_id}"): Row(403, 200),
    ("GET", "/units/{unit_id}"): Row(PUBLIC, 200),
    ("PATCH", "/units/{unit_id}"): Row(403, 200),
    ("GET", "/collaborations/{collaboration_id}"): Row(PUBLIC, 200),
    ("PATCH", "/collaborations/{collaboration_id}"): Row(403, 200),
    # Staff: the organization and its partners.
    ("GET", "/staff/{staff_id}"): Row(404, 200),
    ("PATCH", "/staff/{staff_id}"): Row(404, 200),
    # Templates are national data without an owner (app/programs): everyone's.
    ("GET", "/program-templates/{template_id}"): Row(PUBLIC, 200),
    ("POST", "/program-templates/{template_id}/versions"): Row(PUBLIC, 422),
    # Families and what hangs on them.
    ("GET", FAMILY): Row(404, 200),
    ("PATCH", FAMILY): Row(404, 200),
    ("POST", FAMILY + "/status"): Row(404, 422),
    ("POST", FAMILY + "/guardians"): Row(404, 422),
    ("PATCH", FAMILY + "/guardians/{guardian_id}"): Row(404, 200, etag_from=FAMILY),
    ("POST", FAMILY + "/children"): Row(404, 422),
    ("PATCH", FAMILY + "/children/{child_id}"): Row(404, 200, etag_from=FAMILY),
    ("POST", FAMILY + "/consents"): Row(404, 422),
    ("POST", FAMILY + "/consents/{consent_id}/withdrawal"): Row(404, 200),
    ("GET", "/enrollments/{enrollment_id}"): Row(404, 200),
    ("PATCH", "/enrollments/{enrollment_id}"): Row(404, 200),
    ("GET", "/enrollments/{enrollment_id}/plan"): Row(404, 200),
    # Availability: read by partners, changed by the own organization.
    ("PUT", "/staff/{staff_id}/working-hours"): Row(404, 200, body=[]),
    ("GET", "/staff/{staff_id}/working-hours"): Row(404, 200),
    ("POST", "/staff/{staff_id}/working-hours/overrides"): Row(404, 201, body=OVERRIDE),
    ("GET", "/staff/{staff_id}/working-hours/overrides"): Row(404, 200),
    ("DELETE", "/staff/{staff_id}/working-hours/overrides/{override_id}"): Row(404, 204),
    ("POST", "/staff/{staff_id}/absences"): Row(404, 201, body=ABSENCE),
    ("GET", "/staff/{staff_id}/absences"): Row(404, 200),
    ("DELETE", "/staff/{staff_id}/absences/{absence_id}"): Row(404, 204),
    ("POST", "/units/{unit_id}/blocked-times"): Row(404, 201, body=BLOCKED),
    ("GET", "/units/{unit_id}/blocked-times"): Row(404, 200),
    ("DELETE", "/units/{unit_id}/blocked-times/{blocked_time_id}"): Row(404, 204),
    ("DELETE", "/closed-days/{closed_day_id}"): Row(404, 204),
    # Calendar feeds: their secrets stay in the own organization.
    ("POST", "/staff/{staff_id}/calendar-tokens"): Row(404, 201, body=TOKEN_BODY),
    ("GET", "/staff/{staff_id}/calendar-tokens"): Row(404, 200),
    ("POST", "/units/{unit_id}/calendar-tokens"): Row(404, 201, body=TOKEN_BODY),
    ("GET", "/units/{unit_id}/calendar-tokens"): Row(404, 200),
    ("GET", "/calendar-tokens/{token_id}"): Row(404, 200),
    ("POST", "/calendar-tokens/{token_id}/rotation"): Row(404, 201),
    ("POST", "/calendar-tokens/{token_id}/revocation"): Row(404, 200),
    # Bookings and slots.
    ("GET", "/bookings/{booking_id:int}.ics"): Row(404, 200),
    ("GET", BOOKING): Row(404, 200),
    ("PATCH", BOOKING): Row(404, 422),
    ("POST", BOOKING + "/cancellation"): Row(404, 422, etag_from=BOOKING),
    ("POST", BOOKING + "/no-show"): Row(404, 409, etag_from=BOOKING),  # not started yet
    ("POST", BOOKING + "/outcome"): Row(404, 422, etag_from=BOOKING),
    ("GET", BOOKING + "/outcome"): Row(404, 200, ids={"booking_id": "completed_booking_id"}),
    ("GET", "/planned-visits/{planned_visit_id}/slots"): Row(404, 200),
    # Webhooks: the subscribing organization's.
    ("GET", "/webhooks/{webhook_id}"): Row(404, 200),
    ("POST", "/webhooks/{webhook_id}/deactivation"): Row(404, 200),
    ("GET", "/webhooks/{webhook_id}/deliveries"): Row(404, 200),
}


@dataclass(frozen=True)
class Lists:
    """A list route: the A-side ids of World.ids that the outsider must not see (None: a public
    directory, where the outsider must see them), read from `items` or a bare list."""

    hidden: tuple[str, ...] | None
    query: str = ""
    auditor: bool = False
    key: str = "id"  # the item field holding the ids


LISTS: dict[str, Lists | str] = {
    "/auth/me": "the caller itself",
    "/api-keys": Lists(("key_id",)),
    "/organizations": Lists(None),
    "/units": Lists(None),
    "/collaborations": Lists(None),
    "/staff": Lists(("staff_id", "social_worker_id")),
    "/program-templates": Lists(None),
    "/families": Lists(("family_id",)),
    "/enrollments": Lists(("enrollment_id",)),
    "/closed-days": Lists(("closed_day_id",)),
    "/bookings": Lists(("booking_id", "completed_booking_id")),
    "/kva-export": Lists(
        ("completed_booking_id",),
        query="?starts_from=2027-01-01T00:00:00Z&starts_to=2027-03-01T00:00:00Z",
        key="booking_id",
    ),
    "/slots": "names staff: test_slots_for_staff_outside_the_partnership_are_422",
    "/audit-events": Lists(("family_id",), auditor=True, key="family_id"),
    "/audit-events/extract": "names a family: test_the_patient_log_extract_is_404_elsewhere",
    "/audit-events/verification": "the caller's own chain (app/audit)",
    "/reports/grant-followup": "the caller's own organization (test_reports_are_...)",
    "/reports/compensation": "the caller's own organization (test_reports_are_...)",
    "/reports/tariffs": "published tariffs, no one's secret",
    "/webhooks": Lists(("webhook_id",)),
}


def api_operations(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /api/v1, login excepted, from its routes."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith(API + "/") or path == f"{API}/auth/token":
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path.removeprefix(API)))
    return found


@dataclass
class World:
    """Region A (BVC A) and municipality A (socialtjänst A) collaborate; region B is unrelated."""

    ids: dict[str, int]
    headers: dict[str, dict[str, str]]


def _principal(organization_id: int) -> Principal:
    return Principal(
        subject="test",
        role=Role.coordinator,
        organization_id=organization_id,
        scopes=ROLE_SCOPES[Role.coordinator],
    )


@pytest.fixture
def matrix(
    session: Session,
    world: factories.Setting,
    auth_app: FastAPI,
    make_account: Callable[..., Account],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    w = world
    region_b = organizations.create_organization(
        session, OrganizationIn(name="Region B", kind=OrganizationKind.region)
    )
    municipality_b = organizations.create_organization(
        session, OrganizationIn(name="B kommun", kind=OrganizationKind.municipality)
    )
    bvc_b = organizations.create_unit(
        session, UnitIn(organization_id=region_b.id, name="BVC B", kind=UnitKind.bvc)
    )
    social_b = organizations.create_unit(
        session,
        UnitIn(organization_id=municipality_b.id, name="Soc B", kind=UnitKind.social_services),
    )
    organizations.create_collaboration(
        session,
        CollaborationIn(
            bvc_unit_id=bvc_b.id, social_unit_id=social_b.id, started_on=date(2025, 1, 1)
        ),
    )
    nurse_b = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=bvc_b.id, given_name="Berit", family_name="B", profession=Profession.bhv_nurse
        ),
    )
    colleague = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=w.bvc_id,
            given_name="Cilla",
            family_name="Kollega",
            profession=Profession.bhv_nurse,
        ),
    )
    family = factories.family(session, w.bvc_id, born=date(2026, 9, 1))
    family_id = family.id
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=family_id,
            nurse_id=w.nurse_id,
            social_worker_id=w.social_worker_id,
            enrolled_on=date(2026, 8, 1),
        ),
    )
    plan = enrollments.plan(session, enrollment.id)
    visits = {v.sequence: v.id for v in plan.visits}
    settings = auth_app.state.settings
    completed = scheduling.create_booking(
        session,
        BookingIn(
            planned_visit_id=visits[2],
            starts_at=datetime(2027, 1, 11, 10, tzinfo=STOCKHOLM),
        ),
        settings,
    ).id
    with monkeypatch.context() as m:
        m.setattr(scheduling, "now_utc", lambda: datetime(2027, 1, 11, 15, tzinfo=UTC))
        scheduling.record_outcome(
            session,
            completed,
            OutcomeIn(
                staff_ids=[w.nurse_id, w.social_worker_id],
                held_at=BookingLocation.home,
                guardians_present=1,
            ),
            None,
        )
    booking = scheduling.create_booking(
        session,
        BookingIn(
            planned_visit_id=visits[4], starts_at=datetime(2027, 1, 12, 10, tzinfo=STOCKHOLM)
        ),
        settings,
    ).id
    override = availability.add_override(session, w.nurse_id, OverrideIn(on=date(2027, 2, 1)))
    absence = availability.add_absence(
        session,
        w.nurse_id,
        AbsenceIn(kind=AbsenceKind.vacation, first_day=date(2027, 2, 8), last_day=date(2027, 2, 9)),
    )
    blocked = availability.add_blocked_time(
        session,
        w.bvc_id,
        BlockedTimeIn(
            first_start_local=datetime(2027, 2, 1, 9), duration_minutes=60, reason="Teammöte"
        ),
    )
    closed = availability.add_closed_day(
        session, ClosedDayIn(organization_id=w.region_id, on=date(2027, 2, 5), name="Klämdag")
    )
    token = calendar.issue_for_staff(session, w.nurse_id, CalendarTokenIn()).token.id
    webhook = webhooks.create_subscription(
        session,
        _principal(w.region_id),
        WebhookSubscriptionIn(url="https://hooks.example.org/hembesok"),
    )
    key, _ = auth_service.create_api_key(
        session,
        _principal(w.region_id),
        ApiKeyIn(name="Journalsystemet", scopes=[Scope.bookings_read]),
    )
    loaded = session.get(Family, family_id)
    assert loaded is not None
    collaboration_id = session.scalar(
        select(Collaboration.id).where(Collaboration.bvc_unit_id == w.bvc_id)
    )
    ids = {
        "organization_id": w.region_id,
        "unit_id": w.bvc_id,
        "collaboration_id": collaboration_id,
        "staff_id": w.nurse_id,
        "social_worker_id": w.social_worker_id,
        "colleague_id": colleague.id,
        "template_id": session.scalars(select(ProgramTemplate.id)).first(),
        "family_id": family_id,
        "guardian_id": loaded.guardians[0].id,
        "child_id": loaded.children[0].id,
        "consent_id": loaded.consents[0].id,
        "enrollment_id": enrollment.id,
        "override_id": override.id,
        "absence_id": absence.id,
        "blocked_time_id": blocked.id,
        "closed_day_id": closed.id,
        "token_id": token,
        "booking_id": booking,
        "completed_booking_id": completed,
        "planned_visit_id": visits[5],
        "webhook_id": webhook.id,
        "key_id": key.id,
        "region_b": region_b.id,
        "bvc_b": bvc_b.id,
        "social_b": social_b.id,
        "nurse_b": nurse_b.id,
    }
    session.commit()
    accounts = {
        "coordinator": (Role.coordinator, w.region_id, None),
        "nurse": (Role.nurse, w.region_id, w.nurse_id),
        "social_worker": (Role.social_worker, w.municipality_id, w.social_worker_id),
        "municipality_coordinator": (Role.coordinator, w.municipality_id, None),
        "outsider": (Role.coordinator, region_b.id, None),
        "outsider_nurse": (Role.nurse, region_b.id, nurse_b.id),
        "outsider_auditor": (Role.auditor, region_b.id, None),
    }
    verifier: Verifier = auth_app.state.verifier
    headers = {}
    for name, (role, organization_id, staff_id) in accounts.items():
        account = make_account(name.replace("_", "."), role, organization_id, staff_id)
        token_text, _ = verifier.issue_local(account)
        headers[name] = {"Authorization": f"Bearer {token_text}"}
    return World(ids, headers)


def _path(template: str, ids: dict[str, int], row: Row | None = None) -> str:
    names = {k: ids[v] for k, v in (row.ids if row else {}).items()}
    values = {name: names.get(name, ids.get(name)) for name in ids} | names
    return API + template.replace(":int}", "}").format(**values)


def _if_match(client: TestClient, world: World, path: str) -> dict[str, str]:
    etag = client.get(path, headers=world.headers["coordinator"]).headers.get("etag")
    assert etag, f"no ETag on GET {path}"
    return {"If-Match": etag}


def _send(client: TestClient, world: World, who: str, method: str, template: str, row: Row) -> Any:
    path = _path(template, world.ids, row) + row.query
    headers = dict(world.headers[who])
    if method in {"PATCH", "PUT"} or row.etag_from:
        headers |= _if_match(client, world, _path(row.etag_from or template, world.ids, row))
    body = None if method in {"GET", "DELETE"} else ({} if row.body is None else row.body)
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path"), sorted(ROWS), ids=lambda v: str(v))
def test_another_organization_is_refused_and_the_own_gets_through(
    client: TestClient, matrix: World, method: str, path: str
) -> None:
    row = ROWS[(method, path)]
    outsider = _send(client, matrix, "outsider", method, path, row)
    if row.outsider == PUBLIC:
        assert outsider.status_code == row.ok, outsider.text
    else:
        assert outsider.status_code == row.outsider, outsider.text
        assert outsider.headers["content-type"].startswith(PROBLEM_JSON)
    owner = _send(client, matrix, "coordinator", method, path, row)
    assert owner.status_code == row.ok, owner.text


def test_every_route_has_a_row(auth_app: FastAPI) -> None:
    """A new route with an id in its path needs a ROWS entry, a new list a LISTS entry."""
    operations = api_operations(auth_app)
    with_ids = {op for op in operations if "{" in op[1]}
    lists = {path for method, path in operations if method == "GET" and "{" not in path}
    assert with_ids - ROWS.keys() == set(), "routes without a row in ROWS"
    assert ROWS.keys() - with_ids == set(), "rows for routes that no longer exist"
    assert lists ^ LISTS.keys() == set(), "list routes and LISTS differ"


def _listed_ids(response: Any, key: str = "id") -> set[int]:
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {item[key] for item in items}


@pytest.mark.parametrize("path", sorted(p for p, v in LISTS.items() if isinstance(v, Lists)))
def test_lists_do_not_leak_other_organizations_objects(
    client: TestClient, matrix: World, path: str
) -> None:
    spec = LISTS[path]
    assert isinstance(spec, Lists)
    who = "outsider_auditor" if spec.auditor else "outsider"
    insider = "coordinator"
    if spec.auditor:
        # An event of A's family in A's chain: the nurse reads the family.
        family = f"{API}/families/{matrix.ids['family_id']}"
        assert client.get(family, headers=matrix.headers["nurse"]).status_code == 200
        insider = "outsider_auditor"
    response = client.get(API + path + spec.query, headers=matrix.headers[who])
    assert response.status_code == 200, response.text
    seen = _listed_ids(response, spec.key)
    if spec.hidden is None:
        own = client.get(API + path, headers=matrix.headers[insider]).json()["items"]
        assert {i["id"] for i in own} <= seen  # the directory is the same for everyone
        return
    hidden = {matrix.ids[name] for name in spec.hidden}
    assert seen & hidden == set(), f"{path} shows {seen & hidden}"
    if not spec.auditor:
        mine = _listed_ids(
            client.get(API + path + spec.query, headers=matrix.headers[insider]), spec.key
        )
        assert hidden <= mine, f"{path}: the owner does not see its own objects"


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_partners_read_staff_and_availability_but_change_only_their_own(
    client: TestClient, matrix: World
) -> None:
    ids, social = matrix.ids, matrix.headers["social_worker"]
    nurse = f"{API}/staff/{ids['staff_id']}"
    for path in ("", "/working-hours", "/working-hours/overrides", "/absences"):
        assert client.get(nurse + path, headers=social).status_code == 200, path
    blocked = f"{API}/units/{ids['unit_id']}/blocked-times"
    assert client.get(blocked, headers=social).status_code == 200
    etag = {"If-Match": client.get(nurse, headers=social).headers["etag"]}
    refused = [
        client.patch(nurse, json={"email": "x@example.org"}, headers=social | etag),
        client.post(nurse + "/working-hours/overrides", json=OVERRIDE, headers=social),
        client.post(nurse + "/absences", json=ABSENCE, headers=social),
        client.post(blocked, json=BLOCKED, headers=social),
        client.delete(f"{nurse}/absences/{ids['absence_id']}", headers=social),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    own = f"{API}/staff/{ids['social_worker_id']}/working-hours/overrides"
    assert client.post(own, json=OVERRIDE, headers=social).status_code == 201
    listed = client.get(f"{API}/staff", headers=social).json()["items"]
    assert {s["id"] for s in listed} == {
        ids["staff_id"],
        ids["social_worker_id"],
        ids["colleague_id"],
    }
    outsider = client.get(f"{API}/staff", headers=matrix.headers["outsider"]).json()["items"]
    assert {s["id"] for s in outsider} == {ids["nurse_b"]}


def test_staff_are_placed_only_in_the_own_organizations_units(
    client: TestClient, matrix: World
) -> None:
    ids, coordinator = matrix.ids, matrix.headers["coordinator"]
    body = {"given_name": "Greta", "family_name": "Ny", "profession": "midwife"}
    for unit in (matrix.ids["social_b"], ids["bvc_b"], 999_999):
        response = client.post(f"{API}/staff", json=body | {"unit_id": unit}, headers=coordinator)
        assert response.status_code == 422, response.text
        assert _fields(response) == ["unit_id"]
    partner_unit = client.get(f"{API}/staff/{ids['social_worker_id']}", headers=coordinator)
    response = client.post(
        f"{API}/staff", json=body | {"unit_id": partner_unit.json()["unit_id"]}, headers=coordinator
    )
    assert response.status_code == 422 and _fields(response) == ["unit_id"]
    created = client.post(
        f"{API}/staff", json=body | {"unit_id": ids["unit_id"]}, headers=coordinator
    )
    assert created.status_code == 201, created.text
    moved = client.patch(
        f"{API}/staff/{created.json()['id']}",
        json={"unit_id": ids["bvc_b"]},
        headers=coordinator | {"If-Match": created.headers["etag"]},
    )
    assert moved.status_code == 422 and _fields(moved) == ["unit_id"]


def test_the_directory_is_changed_by_its_own_organizations(
    client: TestClient, matrix: World
) -> None:
    ids, outsider = matrix.ids, matrix.headers["outsider"]
    unit = {"organization_id": ids["organization_id"], "name": "BVC Väst", "kind": "bvc"}
    assert client.post(f"{API}/units", json=unit, headers=outsider).status_code == 403
    missing = client.post(
        f"{API}/units", json=unit | {"organization_id": 999_999}, headers=outsider
    )
    assert missing.status_code == 422 and _fields(missing) == ["organization_id"]
    own = unit | {"organization_id": ids["region_b"]}
    assert client.post(f"{API}/units", json=own, headers=outsider).status_code == 201
    social_a = client.get(
        f"{API}/staff/{ids['social_worker_id']}", headers=matrix.headers["coordinator"]
    ).json()["unit_id"]
    pair = {"bvc_unit_id": ids["unit_id"], "social_unit_id": social_a, "started_on": "2027-01-01"}
    # A collaboration opens the BVC's families to the socialtjänst side: only the BVC's
    # organization makes one. Region B owns neither unit; municipality A owns the socialtjänst
    # side of a pair with BVC B, which would open region B's families to it.
    neither = pair | {"social_unit_id": ids["social_b"]}
    assert client.post(f"{API}/collaborations", json=neither, headers=outsider).status_code == 403
    across = pair | {"bvc_unit_id": ids["bvc_b"]}
    municipality = matrix.headers["municipality_coordinator"]
    refused = client.post(f"{API}/collaborations", json=across, headers=municipality)
    assert refused.status_code == 403, refused.text
    assert client.post(f"{API}/collaborations", json=across, headers=outsider).status_code == 201
    # The socialtjänst side may end its collaboration sooner, never reopen or extend it.
    existing = f"{API}/collaborations/{ids['collaboration_id']}"

    def change(body: dict[str, object], who: dict[str, str]) -> int:
        etag = {"If-Match": client.get(existing, headers=who).headers["etag"]}
        response = client.patch(existing, json=body, headers=who | etag)
        return response.status_code

    assert change({"ended_on": "2027-06-30"}, municipality) == 200
    assert change({"ended_on": "2027-07-31"}, municipality) == 403
    assert change({"ended_on": None}, municipality) == 403
    assert change({"ended_on": "2027-05-31"}, municipality) == 200
    assert change({"ended_on": None}, matrix.headers["coordinator"]) == 200


def test_calendar_feeds_are_for_oneself_or_the_own_coordinator(
    client: TestClient, matrix: World
) -> None:
    ids, h = matrix.ids, matrix.headers

    def create(who: str, path: str) -> int:
        return client.post(f"{API}{path}/calendar-tokens", json={}, headers=h[who]).status_code

    assert create("nurse", f"/staff/{ids['staff_id']}") == 201
    assert create("nurse", f"/units/{ids['unit_id']}") == 201  # her own unit: the team view
    assert create("nurse", f"/staff/{ids['colleague_id']}") == 404
    assert create("social_worker", f"/staff/{ids['staff_id']}") == 404  # a partner's
    assert create("social_worker", f"/units/{ids['unit_id']}") == 404
    assert create("outsider_nurse", f"/staff/{ids['staff_id']}") == 404
    assert create("coordinator", f"/staff/{ids['colleague_id']}") == 201
    token = f"{API}/calendar-tokens/{ids['token_id']}"  # the nurse's, made by the coordinator
    assert client.get(token, headers=h["nurse"]).status_code == 200
    assert client.post(f"{token}/rotation", headers=h["social_worker"]).status_code == 404
    assert client.post(f"{token}/revocation", headers=h["outsider_nurse"]).status_code == 404


def test_slots_for_staff_outside_the_partnership_are_422(client: TestClient, matrix: World) -> None:
    ids, nurse = matrix.ids, matrix.headers["nurse"]
    dates = "&from_date=2027-02-01&to_date=2027-02-14"
    stranger = client.get(f"{API}/slots?staff_id={ids['nurse_b']}{dates}", headers=nurse)
    assert stranger.status_code == 422 and _fields(stranger) == ["staff_id"]
    partner = client.get(
        f"{API}/slots?staff_id={ids['staff_id']}&staff_id={ids['social_worker_id']}{dates}",
        headers=nurse,
    )
    assert partner.status_code == 200, partner.text
    visit = f"{API}/planned-visits/{ids['planned_visit_id']}/slots?staff_id={ids['nurse_b']}"
    planned = client.get(visit, headers=nurse)
    assert planned.status_code == 422 and _fields(planned) == ["staff_id"]
    booking = {
        "planned_visit_id": ids["planned_visit_id"],
        "starts_at": "2027-05-04T10:00:00+02:00",
        "staff": [{"staff_id": ids["staff_id"]}, {"staff_id": ids["nurse_b"]}],
    }
    booked = client.post(f"{API}/bookings", json=booking, headers=nurse)
    assert booked.status_code == 422 and _fields(booked) == ["staff.1.staff_id"]


def test_closed_days_belong_to_an_organization_and_global_ones_to_the_operator(
    client: TestClient, matrix: World, session: Session
) -> None:
    ids, h = matrix.ids, matrix.headers
    everyone = availability.add_closed_day(session, ClosedDayIn(on=date(2027, 3, 1), name="Alla"))
    session.commit()
    day = {"on": "2027-03-02", "name": "Studiedag"}
    mine = client.post(f"{API}/closed-days", json=day, headers=h["outsider"])
    assert mine.status_code == 201, mine.text
    assert mine.json()["organization_id"] == ids["region_b"]  # not everyone's
    theirs = day | {"organization_id": ids["organization_id"]}
    assert client.post(f"{API}/closed-days", json=theirs, headers=h["outsider"]).status_code == 403
    listed = client.get(f"{API}/closed-days", headers=h["social_worker"]).json()["items"]
    assert {d["id"] for d in listed} == {everyone.id, ids["closed_day_id"]}  # partner + global
    assert (
        client.delete(f"{API}/closed-days/{everyone.id}", headers=h["coordinator"]).status_code
        == 403
    )
    partner = client.delete(f"{API}/closed-days/{ids['closed_day_id']}", headers=h["social_worker"])
    assert partner.status_code == 403


def test_the_patient_log_extract_is_404_elsewhere(client: TestClient, matrix: World) -> None:
    path = f"{API}/audit-events/extract?family_id={matrix.ids['family_id']}"
    assert client.get(path, headers=matrix.headers["outsider_auditor"]).status_code == 404


def test_a_family_moves_only_to_a_bvc_the_caller_sees(client: TestClient, matrix: World) -> None:
    ids, coordinator = matrix.ids, matrix.headers["coordinator"]
    url = f"{API}/families/{ids['family_id']}"
    current = client.get(url, headers=coordinator)
    moved = client.patch(
        url,
        json={"unit_id": ids["bvc_b"]},
        headers=coordinator | {"If-Match": current.headers["etag"]},
    )
    assert moved.status_code == 422 and _fields(moved) == ["unit_id"], moved.text
    assert client.get(url, headers=coordinator).json()["unit_id"] == ids["unit_id"]


def test_an_outcome_names_only_staff_the_caller_sees(client: TestClient, matrix: World) -> None:
    ids, nurse = matrix.ids, matrix.headers["nurse"]
    outcome = {
        "staff_ids": [ids["staff_id"], ids["nurse_b"]],
        "held_at": "home",
        "guardians_present": 1,
    }
    url = f"{API}/bookings/{ids['booking_id']}/outcome"
    refused = client.post(url, json=outcome, headers=nurse)
    assert refused.status_code == 422 and _fields(refused) == ["staff.1.staff_id"], refused.text
    assert client.get(url, headers=nurse).status_code == 404  # nothing recorded


def test_a_planned_collaboration_gives_no_access_before_it_starts(
    client: TestClient, matrix: World, session: Session
) -> None:
    ids, h = matrix.ids, matrix.headers
    social_b = client.get(f"{API}/units/{ids['social_b']}", headers=h["outsider"]).json()
    assert social_b["kind"] == "social_services"
    starts = today_local() + timedelta(days=30)
    body = {"bvc_unit_id": ids["unit_id"], "social_unit_id": ids["social_b"]}
    created = client.post(
        f"{API}/collaborations",
        json=body | {"started_on": starts.isoformat()},
        headers=h["coordinator"],
    )
    assert created.status_code == 201, created.text
    # Region B's socialtjänst unit sits in region B here; what matters is the date rule.
    assert (
        session.scalar(
            select(func.count())
            .select_from(Collaboration)
            .where(
                Collaboration.id == created.json()["id"], Collaboration.in_force_on(today_local())
            )
        )
        == 0
    )
    assert (
        session.scalar(
            select(func.count())
            .select_from(Collaboration)
            .where(Collaboration.id == created.json()["id"], Collaboration.in_force_on(starts))
        )
        == 1
    )
    session.rollback()


def test_reports_are_the_callers_own_organizations(client: TestClient, matrix: World) -> None:
    ids, h = matrix.ids, matrix.headers
    grant = f"{API}/reports/grant-followup?year=2027"
    money = f"{API}/reports/compensation?year=2027"
    own = client.get(grant, headers=h["coordinator"])
    assert own.status_code == 200, own.text
    assert own.json()["scope"]["organization_id"] == ids["organization_id"]
    social = client.get(grant, headers=h["social_worker"]).json()["scope"]
    municipality = client.get(grant, headers=h["municipality_coordinator"]).json()["scope"]
    assert social["organization_kind"] == municipality["organization_kind"] == "municipality"
    outsider = client.get(grant, headers=h["outsider"]).json()["scope"]
    assert outsider["organization_id"] == ids["region_b"]
    for url in (grant, money):
        other = client.get(f"{url}&organization_id={ids['region_b']}", headers=h["coordinator"])
        assert other.status_code == 403, other.text
        assert other.headers["content-type"].startswith(PROBLEM_JSON)
    assert (
        client.get(money, headers=h["coordinator"]).json()["scope"]["organization_id"]
        == (ids["organization_id"])
    )
