"""Families, guardians, children, consents and identity numbers through the HTTP API."""

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.families import service as families_service
from app.families.identity import luhn_check_digit
from tests.api.support import (
    API,
    DUE,
    TODAY,
    assert_no_database_text,
    assert_problem,
    create_family,
    digits,
    error_fields,
    family_body,
    family_count,
    patch,
    pnr,
)
from tests.factories import Setting

CHILD_BORN = date(2027, 2, 20)


def number(birth: date, serial: int, *, day_offset: int = 0, century: bool = True) -> str:
    """An identity number with a correct check digit, e.g. a samordningsnummer (day + 60)."""
    day = birth.day + day_offset
    nine = f"{birth:%y%m}{day:02d}{serial:03d}"
    check = luhn_check_digit(nine)
    return f"{birth:%Y%m}{day:02d}-{serial:03d}{check}" if century else f"{nine}{check}"


def impossible_date_number(yyyymmdd: str, serial: int = 238) -> str:
    """A number whose check digit is right but whose date does not exist (e.g. 30 February)."""
    nine = f"{yyyymmdd[2:]}{serial:03d}"
    return f"{yyyymmdd}-{serial:03d}{luhn_check_digit(nine)}"


def wrong_check_digit(valid: str) -> str:
    return valid[:-1] + str((int(valid[-1]) + 1) % 10)


def child_url(family: dict[str, Any], child_id: int | None = None) -> str:
    child_id = child_id if child_id is not None else family["children"][0]["id"]
    return f"{API}/families/{family['id']}/children/{child_id}"


# --- families -----------------------------------------------------------------------------------


