"""A region with two municipalities: their reports add up to the region's."""

from datetime import date

from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.families import service as families
from app.families.models import FamilyStatus
from app.families.schemas import StatusChange
from app.organizations import service as organizations
from app.organizations.models import OrganizationKind, UnitKind
from app.organizations.schemas import CollaborationIn, OrganizationIn, UnitIn
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests import factories
from tests.reports.handmade import _Builder, at

URL = "/api/v1/reports/grant-followup"
COUNTS = (
    "home_visits",
    "families_with_home_visit",
    "home_visits_with_two_professions",
    "joint_home_visits",
    "offered_families",
    "offered_families_taking_part",
    "offered_families_declined",
    "offered_families_discontinued",
    "offered_families_undecided",
)


def test_the_municipalities_add_up_to_the_region(client, session):
    s = factories.setting(session)  # BVC Centrum works with Testby kommun
    other = organizations.create_organization(
        session, OrganizationIn(name="Grannby kommun", kind=OrganizationKind.municipality)
    )
    other_social = organizations.create_unit(
        session,
        UnitIn(
            organization_id=other.id, name="Socialtjänst Grannby", kind=UnitKind.social_services
        ),
    )
    north = organizations.create_unit(
        session, UnitIn(organization_id=s.region_id, name="BVC Norr", kind=UnitKind.bvc)
    )
    # BVC Norr works first with Testby, later also with Grannby.
    for social_unit in (s.social_unit_id, other_social.id):
        organizations.create_collaboration(
            session,
            CollaborationIn(
                bvc_unit_id=north.id, social_unit_id=social_unit, started_on=date(2024, 1, 1)
            ),
        )
    north_nurse = staff_service.create_staff(
        session,
        StaffIn(unit_id=north.id, given_name="N", family_name="N", profession=Profession.bhv_nurse),
    ).id
    other_worker = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=other_social.id,
            given_name="G",
            family_name="G",
            profession=Profession.social_worker,
        ),
    ).id

    def family(serial: int, bvc: int, offered: date) -> int:
        return factories.family(
            session,
            bvc,
            born=date(2025, 3, 1),
            serial=serial,
            consent_on=date(2024, 1, 1),
            offered_on=offered,
        ).id

    p = family(201, s.bvc_id, date(2025, 2, 1))  # Testby's team
    q = family(202, north.id, date(2025, 2, 2))  # Grannby's team
    r = family(203, north.id, date(2025, 2, 3))  # declines: Norr's first partner, Testby
    u = family(204, north.id, date(2025, 2, 4))  # undecided: Testby too
    for family_id, nurse, worker in (
        (p, s.nurse_id, s.social_worker_id),
        (q, north_nurse, other_worker),
    ):
        enrollments.enroll(
            session,
            EnrollmentIn(
                family_id=family_id,
                nurse_id=nurse,
                social_worker_id=worker,
                enrolled_on=date(2025, 3, 1),
            ),
        )
    b = _Builder(session, s.nurse_id, s.social_worker_id)
    b.visit("P1", p, at(2025, 3, 10), [s.nurse_id, s.social_worker_id])
    b.visit("P2", p, at(2025, 4, 10), [s.nurse_id, s.social_worker_id])
    b.visit("Q1", q, at(2025, 3, 11), [north_nurse, other_worker])
    # Grannby's worker was ill: the nurse went alone; still Grannby's visit to report.
    b.visit("Q2", q, at(2025, 4, 11), [north_nurse], reason="Sjuk")
    families.change_status(
        session, r, StatusChange(status=FamilyStatus.declined, on=date(2025, 2, 20))
    )
    session.rollback()
    del u

    def totals(organization_id: int) -> dict[str, int]:
        response = client.get(URL, params={"year": 2025, "organization_id": organization_id})
        assert response.status_code == 200, response.text
        return {k: response.json()["totals"][k] for k in COUNTS}

    region, testby, grannby = totals(s.region_id), totals(s.municipality_id), totals(other.id)
    assert testby == {
        "home_visits": 2,
        "families_with_home_visit": 1,
        "home_visits_with_two_professions": 2,
        "joint_home_visits": 2,
        "offered_families": 3,  # P, R, U
        "offered_families_taking_part": 1,
        "offered_families_declined": 1,
        "offered_families_discontinued": 0,
        "offered_families_undecided": 1,
    }
    assert grannby == {
        "home_visits": 2,
        "families_with_home_visit": 1,
        "home_visits_with_two_professions": 1,
        "joint_home_visits": 1,
        "offered_families": 1,  # Q
        "offered_families_taking_part": 1,
        "offered_families_declined": 0,
        "offered_families_discontinued": 0,
        "offered_families_undecided": 0,
    }
    assert region == {k: testby[k] + grannby[k] for k in COUNTS}
