"""Working hours, overrides, absences, blocked times and closed days through the HTTP API."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from tests.api.support import API, assert_problem, put

WEEK = [{"weekday": d, "start_time": "08:00", "end_time": "12:00"} for d in range(5)] + [
    {"weekday": d, "start_time": "12:30", "end_time": "16:30"} for d in range(5)
]


@pytest.fixture
def api(client):
    return client


@pytest.fixture
def world(session: Session) -> factories.Setting:
    return factories.setting(session)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def test_weekly_pattern_is_replaced_as_a_whole(api: TestClient, world: factories.Setting) -> None:
    url = f"{API}/staff/{world.nurse_id}/working-hours"
    first = ok(put(api, url, json=WEEK))
    assert len(first) == 10
    assert first[0] == {
        "id": first[0]["id"],
        "staff_id": world.nurse_id,
        "weekday": 0,
        "start_time": "08:00:00",
        "end_time": "12:00:00",
    }

    ok(put(api, url, json=[{"weekday": 2, "start_time": "09:00", "end_time": "15:00"}]))
    assert [(h["weekday"], h["start_time"]) for h in ok(api.get(url))] == [(2, "09:00:00")]
    assert ok(put(api, url, json=[])) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"weekday": 0, "start_time": "16:00", "end_time": "08:00"}], "0.end_time"),
        ([{"weekday": 7, "start_time": "08:00", "end_time": "16:00"}], "0.weekday"),
        ([{"weekday": 0, "start_time": "08:00+01:00", "end_time": "16:00"}], "0.start_time"),
        ([{"weekday": 0, "start_time": "08:00:30", "end_time": "16:00"}], "0.start_time"),
        ([{"weekday": 0, "start_time": "08:00", "end_time": "16:00", "x": 1}], "0.x"),
        (
            [
                {"weekday": 0, "start_time": "08:00", "end_time": "12:00"},
                {"weekday": 0, "start_time": "11:00", "end_time": "16:00"},
            ],
            "1.start_time",
        ),
    ],
)
def test_bad_working_hours_name_the_field(
    api: TestClient, world: factories.Setting, body: list[dict[str, Any]], field: str
) -> None:
    response = put(api, f"{API}/staff/{world.nurse_id}/working-hours", json=body)
    assert_problem(response, 422, field=field)


def test_working_hours_of_an_unknown_staff_member_is_404(api: TestClient) -> None:
    assert_problem(put(api, f"{API}/staff/999999/working-hours", json=WEEK), 404)
    assert_problem(api.get(f"{API}/staff/999999/working-hours"), 404)


def test_overrides_add_list_filter_and_delete(api: TestClient, world: factories.Setting) -> None:
    url = f"{API}/staff/{world.nurse_id}/working-hours/overrides"
    off = ok(api.post(url, json={"on": "2026-06-19"}), 201)
    assert off["start_time"] is None and off["end_time"] is None
    ok(api.post(url, json={"on": "2026-09-15", "start_time": "07:00", "end_time": "10:00"}), 201)
    ok(api.post(url, json={"on": "2026-09-15", "start_time": "13:00", "end_time": "15:00"}), 201)

    assert len(ok(api.get(url))["items"]) == 3
    june = ok(api.get(url, params={"from_date": "2026-06-01", "to_date": "2026-06-30"}))
    assert [o["on"] for o in june["items"]] == ["2026-06-19"]

    ok(api.delete(f"{url}/{off['id']}"), 204)
    assert_problem(api.delete(f"{url}/{off['id']}"), 404)
    assert len(ok(api.get(url))["items"]) == 2


def test_override_conflicts_and_validation(api: TestClient, world: factories.Setting) -> None:
    url = f"{API}/staff/{world.nurse_id}/working-hours/overrides"
    ok(api.post(url, json={"on": "2026-09-15", "start_time": "07:00", "end_time": "10:00"}), 201)

    assert_problem(api.post(url, json={"on": "2026-09-15"}), 409)
    overlapping = {"on": "2026-09-15", "start_time": "09:00", "end_time": "11:00"}
    assert_problem(api.post(url, json=overlapping), 409)
    assert_problem(
        api.post(url, json={"on": "2026-09-16", "start_time": "09:00"}), 422, field="end_time"
    )
    backwards = {"on": "2026-09-16", "start_time": "11:00", "end_time": "09:00"}
    assert_problem(api.post(url, json=backwards), 422, field="end_time")


def test_override_of_another_staff_member_is_not_found(
    api: TestClient, world: factories.Setting
) -> None:
    url = f"{API}/staff/{world.nurse_id}/working-hours/overrides"
    created = ok(api.post(url, json={"on": "2026-09-15"}), 201)
    other = f"{API}/staff/{world.social_worker_id}/working-hours/overrides/{created['id']}"
    assert_problem(api.delete(other), 404)


def test_absence_by_instants_and_by_whole_local_days(
    api: TestClient, world: factories.Setting
) -> None:
    url = f"{API}/staff/{world.social_worker_id}/absences"
    training = ok(
        api.post(
            url,
            json={
                "kind": "training",
                "starts_at": "2026-09-15T09:00:00+02:00",
                "ends_at": "2026-09-15T12:00:00+02:00",
                "note": "HLR",
            },
        ),
        201,
    )
    assert training["starts_at"].startswith("2026-09-15T07:00:00")
    vacation = ok(
        api.post(
            url, json={"kind": "vacation", "first_day": "2026-10-24", "last_day": "2026-10-25"}
        ),
        201,
    )
    # Local midnight before the first day (summer time) to local midnight after the last (winter).
    assert vacation["starts_at"].startswith("2026-10-23T22:00:00")
    assert vacation["ends_at"].startswith("2026-10-25T23:00:00")

    october = ok(
        api.get(url, params={"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"})
    )
    assert [a["kind"] for a in october["items"]] == ["vacation"]
    ok(api.delete(f"{url}/{training['id']}"), 204)
    assert [a["id"] for a in ok(api.get(url))["items"]] == [vacation["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "kind": "vacation",
                "starts_at": "2026-09-15T09:00:00",
                "ends_at": "2026-09-16T09:00:00Z",
            },
            "starts_at",
        ),
        (
            {
                "kind": "vacation",
                "starts_at": "2026-09-16T09:00:00Z",
                "ends_at": "2026-09-15T09:00:00Z",
            },
            "ends_at",
        ),
        ({"kind": "vacation", "starts_at": "2026-09-16T09:00:00Z"}, "ends_at"),
        ({"kind": "vacation", "first_day": "2026-09-16", "last_day": "2026-09-15"}, "last_day"),
        ({"kind": "holiday", "first_day": "2026-09-16", "last_day": "2026-09-16"}, "kind"),
        ({"kind": "vacation"}, "body"),
        (
            {
                "kind": "vacation",
                "first_day": "2026-09-16",
                "last_day": "2026-09-16",
                "starts_at": "2026-09-16T09:00:00Z",
                "ends_at": "2026-09-16T10:00:00Z",
            },
            "body",
        ),
    ],
)
def test_bad_absences_name_the_field(
    api: TestClient, world: factories.Setting, body: dict[str, Any], field: str
) -> None:
    response = api.post(f"{API}/staff/{world.nurse_id}/absences", json=body)
    assert_problem(response, 422, field=field)


def test_blocked_times_add_list_and_delete(api: TestClient, world: factories.Setting) -> None:
    url = f"{API}/units/{world.bvc_id}/blocked-times"
    meeting = ok(
        api.post(
            url,
            json={
                "first_start_local": "2026-01-05T09:00:00",
                "duration_minutes": 60,
                "rrule": "RRULE:FREQ=WEEKLY;BYDAY=MO",
                "reason": "Teammöte",
            },
        ),
        201,
    )
    assert meeting["rrule"] == "FREQ=WEEKLY;BYDAY=MO"
    assert meeting["first_start_local"] == "2026-01-05T09:00:00"
    ok(
        api.post(
            url,
            json={
                "first_start_local": "2026-09-15T13:00",
                "duration_minutes": 120,
                "reason": "APT",
            },
        ),
        201,
    )

    assert len(ok(api.get(url))["items"]) == 2
    assert ok(api.get(f"{API}/units/{world.social_unit_id}/blocked-times"))["items"] == []
    assert_problem(
        api.delete(f"{API}/units/{world.social_unit_id}/blocked-times/{meeting['id']}"), 404
    )
    ok(api.delete(f"{url}/{meeting['id']}"), 204)
    assert len(ok(api.get(url))["items"]) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rrule": "FREQ=MINUTELY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20270101T000000Z"}, "rrule"),
        ({"first_start_local": "2026-01-05T09:00:00+01:00"}, "first_start_local"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"reason": ""}, "reason"),
    ],
)
def test_bad_blocked_times_name_the_field(
    api: TestClient, world: factories.Setting, fields: dict[str, Any], field: str
) -> None:
    body = {
        "first_start_local": "2026-01-05T09:00:00",
        "duration_minutes": 60,
        "rrule": "FREQ=WEEKLY",
        "reason": "Teammöte",
        **fields,
    }
    assert_problem(
        api.post(f"{API}/units/{world.bvc_id}/blocked-times", json=body), 422, field=field
    )


def test_blocked_times_of_an_unknown_unit_is_404(api: TestClient) -> None:
    body = {"first_start_local": "2026-01-05T09:00", "duration_minutes": 60, "reason": "Möte"}
    assert_problem(api.post(f"{API}/units/999999/blocked-times", json=body), 404)


def test_closed_days_global_and_per_organization(api: TestClient, world: factories.Setting) -> None:
    url = f"{API}/closed-days"
    everywhere = ok(api.post(url, json={"on": "2026-12-23", "name": "Dag före julafton"}), 201)
    region = ok(
        api.post(
            url,
            json={"organization_id": world.region_id, "on": "2026-08-14", "name": "Planeringsdag"},
        ),
        201,
    )
    ok(
        api.post(
            url,
            json={
                "organization_id": world.municipality_id,
                "on": "2026-08-21",
                "name": "Studiedag",
            },
        ),
        201,
    )

    for_region = ok(api.get(url, params={"organization_id": world.region_id}))
    assert {d["id"] for d in for_region["items"]} == {everywhere["id"], region["id"]}
    august = ok(api.get(url, params={"from_date": "2026-08-01", "to_date": "2026-08-31"}))
    assert len(august["items"]) == 2

    assert_problem(api.post(url, json={"on": "2026-12-23", "name": "Igen"}), 409)
    assert_problem(
        api.post(url, json={"organization_id": 999999, "on": "2026-12-22", "name": "X"}),
        422,
        field="organization_id",
    )
    ok(api.delete(f"{url}/{everywhere['id']}"), 204)
    assert_problem(api.delete(f"{url}/{everywhere['id']}"), 404)
