"""The subscription API: own organization only, the secret shown once, admin scope."""

import pytest
from fastapi import Request

from app.auth.deps import current_principal
from app.auth.principal import ROLE_SCOPES, Principal, Role
from tests import factories


def caller(request: Request) -> Principal:
    """X-Test-Org: 12 (coordinator of organization 12), X-Test-Role: nurse; else the operator."""
    org = request.headers.get("x-test-org")
    if org is None:
        return Principal.operator()
    role = Role(request.headers.get("x-test-role", "coordinator"))
    return Principal(
        subject=f"test:{org}:{role}",
        role=role,
        organization_id=int(org),
        scopes=ROLE_SCOPES[role],
    )


@pytest.fixture
def callers(app, monkeypatch):
    monkeypatch.setitem(app.dependency_overrides, current_principal, caller)


def as_org(org_id: int, role: str = "coordinator") -> dict[str, str]:
    return {"X-Test-Org": str(org_id), "X-Test-Role": role}


def test_subscriptions_belong_to_the_callers_organization(client, session, callers):
    s = factories.setting(session)
    session.rollback()
    region, municipality = as_org(s.region_id), as_org(s.municipality_id)
    created = client.post(
        "/api/v1/webhooks",
        json={"url": "https://journal.example.se/hooks", "event_types": ["booking.booked"]},
        headers=region,
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["organization_id"] == s.region_id
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    assert hook["event_types"] == ["booking.booked"] and hook["active"] is True

    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=region)
    assert shown.status_code == 200
    assert "secret" not in shown.json()  # shown once, at creation
    listed = client.get("/api/v1/webhooks", headers=region).json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert all("secret" not in h for h in listed)

    # Another organization sees nothing of it.
    assert client.get("/api/v1/webhooks", headers=municipality).json()["items"] == []
    for path in (f"/api/v1/webhooks/{hook['id']}", f"/api/v1/webhooks/{hook['id']}/deliveries"):
        assert client.get(path, headers=municipality).status_code == 404
    gone = client.post(f"/api/v1/webhooks/{hook['id']}/deactivation", headers=municipality)
    assert gone.status_code == 404
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=region).json()["active"] is True
    # Nor may it create one for the region.
    foreign = client.post(
        "/api/v1/webhooks",
        json={"url": "https://x.example.se/h", "organization_id": s.region_id},
        headers=municipality,
    )
    assert foreign.status_code == 403
    # The operator sees all.
    assert len(client.get("/api/v1/webhooks").json()["items"]) == 1


def test_only_the_admin_scope_manages_webhooks(client, session, callers):
    s = factories.setting(session)
    session.rollback()
    nurse = as_org(s.region_id, "nurse")
    body = {"url": "https://journal.example.se/hooks"}
    assert client.post("/api/v1/webhooks", json=body, headers=nurse).status_code == 403
    assert client.get("/api/v1/webhooks", headers=nurse).status_code == 403


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("http://journal.example.se/hooks", "url"),  # plain http only to localhost
        ("ftp://journal.example.se/hooks", "url"),
        ("https://user:pw@journal.example.se/hooks", "url"),
        ("https://", "url"),
        # Found by schemathesis: urlsplit raises on these, which was a 500.
        ("https://]", "url"),
        ("https://[::1/hooks", "url"),
        ("https://journal.example.se:x/hooks", "url"),
        ("https://journal.example.se:99999/hooks", "url"),
    ],
)
def test_the_url_is_checked(client, session, url, field):
    s = factories.setting(session)
    session.rollback()
    refused = client.post("/api/v1/webhooks", json={"url": url, "organization_id": s.region_id})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == field


def test_the_operator_names_the_organization(client, session):
    assert client.post("/api/v1/webhooks", json={"url": "https://a.example.se/h"}).status_code == (
        422
    )
    unknown = client.post(
        "/api/v1/webhooks", json={"url": "https://a.example.se/h", "organization_id": 999999}
    )
    assert unknown.status_code == 422
    assert client.get("/api/v1/webhooks/999999").status_code == 404
    assert client.get("/api/v1/webhooks/999999/deliveries").status_code == 404
