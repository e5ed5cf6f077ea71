"""Bearer credentials: local-account JWTs, OIDC JWTs from configured issuers, and API keys."""

import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Account, ApiKey
from app.auth.principal import ROLE_SCOPES, Principal, Role, Scope
from app.config import OidcIssuer, Settings
from app.organizations.models import Unit
from app.staff.models import Staff

LOCAL_ISSUER = "urn:hembesok:local"
LOCAL_AUDIENCE = "hembesok"
API_KEY_PREFIX = "hbk_"
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


class InvalidCredentials(Exception):
    """The credential is missing, malformed, expired, revoked or not trusted."""


def hash_api_key(key: str) -> str:
    # The key has 256 random bits: a plain SHA-256 is enough, and lookup by hash stays indexed.
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


class Verifier:
    """Verifies bearer tokens; one per app, holding the signing secret and cached JWKS clients."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = settings.jwt_secret or secrets.token_urlsafe(48)
        self._issuers = {i.issuer: i for i in settings.oidc_issuers}
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def issue_local(self, account: Account, now: datetime | None = None) -> tuple[str, int]:
        now = now or datetime.now(UTC)
        lifetime = timedelta(minutes=self.settings.local_token_minutes)
        claims = {
            "iss": LOCAL_ISSUER,
            "aud": LOCAL_AUDIENCE,
            "sub": str(account.id),
            "iat": now,
            "exp": now + lifetime,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256"), int(lifetime.total_seconds())

    def principal(self, session: Session, token: str) -> Principal:
        if token.startswith(API_KEY_PREFIX):
            return self._api_key(session, token)
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidCredentials("malformed token") from None
        issuer = unverified.get("iss")
        if issuer == LOCAL_ISSUER:
            return self._local(session, token)
        config = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if config is None:
            raise InvalidCredentials("untrusted issuer")
        return self._oidc(session, token, config)

    def _api_key(self, session: Session, token: str) -> Principal:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(token)))
        now = datetime.now(UTC)
        if key is None or key.revoked_at is not None:
            raise InvalidCredentials("unknown or revoked API key")
        if key.expires_at is not None and key.expires_at <= now:
            raise InvalidCredentials("expired API key")
        scopes = frozenset(Scope(s) for s in key.scopes if s in Scope._value2member_map_)
        return Principal(f"apikey:{key.id}", Role.system, key.organization_id, None, scopes)

    def _local(self, session: Session, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                audience=LOCAL_AUDIENCE,
                issuer=LOCAL_ISSUER,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError:
            raise InvalidCredentials("invalid local token") from None
        account = session.get(Account, int(claims["sub"])) if claims["sub"].isdigit() else None
        if account is None or not account.active:
            raise InvalidCredentials("account unknown or disabled")
        return Principal(
            f"account:{account.id}",
            account.role,
            account.organization_id,
            account.staff_id,
            ROLE_SCOPES[account.role],
        )

    def _jwk_client(self, config: OidcIssuer) -> jwt.PyJWKClient | None:
        if config.jwks_url is None:
            return None
        with self._lock:
            client = self._clients.get(config.issuer)
            if client is None:
                client = jwt.PyJWKClient(
                    config.jwks_url, cache_keys=True, lifespan=self.settings.jwks_cache_seconds
                )
                self._clients[config.issuer] = client
            return client

    def _signing_key(self, token: str, config: OidcIssuer) -> Any:
        client = self._jwk_client(config)
        try:
            if client is not None:
                return client.get_signing_key_from_jwt(token).key
            kid = jwt.get_unverified_header(token).get("kid")
            keys = jwt.PyJWKSet.from_dict(config.jwks or {"keys": []})
            for key in keys.keys:
                if key.key_id == kid:
                    return key.key
        except jwt.PyJWTError:
            raise InvalidCredentials("signing key not found") from None
        raise InvalidCredentials("signing key not found")

    def _oidc(self, session: Session, token: str, config: OidcIssuer) -> Principal:
        key = self._signing_key(token, config)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=config.algorithms,
                audience=config.audience,
                issuer=config.issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError:
            raise InvalidCredentials("invalid token") from None
        try:
            role = Role(claims.get(config.role_claim, ""))
        except ValueError:
            raise InvalidCredentials("no Hembesök role in the token") from None
        if role is Role.system:
            raise InvalidCredentials("systems use API keys")
        staff_id = None
        if config.staff_claim and isinstance(claims.get(config.staff_claim), str):
            # Only staff of the issuer's own organization: an IdP speaks for its users only.
            staff_id = session.scalar(
                select(Staff.id)
                .join(Unit, Unit.id == Staff.unit_id)
                .where(
                    Staff.hsa_id == claims[config.staff_claim],
                    Unit.organization_id == config.organization_id,
                )
            )
        return Principal(
            f"oidc:{config.issuer}#{claims['sub']}",
            role,
            config.organization_id,
            staff_id,
            ROLE_SCOPES[role],
        )
