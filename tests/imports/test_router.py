import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.auth.deps import current_principal
from app.auth.principal import Principal
from app.config import Settings
from app.main import create_app
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
