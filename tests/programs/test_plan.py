"""Pure tests of the visit-window logic in app.programs.plan."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import STOCKHOLM
from app.programs.builtin import BUILTIN_TEMPLATES
from app.programs.plan import (
    Anchor,
    ChildDates,
    DueWindow,
    Offset,
    OffsetUnit,
    PlannedState,
    PlanRuleError,
    PlanStatus,
    VisitRule,
    age_on,
    anchor_for,
    due_window,
    fifth_birthday,
    is_prenatal,
    local_day_bounds,
    plan_visit,
    validate_rule,
    window_instants,
)

W = OffsetUnit.weeks
M = OffsetUnit.months
D = OffsetUnit.days

# "GW 34–38" anchored on the due date, [−6 weeks, −1 week), ideal GW 36.
PRENATAL = VisitRule(1, Anchor.expected_due_date, Offset(-6, W), Offset(-1, W), Offset(-4, W))
# "1–2 weeks": [1 week, 3 weeks), ideal 10 days.
WEEKS_1_2 = VisitRule(2, Anchor.birth_date, Offset(1, W), Offset(3, W), Offset(10, D))
# "1–2 months": [1 month, 3 months), ideal 6 weeks.
MONTHS_1_2 = VisitRule(3, Anchor.birth_date, Offset(1, M), Offset(3, M), Offset(6, W))
# "12 months": [50 weeks, 13 months), ideal 12 months.
MONTH_12 = VisitRule(5, Anchor.birth_date, Offset(50, W), Offset(13, M), Offset(12, M))

DUE = date(2027, 3, 15)


def rule(
    start: Offset, end: Offset, ideal: Offset, anchor: Anchor = Anchor.birth_date
) -> VisitRule:
    return VisitRule(1, anchor, start, end, ideal)


# --- calendar arithmetic: month ends and leap days -------------------------------------------


@pytest.mark.parametrize(
    ("born", "one_month"),
    [
        (date(2023, 1, 31), date(2023, 2, 28)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2024, 1, 30), date(2024, 2, 29)),
        (date(2024, 3, 31), date(2024, 4, 30)),
        (date(2024, 12, 31), date(2025, 1, 31)),
    ],
)
def test_month_offset_clips_to_month_end(born: date, one_month: date) -> None:
    assert Offset(1, M).after(born) == one_month
    assert age_on(born, one_month).months == 1


def test_window_for_child_born_31_january() -> None:
    window = due_window(MONTHS_1_2, ChildDates(None, date(2024, 1, 31)))
    assert window.start == date(2024, 2, 29)
    assert window.end == date(2024, 4, 29)  # 3 months is 30 April, exclusive
    assert window.ideal == date(2024, 3, 13)  # 31 Jan + 42 days
    assert not window.provisional


@pytest.mark.parametrize(
    ("months", "expected"),
    [(12, date(2025, 2, 28)), (24, date(2026, 2, 28)), (48, date(2028, 2, 29))],
)
def test_child_born_on_leap_day(months: int, expected: date) -> None:
    assert Offset(months, M).after(date(2024, 2, 29)) == expected


def test_twelve_month_window_for_leap_day_child() -> None:
    window = due_window(MONTH_12, ChildDates(None, date(2024, 2, 29)))
    assert window.start == date(2025, 2, 13)  # 350 days; 29 Feb 2024 to 28 Feb 2025 is 365 days
    assert window.ideal == date(2025, 2, 28)
    assert window.end == date(2025, 3, 28)  # 13 months is 29 March 2025, exclusive
    assert window.contains(date(2025, 2, 28))
    assert not window.contains(date(2025, 3, 29))
    assert window.days() == 44


def test_fifth_birthday_of_leap_day_child() -> None:
    assert fifth_birthday(ChildDates(None, date(2024, 2, 29))) == date(2029, 2, 28)
    assert fifth_birthday(ChildDates(date(2027, 3, 15), None)) == date(2032, 3, 15)
    assert fifth_birthday(ChildDates(None, None)) is None


# --- daylight saving time ----------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_spring_forward_day_has_23_hours() -> None:
    start, end = local_day_bounds(date(2025, 3, 30))
    assert start.astimezone(UTC) == utc(2025, 3, 29, 23)
    assert end.astimezone(UTC) == utc(2025, 3, 30, 22)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)


def test_fall_back_day_has_25_hours() -> None:
    start, end = local_day_bounds(date(2025, 10, 26))
    assert start.astimezone(UTC) == utc(2025, 10, 25, 22)
    assert end.astimezone(UTC) == utc(2025, 10, 26, 23)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_ordinary_day_has_24_hours() -> None:
    start, end = local_day_bounds(date(2025, 6, 1))
    assert start.astimezone(UTC) == utc(2025, 5, 31, 22)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)


def test_window_instants_across_both_dst_changes() -> None:
    window = DueWindow(date(2025, 3, 30), date(2025, 10, 26), date(2025, 6, 1), provisional=False)
    start, end = window_instants(window)
    assert start.astimezone(UTC) == utc(2025, 3, 29, 23)  # local midnight, CET (+01)
    assert end.astimezone(UTC) == utc(2025, 10, 26, 23)  # midnight starting 27 Oct, CET again
    # One hour lost in March, one gained in October: whole days again.
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=window.days())


def test_window_instants_ending_in_summer_time() -> None:
    window = DueWindow(date(2025, 3, 1), date(2025, 3, 30), date(2025, 3, 15), provisional=False)
    start, end = window_instants(window)
    assert start.astimezone(UTC) == utc(2025, 2, 28, 23)
    assert end.astimezone(UTC) == utc(2025, 3, 30, 22)  # midnight starting 31 Mar, CEST (+02)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=30, hours=-1)


# --- anchors: provisional windows and re-anchoring at birth -----------------------------------


def test_prenatal_window_counts_back_from_due_date() -> None:
    window = due_window(PRENATAL, ChildDates(DUE, None))
    assert window == DueWindow(date(2027, 2, 1), date(2027, 3, 7), date(2027, 2, 15), False)
    assert is_prenatal(PRENATAL)
    assert not is_prenatal(WEEKS_1_2)


def test_prenatal_window_stays_on_due_date_after_birth() -> None:
    window = due_window(PRENATAL, ChildDates(DUE, date(2027, 3, 10)))
    assert (window.start, window.end) == (date(2027, 2, 1), date(2027, 3, 7))


def test_prenatal_window_without_due_date_uses_birth_date() -> None:
    assert anchor_for(PRENATAL, ChildDates(None, date(2027, 3, 10))) == (date(2027, 3, 10), False)


def test_birth_anchored_window_is_provisional_before_birth() -> None:
    child = ChildDates(DUE, None)
    assert anchor_for(WEEKS_1_2, child) == (DUE, True)
    window = due_window(WEEKS_1_2, child)
    assert window == DueWindow(date(2027, 3, 22), date(2027, 4, 4), date(2027, 3, 25), True)


def test_no_dates_at_all_is_refused() -> None:
    for r in (PRENATAL, WEEKS_1_2):
        with pytest.raises(PlanRuleError) as caught:
            anchor_for(r, ChildDates(None, None))
        assert caught.value.field == "expected_due_date"


def test_plan_reanchors_at_birth() -> None:
    before = plan_visit(WEEKS_1_2, ChildDates(DUE, None), enrolled_on=date(2027, 1, 10))
    assert before == PlannedState(
        DueWindow(date(2027, 3, 22), date(2027, 4, 4), date(2027, 3, 25), True),
        PlanStatus.planned,
        None,
    )
    born = ChildDates(DUE, date(2027, 3, 10))
    after = plan_visit(WEEKS_1_2, born, enrolled_on=date(2027, 1, 10), current=PlanStatus.planned)
    assert after == PlannedState(
        DueWindow(date(2027, 3, 17), date(2027, 3, 30), date(2027, 3, 20), False),
        PlanStatus.planned,
        None,
    )


def test_booked_visit_is_reanchored_and_stays_booked() -> None:
    born = ChildDates(DUE, date(2027, 3, 29))
    state = plan_visit(WEEKS_1_2, born, enrolled_on=date(2027, 1, 10), current=PlanStatus.booked)
    assert state.status is PlanStatus.booked
    assert (state.window.start, state.window.end) == (date(2027, 4, 5), date(2027, 4, 18))


# --- the prenatal visit and births ------------------------------------------------------------


def test_preterm_birth_before_prenatal_window() -> None:
    born_gw30 = DUE - timedelta(weeks=10)
    assert born_gw30 == date(2027, 1, 4)
    child = ChildDates(DUE, born_gw30)
    for current in (None, PlanStatus.planned, PlanStatus.booked):
        state = plan_visit(PRENATAL, child, enrolled_on=date(2026, 12, 1), current=current)
        assert state.status is PlanStatus.not_applicable
        assert state.reason == "born before the prenatal visit"
    # The visits after birth follow the real birth date, not the due date.
    after = plan_visit(WEEKS_1_2, child, enrolled_on=date(2026, 12, 1), current=PlanStatus.planned)
    assert (after.window.start, after.window.end) == (date(2027, 1, 11), date(2027, 1, 24))
    assert not after.window.provisional


def test_born_after_prenatal_visit_completed_stays_completed() -> None:
    child = ChildDates(DUE, date(2027, 3, 12))
    state = plan_visit(PRENATAL, child, enrolled_on=date(2027, 1, 5), current=PlanStatus.completed)
    assert state.status is PlanStatus.completed
    assert state.reason is None


def test_prenatal_visit_planned_before_birth() -> None:
    state = plan_visit(PRENATAL, ChildDates(DUE, None), enrolled_on=date(2027, 1, 5))
    assert state.status is PlanStatus.planned
    assert not state.window.provisional


# --- enrollment and closed statuses -----------------------------------------------------------


def test_window_passed_at_enrollment() -> None:
    child = ChildDates(DUE, date(2027, 3, 10))  # 1–2 weeks window: 17–30 March
    late = plan_visit(WEEKS_1_2, child, enrolled_on=date(2027, 3, 31))
    assert late.status is PlanStatus.not_applicable
    assert late.reason == "window had passed at enrollment"
    last_day = plan_visit(WEEKS_1_2, child, enrolled_on=date(2027, 3, 30))
    assert last_day.status is PlanStatus.planned


def test_prenatal_window_passed_at_enrollment() -> None:
    state = plan_visit(PRENATAL, ChildDates(DUE, None), enrolled_on=date(2027, 3, 8))
    assert state.status is PlanStatus.not_applicable
    assert state.reason == "window had passed at enrollment"


def test_open_visit_whose_window_passed_later_stays_open() -> None:
    child = ChildDates(DUE, date(2027, 3, 10))
    for current in (PlanStatus.planned, PlanStatus.booked):
        state = plan_visit(WEEKS_1_2, child, enrolled_on=date(2027, 1, 1), current=current)
        assert state.status is current


@pytest.mark.parametrize(
    "closed",
    [PlanStatus.completed, PlanStatus.missed, PlanStatus.cancelled, PlanStatus.not_applicable],
)
def test_closed_statuses_are_kept(closed: PlanStatus) -> None:
    child = ChildDates(DUE, date(2027, 3, 10))
    for r in (PRENATAL, WEEKS_1_2, MONTH_12):
        state = plan_visit(r, child, enrolled_on=date(2027, 12, 31), current=closed)
        assert state == PlannedState(due_window(r, child), closed, None)


def test_plan_refuses_visit_past_fifth_birthday() -> None:
    beyond = rule(Offset(60, M), Offset(61, M), Offset(60, M))  # not validated on purpose
    with pytest.raises(PlanRuleError) as caught:
        plan_visit(beyond, ChildDates(None, date(2024, 2, 29)), enrolled_on=date(2024, 3, 1))
    assert caught.value.field == "window_start"


# --- validate_rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (rule(Offset(2, W), Offset(2, W), Offset(2, W)), "window_end"),  # empty window
        (rule(Offset(3, W), Offset(1, W), Offset(2, W)), "window_end"),  # end before start
        (rule(Offset(1, M), Offset(28, D), Offset(28, D)), "window_end"),  # empty after 31 Jan
        (rule(Offset(1, W), Offset(3, W), Offset(3, W)), "ideal"),  # ideal on exclusive end
        (rule(Offset(1, W), Offset(3, W), Offset(6, D)), "ideal"),  # ideal before start
        (rule(Offset(1, M), Offset(2, M), Offset(4, W)), "ideal"),  # before start in February
        (rule(Offset(59, M), Offset(61, M), Offset(60, M)), "window_end"),  # past age five
        (rule(Offset(4, W), Offset(261, W), Offset(8, W)), "window_end"),  # reaches age five
        (rule(Offset(1, W), Offset(3, W), Offset(2, W), Anchor.expected_due_date), "window_end"),
    ],
)
def test_validate_rule_refuses(bad: VisitRule, field: str) -> None:
    with pytest.raises(PlanRuleError) as caught:
        validate_rule(bad)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "good",
    [
        PRENATAL,
        WEEKS_1_2,
        MONTHS_1_2,
        MONTH_12,
        rule(Offset(59, M), Offset(60, M), Offset(59, M)),  # last day is the day before age five
        rule(Offset(1, D), Offset(2, D), Offset(1, D)),  # a one-day window
    ],
)
def test_validate_rule_accepts(good: VisitRule) -> None:
    validate_rule(good)


# --- properties of the builtin rules ----------------------------------------------------------

ALL_RULES = [r for template in BUILTIN_TEMPLATES for r in template.rules()]
ANCHOR_DATES = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(anchor=ANCHOR_DATES, r=st.sampled_from(ALL_RULES))
def test_builtin_windows_are_well_formed(anchor: date, r: VisitRule) -> None:
    for child in (ChildDates(anchor, None), ChildDates(anchor, anchor)):
        window = due_window(r, child)
        assert window.start <= window.ideal <= window.end
        assert window.days() > 0
        assert r.window_start.after(anchor) < r.window_end.after(anchor)


@given(birth=ANCHOR_DATES, due_shift=st.integers(-70, 21), r=st.sampled_from(ALL_RULES))
def test_birth_anchored_windows_never_start_before_birth(
    birth: date, due_shift: int, r: VisitRule
) -> None:
    due = birth + timedelta(days=due_shift)
    window = due_window(r, ChildDates(due, birth))
    if r.anchor is Anchor.birth_date:
        assert window.start > birth
        assert not window.provisional
    else:
        assert window.end < due


def months_old(birth: date, day: date) -> int:
    age = age_on(birth, day)
    return age.years * 12 + age.months


@given(birth=ANCHOR_DATES, months=st.integers(1, 60))
def test_month_offsets_are_month_birthdays(birth: date, months: int) -> None:
    day = Offset(months, M).after(birth)
    assert months_old(birth, day) == months
    assert age_on(birth, day).days == 0
    assert months_old(birth, day - timedelta(days=1)) == months - 1


@given(day=ANCHOR_DATES)
def test_local_days_are_23_24_or_25_hours(day: date) -> None:
    start, end = local_day_bounds(day)
    hours = (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)
    assert hours in (23, 24, 25)
    assert start.astimezone(STOCKHOLM).hour == 0
    assert end.astimezone(STOCKHOLM).hour == 0
