"""Local accounts: login, the token it gives, and the refusals (all alike, all 401)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Account
from app.auth.principal import Role
from app.auth.tokens import LOCAL_AUDIENCE, LOCAL_ISSUER
from tests.auth.support import API, JWT_SECRET, PASSWORD, AppFactory, assert_unauthorized, bearer
from tests.factories import Setting

MakeAccount = Callable[..., Account]


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post(f"{API}/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    token: str = body["access_token"]
    return token


def local_token(secret: str = JWT_SECRET, **overrides: object) -> str:
    now = datetime.now(UTC)
    payload = {
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "sub": "1",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, "HS256")


def test_login_gives_a_token_for_the_account(
    client: TestClient, world: Setting, make_account: MakeAccount
) -> None:
    account = make_account("anna.nurse", Role.nurse, world.region_id, world.nurse_id)
    token = login(client, "anna.nurse")
    me = client.get(f"{API}/auth/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "subject": f"account:{account.id}",
        "role": "nurse",
        "organization_id": world.region_id,
        "staff_id": world.nurse_id,
        "scopes": ["bookings:read", "bookings:write", "families:read", "families:write"],
    }
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience=LOCAL_AUDIENCE)
    assert claims["iss"] == LOCAL_ISSUER
    assert claims["sub"] == str(account.id)
    assert set(claims) == {"iss", "aud", "sub", "iat", "exp"}  # role and org come from the db


def test_the_password_is_stored_as_an_argon2_hash(
    session: Session, world: Setting, make_account: MakeAccount
) -> None:
    make_account("anna.nurse", Role.nurse, world.region_id)
    stored = session.scalar(select(Account.password_hash).where(Account.username == "anna.nurse"))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_wrong_password_and_unknown_user_get_the_same_401(
    client: TestClient, world: Setting, make_account: MakeAccount
) -> None:
    make_account("anna.nurse", Role.nurse, world.region_id)
    wrong = client.post(
        f"{API}/auth/token", json={"username": "anna.nurse", "password": "fel lösenord här"}
    )
    unknown = client.post(
        f"{API}/auth/token", json={"username": "ingen.alls", "password": "fel lösenord här"}
    )
    assert assert_unauthorized(wrong) == assert_unauthorized(unknown)
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]


def test_a_disabled_account_can_neither_log_in_nor_use_its_token(
    client: TestClient, session: Session, world: Setting, make_account: MakeAccount
) -> None:
    account = make_account("anna.nurse", Role.nurse, world.region_id)
    token = login(client, "anna.nurse")
    stored = session.get(Account, account.id)
    assert stored is not None
    stored.active = False
    session.commit()
    refused = client.post(
        f"{API}/auth/token", json={"username": "anna.nurse", "password": PASSWORD}
    )
    unknown = client.post(
        f"{API}/auth/token", json={"username": "ingen.alls", "password": PASSWORD}
    )
    assert assert_unauthorized(refused) == assert_unauthorized(unknown)  # no hint it exists
    assert_unauthorized(client.get(f"{API}/auth/me", headers=bearer(token)))


def test_a_local_token_signed_with_another_secret_is_refused(
    client: TestClient, world: Setting, make_account: MakeAccount
) -> None:
    account = make_account("anna.nurse", Role.nurse, world.region_id)
    assert client.get(f"{API}/auth/me", headers=bearer(local_token(sub=str(account.id)))).is_success
    forged = local_token("another-secret-of-at-least-32-bytes!!", sub=str(account.id))
    assert_unauthorized(client.get(f"{API}/auth/me", headers=bearer(forged)))


def test_local_tokens_expired_for_another_audience_or_unknown_account_are_refused(
    client: TestClient, world: Setting, make_account: MakeAccount
) -> None:
    account = make_account("anna.nurse", Role.nurse, world.region_id)
    sub = str(account.id)
    past = datetime.now(UTC) - timedelta(minutes=10)
    for token in (
        local_token(sub=sub, exp=past, iat=past - timedelta(hours=1)),
        local_token(sub=sub, exp=None),
        local_token(sub=sub, aud="another-service"),
        local_token(sub=str(account.id + 1000)),
        local_token(sub="anna.nurse"),
    ):
        assert_unauthorized(client.get(f"{API}/auth/me", headers=bearer(token)))


def test_a_token_of_one_app_is_refused_by_an_app_with_another_secret(
    client: TestClient, world: Setting, make_account: MakeAccount, make_app: AppFactory
) -> None:
    make_account("anna.nurse", Role.nurse, world.region_id)
    token = login(client, "anna.nurse")
    other = make_app(jwt_secret="a-different-deployment-secret-0123456789")
    with TestClient(other, raise_server_exceptions=False) as other_client:
        assert_unauthorized(other_client.get(f"{API}/auth/me", headers=bearer(token)))
