"""ETag / If-Match on every mutable resource: 428 without it, 412 when stale, nothing changed."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from app.families.models import Family
from app.main import create_app
from tests.api.support import API, assert_problem, create_family
from tests.api.test_enrollments import consenting_family, enrolled_plan
from tests.factories import Setting

# (resource URL to change, URL whose ETag guards it, a valid change, the field it sets)
Target = tuple[str, str, dict[str, Any], str]


def _targets(client: TestClient, world: Setting) -> dict[str, Target]:
    family = consenting_family(client, world)
    enrollment = enrolled_plan(client, world, family["id"])["enrollment"]
    collaboration = client.get(f"{API}/collaborations").json()["items"][0]
    family_url = f"{API}/families/{family['id']}"
    guardian = family["guardians"][0]["id"]
    child = family["children"][0]["id"]
    substitute = client.post(
        f"{API}/staff",
        json={
            "unit_id": world.social_unit_id,
            "given_name": "Vera",
            "family_name": "Vikarie",
            "profession": "social_worker",
        },
    )
    assert substitute.status_code == 201, substitute.text
    return {
        "organization": (
            f"{API}/organizations/{world.region_id}",
            f"{API}/organizations/{world.region_id}",
            {"name": "Region Örebro län"},
            "name",
        ),
        "unit": (
            f"{API}/units/{world.bvc_id}",
            f"{API}/units/{world.bvc_id}",
            {"name": "BVC Vivalla"},
            "name",
        ),
        "collaboration": (
            f"{API}/collaborations/{collaboration['id']}",
            f"{API}/collaborations/{collaboration['id']}",
            {"ended_on": "2030-12-31"},
            "ended_on",
        ),
        "staff": (
            f"{API}/staff/{world.nurse_id}",
            f"{API}/staff/{world.nurse_id}",
            {"family_name": "Lindqvist"},
            "family_name",
        ),
        "family": (family_url, family_url, {"city": "Örebro"}, "city"),
        "guardian": (
            f"{family_url}/guardians/{guardian}",
            family_url,
            {"given_name": "Omar"},
            "given_name",
        ),
        "child": (
            f"{family_url}/children/{child}",
            family_url,
            {"given_name": "Sara"},
            "given_name",
        ),
        "enrollment": (
            f"{API}/enrollments/{enrollment['id']}",
            f"{API}/enrollments/{enrollment['id']}",
            {"social_worker_id": substitute.json()["id"]},
            "social_worker_id",
        ),
    }


RESOURCES = [
    "organization",
    "unit",
    "collaboration",
    "staff",
    "family",
    "guardian",
    "child",
    "enrollment",
]


def _etag(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    tag: str = response.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')
    return tag


@pytest.mark.parametrize("resource", RESOURCES)
def test_change_without_if_match_is_428_and_changes_nothing(
    client: TestClient, world: Setting, resource: str
) -> None:
    url, guard_url, change, _ = _targets(client, world)[resource]
    before = client.get(guard_url).json()
    assert_problem(client.patch(url, json=change), 428)
    assert client.get(guard_url).json() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_change_with_a_stale_etag_is_412_and_changes_nothing(
    client: TestClient, world: Setting, resource: str
) -> None:
    url, guard_url, change, _ = _targets(client, world)[resource]
    stale = _etag(client, guard_url)
    # Someone else makes the change first; a second client still holding the old ETag is refused.
    first = client.patch(url, json=change, headers={"If-Match": stale})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != stale
    before = client.get(guard_url).json()
    assert_problem(client.patch(url, json=change, headers={"If-Match": stale}), 412)
    assert client.get(guard_url).json() == before


@pytest.mark.parametrize("resource", ["staff", "family", "guardian", "child"])
def test_a_change_that_changes_nothing_keeps_the_etag(
    client: TestClient, world: Setting, resource: str
) -> None:
    url, guard_url, change, _ = _targets(client, world)[resource]
    first = client.patch(url, json=change, headers={"If-Match": _etag(client, guard_url)})
    assert first.status_code == 200, first.text
    current = _etag(client, guard_url)
    for body in ({}, change):
        same = client.patch(url, json=body, headers={"If-Match": current})
        assert same.status_code == 200, same.text
        assert same.headers["etag"] == current == _etag(client, guard_url)


@pytest.mark.parametrize("resource", RESOURCES)
def test_change_with_the_current_etag_applies_and_returns_the_new_one(
    client: TestClient, world: Setting, resource: str
) -> None:
    url, guard_url, change, field = _targets(client, world)[resource]
    current = _etag(client, guard_url)
    response = client.patch(url, json=change, headers={"If-Match": current})
    assert response.status_code == 200, response.text
    assert response.json()[field] == next(iter(change.values()))
    new = response.headers["etag"]
    assert new != current
    assert _etag(client, guard_url) == new
    # The old ETag no longer works; the new one does.
    assert_problem(client.patch(url, json=change, headers={"If-Match": current}), 412)
    assert client.patch(url, json=change, headers={"If-Match": new}).status_code == 200


def test_if_match_star_and_lists_follow_rfc_9110(client: TestClient, world: Setting) -> None:
    url = f"{API}/staff/{world.nurse_id}"
    current = _etag(client, url)
    listed = client.patch(url, json={"active": True}, headers={"If-Match": f'"x", {current}'})
    assert listed.status_code == 200, listed.text
    star = client.patch(url, json={"active": True}, headers={"If-Match": "*"})
    assert star.status_code == 200, star.text


def test_parts_of_a_family_move_its_etag(client: TestClient, world: Setting) -> None:
    family = create_family(client, world.bvc_id)
    url = f"{API}/families/{family['id']}"
    seen = {_etag(client, url)}
    for path, body in (
        ("consents", {"given_on": "2027-03-01"}),
        ("guardians", {"given_name": "Lina", "family_name": "Berg"}),
        ("children", {"expected_due_date": "2027-03-15", "given_name": "Tvilling"}),
    ):
        response = client.post(f"{url}/{path}", json=body)
        assert response.status_code == 201, response.text
        tag = _etag(client, url)
        assert response.headers["etag"] == tag
        assert tag not in seen
        seen.add(tag)
    stale = client.post(
        f"{url}/status", json={"status": "declined"}, headers={"If-Match": '"family-0-v1"'}
    )
    assert_problem(stale, 412)
    assert client.get(url).json()["status"] == "offered"


def test_working_hours_put_needs_the_patterns_etag(client: TestClient, world: Setting) -> None:
    url = f"{API}/staff/{world.nurse_id}/working-hours"
    week = [{"weekday": d, "start_time": "08:00", "end_time": "16:00"} for d in range(5)]
    empty = _etag(client, url)
    assert_problem(client.put(url, json=week), 428)
    first = client.put(url, json=week, headers={"If-Match": empty})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == _etag(client, url) != empty
    assert_problem(client.put(url, json=[], headers={"If-Match": empty}), 412)
    assert len(client.get(url).json()) == 5
    # The same pattern has the same ETag: it names the content, not the rows' ids.
    again = client.put(url, json=week, headers={"If-Match": first.headers["etag"]})
    assert again.headers["etag"] == first.headers["etag"]


@pytest.fixture
def racing_app() -> Iterator[Callable[[], None]]:
    """Another writer commits a new family version between our If-Match check and our UPDATE."""
    armed = {"on": False}

    def other_writer(_mapper: Any, connection: Any, target: Family) -> None:
        if armed["on"]:
            armed["on"] = False
            connection.execute(
                text("UPDATE family SET version = version + 1 WHERE id = :id"), {"id": target.id}
            )

    event.listen(Family, "before_update", other_writer)
    yield lambda: armed.update(on=True)
    event.remove(Family, "before_update", other_writer)


def test_a_concurrent_change_after_the_check_is_412_not_a_lost_update(
    client: TestClient, world: Setting, racing_app: Callable[[], None]
) -> None:
    family = create_family(client, world.bvc_id)
    url = f"{API}/families/{family['id']}"
    current = _etag(client, url)
    racing_app()
    response = client.patch(url, json={"city": "Örebro"}, headers={"If-Match": current})
    assert_problem(response, 412)
    assert client.get(url).json()["city"] == family["city"]


def test_every_patch_and_put_documents_if_match_412_and_428() -> None:
    schema = create_app().openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"patch", "put"}:
                continue
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "if-match" in headers, (method, path)
            assert {"412", "428"} <= set(operation["responses"]), (method, path)
