"""The shipped templates: exact windows for Tillsammans, structure for all five."""

from datetime import date

import pytest

from app.programs.builtin import BUILTIN_TEMPLATES, DEFAULT_TEMPLATE_KEY, TemplateSpec, VisitSpec
from app.programs.plan import (
    Anchor,
    ChildDates,
    LocationKind,
    PlanStatus,
    due_window,
    plan_visit,
    validate_rule,
)
from app.staff.profession import Profession

DUE = date(2027, 3, 15)
BORN = date(2027, 3, 10)  # GW 39+2
ENROLLED = date(2027, 1, 4)  # GW 30

TEMPLATES = {template.key: template for template in BUILTIN_TEMPLATES}
TILLSAMMANS = TEMPLATES["tillsammans-for-en-trygg-start"]

NURSE = Profession.bhv_nurse
SOCIAL = Profession.social_worker
MIDWIFE = Profession.midwife
DENTAL = Profession.dental
LIBRARIAN = Profession.librarian

# Worked out by hand (start, inclusive end, ideal). Weeks are 7 days; months are calendar months.
# Due 15 March 2027. 2027 is not a leap year; 2028 is (29 Feb 2028 lies inside visits 7 and 8).
TILLSAMMANS_BEFORE_BIRTH = [
    # 1: GW 34–38 = due − 42 days .. due − 7 days − 1, ideal due − 28 days.
    (date(2027, 2, 1), date(2027, 3, 7), date(2027, 2, 15)),
    # 2: 1–2 weeks = +7 .. +21 − 1, ideal +10 days.
    (date(2027, 3, 22), date(2027, 4, 4), date(2027, 3, 25)),
    # 3: 1–2 months = 15 Apr .. 15 Jun − 1, ideal +42 days (16 to end of March, 26 in April).
    (date(2027, 4, 15), date(2027, 6, 14), date(2027, 4, 26)),
    # 4: 15 weeks = 105 days: 16 (Mar) + 30 (Apr) + 31 (May) + 28 → 28 Jun; 5 months = 15 Aug.
    (date(2027, 6, 28), date(2027, 8, 14), date(2027, 7, 15)),
    # 5: 33 weeks = 231 days: 199 to 30 Sep, + 31 (Oct) = 230, + 1 → 1 Nov; 9 months = 15 Dec.
    (date(2027, 11, 1), date(2027, 12, 14), date(2027, 11, 15)),
    # 6: 41 weeks = 287 days: 230 to 31 Oct, + 30 (Nov) = 260, + 27 → 27 Dec; 11 months = 15 Feb.
    (date(2027, 12, 27), date(2028, 2, 14), date(2028, 1, 15)),
    # 7: 63 weeks = 441 days: 15 Mar 2028 is +366 (leap day), + 75: 16 + 30 + 29 → 29 May 2028.
    (date(2028, 5, 29), date(2028, 7, 14), date(2028, 6, 15)),
    # 8: 102 weeks = 714 days: 15 Mar 2029 is +731, − 17 → 26 Feb 2029; 25 months = 15 Apr 2029.
    (date(2029, 2, 26), date(2029, 4, 14), date(2029, 3, 15)),
]

# Born 10 March 2027; visit 1 stays on the due date.
TILLSAMMANS_AFTER_BIRTH = [
    (date(2027, 2, 1), date(2027, 3, 7), date(2027, 2, 15)),
    # 2: +7 = 17 Mar, +21 = 31 Mar (exclusive), +10 = 20 Mar.
    (date(2027, 3, 17), date(2027, 3, 30), date(2027, 3, 20)),
    # 3: 10 Apr .. 10 Jun − 1; +42 days: 21 (Mar) + 21 → 21 Apr.
    (date(2027, 4, 10), date(2027, 6, 9), date(2027, 4, 21)),
    # 4: 105 days: 21 + 30 + 31 = 82 to 31 May, + 23 → 23 Jun; 5 months = 10 Aug.
    (date(2027, 6, 23), date(2027, 8, 9), date(2027, 7, 10)),
    # 5: 231 days: 204 to 30 Sep, + 27 → 27 Oct; 9 months = 10 Dec.
    (date(2027, 10, 27), date(2027, 12, 9), date(2027, 11, 10)),
    # 6: 287 days: 204 + 31 (Oct) + 30 (Nov) = 265, + 22 → 22 Dec; 11 months = 10 Feb 2028.
    (date(2027, 12, 22), date(2028, 2, 9), date(2028, 1, 10)),
    # 7: 441 days: 10 Mar 2028 is +366, + 75: 21 + 30 + 24 → 24 May 2028; 16 months = 10 Jul.
    (date(2028, 5, 24), date(2028, 7, 9), date(2028, 6, 10)),
    # 8: 714 days: 10 Mar 2029 is +731, − 17 → 21 Feb 2029; 25 months = 10 Apr 2029.
    (date(2029, 2, 21), date(2029, 4, 9), date(2029, 3, 10)),
]


