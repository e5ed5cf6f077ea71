"""Callers see only their organization's families (and their partners'), field by field."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.auth import service as auth
from app.auth.principal import Principal, Role
from app.auth.schemas import AccountIn
from app.config import Settings
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.main import create_app
from app.organizations import service as organizations
from app.organizations.models import OrganizationKind, UnitKind
from app.organizations.schemas import OrganizationIn, UnitIn
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests import factories

PASSWORD = "correct horse battery"
API = "/api/v1"


@pytest.fixture
def world(session, clean_db, database_url):
    """Region A + municipality A run the program; region B is a stranger with its own BVC."""
    a = factories.setting(session)
    region_b = organizations.create_organization(
        session, OrganizationIn(name="Region B", kind=OrganizationKind.region)
    )
    bvc_b = organizations.create_unit(
        session, UnitIn(organization_id=region_b.id, name="BVC B", kind=UnitKind.bvc)
    )
    other_nurse = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=a.bvc_id,
            given_name="Olle",
            family_name="Annan",
            profession=Profession.bhv_nurse,
        ),
    )
    fam = factories.family(session, a.bvc_id, born=date(2026, 9, 1), protected_identity=True)
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=fam.id,
            nurse_id=a.nurse_id,
            social_worker_id=a.social_worker_id,
            enrolled_on=date(2026, 9, 2),
        ),
    )
    family_b = factories.family(session, bvc_b.id, born=date(2026, 9, 3), serial=777)
    accounts = {
        "team_nurse": (Role.nurse, a.region_id, a.nurse_id),
        "other_nurse": (Role.nurse, a.region_id, other_nurse.id),
        "social": (Role.social_worker, a.municipality_id, a.social_worker_id),
        "stranger": (Role.coordinator, region_b.id, None),
    }
    for name, (role, org, staff_id) in accounts.items():
        auth.create_account(
            session,
            Principal.operator(),
            AccountIn(
                username=name, password=PASSWORD, role=role, organization_id=org, staff_id=staff_id
            ),
        )
    session.rollback()
    app = create_app(Settings(database_url=database_url, jwt_secret="test-secret-" + "x" * 32))
    with TestClient(app) as client:

        def as_(name: str) -> dict[str, str]:
            token = client.post(
                f"{API}/auth/token", json={"username": name, "password": PASSWORD}
            ).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        yield {
            "client": client,
            "as": as_,
            "family": fam.id,
            "family_b": family_b.id,
            "enrollment": enrollment.id,
            "setting": a,
        }
    app.state.engine.dispose()


def test_another_organization_gets_404_for_family_plan_and_booking(world):
    client, as_ = world["client"], world["as"]
    team = as_("team_nurse")
    plan = client.get(f"{API}/enrollments/{world['enrollment']}/plan", headers=team).json()
    visit_id = plan["visits"][3]["id"]
    start = datetime(2027, 1, 12, 10, tzinfo=ZoneInfo("Europe/Stockholm")).isoformat()
    booked = client.post(
        f"{API}/bookings", json={"planned_visit_id": visit_id, "starts_at": start}, headers=team
    )
    assert booked.status_code == 201, booked.text
    stranger = as_("stranger")
    for path in (
        f"/families/{world['family']}",
        f"/enrollments/{world['enrollment']}",
        f"/enrollments/{world['enrollment']}/plan",
        f"/bookings/{booked.json()['id']}",
        f"/planned-visits/{visit_id}/slots",
    ):
        response = client.get(API + path, headers=stranger)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
    listed = client.get(f"{API}/families", headers=stranger).json()["items"]
    assert [f["id"] for f in listed] == [world["family_b"]]
    assert client.get(f"{API}/bookings", headers=stranger).json()["items"] == []
    sneaky = client.post(
        f"{API}/bookings",
        json={"planned_visit_id": visit_id, "starts_at": start},
        headers=stranger,
    )
    assert sneaky.status_code == 422
    assert client.get(f"{API}/families/{world['family_b']}", headers=team).status_code == 404


def test_socialtjanst_partner_sees_the_family_but_no_identity_numbers(world):
    client, as_ = world["client"], world["as"]
    social = client.get(f"{API}/families/{world['family']}", headers=as_("social"))
    assert social.status_code == 200
    body = social.json()
    assert body["children"][0]["identity_number"] is None
    assert body["guardians"][0]["identity_number"] is None
    assert body["street_address"] == "Storgatan 1"  # the team's social worker: on the visit
    nurse = client.get(f"{API}/families/{world['family']}", headers=as_("team_nurse")).json()
    assert nurse["children"][0]["identity_number"].startswith("2026")


def test_protected_address_only_for_the_familys_own_team(world):
    client, as_ = world["client"], world["as"]
    other = client.get(f"{API}/families/{world['family']}", headers=as_("other_nurse")).json()
    assert other["street_address"] is None and other["postal_code"] is None
    assert other["city"] is None
    team = client.get(f"{API}/families/{world['family']}", headers=as_("team_nurse")).json()
    assert team["street_address"] == "Storgatan 1"
