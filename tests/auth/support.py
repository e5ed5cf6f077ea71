"""Constants and token builders shared by the authentication tests."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from httpx import Response

from app.auth.principal import Role
from tests.factories import Setting

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
JWT_SECRET = "test-secret-of-the-local-issuer-0123456789"
PASSWORD = "korrekt häst batteri häftstift"
ISSUER = "https://idp.region.example/realms/bvc"
AUDIENCE = "hembesok-api"
KID = "region-key-1"
REGION_NURSE_HSA = "SE2321000000-N001"  # the nurse's HSA id in tests.factories.setting

AppFactory = Callable[..., FastAPI]


@dataclass(frozen=True)
class RsaKeys:
    private: rsa.RSAPrivateKey
    other: rsa.RSAPrivateKey  # a key the issuer never published
    jwks: dict[str, Any]


@dataclass(frozen=True)
class Users:
    """A bearer header per role: nurse and coordinator in the region, social worker in the
    municipality, auditor in the region."""

    headers: dict[Role, dict[str, str]]
    world: Setting

    def __getitem__(self, role: Role) -> dict[str, str]:
        return self.headers[role]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response: Response) -> dict[str, Any]:
    """401 as problem+json, with a Bearer challenge."""
    assert response.status_code == 401, (response.request.url, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["www-authenticate"].startswith("Bearer")
    body: dict[str, Any] = response.json()
    assert body["status"] == 401
    assert body["type"].startswith("https://")
    return body


def assert_forbidden(response: Response) -> None:
    assert response.status_code == 403, (response.request.url, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 403


def claims(**overrides: Any) -> dict[str, Any]:
    """OIDC claims the configured issuer would send for the region's nurse; None drops a claim."""
    now = datetime.now(UTC)
    result: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-4711",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "hembesok_role": "nurse",
        "hsa_id": REGION_NURSE_HSA,
    }
    result.update(overrides)
    return {k: v for k, v in result.items() if v is not None}


def rs256(key: Any, payload: dict[str, Any], kid: str | None = KID) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm="RS256", headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, default=lambda d: int(d.timestamp())).encode())


def unsigned(payload: dict[str, Any], kid: str | None = KID) -> str:
    """A token with alg=none and an empty signature, built by hand (PyJWT would not)."""
    header: dict[str, Any] = {"alg": "none", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    return f"{_segment(header)}.{_segment(payload)}."


def hs256_with(secret: bytes, payload: dict[str, Any], kid: str | None = KID) -> str:
    """An HS256 token with any bytes as secret, e.g. the issuer's public key PEM (PyJWT refuses
    to sign with a PEM, so this builds the token by hand)."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
