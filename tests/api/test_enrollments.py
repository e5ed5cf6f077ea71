"""Enrolling families and their visit plans through the HTTP API."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.enrollments.models import PlannedVisit
from app.programs.plan import PlanStatus
from tests.api.support import (
    API,
    DUE,
    TODAY,
    assert_problem,
    create_family,
    patch,
    pnr,
)
from tests.factories import Setting

ENROLLED = date(2027, 1, 4)  # GW 30 for a child due 15 March 2027
BORN = date(2027, 3, 10)  # GW 39+2

# "Tillsammans för en trygg start" for a child due 15 March 2027: (start, last day, ideal).
# Worked out by hand in tests/programs/test_builtin.py; repeated here so the API is held to it.
WINDOWS_FOR_DUE_DATE = [
    (date(2027, 2, 1), date(2027, 3, 7), date(2027, 2, 15)),
    (date(2027, 3, 22), date(2027, 4, 4), date(2027, 3, 25)),
    (date(2027, 4, 15), date(2027, 6, 14), date(2027, 4, 26)),
    (date(2027, 6, 28), date(2027, 8, 14), date(2027, 7, 15)),
    (date(2027, 11, 1), date(2027, 12, 14), date(2027, 11, 15)),
    (date(2027, 12, 27), date(2028, 2, 14), date(2028, 1, 15)),
    (date(2028, 5, 29), date(2028, 7, 14), date(2028, 6, 15)),
    (date(2029, 2, 26), date(2029, 4, 14), date(2029, 3, 15)),
]
# The same child born on 10 March 2027: the prenatal visit stays on the due date.
WINDOWS_FOR_BIRTH_DATE = [
    (date(2027, 2, 1), date(2027, 3, 7), date(2027, 2, 15)),
    (date(2027, 3, 17), date(2027, 3, 30), date(2027, 3, 20)),
    (date(2027, 4, 10), date(2027, 6, 9), date(2027, 4, 21)),
    (date(2027, 6, 23), date(2027, 8, 9), date(2027, 7, 10)),
    (date(2027, 10, 27), date(2027, 12, 9), date(2027, 11, 10)),
    (date(2027, 12, 22), date(2028, 2, 9), date(2028, 1, 10)),
    (date(2028, 5, 24), date(2028, 7, 9), date(2028, 6, 10)),
    (date(2029, 2, 21), date(2029, 4, 9), date(2029, 3, 10)),
]


def consenting_family(
    client: TestClient,
    world: Setting,
    *,
    children: list[dict[str, Any]] | None = None,
    consent_on: str = "2026-12-01",
) -> dict[str, Any]:
    family = create_family(
        client, world.bvc_id, children=children or [{"expected_due_date": DUE.isoformat()}]
    )
    consent = client.post(f"{API}/families/{family['id']}/consents", json={"given_on": consent_on})
    assert consent.status_code == 201, consent.text
    return client.get(f"{API}/families/{family['id']}").json()


def enroll(client: TestClient, world: Setting, family_id: int, **fields: Any) -> Response:
    body = {
        "family_id": family_id,
        "nurse_id": world.nurse_id,
        "social_worker_id": world.social_worker_id,
        **fields,
    }
    return client.post(f"{API}/enrollments", json=body)


def enrolled_plan(client: TestClient, world: Setting, family_id: int, **fields: Any) -> dict:
    response = enroll(client, world, family_id, **fields)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def plan_of(client: TestClient, enrollment_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/enrollments/{enrollment_id}/plan")
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


def windows(plan: dict[str, Any]) -> list[tuple[date, date, date]]:
    return [
        (
            date.fromisoformat(v["window_start"]),
            date.fromisoformat(v["window_end"]),
            date.fromisoformat(v["ideal_date"]),
        )
        for v in plan["visits"]
    ]


def statuses(plan: dict[str, Any]) -> list[str]:
    return [v["status"] for v in plan["visits"]]


def record_birth(client: TestClient, family: dict[str, Any], born: date, **fields: Any) -> None:
    child = family["children"][0]
    response = patch(
        client,
        f"{API}/families/{family['id']}/children/{child['id']}",
        json={"birth_date": born.isoformat(), **fields},
    )
    assert response.status_code == 200, response.text


def family_status(client: TestClient, family_id: int) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"{API}/families/{family_id}").json()
    return result


def enrollments_of(client: TestClient, family_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/enrollments", params={"family_id": family_id})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- the plan -----------------------------------------------------------------------------------


def test_enrolling_makes_the_default_plan_of_eight_visits(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())

    assert plan["template_key"] == "tillsammans-for-en-trygg-start"
    assert plan["template_name"] == "Tillsammans för en trygg start"
    assert plan["template_version"] == 1
    assert plan["family_reference_code"] == family["reference_code"]
    enrollment = plan["enrollment"]
    assert enrollment["family_id"] == family["id"]
    assert enrollment["index_child_id"] == family["children"][0]["id"]
    assert (enrollment["nurse_id"], enrollment["social_worker_id"]) == (
        world.nurse_id,
        world.social_worker_id,
    )
    assert enrollment["enrolled_on"] == ENROLLED.isoformat()
    assert (enrollment["status"], enrollment["ended_on"]) == ("active", None)

    visits = plan["visits"]
    assert [v["sequence"] for v in visits] == list(range(1, 9))
    assert windows(plan) == WINDOWS_FOR_DUE_DATE
    assert statuses(plan) == ["planned"] * 8
    # Visit 1 counts from the due date for real; the others wait for the birth.
    assert [v["provisional"] for v in visits] == [False] + [True] * 7
    assert [v["location_kind"] for v in visits] == ["mhv_clinic"] + ["home"] * 6 + ["clinic"]
    for visit in visits:
        assert {"bhv_nurse", "social_worker"} <= set(visit["required_professions"])
    assert "midwife" in visits[0]["required_professions"]
    assert visits[1]["theme"] == "Att ta emot sitt barn"

    assert plan_of(client, enrollment["id"]) == plan
    assert client.get(f"{API}/enrollments/{enrollment['id']}").json() == enrollment


def test_enrolling_marks_the_family_enrolled(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    enrolled_plan(client, world, family["id"])  # enrolled_on defaults to today
    stored = family_status(client, family["id"])
    assert (stored["status"], stored["enrolled_on"]) == ("enrolled", TODAY.isoformat())
    listed = client.get(f"{API}/families", params={"status": "enrolled", "unit_id": world.bvc_id})
    assert [f["id"] for f in listed.json()["items"]] == [family["id"]]


def test_recording_the_birth_reanchors_the_open_windows(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    assert windows(plan) == WINDOWS_FOR_DUE_DATE

    record_birth(client, family, BORN)

    after = plan_of(client, plan["enrollment"]["id"])
    assert windows(after) == WINDOWS_FOR_BIRTH_DATE
    assert not any(v["provisional"] for v in after["visits"])
    # Born after the prenatal window closed without the visit: it no longer applies.
    assert statuses(after) == ["not_applicable"] + ["planned"] * 7
    assert after["visits"][0]["status_reason"]
    assert [v["id"] for v in after["visits"]] == [v["id"] for v in plan["visits"]]
    assert after["template_version"] == 1


def test_child_born_before_the_prenatal_visit_makes_it_not_applicable(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())

    preterm = date(2027, 2, 10)  # GW 35+3, inside the GW 34–38 window
    record_birth(client, family, preterm, gestational_week_at_birth=35)

    after = plan_of(client, plan["enrollment"]["id"])
    first, second = after["visits"][0], after["visits"][1]
    assert first["status"] == "not_applicable"
    assert first["status_reason"] == "born before the prenatal visit"
    assert (first["window_start"], first["window_end"]) == ("2027-02-01", "2027-03-07")
    # 1–2 weeks after the real birth, not after the due date.
    assert (second["window_start"], second["window_end"]) == ("2027-02-17", "2027-03-02")
    assert statuses(after)[1:] == ["planned"] * 7
    child = family_status(client, family["id"])["children"][0]
    assert child["gestational_week_at_birth"] == 35


def test_changing_the_due_date_before_birth_moves_the_windows(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    child = family["children"][0]
    later = DUE + timedelta(weeks=1)
    response = patch(
        client,
        f"{API}/families/{family['id']}/children/{child['id']}",
        json={"expected_due_date": later.isoformat()},
    )
    assert response.status_code == 200, response.text

    after = plan_of(client, plan["enrollment"]["id"])
    # Visits 1 and 2 count in weeks and days, so they move by exactly a week.
    for before_window, after_window in zip(windows(plan)[:2], windows(after)[:2], strict=True):
        assert tuple(d + timedelta(weeks=1) for d in before_window) == after_window
    assert [v["provisional"] for v in after["visits"]] == [False] + [True] * 7
    assert statuses(after) == ["planned"] * 8


def test_closed_visits_keep_their_window_when_the_birth_is_recorded(
    client: TestClient, session: Session, world: Setting
) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    held = plan["visits"][0]
    session.execute(
        update(PlannedVisit)
        .where(PlannedVisit.id == held["id"])
        .values(status=PlanStatus.completed)
    )
    session.commit()

    record_birth(client, family, BORN)

    after = plan_of(client, plan["enrollment"]["id"])
    assert after["visits"][0]["status"] == "completed"
    assert windows(after)[0] == WINDOWS_FOR_DUE_DATE[0]
    assert windows(after)[1:] == WINDOWS_FOR_BIRTH_DATE[1:]


def test_child_born_before_enrollment_gets_passed_windows_not_applicable(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(
        client,
        world,
        children=[
            {
                "expected_due_date": DUE.isoformat(),
                "birth_date": BORN.isoformat(),
                "identity_number": pnr(BORN, 238),
            }
        ],
    )
    plan = enrolled_plan(client, world, family["id"])  # today, 1 April 2027

    assert windows(plan) == WINDOWS_FOR_BIRTH_DATE
    assert statuses(plan) == ["not_applicable", "not_applicable"] + ["planned"] * 6
    assert plan["visits"][0]["status_reason"] == "prenatal window passed without a visit"
    assert plan["visits"][1]["status_reason"] == "window had passed at enrollment"
    assert not any(v["provisional"] for v in plan["visits"])


@pytest.mark.parametrize("born", [date(2022, 4, 1), date(2021, 9, 30)])
def test_child_of_five_or_older_is_refused(client: TestClient, world: Setting, born: date) -> None:
    family = consenting_family(client, world, children=[{"birth_date": born.isoformat()}])
    assert_problem(enroll(client, world, family["id"]), 422, field="index_child_id")
    assert enrollments_of(client, family["id"]) == []
    assert family_status(client, family["id"])["status"] == "offered"


def test_family_without_children_cannot_be_enrolled(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id, children=[])
    client.post(f"{API}/families/{family['id']}/consents", json={"given_on": "2027-01-01"})
    assert_problem(enroll(client, world, family["id"]), 422, field="index_child_id")


def test_index_child_must_belong_to_the_family(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    other = create_family(client, world.bvc_id)
    response = enroll(client, world, family["id"], index_child_id=other["children"][0]["id"])
    assert_problem(response, 422, field="index_child_id")


def test_youngest_child_anchors_the_plan(client: TestClient, world: Setting) -> None:
    family = consenting_family(
        client,
        world,
        children=[
            {"given_name": "Storebror", "birth_date": "2025-05-05"},
            {"given_name": "Bebis", "expected_due_date": DUE.isoformat()},
        ],
    )
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    assert plan["enrollment"]["index_child_id"] == family["children"][1]["id"]
    assert windows(plan) == WINDOWS_FOR_DUE_DATE


# --- twins and repeated enrollment --------------------------------------------------------------


def test_twins_share_one_enrollment(client: TestClient, world: Setting) -> None:
    twins = [
        {
            "given_name": "Adam",
            "birth_date": BORN.isoformat(),
            "expected_due_date": DUE.isoformat(),
            "identity_number": pnr(BORN, 238),
        },
        {
            "given_name": "Eva",
            "birth_date": BORN.isoformat(),
            "expected_due_date": DUE.isoformat(),
            "identity_number": pnr(BORN, 246),
        },
    ]
    family = consenting_family(client, world, children=twins)
    plan = enrolled_plan(client, world, family["id"], enrolled_on="2027-03-12")
    assert plan["enrollment"]["index_child_id"] == family["children"][0]["id"]
    assert len(plan["visits"]) == 8
    assert windows(plan) == WINDOWS_FOR_BIRTH_DATE

    for child in family["children"]:
        again = enroll(client, world, family["id"], index_child_id=child["id"])
        assert_problem(again, 409)
    assert len(enrollments_of(client, family["id"])) == 1


def test_an_enrolled_family_cannot_be_enrolled_again(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    assert_problem(enroll(client, world, family["id"]), 409)
    assert len(enrollments_of(client, family["id"])) == 1


def test_declined_family_cannot_be_enrolled(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    client.post(f"{API}/families/{family['id']}/status", json={"status": "declined"})
    assert_problem(enroll(client, world, family["id"]), 409)
    assert enrollments_of(client, family["id"]) == []


def test_unknown_family_cannot_be_enrolled(client: TestClient, world: Setting) -> None:
    assert_problem(enroll(client, world, 99999), 422, field="family_id")


# --- consent ------------------------------------------------------------------------------------


def test_enrollment_without_consent_is_refused(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    problem = assert_problem(enroll(client, world, family["id"]), 409)
    assert problem["type"].endswith("/consent-required")
    assert enrollments_of(client, family["id"]) == []
    assert family_status(client, family["id"])["status"] == "offered"


def test_enrollment_after_consent_was_withdrawn_is_refused(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world)
    consent_id = family["consents"][0]["id"]
    withdrawn = client.post(
        f"{API}/families/{family['id']}/consents/{consent_id}/withdrawal",
        json={"withdrawn_on": "2027-02-01"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    problem = assert_problem(enroll(client, world, family["id"]), 409)
    assert problem["type"].endswith("/consent-required")
    assert enrollments_of(client, family["id"]) == []


def test_consent_must_be_in_force_on_the_enrollment_date(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world, consent_on="2027-02-01")
    early = enroll(client, world, family["id"], enrolled_on="2027-01-31")
    assert_problem(early, 409)
    assert enroll(client, world, family["id"], enrolled_on="2027-02-01").status_code == 201


def test_a_new_consent_after_a_withdrawal_allows_enrollment(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world)
    consent_id = family["consents"][0]["id"]
    client.post(
        f"{API}/families/{family['id']}/consents/{consent_id}/withdrawal",
        json={"withdrawn_on": "2027-01-15"},
    )
    client.post(f"{API}/families/{family['id']}/consents", json={"given_on": "2027-03-01"})
    assert enroll(client, world, family["id"]).status_code == 201


# --- the team -----------------------------------------------------------------------------------


def staff(client: TestClient, unit_id: int, profession: str, **fields: Any) -> int:
    response = client.post(
        f"{API}/staff",
        json={
            "unit_id": unit_id,
            "given_name": "Test",
            "family_name": "Person",
            "profession": profession,
            **fields,
        },
    )
    assert response.status_code == 201, response.text
    staff_id: int = response.json()["id"]
    return staff_id


def unit(client: TestClient, organization_id: int, kind: str) -> int:
    response = client.post(
        f"{API}/units", json={"organization_id": organization_id, "name": kind, "kind": kind}
    )
    assert response.status_code == 201, response.text
    unit_id: int = response.json()["id"]
    return unit_id


TEAM_PROBLEMS = [
    "nurse is a social worker",
    "nurse is a midwife",
    "nurse does not exist",
    "nurse is inactive",
    "nurse works at another BVC",
    "social worker is a nurse",
    "social worker does not exist",
    "social worker is inactive",
    "social worker's unit does not collaborate",
]


def broken_team(client: TestClient, world: Setting, problem: str) -> tuple[dict[str, int], str]:
    """A team with one thing wrong, and the field the refusal must name."""
    team = {"nurse_id": world.nurse_id, "social_worker_id": world.social_worker_id}
    if problem == "nurse is a social worker":
        team["nurse_id"] = world.social_worker_id
    elif problem == "nurse is a midwife":
        team["nurse_id"] = staff(client, world.bvc_id, "midwife")
    elif problem == "nurse does not exist":
        team["nurse_id"] = 123456
    elif problem == "nurse is inactive":
        team["nurse_id"] = staff(client, world.bvc_id, "bhv_nurse", active=False)
    elif problem == "nurse works at another BVC":
        team["nurse_id"] = staff(client, unit(client, world.region_id, "bvc"), "bhv_nurse")
    elif problem == "social worker is a nurse":
        team["social_worker_id"] = world.nurse_id
    elif problem == "social worker does not exist":
        team["social_worker_id"] = 654321
    elif problem == "social worker is inactive":
        team["social_worker_id"] = staff(
            client, world.social_unit_id, "social_worker", active=False
        )
    elif problem == "social worker's unit does not collaborate":
        other = unit(client, world.municipality_id, "social_services")
        team["social_worker_id"] = staff(client, other, "social_worker")
    field = "nurse_id" if problem.startswith("nurse") else "social_worker_id"
    return team, field


@pytest.mark.parametrize("problem", TEAM_PROBLEMS)
def test_team_must_be_a_bvc_nurse_and_a_collaborating_social_worker(
    client: TestClient, world: Setting, problem: str
) -> None:
    family = consenting_family(client, world)
    team, field = broken_team(client, world, problem)
    response = enroll(client, world, family["id"], **team)
    assert_problem(response, 422, field=field)
    assert enrollments_of(client, family["id"]) == []
    assert family_status(client, family["id"])["status"] == "offered"


def test_ended_collaboration_no_longer_gives_a_team(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    collaboration = client.get(f"{API}/collaborations").json()["items"][0]
    url = f"{API}/collaborations/{collaboration['id']}"
    # A planned end (today is 1 April 2027) leaves it in force until that day...
    assert patch(client, url, json={"ended_on": "2027-04-02"}).status_code == 200
    assert enroll(client, world, family["id"]).status_code == 201
    # ...and ended_on is the first day without it.
    other = consenting_family(client, world)
    assert patch(client, url, json={"ended_on": "2027-04-01"}).status_code == 200
    assert_problem(enroll(client, world, other["id"]), 422, field="social_worker_id")


@pytest.mark.parametrize("problem", TEAM_PROBLEMS)
def test_team_change_is_checked_like_enrollment(
    client: TestClient, world: Setting, problem: str
) -> None:
    family = consenting_family(client, world)
    enrollment = enrolled_plan(client, world, family["id"])["enrollment"]
    team, field = broken_team(client, world, problem)
    response = patch(client, f"{API}/enrollments/{enrollment['id']}", json=team)
    assert_problem(response, 422, field=field)
    stored = client.get(f"{API}/enrollments/{enrollment['id']}").json()
    assert (stored["nurse_id"], stored["social_worker_id"]) == (
        world.nurse_id,
        world.social_worker_id,
    )


def test_team_member_is_replaced(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    enrollment = enrolled_plan(client, world, family["id"])["enrollment"]
    substitute = staff(client, world.social_unit_id, "social_worker")
    response = patch(
        client, f"{API}/enrollments/{enrollment['id']}", json={"social_worker_id": substitute}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**enrollment, "social_worker_id": substitute}

    def ids(staff_id: int) -> list[int]:
        page = client.get(f"{API}/enrollments", params={"staff_id": staff_id}).json()
        return [e["id"] for e in page["items"]]

    assert ids(substitute) == [enrollment["id"]]
    assert ids(world.social_worker_id) == []
    assert ids(world.nurse_id) == [enrollment["id"]]


# --- leaving the program ------------------------------------------------------------------------


def test_discontinuing_cancels_the_open_visits(client: TestClient, world: Setting) -> None:
    family = consenting_family(
        client,
        world,
        children=[{"expected_due_date": DUE.isoformat(), "birth_date": BORN.isoformat()}],
    )
    plan = enrolled_plan(client, world, family["id"], enrolled_on="2027-03-12")
    assert statuses(plan) == ["not_applicable"] + ["planned"] * 7

    left = client.post(
        f"{API}/families/{family['id']}/status",
        json={"status": "discontinued", "on": "2027-04-01", "reason": "Flyttat från orten"},
    )
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "discontinued"
    assert left.json()["discontinued_on"] == "2027-04-01"
    assert left.json()["status_reason"] == "Flyttat från orten"

    after = plan_of(client, plan["enrollment"]["id"])
    assert statuses(after) == ["not_applicable"] + ["cancelled"] * 7
    assert all(v["status_reason"] for v in after["visits"][1:])
    assert windows(after) == windows(plan)
    assert (after["enrollment"]["status"], after["enrollment"]["ended_on"]) == (
        "discontinued",
        "2027-04-01",
    )
    listed = client.get(f"{API}/enrollments", params={"status": "discontinued"}).json()
    assert [e["id"] for e in listed["items"]] == [plan["enrollment"]["id"]]


def test_completing_the_program_closes_the_enrollment(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    done = client.post(
        f"{API}/families/{family['id']}/status",
        json={"status": "completed", "on": "2027-04-01"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["completed_on"] == "2027-04-01"
    after = plan_of(client, plan["enrollment"]["id"])
    assert after["enrollment"]["status"] == "completed"
    assert set(statuses(after)) == {"cancelled"}

    for status in ("offered", "declined", "discontinued", "completed"):
        response = client.post(f"{API}/families/{family['id']}/status", json={"status": status})
        assert_problem(response, 422, field="status")
    assert_problem(enroll(client, world, family["id"]), 409)


def test_birth_recorded_after_discontinuation_leaves_the_closed_plan_alone(
    client: TestClient, world: Setting
) -> None:
    family = consenting_family(client, world)
    plan = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    client.post(
        f"{API}/families/{family['id']}/status", json={"status": "discontinued", "on": "2027-02-01"}
    )
    record_birth(client, family, BORN)
    after = plan_of(client, plan["enrollment"]["id"])
    assert windows(after) == WINDOWS_FOR_DUE_DATE
    assert set(statuses(after)) == {"cancelled"}


def test_discontinued_family_can_be_enrolled_again(client: TestClient, world: Setting) -> None:
    family = consenting_family(client, world)
    first = enrolled_plan(client, world, family["id"], enrolled_on=ENROLLED.isoformat())
    client.post(
        f"{API}/families/{family['id']}/status", json={"status": "discontinued", "on": "2027-02-01"}
    )
    second = enrolled_plan(client, world, family["id"], enrolled_on="2027-02-20")
    assert second["enrollment"]["id"] != first["enrollment"]["id"]
    assert statuses(second) == ["planned"] * 8
    assert [(e["status"]) for e in enrollments_of(client, family["id"])] == [
        "discontinued",
        "active",
    ]
    assert statuses(plan_of(client, first["enrollment"]["id"])) == ["cancelled"] * 8
    assert family_status(client, family["id"])["status"] == "enrolled"


def test_unknown_enrollment_is_a_404_problem(client: TestClient, world: Setting) -> None:
    assert_problem(client.get(f"{API}/enrollments/4711"), 404)
    assert_problem(client.get(f"{API}/enrollments/4711/plan"), 404)
    assert_problem(patch(client, f"{API}/enrollments/4711", json={"nurse_id": 1}), 404)
