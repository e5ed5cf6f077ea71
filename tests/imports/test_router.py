import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.deps import current_principal
from app.auth.principal import ROLE_SCOPES, Principal, Role
from app.config import Settings
from app.families.models import Family
from app.main import create_app
from app.organizations import service as organizations
from app.organizations.models import OrganizationKind
from app.organizations.schemas import OrganizationIn
from app.staff.models import Staff
from tests import factories

BVC = "SE2321000000-BVC1"
HEADER = "unit_hsa_id,given_name,family_name,profession,hsa_id"
GOOD = f"{HEADER}\n{BVC},Cecilia,Ek,bhv_nurse,SE2321000000-N100\n{BVC},David,Lind,midwife,\n"
BAD = (
    f"{HEADER}\n{BVC},Cecilia,Ek,bhv_nurse,SE2321000000-N100\n"
    f"{BVC},David,Lind,surgeon,\nSE9999999999-NOPE,Eva,Holm,midwife,\n"
)
CSV = {"Content-Type": "text/csv; charset=utf-8"}


@pytest.fixture
def api(client):
    return client


def staff_count(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Staff)) or 0
    # SQLite: a transaction left open would hold the write lock the import needs.
    session.rollback()
    return count


def test_dry_run_is_the_default_and_answers_200_with_the_report(api, session):
    factories.setting(session)
    before = staff_count(session)
    response = api.post("/api/v1/imports/staff", content=BAD, headers=CSV)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (3, "profession"),
        (4, "unit_hsa_id"),
    ]
    assert staff_count(session) == before


def test_apply_with_bad_rows_answers_422_problem_and_writes_nothing(api, session):
    factories.setting(session)
    before = staff_count(session)
    response = api.post("/api/v1/imports/staff?dry_run=false", content=BAD, headers=CSV)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == "2 rows have errors; nothing was imported"
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [
        (3, "profession"),
        (4, "unit_hsa_id"),
    ]
    assert staff_count(session) == before


def test_apply_of_a_good_file_answers_201_and_writes_every_row(api, session):
    factories.setting(session)
    before = staff_count(session)
    response = api.post("/api/v1/imports/staff?dry_run=false", content=GOOD, headers=CSV)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    assert staff_count(session) == before + 2


def test_families_endpoint_reports_a_bad_personnummer(api, session):
    factories.setting(session)
    text = (
        "unit_hsa_id,guardian1_given_name,guardian1_family_name,child_identity_number,"
        f"child_birth_date\n{BVC},Sara,Ali,20250601-0000,2025-06-01\n"
    )
    response = api.post("/api/v1/imports/families", content=text, headers=CSV)
    assert response.status_code == 200
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (2, "child_identity_number")
    ]


def test_other_content_types_answer_415(api, session):
    for headers in (
        {"Content-Type": "application/json"},
        {"Content-Type": "text/csv; charset=latin-1"},
    ):
        response = api.post("/api/v1/imports/staff", content=GOOD, headers=headers)
        assert response.status_code == 415
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_file_over_the_limit_answers_413(clean_db, database_url):
    small = create_app(Settings(database_url=database_url, import_max_bytes=40))
    small.dependency_overrides[current_principal] = Principal.operator
    with TestClient(small) as client:
        response = client.post("/api/v1/imports/staff", content=GOOD, headers=CSV)
    small.state.engine.dispose()
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


def test_openapi_declares_the_csv_body(api):
    operation = api.get("/openapi.json").json()["paths"]["/api/v1/imports/staff"]["post"]
    assert "text/csv" in operation["requestBody"]["content"]
    assert {"201", "413", "415"} <= operation["responses"].keys()


def coordinator_of(organization_id: int) -> Principal:
    return Principal(
        subject=f"account:coordinator-{organization_id}",
        role=Role.coordinator,
        organization_id=organization_id,
        scopes=ROLE_SCOPES[Role.coordinator],
    )


@pytest.fixture
def acting_as(app):
    """Run the request as a given principal instead of the suite's operator."""

    def act(principal: Principal) -> None:
        app.dependency_overrides[current_principal] = lambda: principal

    yield act
    app.dependency_overrides[current_principal] = Principal.operator


FAMILIES = (
    "unit_hsa_id,guardian1_given_name,guardian1_family_name,child_expected_due_date\n"
    f"{BVC},Sara,Ali,2027-03-01\n{BVC},Lina,Berg,2027-04-01\n"
)


def test_another_organization_cannot_import_into_our_units(api, session, acting_as):
    s = factories.setting(session)
    stranger = organizations.create_organization(
        session, OrganizationIn(name="Region B", kind=OrganizationKind.region)
    )
    session.rollback()
    before = staff_count(session)
    acting_as(coordinator_of(stranger.id))
    for path, body in (("staff", GOOD), ("families", FAMILIES)):
        response = api.post(f"/api/v1/imports/{path}?dry_run=false", content=body, headers=CSV)
        assert response.status_code == 422, response.text
        assert {(e["field"], e["message"]) for e in response.json()["errors"]} == {
            ("unit_hsa_id", "no unit has this HSA-id")
        }
    by_id = f"unit_id,given_name,family_name,profession\n{s.bvc_id},Cecilia,Ek,bhv_nurse\n"
    response = api.post("/api/v1/imports/staff?dry_run=false", content=by_id, headers=CSV)
    assert response.status_code == 422, response.text
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("unit_id", "no such unit")
    ]
    assert staff_count(session) == before
    assert session.scalar(select(func.count()).select_from(Family)) == 0
    session.rollback()

    # The municipality imports families for its partner BVC, but staff only into its own units.
    acting_as(coordinator_of(s.municipality_id))
    families = api.post("/api/v1/imports/families?dry_run=false", content=FAMILIES, headers=CSV)
    assert families.status_code == 201, families.text
    staff = api.post("/api/v1/imports/staff?dry_run=false", content=GOOD, headers=CSV)
    assert staff.status_code == 422, staff.text
    acting_as(coordinator_of(s.region_id))
    staff = api.post("/api/v1/imports/staff?dry_run=false", content=GOOD, headers=CSV)
    assert staff.status_code == 201, staff.text


def test_imported_families_are_audited_in_the_same_transaction(api, session, acting_as):
    s = factories.setting(session)
    session.rollback()
    acting_as(coordinator_of(s.region_id))
    response = api.post("/api/v1/imports/families?dry_run=false", content=FAMILIES, headers=CSV)
    assert response.status_code == 201, response.text
    family_ids = set(session.scalars(select(Family.id)))
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.object_type == "family")
    ).all()
    session.rollback()
    assert len(family_ids) == 2
    assert {e.family_id for e in events} == family_ids
    assert {e.subject for e in events} == {f"account:coordinator-{s.region_id}"}
    # A dry run writes neither families nor events.
    dry = api.post("/api/v1/imports/families", content=FAMILIES, headers=CSV)
    assert dry.status_code == 200, dry.text
    assert session.scalar(select(func.count()).select_from(Family)) == 2
    creates = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create")
    assert session.scalar(creates) == 2
    session.rollback()
