"""The grant follow-up over the hand-made visits (tests/reports/handmade.py), checked by hand."""

import csv
import io

import pytest

from tests.reports import handmade

URL = "/api/v1/reports/grant-followup"
AGES = ("prenatal", "0", "1", "2", "3", "4", "5", "older", "unknown")
ACTORS = (
    "mhv",
    "open_preschool",
    "other_social_services",
    "preschool",
    "other_municipal",
    "dental_care",
    "other_regional",
    "civil_society",
    "unclassified",
    "none",
)
GROUPS = (
    "first_child",
    "first_child_in_sweden",
    "known_risk_factors",
    "foreign_born_guardian",
    "language_development_need",
    "preschool_age_not_enrolled",
    "none_of_these",
)


def counts(keys: tuple[str, ...], **given: int) -> dict[str, int]:
    return {k: given.get(k, 0) for k in keys}


def ages(**given: int) -> dict[str, int]:
    return counts(AGES, **{k.removeprefix("y"): v for k, v in given.items()})


@pytest.fixture
def made(session) -> handmade.Handmade:
    return handmade.build(session)


def get(client, **params):
    response = client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_totals_for_2025_by_hand(client, made):
    totals = get(client, year=2025, organization_id=made.region_id)["totals"]
    # Counted: A1 A2 A4 A7 B1 B2 C1 F2 G1. Not: A3 cancelled, A5 no-show, A6 clinic, C2 (2026),
    # F1 (2024).
    assert totals["home_visits"] == 9
    assert totals["families_with_home_visit"] == 5  # A B C F G
    assert totals["home_visits_with_two_professions"] == 8  # all but A4 (nurse alone)
    assert totals["share_with_two_professions"] == 0.8889  # 8/9
    assert totals["joint_home_visits"] == 7  # A4 and A7 (nurse + midwife) lack socialtjänst
    assert totals["share_joint"] == 0.7778  # 7/9
    assert totals["home_visits_per_family"] == 1.8  # 9/5
    # Offered in 2025: A B C D E G (F was offered in 2024).
    assert totals["offered_families"] == 6
    assert totals["offered_families_taking_part"] == 4  # A B C G
    assert totals["share_offered_taking_part"] == 0.6667
    assert totals["offered_families_declined"] == 1  # D
    assert totals["share_offered_declined"] == 0.1667
    assert totals["offered_families_discontinued"] == 1  # B
    assert totals["share_offered_discontinued"] == 0.1667
    assert totals["share_offered_declined_or_discontinued"] == 0.3333
    assert totals["offered_families_undecided"] == 1  # E
    # B1 before B's birth; C1 C is 1; G1 G is 4; the rest in the first year.
    assert totals["visits_by_age_group"] == ages(prenatal=1, y0=6, y1=1, y4=1)
    # A1 open preschool; A7, B1 midwife; B2 dental care + MHV referral; F2 dental nurse;
    # G1 language support (municipal); A2 (interpreter only), A4, C1: nobody else.
    assert totals["other_actor_visits"] == counts(
        ACTORS, mhv=3, open_preschool=1, dental_care=2, other_municipal=1, none=3
    )
    assert totals["families_by_target_group"] == counts(
        GROUPS,
        first_child=1,
        foreign_born_guardian=1,
        known_risk_factors=1,
        first_child_in_sweden=1,
        language_development_need=1,
        preschool_age_not_enrolled=1,
        none_of_these=1,  # F
    )
    assert totals["completed_visits_not_at_home"] == {"clinic": 1, "mhv_clinic": 0, "other": 0}


def test_visits_without_two_professions_are_listed_with_their_reason(client, made):
    report = get(client, year=2025, organization_id=made.region_id)
    assert report["visits_without_two_professions"] == [
        {
            "booking_id": made.booking["A4"],
            "visit_date": "2025-07-17",
            "unit_id": made.bvc1,
            "professions": ["bhv_nurse"],
            "reason": "Socialsekreterare sjuk",
        }
    ]


def test_breakdown_by_unit_by_hand(client, made):
    by_unit = {u["unit_id"]: u for u in get(client, year=2025)["by_unit"]}
    assert set(by_unit) == {made.bvc1, made.bvc2}
    centrum = by_unit[made.bvc1]["indicators"]
    assert by_unit[made.bvc1]["unit_name"] == "BVC Centrum"
    assert centrum["home_visits"] == 7  # A1 A2 A4 A7 B1 B2 F2
    assert centrum["families_with_home_visit"] == 3
    assert centrum["home_visits_with_two_professions"] == 6
    assert centrum["offered_families"] == 4  # A B D E
    assert centrum["offered_families_taking_part"] == 2
    assert centrum["offered_families_declined"] == 1
    assert centrum["offered_families_discontinued"] == 1
    assert centrum["offered_families_undecided"] == 1
    assert centrum["completed_visits_not_at_home"]["clinic"] == 1
    norr = by_unit[made.bvc2]["indicators"]
    assert norr["home_visits"] == 2  # C1 G1
    assert norr["families_with_home_visit"] == 2
    assert norr["offered_families"] == 2  # C G
    assert norr["offered_families_taking_part"] == 2
    assert norr["visits_by_age_group"] == ages(y1=1, y4=1)


