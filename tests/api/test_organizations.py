"""Organizations, units and collaborations through the HTTP API."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.support import API, assert_no_database_text, assert_problem, patch


def create(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/{path}", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def region(client: TestClient, name: str = "Region Örebro län", **fields: Any) -> dict[str, Any]:
    return create(client, "organizations", {"name": name, "kind": "region", **fields})


def municipality(client: TestClient, name: str = "Örebro kommun") -> dict[str, Any]:
    return create(client, "organizations", {"name": name, "kind": "municipality"})


def unit(client: TestClient, organization_id: int, kind: str, **fields: Any) -> dict[str, Any]:
    body = {"organization_id": organization_id, "name": f"Enhet {kind}", "kind": kind, **fields}
    return create(client, "units", body)


def bvc_and_social(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    bvc = unit(client, region(client)["id"], "bvc")
    social = unit(client, municipality(client)["id"], "social_services")
    return bvc, social


# --- organizations ------------------------------------------------------------------------------


def test_organization_is_created_read_updated_and_listed(client: TestClient) -> None:
    created = region(client, org_number="232100-0164")
    assert created["name"] == "Region Örebro län"
    assert created["kind"] == "region"
    assert created["org_number"] == "232100-0164"
    assert created["addresses_in_feeds"] is False

    read = client.get(f"{API}/organizations/{created['id']}")
    assert read.status_code == 200
    assert read.json() == created

    patched = patch(
        client,
        f"{API}/organizations/{created['id']}",
        json={"name": "Region Örebro", "kind": "other"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**created, "name": "Region Örebro", "kind": "other"}
    assert client.get(f"{API}/organizations/{created['id']}").json()["name"] == "Region Örebro"

    listed = client.get(f"{API}/organizations").json()
    assert [o["id"] for o in listed["items"]] == [created["id"]]
    assert listed["next_cursor"] is None


@pytest.mark.parametrize("kind", ["region", "municipality", "private_provider", "other"])
def test_every_organization_kind_is_accepted(client: TestClient, kind: str) -> None:
    created = create(client, "organizations", {"name": "Huvudman", "kind": kind})
    assert created["kind"] == kind


def test_organizations_are_listed_by_kind(client: TestClient) -> None:
    r = region(client)
    m = municipality(client)
    regions = client.get(f"{API}/organizations", params={"kind": "region"}).json()["items"]
    municipalities = client.get(f"{API}/organizations", params={"kind": "municipality"}).json()
    assert [o["id"] for o in regions] == [r["id"]]
    assert [o["id"] for o in municipalities["items"]] == [m["id"]]


def test_unknown_organization_kind_is_refused_naming_kind(client: TestClient) -> None:
    response = client.post(f"{API}/organizations", json={"name": "Län", "kind": "county"})
    assert_problem(response, 422, field="kind")


@pytest.mark.parametrize(
    "org_number",
    ["12-34", "2321000164x", "\u0662\u0663\u0662\u0661\u0660\u0660-\u0660\u0661\u0666\u0664"],
    ids=["short", "letter", "arabic-indic digits"],
)
def test_organization_number_must_have_swedish_form(client: TestClient, org_number: str) -> None:
    response = client.post(
        f"{API}/organizations", json={"name": "X", "kind": "region", "org_number": org_number}
    )
    assert_problem(response, 422, field="org_number")
    assert client.get(f"{API}/organizations").json()["items"] == []


def test_organization_number_taken_by_another_organization_conflicts(client: TestClient) -> None:
    region(client, org_number="232100-0164")
    second = client.post(
        f"{API}/organizations",
        json={"name": "Kopia", "kind": "region", "org_number": "232100-0164"},
    )
    body = assert_problem(second, 409)
    assert_no_database_text(body)

    other = municipality(client)
    patched = patch(
        client, f"{API}/organizations/{other['id']}", json={"org_number": "232100-0164"}
    )
    assert_problem(patched, 409)
    assert client.get(f"{API}/organizations/{other['id']}").json()["org_number"] is None


def test_organization_keeps_its_own_number_on_update(client: TestClient) -> None:
    created = region(client, org_number="232100-0164")
    patched = patch(
        client,
        f"{API}/organizations/{created['id']}",
        json={"org_number": "232100-0164", "addresses_in_feeds": True},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["addresses_in_feeds"] is True


def test_unknown_organization_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get(f"{API}/organizations/4242"), 404)
    assert_problem(patch(client, f"{API}/organizations/4242", json={"name": "X"}), 404)


# --- units --------------------------------------------------------------------------------------


@pytest.mark.parametrize("area_type", [1, 2, 3, 4, 5])
def test_unit_stores_scb_area_type_and_cni(client: TestClient, area_type: int) -> None:
    org = region(client)
    created = unit(
        client, org["id"], "bvc", hsa_id="SE2321000164-BVC1", area_type=area_type, cni=2.45
    )
    assert created["area_type"] == area_type
    assert created["cni"] == pytest.approx(2.45)
    assert created["hsa_id"] == "SE2321000164-BVC1"
    assert client.get(f"{API}/units/{created['id']}").json() == created


@pytest.mark.parametrize("kind", ["bvc", "social_services", "mhv", "dental", "library", "other"])
def test_every_unit_kind_is_accepted(client: TestClient, kind: str) -> None:
    assert unit(client, region(client)["id"], kind)["kind"] == kind


@pytest.mark.parametrize("area_type", [0, 6, -1])
def test_area_type_outside_one_to_five_is_refused(client: TestClient, area_type: int) -> None:
    org = region(client)
    response = client.post(
        f"{API}/units",
        json={"organization_id": org["id"], "name": "BVC", "kind": "bvc", "area_type": area_type},
    )
    assert_problem(response, 422, field="area_type")
    assert client.get(f"{API}/units").json()["items"] == []


def test_negative_cni_is_refused(client: TestClient) -> None:
    org = region(client)
    response = client.post(
        f"{API}/units",
        json={"organization_id": org["id"], "name": "BVC", "kind": "bvc", "cni": -0.1},
    )
    assert_problem(response, 422, field="cni")


def test_unit_is_updated_partially(client: TestClient) -> None:
    created = unit(client, region(client)["id"], "bvc", area_type=1, cni=3.1)
    patched = patch(
        client, f"{API}/units/{created['id']}", json={"cni": 1.2, "name": "BVC Vivalla"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**created, "cni": pytest.approx(1.2), "name": "BVC Vivalla"}
    assert_problem(
        patch(client, f"{API}/units/{created['id']}", json={"area_type": 6}), 422, field="area_type"
    )
    assert client.get(f"{API}/units/{created['id']}").json()["area_type"] == 1


def test_unit_kind_cannot_be_changed_by_patch(client: TestClient) -> None:
    # A BVC turning into socialtjänst would silently break its collaborations and families.
    created = unit(client, region(client)["id"], "bvc")
    response = patch(client, f"{API}/units/{created['id']}", json={"kind": "social_services"})
    assert_problem(response, 422, field="kind")


def test_unit_of_unknown_organization_is_refused(client: TestClient) -> None:
    response = client.post(
        f"{API}/units", json={"organization_id": 999, "name": "BVC", "kind": "bvc"}
    )
    assert_problem(response, 422, field="organization_id")


def test_unit_hsa_id_is_unique(client: TestClient) -> None:
    org = region(client)
    first = unit(client, org["id"], "bvc", hsa_id="SE2321000164-BVC1")
    response = client.post(
        f"{API}/units",
        json={
            "organization_id": org["id"],
            "name": "Kopia",
            "kind": "bvc",
            "hsa_id": "SE2321000164-BVC1",
        },
    )
    assert_no_database_text(assert_problem(response, 409))
    other = unit(client, org["id"], "mhv")
    assert_problem(
        patch(client, f"{API}/units/{other['id']}", json={"hsa_id": first["hsa_id"]}), 409
    )


def test_unit_hsa_id_must_have_hsa_form(client: TestClient) -> None:
    org = region(client)
    response = client.post(
        f"{API}/units",
        json={"organization_id": org["id"], "name": "BVC", "kind": "bvc", "hsa_id": "BVC-1"},
    )
    assert_problem(response, 422, field="hsa_id")


def test_units_are_listed_by_organization_and_kind(client: TestClient) -> None:
    r = region(client)
    m = municipality(client)
    bvc = unit(client, r["id"], "bvc")
    mhv = unit(client, r["id"], "mhv")
    social = unit(client, m["id"], "social_services")

    def ids(**params: Any) -> list[int]:
        return [u["id"] for u in client.get(f"{API}/units", params=params).json()["items"]]

    assert ids() == [bvc["id"], mhv["id"], social["id"]]
    assert ids(organization_id=r["id"]) == [bvc["id"], mhv["id"]]
    assert ids(kind="social_services") == [social["id"]]
    assert ids(organization_id=r["id"], kind="mhv") == [mhv["id"]]


def test_unknown_unit_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get(f"{API}/units/777"), 404)
    assert_problem(patch(client, f"{API}/units/777", json={"cni": 1}), 404)


# --- collaborations -----------------------------------------------------------------------------


def test_collaboration_pairs_a_bvc_with_socialtjanst(client: TestClient) -> None:
    bvc, social = bvc_and_social(client)
    created = create(
        client,
        "collaborations",
        {"bvc_unit_id": bvc["id"], "social_unit_id": social["id"], "started_on": "2025-01-01"},
    )
    assert created["bvc_unit_id"] == bvc["id"]
    assert created["social_unit_id"] == social["id"]
    assert created["started_on"] == "2025-01-01"
    assert created["ended_on"] is None
    assert client.get(f"{API}/collaborations/{created['id']}").json() == created

    for unit_id in (bvc["id"], social["id"]):
        listed = client.get(f"{API}/collaborations", params={"unit_id": unit_id}).json()
        assert [c["id"] for c in listed["items"]] == [created["id"]]
    other = unit(client, region(client, "Region Annat")["id"], "bvc")
    assert (
        client.get(f"{API}/collaborations", params={"unit_id": other["id"]}).json()["items"] == []
    )

    ended = patch(client, f"{API}/collaborations/{created['id']}", json={"ended_on": "2026-12-31"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended_on"] == "2026-12-31"


@pytest.mark.parametrize(
    ("bvc_kind", "social_kind", "field"),
    [
        ("social_services", "social_services", "bvc_unit_id"),
        ("mhv", "social_services", "bvc_unit_id"),
        ("bvc", "bvc", "social_unit_id"),
        ("bvc", "dental", "social_unit_id"),
        ("bvc", "library", "social_unit_id"),
    ],
)
def test_collaboration_of_wrong_unit_kinds_is_refused_naming_the_field(
    client: TestClient, bvc_kind: str, social_kind: str, field: str
) -> None:
    org = region(client)
    first = unit(client, org["id"], bvc_kind)
    second = unit(client, org["id"], social_kind)
    response = client.post(
        f"{API}/collaborations",
        json={
            "bvc_unit_id": first["id"],
            "social_unit_id": second["id"],
            "started_on": "2025-01-01",
        },
    )
    assert_problem(response, 422, field=field)
    assert client.get(f"{API}/collaborations").json()["items"] == []


@pytest.mark.parametrize("field", ["bvc_unit_id", "social_unit_id"])
def test_collaboration_with_unknown_unit_names_the_field(client: TestClient, field: str) -> None:
    bvc, social = bvc_and_social(client)
    body = {"bvc_unit_id": bvc["id"], "social_unit_id": social["id"], "started_on": "2025-01-01"}
    body[field] = 9999
    assert_problem(client.post(f"{API}/collaborations", json=body), 422, field=field)


def test_the_same_pair_cannot_collaborate_twice(client: TestClient) -> None:
    bvc, social = bvc_and_social(client)
    body = {"bvc_unit_id": bvc["id"], "social_unit_id": social["id"], "started_on": "2025-01-01"}
    create(client, "collaborations", body)
    assert_no_database_text(assert_problem(client.post(f"{API}/collaborations", json=body), 409))


def test_collaboration_cannot_end_before_it_started(client: TestClient) -> None:
    bvc, social = bvc_and_social(client)
    body = {"bvc_unit_id": bvc["id"], "social_unit_id": social["id"], "started_on": "2025-01-01"}
    response = client.post(f"{API}/collaborations", json={**body, "ended_on": "2024-12-31"})
    assert_problem(response, 422, field="ended_on")

    created = create(client, "collaborations", body)
    patched = patch(
        client, f"{API}/collaborations/{created['id']}", json={"ended_on": "2024-06-30"}
    )
    assert_problem(patched, 422, field="ended_on")
    assert client.get(f"{API}/collaborations/{created['id']}").json()["ended_on"] is None


def test_unknown_collaboration_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get(f"{API}/collaborations/31337"), 404)
    assert_problem(
        patch(client, f"{API}/collaborations/31337", json={"ended_on": "2026-01-01"}), 404
    )
