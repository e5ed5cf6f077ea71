"""The stored visit facts (VisitFact) agree with the outcomes, and the report reads them right."""

from datetime import UTC, date, datetime

from app.db import make_engine, make_sessionmaker
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.families import service as families
from app.families.models import Child, FamilyStatus
from app.families.schemas import ChildIn, StatusChange
from app.migrate import downgrade, migrate, upgrade
from app.reports import service
from app.reports.facts import recomputed_facts, record_visit_fact, staff_facts, stored_facts
from app.reports.indicators import AgeGroup
from app.scheduling import service as scheduling
from app.scheduling.models import Booking, BookingKind, BookingLocation, BookingStatus, Outcome
from app.scheduling.schemas import OutcomeIn
from tests import factories
from tests.api.support import patch
from tests.reports import handmade
from tests.reports.handmade import _Builder, at


def ages(session, year: int = 2025) -> dict[AgeGroup, int]:
    by_age = service.grant_followup(session, year).report.totals.visits_by_age_group
    return {group: count for group, count in by_age.items() if count}


def test_facts_are_stored_with_each_outcome_and_agree_with_it(session):
    made = handmade.build(session)
    stored = stored_facts(session)
    assert stored == recomputed_facts(session)
    # Only visits that took place have facts: not the cancelled A3 nor the no-show A5.
    assert made.booking["A3"] not in stored and made.booking["A5"] not in stored
    assert len(stored) == len(made.booking) - 2
    family_id, unit_id, index_child, age, a4 = stored[made.booking["A4"]]
    assert family_id == made.family["A"] and unit_id == made.bvc1
    (a_child,) = families.get_family(session, family_id).children
    assert index_child == a_child.id
    assert age == AgeGroup.age_0  # A born 10 March, visited 17 July
    assert (a4.visit_date, a4.held_at, a4.two_professions) == (date(2025, 7, 17), "home", False)
    assert a4.missing_profession_reason == "Socialsekreterare sjuk"
    assert not a4.social_services_present and a4.social_services_organization_ids == ()
    a1 = stored[made.booking["A1"]].facts
    assert a1.social_services_organization_ids == (made.municipality_id,)


def test_a_visit_just_after_local_midnight_belongs_to_the_new_year(session):
    s = factories.setting(session)
    family_id = factories.family(
        session, s.bvc_id, born=date(2025, 6, 1), consent_on=date(2024, 1, 1)
    ).id
    enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=family_id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2025, 6, 10),
        ),
    )
    b = _Builder(session, s.nurse_id, s.social_worker_id)
    # 00:30 on 1 January in Stockholm is 23:30 UTC on 31 December.
    b.visit(
        "new year",
        family_id,
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        [s.nurse_id, s.social_worker_id],
    )
    (facts,) = (stored.facts for stored in stored_facts(session).values())
    assert facts.visit_date == date(2026, 1, 1)
    assert service.grant_followup(session, 2026).report.totals.home_visits == 1
    assert service.grant_followup(session, 2025).report.totals.home_visits == 0


def test_the_age_group_follows_the_child_as_registered_now(session):
    made = handmade.build(session)
    assert ages(session)[AgeGroup.prenatal] == 1  # B1 on 15 April, B born 28 May
    child = session.get(Child, families.get_family(session, made.family["B"]).children[0].id)
    child.birth_date = date(2025, 4, 1)  # the birth was registered wrong: it was 1 April
    session.commit()
    assert AgeGroup.prenatal not in ages(session)
    assert ages(session)[AgeGroup.age_0] == 7
    # The stored age groups were moved in the same commit (by the ORM flush, whatever path).
    assert stored_facts(session) == recomputed_facts(session)


def test_a_birth_registered_through_the_api_moves_the_visits_age_group(client, session):
    made = handmade.build(session)
    family_url = f"/api/v1/families/{made.family['B']}"
    (child,) = client.get(family_url).json()["children"]

    def prenatal() -> int:
        report = client.get("/api/v1/reports/grant-followup", params={"year": 2025})
        return report.json()["totals"]["visits_by_age_group"]["prenatal"]

    assert prenatal() == 1
    changed = patch(
        client, f"{family_url}/children/{child['id']}", json={"birth_date": "2025-04-01"}
    )
    assert changed.status_code == 200, changed.text
    assert prenatal() == 0