def windows(template: TemplateSpec, child: ChildDates) -> list[tuple[date, date, date]]:
    result = []
    for visit in template.visits:
        window = due_window(visit.rule(), child)
        result.append((window.start, window.end, window.ideal))
    return result


def test_tillsammans_windows_before_birth() -> None:
    child = ChildDates(DUE, None)
    assert windows(TILLSAMMANS, child) == TILLSAMMANS_BEFORE_BIRTH
    states = [plan_visit(r, child, enrolled_on=ENROLLED) for r in TILLSAMMANS.rules()]
    assert [s.status for s in states] == [PlanStatus.planned] * 8
    assert [s.window.provisional for s in states] == [False] + [True] * 7


def test_tillsammans_windows_after_birth() -> None:
    child = ChildDates(DUE, BORN)
    assert windows(TILLSAMMANS, child) == TILLSAMMANS_AFTER_BIRTH
    states = [
        plan_visit(r, child, enrolled_on=ENROLLED, current=PlanStatus.planned)
        for r in TILLSAMMANS.rules()
    ]
    # The prenatal visit was not held before the birth; the rest follow the birth date.
    assert [s.status for s in states] == [PlanStatus.not_applicable] + [PlanStatus.planned] * 7
    assert not any(s.window.provisional for s in states)


def test_tillsammans_windows_for_child_born_at_month_end() -> None:
    child = ChildDates(DUE, date(2027, 1, 31))  # GW 34+1
    got = windows(TILLSAMMANS, child)
    assert got[2] == (date(2027, 2, 28), date(2027, 4, 29), date(2027, 3, 14))
    assert got[3][1:] == (date(2027, 6, 29), date(2027, 5, 31))  # 5 months is 30 June
    assert got[5][1:] == (date(2027, 12, 30), date(2027, 11, 30))  # 11 months is 31 December


@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.key)
def test_every_template_plans_before_and_after_birth(template: TemplateSpec) -> None:
    for child in (ChildDates(DUE, None), ChildDates(DUE, BORN)):
        previous_ideal = None
        for visit in template.visits:
            state = plan_visit(visit.rule(), child, enrolled_on=ENROLLED)
            prenatal = visit.anchor is Anchor.expected_due_date
            born = child.birth_date is not None
            expected = PlanStatus.not_applicable if prenatal and born else PlanStatus.planned
            assert state.status is expected
            assert state.window.start <= state.window.ideal <= state.window.end
            assert state.window.provisional is (not prenatal and not born)
            if previous_ideal is not None:
                assert state.window.ideal > previous_ideal
            previous_ideal = state.window.ideal


# --- structure ---------------------------------------------------------------------------------


def test_keys_unique_and_one_default() -> None:
    keys = [template.key for template in BUILTIN_TEMPLATES]
    assert len(set(keys)) == len(keys) == 5
    defaults = [template for template in BUILTIN_TEMPLATES if template.is_default]
    assert [template.key for template in defaults] == [DEFAULT_TEMPLATE_KEY]
    assert DEFAULT_TEMPLATE_KEY == "tillsammans-for-en-trygg-start"


def test_visit_counts() -> None:
    assert {key: len(template.visits) for key, template in TEMPLATES.items()} == {
        "tillsammans-for-en-trygg-start": 8,
        "region-orebro-lan": 6,
        "vaxa-tryggt": 6,
        "torvallamodellen": 4,
        "rinkebymodellen": 6,
    }


