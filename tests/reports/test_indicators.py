"""The pure rules behind the report: age groups, actors, attribution, tariffs, compensation."""

from datetime import date

import pytest

from app.reports import indicators as ind
from app.reports.indicators import Actor, AgeGroup

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
    day = date(2025, 3, 3)
    midwife = ind.visit_facts(
        day, "home", (NURSE, MIDWIFE), ("bhv_nurse", "midwife"), (), (), STAFF
    )
    assert midwife.two_professions and midwife.nurse_present
    assert not midwife.social_services_present  # two professions, not joint
    joint = ind.visit_facts(
        day, "home", (NURSE, WORKER), ("bhv_nurse", "social_worker"), (), (), STAFF
    )
    assert joint.nurse_present and joint.social_services_present
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
    assert ind.visit_municipalities((200,), 300, None) == {200}
    assert ind.visit_municipalities((200, 300), None, None) == {200, 300}
    assert ind.visit_municipalities((), 300, 200) == {300}  # the nurse alone: the team's
    assert ind.visit_municipalities((), None, 200) == {200}
    assert ind.visit_municipalities((), None, None) == frozenset()


def test_visit_facts_say_what_the_report_counts():
    day = date(2025, 3, 3)
    joint = ind.visit_facts(
        day, "home", (NURSE, WORKER, SUBSTITUTE), ("bhv_nurse", "social_worker"), (), (), STAFF
    )
    assert joint == ind.VisitFacts(
        visit_date=day,
        held_at="home",
        two_professions=True,
        nurse_present=True,
        social_services_present=True,
        actors=ind.ACTOR_BITS[Actor.none],
        social_services_organization_ids=(200, 300),
        professions=("bhv_nurse", "social_worker"),
        missing_profession_reason=None,
    )
    midwife = ind.visit_facts(
        day, "clinic", (NURSE, MIDWIFE), ("bhv_nurse", "midwife"), ("interpreter",), ("mhv",), STAFF
    )
    assert (midwife.two_professions, midwife.social_services_present) == (True, False)
    assert midwife.actors == ind.ACTOR_BITS[Actor.mhv]
    alone = ind.visit_facts(
        day, "home", (NURSE,), ("bhv_nurse",), ("dental_nurse",), ("other",), STAFF
    )
    assert not alone.two_professions and alone.social_services_organization_ids == ()
    assert alone.actors == ind.ACTOR_BITS[Actor.dental_care] | ind.ACTOR_BITS[Actor.unclassified]


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


def test_grant_followup_by_hand_from_counts():
    none, mhv = [0] * len(Actor), [0] * len(Actor)
    none[list(Actor).index(Actor.none)] = 2
    mhv[list(Actor).index(Actor.mhv)] = 1

    def by_age(**given: int) -> list[int]:
        return [given.get(g.name, 0) for g in AgeGroup]

    visits = [
        # BVC 5 in March: two home visits of a one-year-old, one of them joint; one at the clinic.
        ind.VisitCounts(5, 3, 2, 1, 1, by_age(age_1=2), none, (1, 0, 0)),
        # BVC 6 in April: a prenatal home visit with the midwife, and one held elsewhere.
        ind.VisitCounts(6, 4, 1, 1, 0, by_age(prenatal=1), mhv, (0, 0, 1)),
    ]
    groups = len(ind.TargetGroup)
    first_child = [1 if g is ind.TargetGroup.first_child else 0 for g in ind.TargetGroup]
    no_flag = [0] * (groups - 1) + [1]
    families = [
        ind.FamilyCounts(5, None, 1, first_child),  # BVC 5: one family, a first child
        ind.FamilyCounts(6, None, 1, no_flag),  # BVC 6: one family with no flag
        ind.FamilyCounts(None, 3, 1, first_child),  # visited in March
        ind.FamilyCounts(None, 4, 1, no_flag),  # visited in April
    ]
    offers = [
        ind.OfferCounts(5, None, "enrolled", 1),  # BVC 5: one offered in January, one in February
        ind.OfferCounts(5, None, "declined", 1),
        ind.OfferCounts(7, None, "offered", 2),  # a BVC with offers and no visits
        ind.OfferCounts(None, 1, "enrolled", 1),  # the same four families by month
        ind.OfferCounts(None, 2, "declined", 1),
        ind.OfferCounts(None, 2, "offered", 2),
    ]
    lacking = [
        ind.Visit(9, 10, 5, date(2025, 3, 20), "home", (), ("bhv_nurse",)),
        ind.Visit(8, 10, 5, date(2025, 3, 3), "home", (), ("bhv_nurse",)),
    ]
    report = ind.grant_followup(2025, visits, families, offers, lacking)
    totals = report.totals
    assert (totals.home_visits, totals.families_with_home_visit) == (3, 2)
    assert (totals.home_visits_with_two_professions, totals.joint_home_visits) == (2, 1)
    assert totals.share_with_two_professions == 0.6667
    assert totals.home_visits_per_family == 1.5
    assert totals.visits_by_age_group[AgeGroup.age_1] == 2
    assert totals.visits_by_age_group[AgeGroup.prenatal] == 1
    assert totals.visits_by_age_group[AgeGroup.unknown] == 0
    assert totals.other_actor_visits[Actor.none] == 2 and totals.other_actor_visits[Actor.mhv] == 1
    assert totals.completed_visits_not_at_home == {"clinic": 1, "mhv_clinic": 0, "other": 1}
    assert (totals.offered_families, totals.offered_families_taking_part) == (4, 1)
    assert (totals.offered_families_declined, totals.offered_families_undecided) == (1, 2)
    assert totals.share_offered_declined == 0.25
    assert totals.families_by_target_group[ind.TargetGroup.first_child] == 1
    assert totals.families_by_target_group[ind.TargetGroup.none_of_these] == 1
    assert [v.booking_id for v in report.lacking_two_professions] == [8, 9]
    assert report.by_month[3].home_visits == 2 and report.by_month[3].families_with_home_visit == 1
    assert report.by_month[2].offered_families == 3
    assert report.by_month[4].families_by_target_group[ind.TargetGroup.none_of_these] == 1
    assert list(report.by_unit) == [5, 6, 7]
    assert report.by_unit[6].home_visits == 1 and report.by_unit[7].offered_families == 2
    # The empty report divides by nothing: no share rather than zero.
    assert ind.grant_followup(2030, [], [], []).totals.share_with_two_professions is None


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

    def visit(unit_id: int, day: date, **fields: object) -> ind.CompensableVisit:
        facts = {"held_at": "home", "social_services_present": True, "kva_codes": ("ZV509",)}
        return ind.CompensableVisit(unit_id, day, **{**facts, **fields})  # type: ignore[arg-type]

    visits = [
        visit(1, date(2025, 10, 2)),
        visit(1, date(2025, 10, 9), kva_codes=()),
        visit(2, date(2025, 10, 3)),
        visit(1, date(2025, 9, 1)),  # before the tariff
        visit(1, date(2025, 10, 5), held_at="clinic"),
        visit(1, date(2025, 10, 6), social_services_present=False),  # nurse and midwife
        visit(1, date(2024, 12, 31)),  # another year
    ]
    lines = ind.compensation(2025, visits, units, {100: [OREBRO]})
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