def test_a_family_moving_to_another_bvc_takes_its_visits_along(client, session):
    made = handmade.build(session)
    family_url = f"/api/v1/families/{made.family['A']}"

    def home_visits_by_unit() -> dict[int, int]:
        report = client.get("/api/v1/reports/grant-followup", params={"year": 2025}).json()
        return {u["unit_id"]: u["indicators"]["home_visits"] for u in report["by_unit"]}

    before = home_visits_by_unit()
    a_visits = sum(
        1
        for stored in stored_facts(session).values()
        if stored.family_id == made.family["A"]
        and stored.facts.held_at == "home"
        and stored.facts.visit_date.year == 2025
    )
    assert a_visits > 0
    moved = patch(client, family_url, json={"unit_id": made.bvc2})
    assert moved.status_code == 200, moved.text
    after = home_visits_by_unit()
    assert after[made.bvc1] == before[made.bvc1] - a_visits
    assert after[made.bvc2] == before.get(made.bvc2, 0) + a_visits
    session.expire_all()
    assert stored_facts(session) == recomputed_facts(session)


def two_enrollments(session) -> dict[str, int]:
    """A family enrolled for its first child, dropped out, and came back with a new baby; one
    visit in each enrollment, and one of the first recorded after the second began."""
    s = factories.setting(session)
    family_id = factories.family(
        session, s.bvc_id, born=date(2023, 1, 1), consent_on=date(2024, 1, 1)
    ).id
    team = {"nurse_id": s.nurse_id, "social_worker_id": s.social_worker_id}
    enrollments.enroll(
        session, EnrollmentIn(family_id=family_id, enrolled_on=date(2025, 1, 10), **team)
    )
    b = _Builder(session, s.nurse_id, s.social_worker_id)
    staff = [s.nurse_id, s.social_worker_id]
    b.visit("first", family_id, at(2025, 2, 1), staff)
    b.book("second", family_id, at(2025, 3, 1), staff)
    for status, on in ((FamilyStatus.discontinued, date(2025, 5, 1)), (FamilyStatus.offered, None)):
        families.change_status(session, family_id, StatusChange(status=status, on=on))
    baby = families.add_child(
        session, family_id, ChildIn(given_name="Lillan", birth_date=date(2025, 5, 1))
    )
    enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=family_id, index_child_id=baby.id, enrolled_on=date(2025, 6, 1), **team
        ),
    )
    b.visit("third", family_id, at(2025, 7, 1), staff)
    scheduling.record_outcome(
        session,
        b.bookings["second"],
        OutcomeIn(staff_ids=staff, held_at=BookingLocation.home, guardians_present=1),
        None,
    )
    return {
        "family": family_id,
        "baby": baby.id,
        "bvc": s.bvc_id,
        "nurse": s.nurse_id,
        **b.bookings,
    }


def test_with_two_enrollments_a_visit_counts_the_child_of_the_one_running(session):
    made = two_enrollments(session)
    stored = stored_facts(session)
    assert stored == recomputed_facts(session)
    # Recorded after the second enrollment began, the March visit still counts the first child.
    assert stored[made["second"]].index_child_id == stored[made["first"]].index_child_id
    assert stored[made["first"]].index_child_id != made["baby"]
    assert stored[made["third"]].index_child_id == made["baby"]
    assert ages(session) == {AgeGroup.age_2: 2, AgeGroup.age_0: 1}


