"""The pure rules behind the report: age groups, actors, attribution, tariffs, compensation."""

from datetime import UTC, date, datetime

import pytest

from app.reports import indicators as ind
from app.reports.indicators import Actor, AgeGroup
from app.reports.service import year_bounds

NURSE, WORKER, SUBSTITUTE, MIDWIFE = 1, 2, 3, 4
STAFF = {
    NURSE: ind.StaffFacts("bhv_nurse", social_services=False, organization_id=100),
    WORKER: ind.StaffFacts("social_worker", social_services=True, organization_id=200),
    SUBSTITUTE: ind.StaffFacts("social_worker", social_services=True, organization_id=300),
    MIDWIFE: ind.StaffFacts("midwife", social_services=False, organization_id=100),
}


def visit(**fields: object) -> ind.Visit:
    base: dict[str, object] = {
        "booking_id": 1,
        "family_id": 10,
        "unit_id": 5,
        "day": date(2025, 3, 3),
        "held_at": "home",
        "staff_ids": (NURSE, WORKER),
        "professions": ("bhv_nurse", "social_worker"),
        "child_birth_date": date(2025, 1, 1),
    }
    return ind.Visit(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "born", "due", "expected"),
    [
        (date(2025, 3, 1), date(2025, 3, 2), None, AgeGroup.prenatal),
        (date(2025, 3, 2), date(2025, 3, 2), None, AgeGroup.age_0),
        (date(2026, 3, 1), date(2025, 3, 2), None, AgeGroup.age_0),
        (date(2026, 3, 2), date(2025, 3, 2), None, AgeGroup.age_1),
        # Born on 29 February: one year old on 1 March of a common year.
        (date(2025, 2, 28), date(2024, 2, 29), None, AgeGroup.age_0),
        (date(2025, 3, 1), date(2024, 2, 29), None, AgeGroup.age_1),
        (date(2030, 3, 1), date(2025, 3, 2), None, AgeGroup.age_4),
        (date(2030, 3, 2), date(2025, 3, 2), None, AgeGroup.age_5),
        (date(2031, 3, 2), date(2025, 3, 2), None, AgeGroup.older),
        # Not yet registered as born: the due date stands in.
        (date(2025, 5, 30), None, date(2025, 6, 1), AgeGroup.prenatal),
        (date(2025, 6, 2), None, date(2025, 6, 1), AgeGroup.age_0),
        (date(2025, 6, 2), None, None, AgeGroup.unknown),
    ],
)
def test_age_group(day, born, due, expected):
    assert ind.age_group(day, born, due) is expected


def test_other_actors_map_participants_and_referrals_to_table_2():
    assert ind.other_actors(("bhv_nurse", "social_worker"), (), ()) == {Actor.none}
    assert ind.other_actors((), ("interpreter",), ()) == {Actor.none}
    assert ind.other_actors(("midwife",), ("midwife",), ("mhv",)) == {Actor.mhv}
    assert ind.other_actors((), ("dental_nurse", "librarian"), ("open_preschool",)) == {
        Actor.dental_care,
        Actor.other_municipal,
        Actor.open_preschool,
    }
    assert ind.other_actors((), (), ("preschool", "other_social_services", "other")) == {
        Actor.preschool,
        Actor.other_social_services,
        Actor.unclassified,
    }
    assert ind.other_actors((), (), ("language_support",)) == {Actor.other_municipal}


def test_two_professions_and_joint_are_different_things():
    nurse_and_midwife = visit(staff_ids=(NURSE, MIDWIFE), professions=("bhv_nurse", "midwife"))
    assert ind.has_two_professions(nurse_and_midwife.professions)
    assert not ind.is_joint(nurse_and_midwife, STAFF)
    assert ind.is_joint(visit(), STAFF)
    assert not ind.has_two_professions(("bhv_nurse",))
    assert not ind.has_two_professions(("bhv_nurse", "bhv_nurse"))


def test_enrollment_on_picks_the_one_running_that_day():
    first = ind.EnrollmentFacts(1, date(2024, 1, 1), date(2024, 6, 30), None, None, 200)
    second = ind.EnrollmentFacts(2, date(2025, 1, 1), None, None, None, 300)
    both = [second, first]
    assert ind.enrollment_on(both, date(2024, 3, 1)) == first
    assert ind.enrollment_on(both, date(2024, 9, 1)) == first  # ended; latest begun before
    assert ind.enrollment_on(both, date(2025, 2, 1)) == second
    assert ind.enrollment_on(both, date(2023, 2, 1)) == first  # before any: the first
    assert ind.enrollment_on([], date(2025, 2, 1)) is None


def test_visit_municipalities_come_from_who_was_there_else_the_team():
    assert ind.visit_municipalities(visit(), STAFF, None) == {200}
    both = visit(staff_ids=(NURSE, WORKER, SUBSTITUTE))
    assert ind.visit_municipalities(both, STAFF, None) == {200, 300}
    nurse_alone = visit(staff_ids=(NURSE,), professions=("bhv_nurse",), team_organization_id=300)
    assert ind.visit_municipalities(nurse_alone, STAFF, 200) == {300}
    no_team = visit(staff_ids=(NURSE,), professions=("bhv_nurse",))
    assert ind.visit_municipalities(no_team, STAFF, 200) == {200}
    assert ind.visit_municipalities(no_team, STAFF, None) == frozenset()


