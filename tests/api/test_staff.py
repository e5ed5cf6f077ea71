"""Staff: nurses, social workers and the other professions of a visit, through the HTTP API."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.support import API, assert_no_database_text, assert_problem, patch
from tests.factories import Setting

PROFESSIONS = ["bhv_nurse", "social_worker", "midwife", "dental", "librarian", "other"]


def staff_body(unit_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "given_name": "Karin",
        "family_name": "Lind",
        "profession": "bhv_nurse",
        **fields,
    }


def create_staff(client: TestClient, unit_id: int, **fields: Any) -> dict[str, Any]:
    response = client.post(f"{API}/staff", json=staff_body(unit_id, **fields))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_staff_member_is_created_read_updated_and_listed(
    client: TestClient, world: Setting
) -> None:
    created = create_staff(
        client, world.bvc_id, hsa_id="SE2321000164-N042", email="karin.lind@regionorebrolan.se"
    )
    assert created == {
        "id": created["id"],
        "unit_id": world.bvc_id,
        "given_name": "Karin",
        "family_name": "Lind",
        "profession": "bhv_nurse",
        "hsa_id": "SE2321000164-N042",
        "email": "karin.lind@regionorebrolan.se",
        "active": True,
    }
    assert client.get(f"{API}/staff/{created['id']}").json() == created

    patched = patch(client, f"{API}/staff/{created['id']}", json={"family_name": "Lindqvist"})
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**created, "family_name": "Lindqvist"}

    listed = [s["id"] for s in client.get(f"{API}/staff").json()["items"]]
    assert created["id"] in listed
    assert len(listed) == 3  # with the nurse and social worker of the setting


@pytest.mark.parametrize("profession", PROFESSIONS)
def test_every_profession_is_accepted(client: TestClient, world: Setting, profession: str) -> None:
    created = create_staff(client, world.bvc_id, profession=profession)
    assert created["profession"] == profession


def test_unknown_profession_is_refused_naming_profession(
    client: TestClient, world: Setting
) -> None:
    response = client.post(f"{API}/staff", json=staff_body(world.bvc_id, profession="doctor"))
    assert_problem(response, 422, field="profession")


def test_hsa_id_held_by_another_staff_member_conflicts(client: TestClient, world: Setting) -> None:
    # The setting's nurse holds SE2321000000-N001.
    response = client.post(
        f"{API}/staff", json=staff_body(world.bvc_id, hsa_id="SE2321000000-N001")
    )
    assert_no_database_text(assert_problem(response, 409))
    names = [s["given_name"] for s in client.get(f"{API}/staff").json()["items"]]
    assert "Karin" not in names

    other = create_staff(client, world.bvc_id, hsa_id="SE2321000000-N002")
    patched = patch(client, f"{API}/staff/{other['id']}", json={"hsa_id": "SE2321000000-N001"})
    assert_problem(patched, 409)
    assert client.get(f"{API}/staff/{other['id']}").json()["hsa_id"] == "SE2321000000-N002"


def test_staff_member_may_resend_own_hsa_id(client: TestClient, world: Setting) -> None:
    patched = patch(
        client,
        f"{API}/staff/{world.nurse_id}",
        json={"hsa_id": "SE2321000000-N001", "active": False},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False


def test_staff_without_hsa_id_do_not_collide(client: TestClient, world: Setting) -> None:
    first = create_staff(client, world.social_unit_id, profession="social_worker")
    second = create_staff(client, world.social_unit_id, profession="social_worker")
    assert first["hsa_id"] is second["hsa_id"] is None
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    "hsa_id",
    ["N001", "SE232-N001", "SE2321000000-", "se2321000000-N1", "SE\u0662321000000-N1"],
)
def test_malformed_hsa_id_is_refused(client: TestClient, world: Setting, hsa_id: str) -> None:
    response = client.post(f"{API}/staff", json=staff_body(world.bvc_id, hsa_id=hsa_id))
    assert_problem(response, 422, field="hsa_id")


@pytest.mark.parametrize("email", ["karin", "karin@", "karin lind@region.se", "@region.se"])
def test_malformed_email_is_refused(client: TestClient, world: Setting, email: str) -> None:
    response = client.post(f"{API}/staff", json=staff_body(world.bvc_id, email=email))
    assert_problem(response, 422, field="email")


def test_staff_of_unknown_unit_is_refused(client: TestClient, world: Setting) -> None:
    assert_problem(client.post(f"{API}/staff", json=staff_body(9999)), 422, field="unit_id")
    patched = patch(client, f"{API}/staff/{world.nurse_id}", json={"unit_id": 9999})
    assert_problem(patched, 422, field="unit_id")
    assert client.get(f"{API}/staff/{world.nurse_id}").json()["unit_id"] == world.bvc_id


def test_blank_names_are_refused(client: TestClient, world: Setting) -> None:
    response = client.post(f"{API}/staff", json=staff_body(world.bvc_id, given_name="   "))
    assert_problem(response, 422, field="given_name")


def test_staff_are_listed_by_unit_profession_and_active(client: TestClient, world: Setting) -> None:
    midwife = create_staff(client, world.bvc_id, profession="midwife")
    retired = create_staff(client, world.social_unit_id, profession="social_worker", active=False)

    def ids(**params: Any) -> list[int]:
        return [s["id"] for s in client.get(f"{API}/staff", params=params).json()["items"]]

    assert ids(unit_id=world.bvc_id) == [world.nurse_id, midwife["id"]]
    assert ids(profession="social_worker") == [world.social_worker_id, retired["id"]]
    assert ids(active=False) == [retired["id"]]
    assert ids(unit_id=world.social_unit_id, active=True) == [world.social_worker_id]


def test_unknown_staff_member_is_a_404_problem(client: TestClient, world: Setting) -> None:
    assert_problem(client.get(f"{API}/staff/5555"), 404)
    assert_problem(patch(client, f"{API}/staff/5555", json={"active": False}), 404)