def test_breakdown_by_month_by_hand(client, made):
    by_month = {m["month"]: m["indicators"] for m in get(client, year=2025)["by_month"]}
    assert list(by_month) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert [by_month[m]["home_visits"] for m in by_month] == [0, 1, 1, 1, 2, 1, 1, 0, 0, 0, 1, 1]
    assert [by_month[m]["offered_families"] for m in by_month] == [
        1,
        1,
        1,
        1,
        0,
        1,
        0,
        0,
        0,
        0,
        1,
        0,
    ]
    assert by_month["2025-01"]["offered_families_discontinued"] == 1  # B offered in January
    assert by_month["2025-05"]["families_with_home_visit"] == 2  # A2, G1
    assert by_month["2025-10"]["completed_visits_not_at_home"]["clinic"] == 1  # A6
    assert by_month["2025-07"]["home_visits_with_two_professions"] == 0  # A4 alone


def test_a_family_across_the_year_boundary_counts_in_each_year_once(client, made):
    next_year = get(client, year=2026)["totals"]
    assert next_year["home_visits"] == 1  # C2
    assert next_year["families_with_home_visit"] == 1
    assert next_year["offered_families"] == 0  # C was offered in 2025
    assert next_year["visits_by_age_group"] == ages(y1=1)
    previous = get(client, year=2024)["totals"]
    assert previous["home_visits"] == 1  # F1
    assert previous["offered_families"] == 1  # F
    assert previous["offered_families_taking_part"] == 1


def test_region_and_its_only_municipality_give_the_same_report(client, made):
    region = get(client, year=2025, organization_id=made.region_id)
    municipality = get(client, year=2025, organization_id=made.municipality_id)
    assert region["scope"]["organization_kind"] == "region"
    assert municipality["scope"]["organization_kind"] == "municipality"
    for part in ("totals", "by_unit", "by_month", "visits_without_two_professions"):
        assert region[part] == municipality[part], part
    assert region == {**get(client, year=2025), "scope": region["scope"]}  # = the whole country


def test_one_unit(client, made):
    report = get(client, year=2025, organization_id=made.region_id, unit_id=made.bvc2)
    assert report["totals"]["home_visits"] == 2
    assert [u["unit_id"] for u in report["by_unit"]] == [made.bvc2]


def test_csv_has_one_figure_per_row(client, made):
    response = client.get(URL, params={"year": 2025, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="grant-followup-2025.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "section",
        "unit_id",
        "unit_name",
        "period",
        "indicator",
        "category",
        "label_sv",
        "value",
    ]
    total = {(r["indicator"], r["category"]): r for r in rows if r["section"] == "total"}
    assert total[("home_visits", "")]["value"] == "9"
    assert total[("home_visits", "")]["label_sv"] == "Antal utökade hembesök"
    assert total[("share_with_two_professions", "")]["value"] == "0.8889"
    assert total[("visits_by_age_group", "prenatal")]["value"] == "1"
    assert total[("other_actor_visits", "mhv")]["label_sv"].endswith(": Mödrahälsovården")
    unit = [r for r in rows if r["section"] == "unit" and r["indicator"] == "home_visits"]
    assert [(r["unit_name"], r["value"]) for r in unit] == [("BVC Centrum", "7"), ("BVC Norr", "2")]
    march = [r for r in rows if r["section"] == "month" and r["period"] == "2025-03"]
    assert {r["indicator"]: r["value"] for r in march if not r["category"]}["home_visits"] == "1"
    lacking = [r for r in rows if r["section"] == "visit_without_two_professions"]
    assert [(r["period"], r["category"], r["value"]) for r in lacking] == [
        ("2025-07-17", str(made.booking["A4"]), "Socialsekreterare sjuk")
    ]


def test_unknown_organization_and_foreign_unit_are_refused(client, made):
    assert client.get(URL, params={"year": 2025, "organization_id": 999999}).status_code == 422
    refused = client.get(URL, params={"year": 2025, "unit_id": made.social_unit_id})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "unit_id"
    assert client.get(URL, params={"year": 1900}).status_code == 422
