"""Program templates and their versions through the HTTP API."""

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.support import API, assert_problem, create_family, patch
from tests.factories import Setting

TILLSAMMANS = "tillsammans-for-en-trygg-start"
SHIPPED = {
    TILLSAMMANS: 8,
    "region-orebro-lan": 6,
    "vaxa-tryggt": 6,
    "torvallamodellen": 4,
    "rinkebymodellen": 6,
}


def offset(amount: int, unit: str) -> dict[str, Any]:
    return {"amount": amount, "unit": unit}


def visit(sequence: int, **fields: Any) -> dict[str, Any]:
    body = {
        "sequence": sequence,
        "name": f"Hembesök {sequence}",
        "location_kind": "home",
        "anchor": "birth_date",
        "window_start": offset(2, "weeks"),
        "window_end": offset(4, "weeks"),
        "ideal": offset(3, "weeks"),
        "required_professions": ["bhv_nurse", "social_worker"],
    }
    body.update(fields)
    return body


def template_body(key: str = "var-egen-modell", **fields: Any) -> dict[str, Any]:
    body = {
        "key": key,
        "name": "Vår egen modell",
        "description": "Tre besök\nmed tolk vid behov",
        "visits": [
            visit(
                1,
                name="Före födseln",
                anchor="expected_due_date",
                location_kind="mhv_clinic",
                window_start=offset(-6, "weeks"),
                window_end=offset(-1, "weeks"),
                ideal=offset(-4, "weeks"),
                required_professions=["bhv_nurse", "social_worker", "midwife"],
            ),
            visit(2, is_ordinary=True, default_duration_minutes=75),
            visit(
                3,
                window_start=offset(7, "months"),
                window_end=offset(9, "months"),
                ideal=offset(8, "months"),
                window_note="Kring 8 månader",
            ),
        ],
    }
    body.update(fields)
    return body