@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.key)
def test_template_structure(template: TemplateSpec) -> None:
    assert template.name
    assert template.description
    assert template.source
    assert [visit.sequence for visit in template.visits] == list(range(1, len(template.visits) + 1))
    assert [r.sequence for r in template.rules()] == [v.sequence for v in template.visits]
    for visit in template.visits:
        validate_rule(visit.rule())
        assert visit.name
        assert visit.window_note
        assert "\n" not in visit.window_note
        assert visit.required_professions
        assert len(set(visit.required_professions)) == len(visit.required_professions)
        assert Profession.bhv_nurse in visit.required_professions
        assert visit.default_duration_minutes in (60, 90)
        clinic = visit.location_kind is not LocationKind.home
        assert visit.default_duration_minutes == (60 if clinic else 90)
        assert (visit.anchor is Anchor.expected_due_date) is (visit.window_start.amount < 0)


def professions(template: TemplateSpec) -> list[set[Profession]]:
    return [set(visit.required_professions) for visit in template.visits]


def ordinary(template: TemplateSpec) -> list[bool]:
    return [visit.is_ordinary for visit in template.visits]


def test_tillsammans_details() -> None:
    visits: tuple[VisitSpec, ...] = TILLSAMMANS.visits
    for visit in visits:
        assert {NURSE, SOCIAL} <= set(visit.required_professions)
    assert professions(TILLSAMMANS)[0] == {NURSE, SOCIAL, MIDWIFE}
    assert [v.location_kind for v in visits] == (
        [LocationKind.mhv_clinic] + [LocationKind.home] * 6 + [LocationKind.clinic]
    )
    assert [v.theme for v in visits] == [
        "Att snart bli förälder",
        "Att ta emot sitt barn",
        "Att lära känna sitt barn",
        "Att vara tillsammans",
        "Att leda och följa",
        "Att skapa vardag",
        "Att vara en familj",
        "Att växa och utvecklas tillsammans",
    ]
    assert ordinary(TILLSAMMANS) == [False, True, False, False, True, False, False, False]
    assert visits[0].name == "Besök hos barnmorskan GV 34–38"
    assert visits[1].name == "Hembesök 1–2 veckor"


def test_orebro_details() -> None:
    template = TEMPLATES["region-orebro-lan"]
    assert professions(template) == [{NURSE, SOCIAL}] * 6
    # Labelled explicitly in the source: 1–2 weeks and 8 months ordinary, the rest extra.
    assert ordinary(template) == [True, False, False, True, False, False]


def test_vaxa_tryggt_details() -> None:
    template = TEMPLATES["vaxa-tryggt"]
    assert professions(template) == [
        {NURSE, MIDWIFE},
        {NURSE, SOCIAL},
        {NURSE, SOCIAL},
        {NURSE, DENTAL},
        {NURSE, SOCIAL},
        {NURSE, SOCIAL},
    ]
    assert ordinary(template) == [True, False, False, True, False, False]


def test_torvalla_details() -> None:
    template = TEMPLATES["torvallamodellen"]
    assert professions(template) == [
        {NURSE, MIDWIFE},
        {NURSE, LIBRARIAN},
        {NURSE, LIBRARIAN},
        {NURSE},
    ]
    assert ordinary(template) == [True, False, True, False]


def test_rinkeby_details() -> None:
    template = TEMPLATES["rinkebymodellen"]
    assert professions(template) == [{NURSE, SOCIAL}] * 6
    assert ordinary(template) == [True, False, False, True, False, False]
    # Gothenburg's ages: newborn, 2, 4, 8, 12 and 15 months.
    child = ChildDates(None, date(2027, 1, 31))
    ideals = [due_window(r, child).ideal for r in template.rules()]
    assert ideals == [
        date(2027, 2, 14),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 9, 30),
        date(2028, 1, 31),
        date(2028, 4, 30),
    ]


def test_all_home_visits_except_tillsammans_ends() -> None:
    for template in BUILTIN_TEMPLATES:
        if template is TILLSAMMANS:
            continue
        assert {v.location_kind for v in template.visits} == {LocationKind.home}