def test_family_municipality_is_the_team_else_the_first_collaboration_in_force():
    ended = ind.CollaborationFacts(1, 200, date(2020, 1, 1), date(2024, 12, 31))
    later = ind.CollaborationFacts(3, 300, date(2021, 1, 1), None)
    early = ind.CollaborationFacts(2, 400, date(2022, 1, 1), None)
    collaborations = [later, ended, early]
    assert ind.family_municipality(500, collaborations, date(2025, 3, 1)) == 500
    assert ind.family_municipality(None, collaborations, date(2025, 3, 1)) == 400
    assert ind.family_municipality(None, collaborations, date(2024, 3, 1)) == 200
    assert ind.family_municipality(None, collaborations, date(2019, 3, 1)) == 200  # none in force
    assert ind.family_municipality(None, [], date(2025, 3, 1)) is None


def test_grant_followup_by_hand_on_three_visits():
    families = [
        ind.FamilyFacts(
            10, 5, "enrolled", date(2025, 1, 20), frozenset({ind.TargetGroup.first_child})
        ),
        ind.FamilyFacts(11, 5, "declined", date(2025, 2, 1)),
        ind.FamilyFacts(12, 6, "discontinued", date(2024, 12, 1)),
    ]
    visits = [
        visit(booking_id=1, day=date(2025, 3, 3)),
        visit(booking_id=2, day=date(2025, 3, 20), staff_ids=(NURSE,), professions=("bhv_nurse",)),
        visit(booking_id=3, family_id=12, unit_id=6, day=date(2025, 4, 1), held_at="other"),
        visit(booking_id=4, day=date(2024, 12, 31)),
    ]
    report = ind.grant_followup(2025, visits, families, STAFF)
    totals = report.totals
    assert (totals.home_visits, totals.families_with_home_visit) == (2, 1)
    assert (totals.home_visits_with_two_professions, totals.joint_home_visits) == (1, 1)
    assert totals.share_with_two_professions == 0.5
    assert totals.home_visits_per_family == 2.0
    assert (totals.offered_families, totals.offered_families_taking_part) == (2, 1)
    assert totals.share_offered_declined == 0.5
    assert totals.offered_families_discontinued == 0  # offered in 2024
    assert totals.completed_visits_not_at_home == {"clinic": 0, "mhv_clinic": 0, "other": 1}
    assert totals.families_by_target_group[ind.TargetGroup.first_child] == 1
    assert [v.booking_id for v in report.lacking_two_professions] == [2]
    assert report.by_month[3].home_visits == 2 and report.by_month[1].offered_families == 1
    assert set(report.by_unit) == {5, 6}
    assert report.by_unit[6].home_visits == 0
    # The empty report divides by nothing: no share rather than zero.
    assert ind.grant_followup(2030, [], [], STAFF).totals.share_with_two_professions is None


def test_the_year_runs_from_local_midnight():
    start, end = year_bounds(2025)
    assert start == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    assert end == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


OREBRO = ind.TariffTerms(
    valid_from=date(2025, 9, 18),
    joint_home_visit_amount=2500,
    ordinary_home_visit_amount=1800,
    fixed_compensation_units=("Vivalla/Lundby", "Varberga", "SE2321000164-X1"),
    kva_code="ZV509",
)


@pytest.mark.parametrize(
    ("name", "hsa_id", "fixed"),
    [
        ("Varberga", None, True),
        ("varberga  vårdcentral", None, True),
        ("Varberga BVC", None, True),
        ("Varbergaby", None, False),
        ("Vivalla/Lundby", None, True),
        ("BVC Centrum", "SE2321000164-X1", True),
        ("BVC Centrum", None, False),
    ],
)
def test_units_on_fixed_compensation_match_by_name_or_hsa_id(name, hsa_id, fixed):
    unit = ind.UnitFacts(1, name, hsa_id, 100)
    assert ind.on_fixed_compensation(unit, OREBRO.fixed_compensation_units) is fixed


def test_tariff_on_takes_the_latest_in_force():
    newer = ind.TariffTerms(date(2026, 1, 1), 2700, 1900, (), "ZV509")
    assert ind.tariff_on([OREBRO, newer], date(2025, 9, 17)) is None
    assert ind.tariff_on([OREBRO, newer], date(2025, 9, 18)) == OREBRO
    assert ind.tariff_on([newer, OREBRO], date(2026, 2, 1)) == newer


def test_compensation_by_hand():
    units = {
        1: ind.UnitFacts(1, "BVC Centrum", None, 100),
        2: ind.UnitFacts(2, "Varberga vårdcentral", None, 100),
    }
    joint = {"staff_ids": (NURSE, WORKER), "kva_codes": ("ZV509",)}
    visits = [
        visit(booking_id=1, unit_id=1, day=date(2025, 10, 2), **joint),
        visit(booking_id=2, unit_id=1, day=date(2025, 10, 9), staff_ids=(NURSE, WORKER)),
        visit(booking_id=3, unit_id=2, day=date(2025, 10, 3), **joint),
        visit(booking_id=4, unit_id=1, day=date(2025, 9, 1), **joint),  # before the tariff
        visit(booking_id=5, unit_id=1, day=date(2025, 10, 5), held_at="clinic", **joint),
        visit(booking_id=6, unit_id=1, day=date(2025, 10, 6), staff_ids=(NURSE, MIDWIFE)),
    ]
    lines = ind.compensation(2025, visits, STAFF, units, {100: [OREBRO]})
    summary = [
        (line.unit_id, line.month, line.basis.value, line.amount_per_visit, line.visits,
         line.amount_due, line.visits_missing_kva_code)
        for line in lines
    ]  # fmt: skip
    assert summary == [
        (1, 9, "no_tariff", 0, 1, 0, 0),
        (1, 10, "joint_home_visit", 2500, 2, 5000, 1),
        (2, 10, "ordinary_home_visit", 1800, 1, 1800, 0),
    ]
