"""Fixtures for the authentication tests: an app with real credentials (no operator override).

The suite-wide `app` fixture answers every request as the operator; these tests build their own
app per test, with a local signing secret and an OIDC issuer whose JWKS holds a fresh RSA key,
and log in as real accounts of each role.
"""

from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.models import Account
from app.auth.passwords import hash_password
from app.auth.principal import Principal, Role
from app.auth.schemas import AccountIn
from app.auth.tokens import Verifier
from app.config import OidcIssuer, Settings
from app.main import create_app
from tests import factories
from tests.auth.support import (
    AUDIENCE,
    ISSUER,
    JWT_SECRET,
    KID,
    PASSWORD,
    AppFactory,
    RsaKeys,
    Users,
)


@pytest.fixture(scope="session")
def rsa_keys() -> RsaKeys:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk.update(kid=KID, use="sig", alg="RS256")
    return RsaKeys(private, other, {"keys": [public_jwk]})


@pytest.fixture
def world(session: Session) -> factories.Setting:
    """A region's BVC and a municipality's socialtjänst that collaborate, one staff member each."""
    built = factories.setting(session)
    session.commit()
    return built


@pytest.fixture
def make_app(database_url: str) -> Iterator[AppFactory]:
    """Builds apps that verify real credentials; engines are disposed after the test."""
    made: list[FastAPI] = []

    def make(**settings: Any) -> FastAPI:
        settings.setdefault("jwt_secret", JWT_SECRET)
        application = create_app(Settings(database_url=database_url, **settings))
        made.append(application)
        return application

    yield make
    for application in made:
        application.state.engine.dispose()


@pytest.fixture
def auth_app(
    clean_db: None, world: factories.Setting, rsa_keys: RsaKeys, make_app: AppFactory
) -> FastAPI:
    """The app with the local secret and the region's OIDC issuer (inline JWKS)."""
    issuer = OidcIssuer(
        issuer=ISSUER,
        audience=AUDIENCE,
        organization_id=world.region_id,
        jwks=rsa_keys.jwks,
    )
    return make_app(oidc_issuers=[issuer])


@pytest.fixture
def client(auth_app: FastAPI) -> Iterator[TestClient]:
    """Overrides the suite's operator client: this one sends no credentials of its own."""
    with TestClient(auth_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def password_hash() -> str:
    """An Argon2 hash of PASSWORD, made once: hashing takes up to a second on a busy machine."""
    return hash_password(PASSWORD)


@pytest.fixture
def make_account(
    session: Session, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Account]:
    """Creates a local account through the service, as the operator."""
    monkeypatch.setattr(
        service, "hash_password", lambda p: password_hash if p == PASSWORD else hash_password(p)
    )

    def make(
        username: str,
        role: Role,
        organization_id: int,
        staff_id: int | None = None,
        password: str = PASSWORD,
    ) -> Account:
        account = service.create_account(
            session,
            Principal.operator(),
            AccountIn(
                username=username,
                password=password,
                role=role,
                organization_id=organization_id,
                staff_id=staff_id,
            ),
        )
        session.commit()  # ends the transaction: the app under test writes next
        return account

    return make


@pytest.fixture
def users(
    auth_app: FastAPI, world: factories.Setting, make_account: Callable[..., Account]
) -> Users:
    """Tokens as the login issues them (tests/auth/test_local_accounts.py logs in for real)."""
    accounts = {
        Role.nurse: ("anna", world.region_id, world.nurse_id),
        Role.social_worker: ("bosse", world.municipality_id, world.social_worker_id),
        Role.coordinator: ("cecilia", world.region_id, None),
        Role.auditor: ("david", world.region_id, None),
    }
    verifier: Verifier = auth_app.state.verifier
    headers = {}
    for role, (username, organization_id, staff_id) in accounts.items():
        account = make_account(username, role, organization_id, staff_id)
        token, _ = verifier.issue_local(account)
        headers[role] = {"Authorization": f"Bearer {token}"}
    return Users(headers, world)
