"""Demo data for `make run`: a region and a municipality running the program together.

Every name and number here is invented; identity numbers are valid in form (checksum) only.
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service as auth
from app.auth.principal import Principal, Role
from app.auth.schemas import AccountIn
from app.availability import service as availability
from app.availability.schemas import BlockedTimeIn, WorkingHoursIn
from app.clock import STOCKHOLM, now_utc, today_local
from app.config import Settings
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.families import service as families
from app.families.identity import luhn_check_digit
from app.families.models import FamilyStatus
from app.families.schemas import ChildIn, ConsentIn, FamilyIn, GuardianIn, StatusChange
from app.organizations import service as organizations
from app.organizations.models import Organization, OrganizationKind, UnitKind
from app.organizations.schemas import CollaborationIn, OrganizationIn, UnitIn
from app.programs.plan import PlanStatus
from app.scheduling import service as scheduling
from app.scheduling.models import Booking, BookingLocation
from app.scheduling.schemas import BookingIn, OutcomeIn, Referral
from app.staff import service as staff
from app.staff.profession import Profession
from app.staff.schemas import StaffIn


def _pnr(born: date, serial: int) -> str:
    nine = f"{born:%y%m%d}{serial:03d}"
    return f"{born:%Y%m%d}-{serial:03d}{luhn_check_digit(nine)}"


# (guardian, child name, days from today to due date (negative: born that many days ago), extras)
_FAMILIES: list[tuple[tuple[str, str], str | None, int, dict[str, object]]] = [
    (("Amira", "Hassan"), None, 40, {"interpreter_language": "arabiska", "first_child": True}),
    (("Sara", "Lind"), None, 75, {"first_child": True}),
    (("Leyla", "Abdi"), "Hodan", -10, {"interpreter_language": "somaliska"}),
    (("Maria", "Nowak"), "Ola", -45, {"foreign_born_guardian": True}),
    (("Johanna", "Berg"), "Elsa", -125, {"known_risk_factors": True}),
    (("Nour", "Saleh"), "Adam", -240, {"first_child_in_sweden": True}),
    (("Ida", "Ek"), "Vera", -300, {"protected_identity": True}),
    (("Zahra", "Rahimi"), "Ali", -450, {"interpreter_language": "dari"}),
    (("Emma", "Holm"), "Liam", -700, {"language_development_need": True}),
    (("Aisha", "Yusuf"), "Mona", -60, {"first_child": True}),
    (("Karin", "Strand"), "Tove", -20, {}),
    (("Fadumo", "Ali"), "Ilhan", -90, {"interpreter_language": "somaliska"}),
]


def _book(session: Session, visit_id: int, starts_at: datetime, settings: Settings) -> Booking:
    """Book at the time given or the next weekday free for the team (demo staff are shared)."""
    for _ in range(10):
        try:
            return scheduling.create_booking(
                session, BookingIn(planned_visit_id=visit_id, starts_at=starts_at), settings
            )
        except scheduling.BookingConflict:
            starts_at += timedelta(days=1 if starts_at.weekday() < 4 else 3)
    raise RuntimeError("no free demo time found")


def _book_demo_visits(session: Session, enrollment_id: int, n: int) -> None:
    """Past visits done (with outcome), the next open visit booked at its ideal date."""
    plan = enrollments.plan(session, enrollment_id)
    settings = Settings()
    now = now_utc()
    hour = 9 + n % 5
    for visit in plan.visits:
        if visit.status != PlanStatus.planned:
            continue
        day = max(visit.ideal_date, visit.window_start)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        starts_at = datetime.combine(day, time(hour, 0), tzinfo=STOCKHOLM)
        booking = _book(session, visit.id, starts_at, settings)
        if booking.starts_at > now:
            return
        staff_ids = [p.staff_id for p in booking.participants]
        scheduling.record_outcome(
            session,
            booking.id,
            OutcomeIn(
                staff_ids=staff_ids,
                held_at=BookingLocation(booking.location.value),
                guardians_present=1 + n % 2,
                interpreter_used=bool(booking.interpreter_language),
                referrals=[Referral.open_preschool] if n % 3 == 0 else [],
            ),
            None,
        )


DEMO_PASSWORD = "demo-lösenord-2026"
DEMO_ACCOUNTS = ("koordinator", "sjukskoterska", "socialsekreterare")


def _demo_accounts(
    session: Session, region_id: int, municipality_id: int, nurse_id: int, worker_id: int
) -> None:
    """Logins for trying the demo (all share DEMO_PASSWORD; never use in production)."""
    for username, role, organization_id, staff_id in (
        ("koordinator", Role.coordinator, region_id, None),
        ("sjukskoterska", Role.nurse, region_id, nurse_id),
        ("socialsekreterare", Role.social_worker, municipality_id, worker_id),
    ):
        auth.create_account(
            session,
            Principal.operator(),
            AccountIn(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                organization_id=organization_id,
                staff_id=staff_id,
            ),
        )


def load_demo(session: Session) -> bool:
    """Load the demo once: returns False (and writes nothing) when organizations exist."""
    if session.scalar(select(Organization.id).limit(1)) is not None:
        return False
    today = today_local()
    region = organizations.create_organization(
        session, OrganizationIn(name="Region Demoland", kind=OrganizationKind.region)
    )
    municipality = organizations.create_organization(
        session, OrganizationIn(name="Demo kommun", kind=OrganizationKind.municipality)
    )
    bvcs = [
        organizations.create_unit(
            session,
            UnitIn(
                organization_id=region.id,
                name=name,
                kind=UnitKind.bvc,
                hsa_id=f"SE2321000099-BVC{n}",
                area_type=area,
                cni=cni,
            ),
        )
        for n, (name, area, cni) in enumerate(
            [("BVC Norrby", 1, 2.8), ("BVC Söderdal", 2, 1.9)], start=1
        )
    ]
    social = organizations.create_unit(
        session,
        UnitIn(
            organization_id=municipality.id,
            name="Förebyggande socialtjänst, familjestöd",
            kind=UnitKind.social_services,
        ),
    )
    organizations.create_unit(
        session,
        UnitIn(organization_id=region.id, name="Barnmorskemottagningen Norrby", kind=UnitKind.mhv),
    )
    for bvc in bvcs:
        organizations.create_collaboration(
            session,
            CollaborationIn(
                bvc_unit_id=bvc.id, social_unit_id=social.id, started_on=date(2025, 1, 1)
            ),
        )
    people = [
        (bvcs[0].id, "Lena", "Andersson", Profession.bhv_nurse),
        (bvcs[0].id, "Mikael", "Karlsson", Profession.bhv_nurse),
        (bvcs[1].id, "Sofia", "Nilsson", Profession.bhv_nurse),
        (social.id, "Ahmed", "Osman", Profession.social_worker),
        (social.id, "Eva", "Lundqvist", Profession.social_worker),
        (social.id, "Peter", "Sandberg", Profession.social_worker),
    ]
    team = [
        staff.create_staff(
            session,
            StaffIn(
                unit_id=unit,
                given_name=given,
                family_name=family,
                profession=profession,
                hsa_id=f"SE2321000099-P{n:03d}" if profession is Profession.bhv_nurse else None,
                email=f"{given.lower()}.{family.lower()}@demo.example",
            ),
        )
        for n, (unit, given, family, profession) in enumerate(people, start=1)
    ]
    nurses, workers = team[:3], team[3:]
    _demo_accounts(session, region.id, municipality.id, nurses[0].id, workers[0].id)
    week = [
        WorkingHoursIn(weekday=day, start_time=time(8, 0), end_time=time(16, 30))
        for day in range(5)
    ]
    for member in team:
        availability.replace_working_hours(session, member.id, week, if_match="*")
    availability.add_blocked_time(
        session,
        social.id,
        BlockedTimeIn(
            first_start_local=datetime(2026, 1, 7, 9, 0),
            duration_minutes=60,
            rrule="FREQ=WEEKLY;BYDAY=WE",
            reason="Arbetsplatsträff",
        ),
    )
    for n, ((given, family_name), child_name, due_in, extras) in enumerate(_FAMILIES):
        due = today + timedelta(days=due_in)
        born = due if due_in < 0 else None
        bvc = bvcs[n % 2]
        family = families.create_family(
            session,
            FamilyIn(
                unit_id=bvc.id,
                street_address=f"Demogatan {n + 1}",
                postal_code="70210",
                city="Demostad",
                spoken_language="svenska" if "interpreter_language" not in extras else None,
                offered_on=min(today, due - timedelta(days=70)),
                guardians=[
                    GuardianIn(
                        given_name=given,
                        family_name=family_name,
                        identity_number=_pnr(date(1990 + n % 8, 3, 1 + n), 200 + n),
                        phone=f"070-000 00 {n:02d}",
                    )
                ],
                children=[
                    ChildIn(
                        given_name=name,
                        family_name=family_name,
                        expected_due_date=due,
                        birth_date=born,
                        identity_number=_pnr(born, 300 + n + 50 * twin) if born else None,
                    )
                    # Twins (family 9) share one enrollment.
                    for twin, name in enumerate([child_name, "Miro"][: 2 if n == 9 else 1])
                ],
                **extras,
            ),
        )
        if n == 10:
            families.change_status(
                session,
                family.id,
                StatusChange(status=FamilyStatus.declined, reason="Vill inte ha fler besök"),
            )
            continue
        if n == 11:
            continue  # offered, consent not yet given
        consent_day = family.offered_on or today
        families.add_consent(session, family.id, ConsentIn(given_on=consent_day))
        nurse = nurses[0] if bvc.id == bvcs[0].id else nurses[2]
        enrollment = enrollments.enroll(
            session,
            EnrollmentIn(
                family_id=family.id,
                nurse_id=nurse.id,
                social_worker_id=workers[n % 3].id,
                enrolled_on=consent_day,
            ),
        )
        _book_demo_visits(session, enrollment.id, n)
    return True
