from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OidcIssuer(BaseModel):
    """A trusted identity provider; the organization comes from here, never from a claim."""

    issuer: str
    audience: str
    organization_id: int
    jwks_url: str | None = None
    jwks: dict[str, Any] | None = Field(default=None, description="Inline JWKS (tests, offline)")
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    role_claim: str = "hembesok_role"
    staff_claim: str | None = "hsa_id"


class Settings(BaseSettings):
    """Runtime settings, read from the environment (prefix HEMBESOK_) or a .env file."""

    model_config = SettingsConfigDict(env_prefix="HEMBESOK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/hembesok.db"
    timezone: str = "Europe/Stockholm"
    page_size_default: int = 50
    page_size_max: int = 200
    sqlite_busy_timeout_ms: int = 10_000
    import_max_bytes: int = 20 * 1024 * 1024
    sql_echo: bool = False
    home_visit_buffer_minutes: int = 30
    max_booking_hours: int = 8
    max_list_range_days: int = 366
    # Calendar feeds: which bookings a subscription shows, and links in them.
    calendar_days_back: int = 30
    calendar_months_ahead: int = 18
    calendar_cancelled_kept_days: int = 30
    calendar_fallback_organizer: str = "noreply@hembesok.invalid"
    # The address clients reach the service at (https://…); else the request's own base URL.
    public_base_url: str | None = None
    # Local accounts get short-lived HS256 tokens signed with this secret. Replicas must share
    # it; when unset, each process makes its own (fine for the single-process embedded mode).
    jwt_secret: str | None = None
    local_token_minutes: int = 60
    oidc_issuers: list[OidcIssuer] = Field(default_factory=list)
    jwks_cache_seconds: int = 3600
    # API hygiene (app/http): request size, PostgreSQL statement timeout, CORS, idempotency keys.
    max_body_bytes: int = 1024 * 1024  # /api/v1/imports/* use import_max_bytes instead
    statement_timeout_ms: int = 15_000  # PostgreSQL only; 0 turns it off
    # Browser origins allowed to call the API; empty (the default) installs no CORS at all.
    cors_origins: list[str] = Field(default_factory=list)
    idempotency_ttl_hours: int = 24
    # A reservation still "in progress" after this long is taken to be from a crashed process.
    idempotency_lock_seconds: int = 300


@lru_cache
def get_settings() -> Settings:
    return Settings()