def test_family_is_created_with_address_languages_target_groups_and_members(
    client: TestClient, world: Setting
) -> None:
    guardian_number = pnr(date(1994, 8, 3), 412)
    body = family_body(
        world.bvc_id,
        street_address="Vivallagatan 12 lgh 1101",
        postal_code="703 73",
        city="Örebro",
        protected_identity=True,
        spoken_language="so",
        interpreter_language="Somaliska",
        first_child=True,
        first_child_in_sweden=True,
        known_risk_factors=False,
        foreign_born_guardian=True,
        language_development_need=True,
        preschool_age_not_enrolled=False,
        guardians=[
            {
                "given_name": "Hodan",
                "family_name": "Ali",
                "identity_number": guardian_number,
                "phone": "+46 70 123 45 67",
                "email": "hodan@example.se",
            },
            {"given_name": "Abdi", "family_name": "Ali"},
        ],
        children=[{"given_name": "Bebis", "expected_due_date": DUE.isoformat()}],
    )
    response = client.post(f"{API}/families", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    expected_fields = {k: v for k, v in body.items() if k not in {"guardians", "children"}}
    assert {k: created[k] for k in expected_fields} == expected_fields
    assert created["status"] == "offered"
    assert created["offered_on"] == TODAY.isoformat()
    assert [g["given_name"] for g in created["guardians"]] == ["Hodan", "Abdi"]
    assert created["guardians"][0]["identity_number"] == digits(guardian_number)
    assert created["guardians"][0]["identity_kind"] == "personnummer"
    assert created["guardians"][0]["phone"] == "+46 70 123 45 67"
    assert created["guardians"][1]["identity_number"] is None
    child = created["children"][0]
    assert child["expected_due_date"] == DUE.isoformat()
    assert child["birth_date"] is None
    assert child["identity_number"] is None
    assert created["consents"] == []

    assert client.get(f"{API}/families/{created['id']}").json() == created


def test_reference_codes_are_sequential_per_year(client: TestClient, world: Setting) -> None:
    codes = [create_family(client, world.bvc_id)["reference_code"] for _ in range(3)]
    assert codes == ["F-2027-0001", "F-2027-0002", "F-2027-0003"]
    earlier = create_family(client, world.bvc_id, offered_on="2026-12-30")
    assert earlier["reference_code"] == "F-2026-0001"
    assert create_family(client, world.bvc_id)["reference_code"] == "F-2027-0004"


def test_reference_code_is_never_derived_from_a_name(client: TestClient, world: Setting) -> None:
    same_names = {"guardians": [{"given_name": "Fatima", "family_name": "Yusuf"}]}
    first = create_family(client, world.bvc_id, **same_names)
    second = create_family(client, world.bvc_id, **same_names)
    for family in (first, second):
        assert re.fullmatch(r"F-\d{4}-\d{4}", family["reference_code"])
    assert first["reference_code"] != second["reference_code"]
    guardian_id = first["guardians"][0]["id"]
    renamed = patch(
        client,
        f"{API}/families/{first['id']}/guardians/{guardian_id}",
        json={"family_name": "Andersson"},
    )
    assert renamed.status_code == 200, renamed.text
    stored = client.get(f"{API}/families/{first['id']}").json()
    assert stored["reference_code"] == first["reference_code"]


def test_refused_family_does_not_use_up_a_reference_number(
    client: TestClient, world: Setting
) -> None:
    bad = family_body(world.bvc_id, postal_code="7037")
    assert_problem(client.post(f"{API}/families", json=bad), 422, field="postal_code")
    assert create_family(client, world.bvc_id)["reference_code"] == "F-2027-0001"


@pytest.mark.parametrize(
    "postal_code", ["7037", "703 7", "ABC DE", "\u0667\u0660\u0663\u0667\u0663"]
)
def test_postal_code_must_be_five_ascii_digits(
    client: TestClient, world: Setting, postal_code: str
) -> None:
    body = family_body(world.bvc_id, postal_code=postal_code)
    assert_problem(client.post(f"{API}/families", json=body), 422, field="postal_code")
    assert family_count(client) == 0


def test_reference_numbers_continue_past_four_digits(
    client: TestClient, session: Session, world: Setting
) -> None:
    family = create_family(client, world.bvc_id)
    stored = families_service.get_family(session, family["id"])
    stored.reference_code = "F-2027-9999"
    session.commit()
    # "F-2027-10000" sorts before "F-2027-9999" as text: numbering must not restart or repeat.
    assert create_family(client, world.bvc_id)["reference_code"] == "F-2027-10000"
    assert create_family(client, world.bvc_id)["reference_code"] == "F-2027-10001"


def test_family_must_belong_to_a_bvc(client: TestClient, world: Setting) -> None:
    response = client.post(f"{API}/families", json=family_body(world.social_unit_id))
    assert_problem(response, 422, field="unit_id")
    response = client.post(f"{API}/families", json=family_body(424242))
    assert_problem(response, 422, field="unit_id")
    assert family_count(client) == 0


def test_family_is_updated_partially(client: TestClient, world: Setting) -> None:
    created = create_family(client, world.bvc_id, city="Örebro", spoken_language="ar")
    changes = {
        "street_address": "Ringgatan 3",
        "postal_code": "70361",
        "protected_identity": True,
        "interpreter_language": "Arabiska",
        "known_risk_factors": True,
    }
    response = patch(client, f"{API}/families/{created['id']}", json=changes)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert {k: updated[k] for k in changes} == changes
    assert updated["city"] == "Örebro"
    assert updated["spoken_language"] == "ar"
    assert updated["reference_code"] == created["reference_code"]


def test_family_may_move_only_to_another_bvc(client: TestClient, world: Setting) -> None:
    created = create_family(client, world.bvc_id)
    other_bvc = client.post(
        f"{API}/units",
        json={"organization_id": world.region_id, "name": "BVC Lundby", "kind": "bvc"},
    ).json()
    moved = patch(client, f"{API}/families/{created['id']}", json={"unit_id": other_bvc["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["unit_id"] == other_bvc["id"]
    refused = patch(
        client, f"{API}/families/{created['id']}", json={"unit_id": world.social_unit_id}
    )
    assert_problem(refused, 422, field="unit_id")
    assert client.get(f"{API}/families/{created['id']}").json()["unit_id"] == other_bvc["id"]


def test_status_cannot_be_patched_directly(client: TestClient, world: Setting) -> None:
    created = create_family(client, world.bvc_id)
    response = patch(client, f"{API}/families/{created['id']}", json={"status": "enrolled"})
    assert_problem(response, 422, field="status")
    assert client.get(f"{API}/families/{created['id']}").json()["status"] == "offered"


def test_declining_records_date_and_reason_and_the_offer_can_be_renewed(
    client: TestClient, world: Setting
) -> None:
    created = create_family(client, world.bvc_id, offered_on="2027-02-01")
    declined = client.post(
        f"{API}/families/{created['id']}/status",
        json={"status": "declined", "on": "2027-02-15", "reason": "Vill avvakta"},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["declined_on"] == "2027-02-15"
    assert declined.json()["status_reason"] == "Vill avvakta"
    assert declined.json()["offered_on"] == "2027-02-01"

    renewed = client.post(f"{API}/families/{created['id']}/status", json={"status": "offered"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["status"] == "offered"
    assert renewed.json()["offered_on"] == TODAY.isoformat()  # "on" defaults to today


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], "offered"),
        ([], "enrolled"),
        ([], "completed"),
        ([], "discontinued"),
        (["declined"], "declined"),
        (["declined"], "enrolled"),
        (["declined"], "completed"),
        (["declined"], "discontinued"),
    ],
)
def test_disallowed_status_changes_are_refused_naming_status(
    client: TestClient, world: Setting, steps: list[str], refused: str
) -> None:
    created = create_family(client, world.bvc_id)
    for step in steps:
        response = client.post(f"{API}/families/{created['id']}/status", json={"status": step})
        assert response.status_code == 200, response.text
    response = client.post(f"{API}/families/{created['id']}/status", json={"status": refused})
    assert_problem(response, 422, field="status")
    after = client.get(f"{API}/families/{created['id']}").json()
    assert after["status"] == (steps[-1] if steps else "offered")
    assert after["enrolled_on"] is after["completed_on"] is after["discontinued_on"] is None


def test_unknown_status_is_refused(client: TestClient, world: Setting) -> None:
    created = create_family(client, world.bvc_id)
    response = client.post(f"{API}/families/{created['id']}/status", json={"status": "paused"})
    assert_problem(response, 422, field="status")


def test_families_are_listed_by_status_and_unit(client: TestClient, world: Setting) -> None:
    other_bvc = client.post(
        f"{API}/units",
        json={"organization_id": world.region_id, "name": "BVC Varberga", "kind": "bvc"},
    ).json()
    a = create_family(client, world.bvc_id)
    b = create_family(client, world.bvc_id)
    c = create_family(client, other_bvc["id"])
    client.post(f"{API}/families/{b['id']}/status", json={"status": "declined"})

    def ids(**params: Any) -> list[int]:
        response = client.get(f"{API}/families", params=params)
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["items"]]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(unit_id=world.bvc_id) == [a["id"], b["id"]]
    assert ids(status="offered") == [a["id"], c["id"]]
    assert ids(status="declined", unit_id=world.bvc_id) == [b["id"]]
    assert ids(status="declined", unit_id=other_bvc["id"]) == []
    assert_problem(
        client.get(f"{API}/families", params={"status": "sleeping"}), 422, field="status"
    )


def test_family_list_leaves_out_addresses_and_identity_numbers(
    client: TestClient, world: Setting
) -> None:
    create_family(
        client,
        world.bvc_id,
        street_address="Hemlig väg 1",
        protected_identity=True,
        children=[{"birth_date": CHILD_BORN.isoformat(), "identity_number": pnr(CHILD_BORN)}],
    )
    listed = client.get(f"{API}/families").json()["items"][0]
    assert listed["protected_identity"] is True
    assert "Hemlig" not in str(listed)
    assert digits(pnr(CHILD_BORN)) not in str(listed)


# --- guardians ----------------------------------------------------------------------------------


def test_guardian_is_added_and_updated(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    personal = pnr(date(1994, 8, 3), 412)
    added = client.post(
        f"{API}/families/{family['id']}/guardians",
        json={"given_name": "Omar", "family_name": "Ali", "identity_number": personal[2:]},
    )
    assert added.status_code == 201, added.text
    guardian = added.json()
    assert guardian["identity_number"] == digits(personal)

    url = f"{API}/families/{family['id']}/guardians/{guardian['id']}"
    patched = patch(client, url, json={"phone": "070-123 45 67", "email": "omar@example.se"})
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**guardian, "phone": "070-123 45 67", "email": "omar@example.se"}
    stored = client.get(f"{API}/families/{family['id']}").json()["guardians"]
    assert [g["given_name"] for g in stored] == ["Amina", "Omar"]


def test_a_family_has_at_most_four_guardians(client: TestClient, world: Setting) -> None:
    guardians = [{"given_name": f"V{n}", "family_name": "Ek"} for n in range(4)]
    family = create_family(client, world.bvc_id, guardians=guardians)
    fifth = client.post(
        f"{API}/families/{family['id']}/guardians", json={"given_name": "V5", "family_name": "Ek"}
    )
    assert_problem(fifth, 422, field="guardians")
    too_many = family_body(world.bvc_id, guardians=[*guardians, guardians[0]])
    assert_problem(client.post(f"{API}/families", json=too_many), 422, field="guardians")


def test_guardian_of_another_family_is_not_found(client: TestClient, world: Setting) -> None:
    first = create_family(client, world.bvc_id)
    second = create_family(client, world.bvc_id)
    guardian_id = first["guardians"][0]["id"]
    response = patch(
        client, f"{API}/families/{second['id']}/guardians/{guardian_id}", json={"given_name": "X"}
    )
    assert_problem(response, 404)
    stored = client.get(f"{API}/families/{first['id']}").json()["guardians"][0]
    assert stored["given_name"] == "Amina"


@pytest.mark.parametrize("phone", ["ring mig", "12", "+46 70 123 45 67 ext 5"])
def test_malformed_guardian_phone_is_refused(
    client: TestClient, world: Setting, phone: str
) -> None:
    body = family_body(
        world.bvc_id, guardians=[{"given_name": "A", "family_name": "B", "phone": phone}]
    )
    assert_problem(client.post(f"{API}/families", json=body), 422, field="guardians.0.phone")


# --- children -----------------------------------------------------------------------------------


def test_unborn_child_has_only_a_due_date_until_the_birth_is_recorded(
    client: TestClient, world: Setting
) -> None:
    family = create_family(client, world.bvc_id)
    child = family["children"][0]
    assert (child["expected_due_date"], child["birth_date"]) == (DUE.isoformat(), None)

    born = patch(client, child_url(family), json={"birth_date": "2027-03-12"})
    assert born.status_code == 200, born.text
    assert born.json()["birth_date"] == "2027-03-12"
    assert born.json()["expected_due_date"] == DUE.isoformat()
    assert born.json()["gestational_week_at_birth"] is None


def test_preterm_child_records_gestational_week_at_birth(
    client: TestClient, world: Setting
) -> None:
    family = create_family(client, world.bvc_id)
    born = patch(
        client,
        child_url(family),
        json={"birth_date": "2027-01-25", "gestational_week_at_birth": 33},
    )
    assert born.status_code == 200, born.text
    assert born.json()["gestational_week_at_birth"] == 33

    created = create_family(
        client,
        world.bvc_id,
        children=[
            {
                "birth_date": "2027-01-02",
                "expected_due_date": "2027-02-20",
                "gestational_week_at_birth": 33,
            }
        ],
    )
    assert created["children"][0]["gestational_week_at_birth"] == 33


def test_gestational_week_needs_a_birth_date(client: TestClient, world: Setting) -> None:
    body = family_body(
        world.bvc_id,
        children=[{"expected_due_date": DUE.isoformat(), "gestational_week_at_birth": 35}],
    )
    response = client.post(f"{API}/families", json=body)
    assert_problem(response, 422, field="children.0.gestational_week_at_birth")

    family = create_family(client, world.bvc_id)
    patched = patch(client, child_url(family), json={"gestational_week_at_birth": 35})
    assert_problem(patched, 422, field="gestational_week_at_birth")
    assert (
        client.get(f"{API}/families/{family['id']}").json()["children"][0][
            "gestational_week_at_birth"
        ]
        is None
    )


@pytest.mark.parametrize("week", [21, 46])
def test_gestational_week_outside_22_to_45_is_refused(
    client: TestClient, world: Setting, week: int
) -> None:
    body = family_body(
        world.bvc_id, children=[{"birth_date": "2027-01-02", "gestational_week_at_birth": week}]
    )
    response = client.post(f"{API}/families", json=body)
    assert_problem(response, 422, field="children.0.gestational_week_at_birth")


def test_child_needs_a_due_date_or_a_birth_date(client: TestClient, world: Setting) -> None:
    body = family_body(world.bvc_id, children=[{"given_name": "Ingen"}])
    response = client.post(f"{API}/families", json=body)
    problem = assert_problem(response, 422)
    assert any(f.startswith("children.0") for f in error_fields(response))
    assert "expected_due_date or birth_date" in problem["detail"]

    family = create_family(client, world.bvc_id)
    cleared = patch(client, child_url(family), json={"expected_due_date": None})
    assert_problem(cleared, 422)
    assert (
        client.get(f"{API}/families/{family['id']}").json()["children"][0]["expected_due_date"]
        == DUE.isoformat()
    )


def test_birth_date_in_the_future_is_refused(client: TestClient, world: Setting) -> None:
    body = family_body(world.bvc_id, children=[{"birth_date": "2027-04-02"}])
    assert_problem(client.post(f"{API}/families", json=body), 422, field="children.0.birth_date")
    family = create_family(client, world.bvc_id)
    assert_problem(
        patch(client, child_url(family), json={"birth_date": "2027-04-02"}),
        422,
        field="birth_date",
    )


def test_sibling_is_added_to_a_family(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    added = client.post(
        f"{API}/families/{family['id']}/children",
        json={
            "given_name": "Storasyster",
            "birth_date": "2025-06-01",
            "identity_number": pnr(date(2025, 6, 1), 402),
        },
    )
    assert added.status_code == 201, added.text
    children = client.get(f"{API}/families/{family['id']}").json()["children"]
    assert [c["given_name"] for c in children] == [None, "Storasyster"]


def test_child_of_another_family_is_not_found(client: TestClient, world: Setting) -> None:
    first = create_family(client, world.bvc_id)
    second = create_family(client, world.bvc_id)
    response = patch(
        client, child_url(second, first["children"][0]["id"]), json={"birth_date": "2027-03-01"}
    )
    assert_problem(response, 404)


# --- consents -----------------------------------------------------------------------------------


def test_consent_is_given_and_withdrawn(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    guardian_id = family["guardians"][0]["id"]
    given = client.post(
        f"{API}/families/{family['id']}/consents",
        json={
            "given_on": "2027-01-10",
            "given_by_guardian_id": guardian_id,
            "note": "Muntligt vid inskrivning",
        },
    )
    assert given.status_code == 201, given.text
    consent = given.json()
    assert consent["scope"] == "joint_visits"
    assert consent["given_on"] == "2027-01-10"
    assert consent["given_by_guardian_id"] == guardian_id
    assert consent["withdrawn_on"] is None

    url = f"{API}/families/{family['id']}/consents/{consent['id']}/withdrawal"
    withdrawn = client.post(url, json={"withdrawn_on": "2027-03-01", "note": "Vill inte längre"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == "2027-03-01"
    assert withdrawn.json()["note"] == "Vill inte längre"
    stored = client.get(f"{API}/families/{family['id']}").json()["consents"]
    assert [(c["given_on"], c["withdrawn_on"]) for c in stored] == [("2027-01-10", "2027-03-01")]


def test_withdrawal_defaults_to_today(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    consent = client.post(
        f"{API}/families/{family['id']}/consents", json={"given_on": "2027-01-10"}
    ).json()
    withdrawn = client.post(
        f"{API}/families/{family['id']}/consents/{consent['id']}/withdrawal", json={}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == TODAY.isoformat()


def test_withdrawing_a_consent_twice_conflicts(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    consent = client.post(
        f"{API}/families/{family['id']}/consents", json={"given_on": "2027-01-10"}
    ).json()
    url = f"{API}/families/{family['id']}/consents/{consent['id']}/withdrawal"
    assert client.post(url, json={"withdrawn_on": "2027-02-01"}).status_code == 200
    assert_problem(client.post(url, json={"withdrawn_on": "2027-03-01"}), 409)
    stored = client.get(f"{API}/families/{family['id']}").json()["consents"][0]
    assert stored["withdrawn_on"] == "2027-02-01"


def test_consent_cannot_be_withdrawn_before_it_was_given(
    client: TestClient, world: Setting
) -> None:
    family = create_family(client, world.bvc_id)
    consent = client.post(
        f"{API}/families/{family['id']}/consents", json={"given_on": "2027-01-10"}
    ).json()
    response = client.post(
        f"{API}/families/{family['id']}/consents/{consent['id']}/withdrawal",
        json={"withdrawn_on": "2027-01-09"},
    )
    assert_problem(response, 422, field="withdrawn_on")


def test_consent_cannot_be_given_in_the_future(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    response = client.post(
        f"{API}/families/{family['id']}/consents", json={"given_on": "2027-04-02"}
    )
    assert_problem(response, 422, field="given_on")
    assert client.get(f"{API}/families/{family['id']}").json()["consents"] == []


def test_consent_given_by_someone_outside_the_family_is_refused(
    client: TestClient, world: Setting
) -> None:
    family = create_family(client, world.bvc_id)
    stranger = create_family(client, world.bvc_id)["guardians"][0]["id"]
    response = client.post(
        f"{API}/families/{family['id']}/consents",
        json={"given_on": "2027-01-10", "given_by_guardian_id": stranger},
    )
    assert_problem(response, 422, field="given_by_guardian_id")


def test_consent_of_another_family_cannot_be_withdrawn(client: TestClient, world: Setting) -> None:
    first = create_family(client, world.bvc_id)
    second = create_family(client, world.bvc_id)
    consent = client.post(
        f"{API}/families/{first['id']}/consents", json={"given_on": "2027-01-10"}
    ).json()
    response = client.post(
        f"{API}/families/{second['id']}/consents/{consent['id']}/withdrawal", json={}
    )
    assert_problem(response, 404)


def test_unknown_consent_scope_is_refused(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    response = client.post(
        f"{API}/families/{family['id']}/consents",
        json={"given_on": "2027-01-10", "scope": "everything"},
    )
    assert_problem(response, 422, field="scope")


# --- identity numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    ["12 digits with hyphen", "12 digits", "10 digits with hyphen", "10 digits"],
)
def test_personnummer_in_every_form_is_stored_as_12_digits(
    client: TestClient, world: Setting, form: str
) -> None:
    canonical = pnr(CHILD_BORN, 238)  # 20270220-238C
    given = {
        "12 digits with hyphen": canonical,
        "12 digits": digits(canonical),
        "10 digits with hyphen": canonical[2:],
        "10 digits": digits(canonical)[2:],
    }[form]
    family = create_family(
        client,
        world.bvc_id,
        children=[{"birth_date": CHILD_BORN.isoformat(), "identity_number": f" {given} "}],
    )
    child = family["children"][0]
    assert child["identity_number"] == digits(canonical)
    assert child["identity_kind"] == "personnummer"
    assert child["reserve_number_region"] is None


def test_plus_separator_means_a_hundred_years_or_older(client: TestClient, world: Setting) -> None:
    born = date(1926, 3, 10)
    ten = digits(pnr(born, 452))[2:]  # 2603104524-like, no century
    family = create_family(
        client,
        world.bvc_id,
        guardians=[
            {
                "given_name": "Gammelfarmor",
                "family_name": "Ek",
                "identity_number": f"{ten[:6]}+{ten[6:]}",
            },
            {"given_name": "Kusin", "family_name": "Ek", "identity_number": f"{ten[:6]}-{ten[6:]}"},
        ],
    )
    assert family["guardians"][0]["identity_number"] == f"19{ten}"
    assert family["guardians"][1]["identity_number"] == f"20{ten}"


def test_samordningsnummer_is_recognised_by_day_plus_60(client: TestClient, world: Setting) -> None:
    coordination = number(date(1990, 5, 17), 285, day_offset=60)
    assert coordination[6:8] == "77"
    family = create_family(
        client,
        world.bvc_id,
        guardians=[
            {"given_name": "Nour", "family_name": "Haddad", "identity_number": coordination}
        ],
        children=[
            {
                "birth_date": "2027-01-05",
                "identity_number": number(date(2027, 1, 5), 306, day_offset=60),
            }
        ],
    )
    guardian = family["guardians"][0]
    assert guardian["identity_kind"] == "samordningsnummer"
    assert guardian["identity_number"] == digits(coordination)
    assert family["children"][0]["identity_kind"] == "samordningsnummer"
    assert family["children"][0]["identity_number"].startswith("20270165")


def test_leap_day_personnummer_is_valid(client: TestClient, world: Setting) -> None:
    leap = pnr(date(2024, 2, 29), 284)
    family = create_family(
        client,
        world.bvc_id,
        children=[{"birth_date": "2024-02-29", "identity_number": leap}],
    )
    assert family["children"][0]["identity_number"] == digits(leap)


INVALID_NUMBERS = {
    "wrong check digit": wrong_check_digit(pnr(CHILD_BORN, 238)),
    "30 February": impossible_date_number("20260230"),
    "29 February in a non-leap year": impossible_date_number("20250229"),
    "month 13": impossible_date_number("20261301"),
    "samordningsnummer 90 February (30 Feb)": impossible_date_number("20260290"),
    "date in the future": impossible_date_number("20270402"),
    "letter instead of a digit": "2027022O-2381",
    "too short": "2702202",
    "two separators": "270220--2381",
    "ten digits with century separator in the wrong place": "2027-0220-2381",
}


@pytest.mark.parametrize("case", list(INVALID_NUMBERS))
def test_invalid_child_identity_number_is_refused_and_nothing_stored(
    client: TestClient, world: Setting, case: str
) -> None:
    create_family(client, world.bvc_id)
    before = family_count(client)
    body = family_body(
        world.bvc_id,
        children=[
            {"expected_due_date": DUE.isoformat()},
            {"birth_date": "2026-01-01", "identity_number": INVALID_NUMBERS[case]},
        ],
    )
    response = client.post(f"{API}/families", json=body)
    problem = assert_problem(response, 422, field="children.1.identity_number")
    assert error_fields(response) == ["children.1.identity_number"]
    assert INVALID_NUMBERS[case] not in problem["detail"]  # the bad number is not echoed back
    assert family_count(client) == before


@pytest.mark.parametrize("case", ["wrong check digit", "30 February", "date in the future"])
def test_invalid_guardian_identity_number_names_the_guardian(
    client: TestClient, world: Setting, case: str
) -> None:
    body = family_body(
        world.bvc_id,
        guardians=[
            {"given_name": "A", "family_name": "B", "identity_number": pnr(date(1990, 1, 2))},
            {"given_name": "C", "family_name": "D", "identity_number": INVALID_NUMBERS[case]},
        ],
    )
    response = client.post(f"{API}/families", json=body)
    assert_problem(response, 422, field="guardians.1.identity_number")
    assert family_count(client) == 0


def test_invalid_identity_number_in_a_patch_changes_nothing(
    client: TestClient, world: Setting
) -> None:
    family = create_family(client, world.bvc_id)
    response = patch(
        client,
        child_url(family),
        json={"birth_date": "2027-03-01", "identity_number": INVALID_NUMBERS["30 February"]},
    )
    assert_problem(response, 422, field="identity_number")
    child = client.get(f"{API}/families/{family['id']}").json()["children"][0]
    assert (child["birth_date"], child["identity_number"]) == (None, None)


def test_reservnummer_is_stored_opaque_with_its_region(client: TestClient, world: Setting) -> None:
    family = create_family(
        client,
        world.bvc_id,
        children=[
            {
                "birth_date": "2027-03-20",
                "reserve_number": "992027004711",
                "reserve_number_region": "Region Stockholm",
            }
        ],
    )
    child = family["children"][0]
    assert child["identity_kind"] == "reservnummer"
    assert child["identity_number"] == "992027004711"
    assert child["reserve_number_region"] == "Region Stockholm"
    # No birth date is derived from it: the recorded one stands.
    assert child["birth_date"] == "2027-03-20"


def test_reservnummer_of_another_format_is_kept_verbatim_in_upper_case(
    client: TestClient, world: Setting
) -> None:
    family = create_family(
        client,
        world.bvc_id,
        children=[
            {
                "birth_date": "2027-03-20",
                "reserve_number": "rn-27-0042",
                "reserve_number_region": "Region Örebro län",
            }
        ],
    )
    assert family["children"][0]["identity_number"] == "RN-27-0042"


def test_reservnummer_needs_an_issuing_region(client: TestClient, world: Setting) -> None:
    body = family_body(
        world.bvc_id, children=[{"birth_date": "2027-03-20", "reserve_number": "992027004711"}]
    )
    response = client.post(f"{API}/families", json=body)
    assert_problem(response, 422, field="children.0.reserve_number")
    assert family_count(client) == 0


def test_identity_number_and_reservnummer_together_are_refused(
    client: TestClient, world: Setting
) -> None:
    body = family_body(
        world.bvc_id,
        children=[
            {
                "birth_date": CHILD_BORN.isoformat(),
                "identity_number": pnr(CHILD_BORN),
                "reserve_number": "992027004711",
                "reserve_number_region": "Stockholm",
            }
        ],
    )
    assert_problem(client.post(f"{API}/families", json=body), 422)
    assert family_count(client) == 0


def test_child_is_relinked_from_reservnummer_to_personnummer(
    client: TestClient, world: Setting
) -> None:
    family = create_family(
        client,
        world.bvc_id,
        children=[
            {
                "birth_date": CHILD_BORN.isoformat(),
                "reserve_number": "992027004711",
                "reserve_number_region": "Region Stockholm",
            }
        ],
    )
    personal = pnr(CHILD_BORN, 238)
    relinked = patch(client, child_url(family), json={"identity_number": personal[2:]})
    assert relinked.status_code == 200, relinked.text
    child = relinked.json()
    assert child["id"] == family["children"][0]["id"]
    assert child["identity_kind"] == "personnummer"
    assert child["identity_number"] == digits(personal)
    assert child["reserve_number_region"] is None
    assert client.get(f"{API}/families/{family['id']}").json()["children"] == [child]

    # The reservnummer is free again (a region may reissue it to another newborn).
    again = create_family(
        client,
        world.bvc_id,
        children=[
            {
                "birth_date": "2027-03-25",
                "reserve_number": "992027004711",
                "reserve_number_region": "Region Stockholm",
            }
        ],
    )
    assert again["children"][0]["identity_number"] == "992027004711"


def test_the_same_child_identity_cannot_be_registered_twice(
    client: TestClient, world: Setting
) -> None:
    personal = pnr(CHILD_BORN, 238)
    children = [{"birth_date": CHILD_BORN.isoformat(), "identity_number": personal}]
    first = create_family(client, world.bvc_id, children=children)

    duplicate = client.post(
        f"{API}/families",
        json=family_body(world.bvc_id, children=[{**children[0], "identity_number": personal[2:]}]),
    )
    assert_no_database_text(assert_problem(duplicate, 409))
    assert family_count(client) == 1

    other = create_family(client, world.bvc_id)
    patched = patch(client, child_url(other), json={"identity_number": personal})
    assert_no_database_text(assert_problem(patched, 409))
    assert (
        client.get(f"{API}/families/{other['id']}").json()["children"][0]["identity_number"] is None
    )

    added = client.post(f"{API}/families/{first['id']}/children", json=children[0])
    assert_problem(added, 409)
    assert len(client.get(f"{API}/families/{first['id']}").json()["children"]) == 1


def test_the_same_identity_twice_in_one_family_is_refused(
    client: TestClient, world: Setting
) -> None:
    child = {"birth_date": CHILD_BORN.isoformat(), "identity_number": pnr(CHILD_BORN)}
    body = family_body(world.bvc_id, children=[child, child])
    assert_problem(client.post(f"{API}/families", json=body), 422, field="children")
    assert family_count(client) == 0


def test_a_child_may_resend_its_own_identity_number(client: TestClient, world: Setting) -> None:
    personal = pnr(CHILD_BORN, 238)
    family = create_family(
        client,
        world.bvc_id,
        children=[{"birth_date": CHILD_BORN.isoformat(), "identity_number": personal}],
    )
    response = patch(
        client, child_url(family), json={"identity_number": personal, "given_name": "Sara"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["given_name"] == "Sara"


def test_reservnummer_is_unique_per_region_only(client: TestClient, world: Setting) -> None:
    def with_reserve(region: str) -> dict[str, Any]:
        return family_body(
            world.bvc_id,
            children=[
                {
                    "birth_date": "2027-03-20",
                    "reserve_number": "992027004711",
                    "reserve_number_region": region,
                }
            ],
        )

    assert client.post(f"{API}/families", json=with_reserve("Region Stockholm")).status_code == 201
    assert client.post(f"{API}/families", json=with_reserve("Region Skåne")).status_code == 201
    assert_problem(client.post(f"{API}/families", json=with_reserve("Region Stockholm")), 409)
    assert family_count(client) == 2


def test_unknown_family_is_a_404_problem(client: TestClient, world: Setting) -> None:
    for response in (
        client.get(f"{API}/families/8080"),
        patch(client, f"{API}/families/8080", json={"city": "Örebro"}),
        client.post(f"{API}/families/8080/status", json={"status": "declined"}),
        client.post(f"{API}/families/8080/guardians", json={"given_name": "A", "family_name": "B"}),
        client.post(f"{API}/families/8080/children", json={"expected_due_date": "2027-06-01"}),
        client.post(f"{API}/families/8080/consents", json={"given_on": "2027-01-01"}),
    ):
        assert_problem(response, 404)