def visit_without_enrollment(session, family_id: int, nurse_id: int, starts: datetime) -> int:
    """A completed home visit by a nurse alone to a family not enrolled (a follow-up)."""
    booking = Booking(
        uid=f"no-enrollment-{family_id}-{starts:%Y%m%d}",
        family_id=family_id,
        kind=BookingKind.follow_up,
        starts_at=starts,
        ends_at=starts,
        location=BookingLocation.home,
        status=BookingStatus.completed,
    )
    session.add(booking)
    session.flush()
    outcome = Outcome(
        booking_id=booking.id,
        held_at=BookingLocation.home,
        staff_ids=[nurse_id],
        professions=["bhv_nurse"],
        external_kinds=[],
        referrals=[],
        kva_codes=[],
    )
    session.add(outcome)
    record_visit_fact(session, booking, outcome, staff_facts(session))
    session.commit()
    return booking.id


def test_without_an_enrollment_a_visit_counts_the_youngest_child(session):
    s = factories.setting(session)
    family_id = factories.family(session, s.bvc_id, born=date(2022, 3, 1)).id
    youngest = families.add_child(
        session, family_id, ChildIn(given_name="Yngst", expected_due_date=date(2025, 9, 1))
    )
    booking_id = visit_without_enrollment(session, family_id, s.nurse_id, at(2025, 8, 1))
    assert stored_facts(session)[booking_id].index_child_id == youngest.id
    assert ages(session) == {AgeGroup.prenatal: 1}  # the youngest is due in September


def test_a_visit_before_any_child_was_registered_counts_the_youngest_registered_since(session):
    s = factories.setting(session)
    family_id = factories.family(session, s.bvc_id, born=date(2022, 3, 1)).id
    for child in families.get_family(session, family_id).children:
        session.delete(child)
    session.commit()
    booking_id = visit_without_enrollment(session, family_id, s.nurse_id, at(2025, 8, 1))
    assert stored_facts(session)[booking_id].index_child_id is None
    assert ages(session) == {AgeGroup.unknown: 1}
    for name, due in (("Äldre", date(2024, 1, 1)), ("Yngst", date(2025, 9, 1))):
        families.add_child(session, family_id, ChildIn(given_name=name, expected_due_date=due))
    assert ages(session) == {AgeGroup.prenatal: 1}


def test_a_later_enrollment_does_not_move_a_recorded_visit(session):
    """The visit's child is fixed with its outcome, as socialtjänst's presence is: an enrollment
    registered afterwards with an earlier start does not make it another child's visit."""
    s = factories.setting(session)
    family_id = factories.family(
        session, s.bvc_id, born=date(2023, 1, 1), consent_on=date(2024, 1, 1)
    ).id
    (older,) = families.get_family(session, family_id).children
    booking_id = visit_without_enrollment(session, family_id, s.nurse_id, at(2025, 8, 1))
    baby = families.add_child(
        session, family_id, ChildIn(given_name="Lillan", birth_date=date(2025, 7, 1))
    )
    enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=family_id,
            index_child_id=baby.id,
            enrolled_on=date(2025, 7, 15),
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
        ),
    )
    assert stored_facts(session)[booking_id].index_child_id == older.id
    assert (
        recomputed_facts(session)[booking_id].index_child_id == baby.id
    )  # the rule as things are now
    assert ages(session) == {AgeGroup.age_2: 1}


def test_migration_0012_backfills_the_child_age_group_and_unit(new_database_url):
    url = new_database_url("backfill_index_child")
    migrate(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            made = two_enrollments(session)
            family_id = factories.family(session, made["bvc"], born=date(2022, 3, 1), serial=456).id
            families.add_child(
                session, family_id, ChildIn(given_name="Yngst", expected_due_date=date(2025, 9, 1))
            )
            visit_without_enrollment(session, family_id, made["nurse"], at(2025, 8, 1))
            recorded = stored_facts(session)
            before = ages(session)
        assert {stored.index_child_id for stored in recorded.values()} - {None}
        assert {stored.age_group for stored in recorded.values()} == {
            AgeGroup.age_0,
            AgeGroup.age_2,
            AgeGroup.prenatal,
        }
        downgrade(url, "0011")
        upgrade(url)
        with make_sessionmaker(engine)() as session:
            assert stored_facts(session) == recorded
            assert ages(session) == before
    finally:
        engine.dispose()