def templates(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/program-templates", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def current(client: TestClient, key: str) -> dict[str, Any]:
    (template,) = [t for t in templates(client) if t["key"] == key]
    return template


def as_revision(template: dict[str, Any]) -> dict[str, Any]:
    """The input form of a template as read back, ready to be edited and sent as a version."""
    revision = {k: template[k] for k in ("name", "description", "source", "is_default")}
    revision["visits"] = [
        {k: v for k, v in copy.deepcopy(visit).items() if k != "id"} for visit in template["visits"]
    ]
    return revision


def count_all_versions(client: TestClient) -> int:
    return len(templates(client, all_versions=True, limit=200))


def enroll(client: TestClient, world: Setting, **fields: Any) -> dict[str, Any]:
    """Enrol a new consenting family (child due DUE) on 4 January 2027; return the plan."""
    family = create_family(client, world.bvc_id)
    client.post(f"{API}/families/{family['id']}/consents", json={"given_on": "2026-12-01"})
    response = client.post(
        f"{API}/enrollments",
        json={
            "family_id": family["id"],
            "nurse_id": world.nurse_id,
            "social_worker_id": world.social_worker_id,
            "enrolled_on": "2027-01-04",
            **fields,
        },
    )
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def window_dates(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(v["window_start"], v["window_end"], v["ideal_date"]) for v in plan["visits"]]


# --- the shipped templates ----------------------------------------------------------------------


def test_five_templates_ship_with_tillsammans_as_default(client: TestClient) -> None:
    shipped = templates(client)
    assert {t["key"]: len(t["visits"]) for t in shipped} == SHIPPED
    assert [t["key"] for t in shipped if t["is_default"]] == [TILLSAMMANS]
    for template in shipped:
        assert (template["version"], template["is_current"]) == (1, True)
        assert template["name"] and template["source"]
        sequences = [v["sequence"] for v in template["visits"]]
        assert sequences == sorted(sequences)
        for v in template["visits"]:
            assert v["required_professions"]
            assert v["window_note"], (template["key"], v["sequence"])
            assert v["default_duration_minutes"] > 0

    tillsammans = current(client, TILLSAMMANS)
    assert tillsammans["name"] == "Tillsammans för en trygg start"
    first = tillsammans["visits"][0]
    assert first["anchor"] == "expected_due_date"
    assert (first["window_start"], first["window_end"], first["ideal"]) == (
        offset(-6, "weeks"),
        offset(-1, "weeks"),
        offset(-4, "weeks"),
    )
    assert client.get(f"{API}/program-templates/{tillsammans['id']}").json() == tillsammans


def test_templates_are_listed_by_key(client: TestClient) -> None:
    assert [t["key"] for t in templates(client, key="rinkebymodellen")] == ["rinkebymodellen"]
    assert templates(client, key="finns-inte") == []


# --- creating -----------------------------------------------------------------------------------


def test_a_new_template_is_created_as_version_one(client: TestClient) -> None:
    body = template_body()
    body["visits"].reverse()  # sent in any order, kept in sequence order
    response = client.post(f"{API}/program-templates", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["key"], created["version"]) == ("var-egen-modell", 1)
    assert (created["is_current"], created["is_default"]) == (True, False)
    assert created["description"] == "Tre besök\nmed tolk vid behov"
    assert [v["sequence"] for v in created["visits"]] == [1, 2, 3]
    second = created["visits"][1]
    assert (second["is_ordinary"], second["default_duration_minutes"]) == (True, 75)
    assert created["visits"][0]["required_professions"] == ["bhv_nurse", "social_worker", "midwife"]
    assert created["visits"][2]["window_note"] == "Kring 8 månader"

    assert client.get(f"{API}/program-templates/{created['id']}").json() == created
    assert len(templates(client)) == 6
    assert current(client, TILLSAMMANS)["is_default"] is True


def test_a_template_key_is_used_once(client: TestClient) -> None:
    response = client.post(f"{API}/program-templates", json=template_body(TILLSAMMANS))
    assert_problem(response, 409)
    assert count_all_versions(client) == 5


def test_enrolling_on_a_new_template_plans_its_windows(client: TestClient, world: Setting) -> None:
    created = client.post(f"{API}/program-templates", json=template_body()).json()
    plan = enroll(client, world, template_id=created["id"])
    assert (plan["template_key"], plan["template_version"]) == ("var-egen-modell", 1)
    # Window ends are exclusive offsets: "2 to 4 weeks" ends on the day before 4 weeks.
    assert window_dates(plan) == [
        ("2027-02-01", "2027-03-07", "2027-02-15"),
        ("2027-03-29", "2027-04-11", "2027-04-05"),
        ("2027-10-15", "2027-12-14", "2027-11-15"),
    ]


def test_a_new_default_template_replaces_the_old_default(
    client: TestClient, world: Setting
) -> None:
    created = client.post(f"{API}/program-templates", json=template_body(is_default=True)).json()
    assert [t["key"] for t in templates(client) if t["is_default"]] == ["var-egen-modell"]
    plan = enroll(client, world)
    assert plan["enrollment"]["template_id"] == created["id"]


INVALID = {
    "window end before start": (
        [visit(1, window_start=offset(4, "weeks"), window_end=offset(2, "weeks"))],
        "visits.0.window_end",
    ),
    "empty window": (
        [
            visit(
                1,
                window_start=offset(1, "months"),
                window_end=offset(4, "weeks"),
                ideal=offset(1, "months"),
            )
        ],
        "visits.0.window_end",
    ),
    "visit past the age of five": (
        [
            visit(1),
            visit(
                2,
                window_start=offset(58, "months"),
                window_end=offset(61, "months"),
                ideal=offset(59, "months"),
            ),
        ],
        "visits.1.window_end",
    ),
    "ideal outside the window": (
        [visit(1, ideal=offset(5, "weeks"))],
        "visits.0.ideal",
    ),
    "birth-anchored visit before birth": (
        [visit(1, window_start=offset(-1, "weeks"))],
        "visits.0.window_start",
    ),
    "due-date visit after the due date": (
        [
            visit(
                1,
                anchor="expected_due_date",
                window_start=offset(-2, "weeks"),
                window_end=offset(2, "weeks"),
                ideal=offset(0, "weeks"),
            )
        ],
        "visits.0.window_end",
    ),
    "sequence used twice": ([visit(1), visit(1)], "visits"),
    "no visits": ([], "visits"),
    "unknown profession": (
        [visit(1, required_professions=["bhv_nurse", "astronaut"])],
        "visits.0.required_professions.1",
    ),
    "no profession": ([visit(1, required_professions=[])], "visits.0.required_professions"),
    "unknown offset unit": (
        [visit(1, window_start=offset(2, "fortnights"))],
        "visits.0.window_start.unit",
    ),
    "offset beyond range": (
        [visit(1, window_end=offset(300, "weeks"))],
        "visits.0.window_end.amount",
    ),
    "unknown location": ([visit(1, location_kind="park")], "visits.0.location_kind"),
    "too short a visit": (
        [visit(1, default_duration_minutes=5)],
        "visits.0.default_duration_minutes",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_template_is_refused_naming_the_visit_field(client: TestClient, case: str) -> None:
    visits, field = INVALID[case]
    response = client.post(f"{API}/program-templates", json=template_body(visits=visits))
    assert_problem(response, 422, field=field)
    assert count_all_versions(client) == 5


@pytest.mark.parametrize("key", ["Stor-Bokstav", "x", "-borjar-med-streck", "med mellanslag"])
def test_template_key_must_be_a_slug(client: TestClient, key: str) -> None:
    response = client.post(f"{API}/program-templates", json=template_body(key))
    assert_problem(response, 422, field="key")


# --- versions -----------------------------------------------------------------------------------


def test_revising_a_template_in_use_leaves_the_enrollment_on_its_version(
    client: TestClient, world: Setting
) -> None:
    v1 = current(client, TILLSAMMANS)
    before = enroll(client, world)
    assert before["template_version"] == 1

    revision = as_revision(v1)
    revision["visits"][3]["window_start"] = offset(14, "weeks")  # 4 months: a week more lead
    response = client.post(f"{API}/program-templates/{v1['id']}/versions", json=revision)
    assert response.status_code == 201, response.text
    v2 = response.json()
    assert (v2["key"], v2["version"], v2["is_current"]) == (TILLSAMMANS, 2, True)
    assert v2["id"] != v1["id"]
    assert v2["visits"][3]["window_start"] == offset(14, "weeks")

    old = client.get(f"{API}/program-templates/{v1['id']}").json()
    assert old["is_current"] is False
    assert old["visits"] == v1["visits"]
    assert current(client, TILLSAMMANS)["id"] == v2["id"]
    assert len(templates(client)) == 5
    versions = templates(client, all_versions=True, key=TILLSAMMANS)
    assert [t["version"] for t in versions] == [1, 2]

    # The family enrolled on version 1 keeps its plan exactly.
    after = client.get(f"{API}/enrollments/{before['enrollment']['id']}/plan").json()
    assert (after["template_version"], after["enrollment"]["template_id"]) == (1, v1["id"])
    assert window_dates(after) == window_dates(before)
    assert [v["id"] for v in after["visits"]] == [v["id"] for v in before["visits"]]

    # A family enrolled now gets version 2: visit 4 opens 14 weeks after the due date.
    newer = enroll(client, world)
    assert newer["template_version"] == 2
    assert newer["visits"][3]["window_start"] == "2027-06-21"
    assert before["visits"][3]["window_start"] == "2027-06-28"


def test_birth_reanchors_by_the_rules_of_the_enrolled_version(
    client: TestClient, world: Setting
) -> None:
    v1 = current(client, TILLSAMMANS)
    plan = enroll(client, world)
    revision = as_revision(v1)
    revision["visits"][3]["window_start"] = offset(14, "weeks")
    client.post(f"{API}/program-templates/{v1['id']}/versions", json=revision)

    family_id = plan["enrollment"]["family_id"]
    child_id = plan["enrollment"]["index_child_id"]
    patch(
        client, f"{API}/families/{family_id}/children/{child_id}", json={"birth_date": "2027-03-10"}
    )
    after = client.get(f"{API}/enrollments/{plan['enrollment']['id']}/plan").json()
    # Version 1 says 15 weeks: 10 March + 105 days.
    assert after["visits"][3]["window_start"] == "2027-06-23"


def test_only_the_current_version_can_be_revised(client: TestClient) -> None:
    v1 = current(client, TILLSAMMANS)
    first = client.post(f"{API}/program-templates/{v1['id']}/versions", json=as_revision(v1))
    assert first.status_code == 201, first.text
    again = client.post(f"{API}/program-templates/{v1['id']}/versions", json=as_revision(v1))
    assert_problem(again, 409)
    assert [t["version"] for t in templates(client, all_versions=True, key=TILLSAMMANS)] == [1, 2]


def test_enrolling_on_an_old_version_is_refused(client: TestClient, world: Setting) -> None:
    v1 = current(client, TILLSAMMANS)
    client.post(f"{API}/program-templates/{v1['id']}/versions", json=as_revision(v1))
    family = create_family(client, world.bvc_id)
    client.post(f"{API}/families/{family['id']}/consents", json={"given_on": "2026-12-01"})
    response = client.post(
        f"{API}/enrollments",
        json={
            "family_id": family["id"],
            "nurse_id": world.nurse_id,
            "social_worker_id": world.social_worker_id,
            "template_id": v1["id"],
        },
    )
    assert_problem(response, 422, field="template_id")


def test_revising_the_default_keeps_it_the_default(client: TestClient, world: Setting) -> None:
    v1 = current(client, TILLSAMMANS)
    revision = as_revision(v1)
    del revision["is_default"]  # an edit of the schedule only
    v2 = client.post(f"{API}/program-templates/{v1['id']}/versions", json=revision).json()
    assert v2["is_default"] is True
    plan = enroll(client, world)
    assert (plan["template_key"], plan["template_version"]) == (TILLSAMMANS, 2)


def test_a_revision_may_make_another_template_the_default(client: TestClient) -> None:
    rinkeby = current(client, "rinkebymodellen")
    revision = {**as_revision(rinkeby), "is_default": True}
    response = client.post(f"{API}/program-templates/{rinkeby['id']}/versions", json=revision)
    assert response.status_code == 201, response.text
    assert [t["key"] for t in templates(client) if t["is_default"]] == ["rinkebymodellen"]


def test_invalid_revision_creates_no_version(client: TestClient) -> None:
    v1 = current(client, TILLSAMMANS)
    revision = as_revision(v1)
    revision["visits"][7]["window_end"] = offset(61, "months")
    response = client.post(f"{API}/program-templates/{v1['id']}/versions", json=revision)
    assert_problem(response, 422, field="visits.7.window_end")
    assert current(client, TILLSAMMANS)["id"] == v1["id"]
    assert count_all_versions(client) == 5


def test_revision_cannot_change_the_key(client: TestClient) -> None:
    v1 = current(client, TILLSAMMANS)
    response = client.post(
        f"{API}/program-templates/{v1['id']}/versions", json={**as_revision(v1), "key": "annan"}
    )
    assert_problem(response, 422, field="key")


def test_unknown_template_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get(f"{API}/program-templates/9999"), 404)
    v1 = current(client, TILLSAMMANS)
    response = client.post(f"{API}/program-templates/9999/versions", json=as_revision(v1))
    assert_problem(response, 404)
