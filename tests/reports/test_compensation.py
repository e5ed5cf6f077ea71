"""Compensation per BVC and month from the shipped Region Örebro län tariff."""

import csv
import io
from datetime import date

from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.organizations import service as organizations
from app.organizations.models import UnitKind
from app.organizations.schemas import CollaborationIn, OrganizationPatch, UnitIn
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests import factories
from tests.api.support import patch
from tests.reports.handmade import _Builder, at

URL = "/api/v1/reports/compensation"


def test_the_orebro_tariff_is_shipped(client):
    tariffs = client.get("/api/v1/reports/tariffs").json()
    assert [
        (t["region_name"], t["valid_from"], t["joint_home_visit_amount"], t["kva_code"])
        for t in tariffs
    ] == [("Region Örebro län", "2025-09-18", 2500, "ZV509")]
    assert tariffs[0]["ordinary_home_visit_amount"] == 1800
    assert {"Vivalla/Lundby", "Varberga", "Mikaeli", "Brickebacken"} <= set(
        tariffs[0]["fixed_compensation_units"]
    )


def test_joint_home_visits_times_the_tariff_per_bvc_and_month(client, session):
    s = factories.setting(session)
    organizations.update_organization(
        session, s.region_id, OrganizationPatch(name="Region Örebro län"), if_match="*"
    )
    varberga = organizations.create_unit(
        session,
        UnitIn(organization_id=s.region_id, name="Varberga vårdcentral", kind=UnitKind.bvc),
    ).id
    organizations.create_collaboration(
        session,
        CollaborationIn(
            bvc_unit_id=varberga, social_unit_id=s.social_unit_id, started_on=date(2024, 1, 1)
        ),
    )
    varberga_nurse = staff_service.create_staff(
        session,
        StaffIn(unit_id=varberga, given_name="V", family_name="V", profession=Profession.bhv_nurse),
    ).id
    worker = s.social_worker_id
    ids = []
    for serial, bvc, nurse in ((301, s.bvc_id, s.nurse_id), (302, varberga, varberga_nurse)):
        family_id = factories.family(
            session, bvc, born=date(2025, 6, 1), serial=serial, consent_on=date(2024, 1, 1)
        ).id
        enrollments.enroll(
            session,
            EnrollmentIn(
                family_id=family_id,
                nurse_id=nurse,
                social_worker_id=worker,
                enrolled_on=date(2025, 6, 2),
            ),
        )
        ids.append(family_id)
    b = _Builder(session, s.nurse_id, worker)
    centrum, at_varberga = ids
    b.visit("before the tariff", centrum, at(2025, 9, 10), [s.nurse_id, worker])
    b.visit("joint 1", centrum, at(2025, 10, 2), [s.nurse_id, worker])
    b.visit("joint 2", centrum, at(2025, 10, 20), [s.nurse_id, worker])
    b.visit("nurse alone", centrum, at(2025, 10, 21), [s.nurse_id], reason="Sjuk")
    b.visit("at the clinic", centrum, at(2025, 11, 3), [s.nurse_id, worker], held_at="clinic")
    b.visit("fixed unit", at_varberga, at(2025, 10, 3), [varberga_nurse, worker])
    session.rollback()

    response = client.get(URL, params={"year": 2025, "organization_id": s.region_id})
    assert response.status_code == 200, response.text
    report = response.json()
    lines = [
        (line["unit_name"], line["month"], line["basis"], line["visits"], line["amount_due"])
        for line in report["lines"]
    ]
    assert lines == [
        ("BVC Centrum", "2025-09", "no_tariff", 1, 0),
        ("BVC Centrum", "2025-10", "joint_home_visit", 2, 5000),
        ("Varberga vårdcentral", "2025-10", "ordinary_home_visit", 1, 1800),
    ]
    assert (report["total_visits"], report["total_amount_due"]) == (4, 6800)
    assert all(line["visits_missing_kva_code"] == 0 for line in report["lines"])  # ZV509 coded

    as_csv = client.get(URL, params={"year": 2025, "organization_id": s.region_id, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows[1] == {
        "unit_id": str(s.bvc_id),
        "unit_name": "BVC Centrum",
        "unit_hsa_id": "SE2321000000-BVC1",
        "month": "2025-10",
        "basis": "joint_home_visit",
        "amount_per_visit": "2500",
        "visits": "2",
        "amount_due": "5000",
        "visits_missing_kva_code": "0",
    }

    municipality = client.get(URL, params={"year": 2025, "organization_id": s.municipality_id})
    assert municipality.status_code == 422

    # The social worker later moves to the BVC as a nurse: what was paid for stays paid for,
    # since both reports read the facts fixed when each outcome was recorded.
    moved = patch(
        client,
        f"/api/v1/staff/{worker}",
        json={"unit_id": s.bvc_id, "profession": "bhv_nurse"},
    )
    assert moved.status_code == 200, moved.text
    again = client.get(URL, params={"year": 2025, "organization_id": s.region_id}).json()
    assert again["lines"] == report["lines"]
