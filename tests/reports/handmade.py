"""A known set of families and visits, built through the services, for checking every figure.

Region Testland has BVC Centrum (bvc1) and BVC Norr (bvc2); Testby kommun's socialtjänst works
with both. Visits at 10:00 local time; "home"/"clinic" is where the outcome says it was held.

Family (BVC; offered; status now; child): visits in 2025 unless said.
- A (1; 2025-02-01; enrolled; born 2025-03-10): 03-20 home N+S, referred to open preschool;
  05-15 home N+S, interpreter; 07-10 cancelled; 07-17 home N alone ("Socialsekreterare sjuk");
  09-10 no-show; 10-01 clinic N+S; 11-05 home N+midwife ("Familjen ville träffa barnmorskan").
- B (1; 2025-01-15; discontinued 2025-08-01; due 06-01, born 05-28): 04-15 home N+S+midwife
  (prenatal); 06-10 home N+S, referred to dental care and MHV.
- C (2; 2025-11-20; enrolled; born 2024-12-05): 12-10 home N2+S; 2026-01-14 home N2+S.
- D (1; 2025-03-01; declined 03-15; born 2025-02-20): none.
- E (1; 2025-06-01; offered, undecided; born 2025-05-20): none.
- F (1; 2024-11-01; enrolled; born 2024-10-20): 2024-11-20 home N+S; 2025-02-10 home N+S with a
  dental nurse.
- G (2; 2025-04-01; completed 2025-12-01; born 2021-03-01): 05-05 home N2+S, referred to
  language support.

Target groups: A first child + foreign-born guardian; B known risk factors; C first child in
Sweden + language development; G preschool age not enrolled; D, E, F none.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.config import Settings
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.families import service as families
from app.families.models import FamilyStatus
from app.families.schemas import StatusChange
from app.organizations import service as organizations
from app.organizations.models import UnitKind
from app.organizations.schemas import CollaborationIn, UnitIn
from app.scheduling import service as scheduling
from app.scheduling.models import BookingLocation, CancelReason, ExternalKind
from app.scheduling.schemas import (
    BookingCancel,
    BookingIn,
    NoShowIn,
    OutcomeIn,
    Referral,
    StaffParticipantIn,
)
from app.staff import service as staff_service
from app.staff.profession import Profession
from app.staff.schemas import StaffIn
from tests import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SETTINGS = Settings()


@dataclass
class Handmade:
    region_id: int
    municipality_id: int
    bvc1: int
    bvc2: int
    social_unit_id: int
    family: dict[str, int]
    booking: dict[str, int]


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=STOCKHOLM)


class _Builder:
    def __init__(self, session: Session, nurse: int, social_worker: int) -> None:
        self.session = session
        self.nurse = nurse
        self.social_worker = social_worker
        self.bookings: dict[str, int] = {}

    def book(
        self,
        name: str,
        family_id: int,
        when: datetime,
        staff: list[int],
        reason: str | None = None,
    ) -> int:
        booking = scheduling.create_booking(
            self.session,
            BookingIn(
                family_id=family_id,
                starts_at=when,
                location=BookingLocation.home,
                staff=[StaffParticipantIn(staff_id=s) for s in staff],
                missing_profession_reason=reason,
            ),
            SETTINGS,
        )
        self.bookings[name] = booking.id
        return booking.id

    def visit(
        self,
        name: str,
        family_id: int,
        when: datetime,
        staff: list[int],
        *,
        held_at: BookingLocation = BookingLocation.home,
        reason: str | None = None,
        externals: tuple[ExternalKind, ...] = (),
        referrals: tuple[Referral, ...] = (),
    ) -> None:
        booking_id = self.book(name, family_id, when, staff, reason)
        scheduling.record_outcome(
            self.session,
            booking_id,
            OutcomeIn(
                staff_ids=staff,
                held_at=held_at,
                guardians_present=1,
                externals=list(externals),
                referrals=list(referrals),
            ),
            None,
        )


def build(session: Session) -> Handmade:
    s = factories.setting(session)
    bvc2 = organizations.create_unit(
        session,
        UnitIn(
            organization_id=s.region_id,
            name="BVC Norr",
            kind=UnitKind.bvc,
            hsa_id="SE2321000000-BVC2",
        ),
    ).id
    organizations.create_collaboration(
        session,
        CollaborationIn(
            bvc_unit_id=bvc2, social_unit_id=s.social_unit_id, started_on=date(2024, 1, 1)
        ),
    )
    nurse2 = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=bvc2, given_name="Nora", family_name="Norr", profession=Profession.bhv_nurse
        ),
    ).id
    midwife = staff_service.create_staff(
        session,
        StaffIn(
            unit_id=s.bvc_id,
            given_name="Mia",
            family_name="Barnmorska",
            profession=Profession.midwife,
        ),
    ).id
    nurse, worker = s.nurse_id, s.social_worker_id
    consent = date(2024, 1, 1)

    def family(serial: int, bvc: int, born: date, offered: date, **flags: object) -> int:
        return factories.family(
            session, bvc, born=born, serial=serial, consent_on=consent, offered_on=offered, **flags
        ).id

    def enroll(family_id: int, nurse_id: int, on: date) -> None:
        enrollments.enroll(
            session,
            EnrollmentIn(
                family_id=family_id, nurse_id=nurse_id, social_worker_id=worker, enrolled_on=on
            ),
        )

    ids = {
        "A": family(101, s.bvc_id, date(2025, 3, 10), date(2025, 2, 1), first_child=True,
                    foreign_born_guardian=True),
        "B": family(102, s.bvc_id, date(2025, 5, 28), date(2025, 1, 15), known_risk_factors=True),
        "C": family(103, bvc2, date(2024, 12, 5), date(2025, 11, 20), first_child_in_sweden=True,
                    language_development_need=True),
        "D": family(104, s.bvc_id, date(2025, 2, 20), date(2025, 3, 1)),
        "E": family(105, s.bvc_id, date(2025, 5, 20), date(2025, 6, 1)),
        "F": family(106, s.bvc_id, date(2024, 10, 20), date(2024, 11, 1)),
        "G": family(107, bvc2, date(2021, 3, 1), date(2025, 4, 1), preschool_age_not_enrolled=True),
    }  # fmt: skip
    # B's child was expected on 1 June and born on 28 May.
    child_b = families.get_family(session, ids["B"]).children[0]
    child_b.expected_due_date = date(2025, 6, 1)
    session.commit()

    enroll(ids["A"], nurse, date(2025, 3, 1))
    enroll(ids["B"], nurse, date(2025, 2, 1))
    enroll(ids["C"], nurse2, date(2025, 11, 25))
    enroll(ids["F"], nurse, date(2024, 11, 10))
    enroll(ids["G"], nurse2, date(2025, 4, 10))

    b = _Builder(session, nurse, worker)
    a = ids["A"]
    b.visit("A1", a, at(2025, 3, 20), [nurse, worker], referrals=(Referral.open_preschool,))
    b.visit("A2", a, at(2025, 5, 15), [nurse, worker], externals=(ExternalKind.interpreter,))
    b.book("A3", a, at(2025, 7, 10), [nurse, worker])
    scheduling.cancel(session, b.bookings["A3"], BookingCancel(reason=CancelReason.staff), None)
    b.visit("A4", a, at(2025, 7, 17), [nurse], reason="Socialsekreterare sjuk")
    b.book("A5", a, at(2025, 9, 10), [nurse, worker])
    scheduling.no_show(session, b.bookings["A5"], NoShowIn(), None)
    b.visit("A6", a, at(2025, 10, 1), [nurse, worker], held_at=BookingLocation.clinic)
    b.visit("A7", a, at(2025, 11, 5), [nurse, midwife], reason="Familjen ville träffa barnmorskan")
    b.visit("B1", ids["B"], at(2025, 4, 15), [nurse, worker, midwife])
    b.visit(
        "B2",
        ids["B"],
        at(2025, 6, 10),
        [nurse, worker],
        referrals=(Referral.dental_care, Referral.mhv),
    )
    b.visit("C1", ids["C"], at(2025, 12, 10), [nurse2, worker])
    b.visit("C2", ids["C"], at(2026, 1, 14), [nurse2, worker])
    b.visit("F1", ids["F"], at(2024, 11, 20), [nurse, worker])
    b.visit(
        "F2", ids["F"], at(2025, 2, 10), [nurse, worker], externals=(ExternalKind.dental_nurse,)
    )
    b.visit(
        "G1", ids["G"], at(2025, 5, 5), [nurse2, worker], referrals=(Referral.language_support,)
    )

    change = families.change_status
    change(session, ids["B"], StatusChange(status=FamilyStatus.discontinued, on=date(2025, 8, 1)))
    change(session, ids["D"], StatusChange(status=FamilyStatus.declined, on=date(2025, 3, 15)))
    change(session, ids["G"], StatusChange(status=FamilyStatus.completed, on=date(2025, 12, 1)))
    session.rollback()  # end the read transaction: the app under test reads next
    return Handmade(
        region_id=s.region_id,
        municipality_id=s.municipality_id,
        bvc1=s.bvc_id,
        bvc2=bvc2,
        social_unit_id=s.social_unit_id,
        family=ids,
        booking=b.bookings,
    )
