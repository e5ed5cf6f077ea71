"""OIDC bearer JWTs: accepted only from a configured issuer, for our audience, signed by a key
in the issuer's JWKS with an allowed algorithm, unexpired, with a user role. The organization
is the one configured for the issuer, whatever the token claims."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from app.auth.tokens import LOCAL_AUDIENCE, LOCAL_ISSUER
from app.config import OidcIssuer
from tests.auth.support import (
    API,
    AUDIENCE,
    ISSUER,
    KID,
    AppFactory,
    RsaKeys,
    assert_forbidden,
    assert_unauthorized,
    bearer,
    claims,
    hs256_with,
    rs256,
    unsigned,
)
from tests.factories import Setting


def me(client: TestClient, token: str) -> Any:
    return client.get(f"{API}/auth/me", headers=bearer(token))


def test_a_valid_token_of_the_configured_issuer_is_accepted(
    client: TestClient, rsa_keys: RsaKeys, world: Setting
) -> None:
    response = me(client, rs256(rsa_keys.private, claims()))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": f"oidc:{ISSUER}#user-4711",
        "role": "nurse",
        "organization_id": world.region_id,
        "staff_id": world.nurse_id,  # found by the HSA id claim
        "scopes": ["bookings:read", "bookings:write", "families:read", "families:write"],
    }
    families = client.get(f"{API}/families", headers=bearer(rs256(rsa_keys.private, claims())))
    assert families.status_code == 200


def test_the_role_comes_from_the_role_claim(
    client: TestClient, rsa_keys: RsaKeys, world: Setting
) -> None:
    token = rs256(rsa_keys.private, claims(hembesok_role="auditor", hsa_id=None))
    response = me(client, token)
    assert response.status_code == 200
    assert response.json()["role"] == "auditor"
    assert response.json()["staff_id"] is None
    assert_forbidden(client.get(f"{API}/families", headers=bearer(token)))


def test_an_audience_list_naming_us_is_accepted(client: TestClient, rsa_keys: RsaKeys) -> None:
    token = rs256(rsa_keys.private, claims(aud=["journal-system", AUDIENCE]))
    assert me(client, token).status_code == 200


def test_the_organization_comes_from_the_issuer_not_from_a_claim(
    client: TestClient, rsa_keys: RsaKeys, world: Setting
) -> None:
    other = world.municipality_id
    token = rs256(
        rsa_keys.private,
        claims(organization_id=other, org=other, org_id=str(other), organization=str(other)),
    )
    response = me(client, token)
    assert response.status_code == 200
    assert response.json()["organization_id"] == world.region_id


def test_an_unknown_hsa_id_names_no_staff_member(client: TestClient, rsa_keys: RsaKeys) -> None:
    response = me(client, rs256(rsa_keys.private, claims(hsa_id="SE2321000000-NONE")))
    assert response.status_code == 200
    assert response.json()["staff_id"] is None


def _refused(rsa_keys: RsaKeys) -> dict[str, str]:
    """Tokens that must all be refused, by name."""
    now = datetime.now(UTC)
    key = rsa_keys.private
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "expired": rs256(key, claims(iat=now - timedelta(hours=2), exp=now - timedelta(hours=1))),
        "expired just now": rs256(key, claims(exp=now - timedelta(seconds=5))),
        "not yet valid": rs256(key, claims(nbf=now + timedelta(hours=1))),
        "wrong audience": rs256(key, claims(aud="another-api")),
        "audience missing": rs256(key, claims(aud=None)),
        "unconfigured issuer": rs256(key, claims(iss="https://idp.evil.example")),
        "issuer missing": rs256(key, claims(iss=None)),
        "issuer in another case": rs256(key, claims(iss=ISSUER.upper())),
        "exp missing": rs256(key, claims(exp=None)),
        "sub missing": rs256(key, claims(sub=None)),
        "alg none": unsigned(claims()),
        "alg none, no kid": unsigned(claims(), kid=None),
        "HS256 with the public key PEM as secret": hs256_with(public_pem, claims()),
        "HS256 with the public key PEM, no kid": hs256_with(public_pem, claims(), kid=None),
        "unknown key and kid": rs256(rsa_keys.other, claims(), kid="attacker-key"),
        "unknown key, known kid": rs256(rsa_keys.other, claims()),
        "unknown key, no kid": rs256(rsa_keys.other, claims(), kid=None),
        "signature cut off": rs256(key, claims()).rsplit(".", 1)[0] + ".",
        "payload changed after signing": _swap_payload(rs256(key, claims()), claims(sub="x")),
        "role system": rs256(key, claims(hembesok_role="system")),
        "role garbage": rs256(key, claims(hembesok_role="superuser")),
        "role as a list": rs256(key, claims(hembesok_role=["coordinator"])),
        "role missing": rs256(key, claims(hembesok_role=None)),
        "local issuer signed with the RSA key": rs256(
            key, claims(iss=LOCAL_ISSUER, aud=LOCAL_AUDIENCE, sub="1")
        ),
    }


def _swap_payload(token: str, payload: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    other = unsigned(payload).split(".")[1]
    return f"{header}.{other}.{signature}"


REFUSED = [
    "expired",
    "expired just now",
    "not yet valid",
    "wrong audience",
    "audience missing",
    "unconfigured issuer",
    "issuer missing",
    "issuer in another case",
    "exp missing",
    "sub missing",
    "alg none",
    "alg none, no kid",
    "HS256 with the public key PEM as secret",
    "HS256 with the public key PEM, no kid",
    "unknown key and kid",
    "unknown key, known kid",
    "unknown key, no kid",
    "signature cut off",
    "payload changed after signing",
    "role system",
    "role garbage",
    "role as a list",
    "role missing",
    "local issuer signed with the RSA key",
]


def test_the_refused_list_is_complete(rsa_keys: RsaKeys) -> None:
    assert sorted(_refused(rsa_keys)) == sorted(REFUSED)


@pytest.mark.parametrize("case", REFUSED)
def test_bad_tokens_are_refused(client: TestClient, rsa_keys: RsaKeys, case: str) -> None:
    token = _refused(rsa_keys)[case]
    assert_unauthorized(me(client, token))
    assert_unauthorized(client.get(f"{API}/families", headers=bearer(token)))


def test_tokens_of_an_issuer_are_only_good_for_its_own_configuration(
    rsa_keys: RsaKeys, world: Setting, make_app: AppFactory
) -> None:
    """A token minted for another audience of the same issuer is refused; algorithms outside
    the configured list are refused even when the key would verify them."""
    app = make_app(
        oidc_issuers=[
            OidcIssuer(
                issuer=ISSUER,
                audience=AUDIENCE,
                organization_id=world.region_id,
                jwks=rsa_keys.jwks,
                algorithms=["RS512"],
            )
        ]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert_unauthorized(me(client, rs256(rsa_keys.private, claims())))
        rs512 = jwt.encode(claims(), rsa_keys.private, "RS512", headers={"kid": KID})
        assert me(client, rs512).status_code == 200


class _JwksServer:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                body = json.dumps(jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/jwks.json"


@pytest.fixture
def jwks_server(rsa_keys: RsaKeys) -> Iterator[_JwksServer]:
    server = _JwksServer(rsa_keys.jwks)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_keys_are_fetched_from_the_jwks_url_and_cached(
    rsa_keys: RsaKeys, world: Setting, make_app: AppFactory, jwks_server: _JwksServer
) -> None:
    app = make_app(
        oidc_issuers=[
            OidcIssuer(
                issuer=ISSUER,
                audience=AUDIENCE,
                organization_id=world.region_id,
                jwks_url=jwks_server.url,
            )
        ]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(3):
            response = me(client, rs256(rsa_keys.private, claims()))
            assert response.status_code == 200, response.text
            assert response.json()["organization_id"] == world.region_id
        assert jwks_server.requests == 1
        for n in range(3):
            assert_unauthorized(me(client, rs256(rsa_keys.other, claims(), kid=f"attacker-{n}")))
        # Unknown kids do not make every request a fetch from the IdP.
        assert jwks_server.requests <= 2
        assert_unauthorized(me(client, unsigned(claims())))
        assert_unauthorized(me(client, rs256(rsa_keys.private, claims(aud="another-api"))))


def test_an_unreachable_jwks_url_refuses_rather_than_fails(
    rsa_keys: RsaKeys, world: Setting, make_app: AppFactory
) -> None:
    app = make_app(
        oidc_issuers=[
            OidcIssuer(
                issuer=ISSUER,
                audience=AUDIENCE,
                organization_id=world.region_id,
                jwks_url="http://127.0.0.1:9/jwks.json",
            )
        ]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert_unauthorized(me(client, rs256(rsa_keys.private, claims())))


def test_the_staff_claim_names_only_staff_of_the_issuers_organization(
    rsa_keys: RsaKeys, world: Setting, make_app: AppFactory
) -> None:
    """The municipality's IdP cannot make its user the region's nurse (and so a member of the
    family's team) by sending her HSA id."""
    app = make_app(
        oidc_issuers=[
            OidcIssuer(
                issuer=ISSUER,
                audience=AUDIENCE,
                organization_id=world.municipality_id,
                jwks=rsa_keys.jwks,
            )
        ]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        token = rs256(rsa_keys.private, claims(hembesok_role="social_worker"))
        response = me(client, token)
        assert response.status_code == 200, response.text
        assert response.json()["organization_id"] == world.municipality_id
        assert response.json()["staff_id"] is None
