"""Small builders for test data, through the same services the API uses."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.families import service as families
from app.families.identity import luhn_check_digit
from app.families.models import Family
from app.families.schemas import ChildIn, ConsentIn, FamilyIn, GuardianIn
from app.organizations import service as organizations
from app.organizations.models import OrganizationKind, UnitKind
from app.organizations.schemas import CollaborationIn, OrganizationIn, UnitIn
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn


def personnummer(birth: date, serial: int = 123) -> str:
    """A valid personnummer (12 digits with hyphen) for a birth date and a three-digit serial."""
    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}-{serial:03d}{luhn_check_digit(nine)}"


@dataclass
class Setting:
    region_id: int
    municipality_id: int
    bvc_id: int
    social_unit_id: int
    nurse_id: int
    social_worker_id: int


def setting(session: Session) -> Setting:
    """A region with a BVC, a municipality with socialtjänst, collaborating, and one staff each."""
    region = organizations.create_organization(
        session, OrganizationIn(name="Region Testland", kind=OrganizationKind.region)
    )
    municipality = organizations.create_organization(
        session, OrganizationIn(name="Testby kommun", kind=OrganizationKind.municipality)
    )
    bvc = organizations.create_unit(
        session,
        UnitIn(
            organization_id=region.id,
            name="BVC Centrum",
            kind=UnitKind.bvc,
            hsa_id="SE2321000000-BVC1",
            area_type=2,
            cni=2.4,
        ),
    )
    social = organizations.create_unit(
        session,
        UnitIn(
            organization_id=municipality.id,
            name="Förebyggande socialtjänst",
            kind=UnitKind.social_services,
        ),
    )
    organizations.create_collaboration(
        session,
        CollaborationIn(bvc_unit_id=bvc.id, social_unit_id=social.id, started_on=date(2025, 1, 1)),
    )
    nurse = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=bvc.id,
            given_name="Anna",
            family_name="Sköterska",
            profession=Profession.bhv_nurse,
            hsa_id="SE2321000000-N001",
        ),
    )
    worker = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=social.id,
            given_name="Bo",
            family_name="Socionom",
            profession=Profession.social_worker,
        ),
    )
    return Setting(region.id, municipality.id, bvc.id, social.id, nurse.id, worker.id)


def family(
    session: Session,
    bvc_id: int,
    *,
    due: date | None = None,
    born: date | None = None,
    consent_on: date | None = date(2026, 1, 1),
    serial: int = 123,
    **fields: object,
) -> Family:
    child = ChildIn(
        given_name="Barn",
        expected_due_date=due,
        birth_date=born,
        identity_number=personnummer(born, serial) if born else None,
    )
    data = FamilyIn(
        unit_id=bvc_id,
        street_address="Storgatan 1",
        postal_code="12345",
        city="Testby",
        guardians=[
            GuardianIn(
                given_name="Fatima",
                family_name="Förälder",
                identity_number=personnummer(date(1995, 5, 17), serial),
            )
        ],
        children=[child],
        **fields,  # type: ignore[arg-type]
    )
    created = families.create_family(session, data)
    if consent_on is not None:
        families.add_consent(session, created.id, ConsentIn(given_on=consent_on))
    return created
