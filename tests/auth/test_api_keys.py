"""API keys for systems: created by a coordinator, shown once, stored hashed, scoped,
expiring and revocable."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.auth.principal import Role
from tests.auth.support import API, Users, assert_forbidden, assert_unauthorized, bearer


def create_key(client: TestClient, users: Users, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "SMS-påminnelser")
    body.setdefault("scopes", ["bookings:read"])
    response = client.post(f"{API}/api-keys", json=body, headers=users[Role.coordinator])
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_coordinator_creates_a_key_that_works_as_bearer(client: TestClient, users: Users) -> None:
    created = create_key(client, users)
    key = created["key"]
    assert key.startswith("hbk_") and len(key) > 40
    assert created["organization_id"] == users.world.region_id
    assert created["scopes"] == ["bookings:read"]
    assert created["expires_at"] is None and created["revoked_at"] is None
    me = client.get(f"{API}/auth/me", headers=bearer(key))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "subject": f"apikey:{created['id']}",
        "role": "system",
        "organization_id": users.world.region_id,
        "staff_id": None,
        "scopes": ["bookings:read"],
    }


def test_the_key_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, session: Session, users: Users
) -> None:
    created = create_key(client, users)
    key = created["key"]
    listed = client.get(f"{API}/api-keys", headers=users[Role.coordinator])
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()] == [created["id"]]
    assert key not in listed.text and "key" not in listed.json()[0]
    revoked = client.post(
        f"{API}/api-keys/{created['id']}/revocation", headers=users[Role.coordinator]
    )
    assert key not in revoked.text
    rows = session.execute(text("SELECT * FROM api_key")).mappings().all()
    session.rollback()
    assert len(rows) == 1
    assert rows[0]["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(v) for row in rows for v in row.values())
    assert key not in stored
    assert key.removeprefix("hbk_") not in stored


def test_scopes_are_enforced(client: TestClient, users: Users) -> None:
    key = create_key(client, users, scopes=["bookings:read"])["key"]
    assert client.get(f"{API}/bookings", headers=bearer(key)).status_code == 200
    assert_forbidden(client.post(f"{API}/bookings", json={}, headers=bearer(key)))
    assert_forbidden(client.get(f"{API}/families", headers=bearer(key)))
    assert_forbidden(client.post(f"{API}/families", json={}, headers=bearer(key)))
    assert_forbidden(client.get(f"{API}/api-keys", headers=bearer(key)))
    assert_forbidden(client.post(f"{API}/accounts", json={}, headers=bearer(key)))
    # Organizations, staff and templates are readable with bookings:read, not writable.
    assert client.get(f"{API}/program-templates", headers=bearer(key)).status_code == 200
    assert_forbidden(client.post(f"{API}/program-templates", json={}, headers=bearer(key)))

    families = create_key(client, users, name="Journalsystem", scopes=["families:read"])["key"]
    assert client.get(f"{API}/families", headers=bearer(families)).status_code == 200
    assert_forbidden(client.get(f"{API}/bookings", headers=bearer(families)))
    assert_forbidden(client.post(f"{API}/families", json={}, headers=bearer(families)))


def test_a_revoked_key_is_refused(client: TestClient, users: Users) -> None:
    created = create_key(client, users)
    key = created["key"]
    assert client.get(f"{API}/bookings", headers=bearer(key)).status_code == 200
    revoked = client.post(
        f"{API}/api-keys/{created['id']}/revocation", headers=users[Role.coordinator]
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert_unauthorized(client.get(f"{API}/bookings", headers=bearer(key)))
    assert_unauthorized(client.get(f"{API}/auth/me", headers=bearer(key)))


def test_an_expired_key_is_refused(client: TestClient, session: Session, users: Users) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    created = create_key(client, users, expires_at=soon.isoformat())
    key = created["key"]
    assert abs(datetime.fromisoformat(created["expires_at"]) - soon) < timedelta(seconds=1)
    assert client.get(f"{API}/bookings", headers=bearer(key)).status_code == 200
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == created["id"])
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    assert_unauthorized(client.get(f"{API}/bookings", headers=bearer(key)))


def test_a_key_cannot_be_created_already_expired(client: TestClient, users: Users) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = client.post(
        f"{API}/api-keys",
        json={"name": "Gammal", "scopes": ["bookings:read"], "expires_at": past},
        headers=users[Role.coordinator],
    )
    assert response.status_code == 422


def test_a_key_with_a_changed_character_is_refused(client: TestClient, users: Users) -> None:
    key = create_key(client, users)["key"]
    changed = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert_unauthorized(client.get(f"{API}/bookings", headers=bearer(changed)))


def test_only_admins_manage_keys(client: TestClient, users: Users) -> None:
    body = {"name": "Integration", "scopes": ["bookings:read"]}
    for role in (Role.nurse, Role.social_worker, Role.auditor):
        assert_forbidden(client.post(f"{API}/api-keys", json=body, headers=users[role]))
        assert_forbidden(client.get(f"{API}/api-keys", headers=users[role]))
    created = create_key(client, users)
    assert_forbidden(
        client.post(f"{API}/api-keys/{created['id']}/revocation", headers=users[Role.nurse])
    )
    # A key cannot mint keys either, and cannot revoke itself.
    key = created["key"]
    assert_forbidden(client.post(f"{API}/api-keys", json=body, headers=bearer(key)))


def test_a_coordinator_cannot_grant_admin_nor_serve_another_organization(
    client: TestClient, users: Users
) -> None:
    coordinator = users[Role.coordinator]
    admin = client.post(
        f"{API}/api-keys", json={"name": "Allt", "scopes": ["admin"]}, headers=coordinator
    )
    assert_forbidden(admin)
    other = client.post(
        f"{API}/api-keys",
        json={
            "name": "Kommunens",
            "scopes": ["bookings:read"],
            "organization_id": users.world.municipality_id,
        },
        headers=coordinator,
    )
    assert_forbidden(other)
    own = create_key(client, users, organization_id=users.world.region_id)
    assert own["organization_id"] == users.world.region_id


def test_a_key_of_another_organization_is_neither_listed_nor_revocable(
    client: TestClient, session: Session, users: Users, make_account: Any
) -> None:
    make_account("kommun.samordnare", Role.coordinator, users.world.municipality_id)
    login = client.post(
        f"{API}/auth/token",
        json={"username": "kommun.samordnare", "password": "korrekt häst batteri häftstift"},
    )
    municipality = bearer(login.json()["access_token"])
    theirs = client.post(
        f"{API}/api-keys",
        json={"name": "Kommunens", "scopes": ["bookings:read"]},
        headers=municipality,
    ).json()
    assert client.get(f"{API}/api-keys", headers=users[Role.coordinator]).json() == []
    response = client.post(
        f"{API}/api-keys/{theirs['id']}/revocation", headers=users[Role.coordinator]
    )
    assert response.status_code == 404
    assert client.get(f"{API}/bookings", headers=bearer(theirs["key"])).status_code == 200


def test_a_coordinator_cannot_grant_the_auditors_scope(client: TestClient, users: Users) -> None:
    """A coordinator lacks audit:read, so cannot hand it to a key (and read the audit trail
    through it)."""
    response = client.post(
        f"{API}/api-keys",
        json={"name": "Granskning", "scopes": ["audit:read"]},
        headers=users[Role.coordinator],
    )
    assert_forbidden(response)
