"""`hembesok auth create-account | create-api-key`: the first coordinator and system keys."""

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.auth.models import Account, ApiKey
from app.cli import cli
from app.config import get_settings
from tests.auth.support import API, PASSWORD, assert_forbidden, assert_unauthorized, bearer
from tests.factories import Setting


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEMBESOK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["auth", *args], input=input)


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(f"{API}/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def test_the_first_coordinator_is_created_and_logs_in(
    cli_env: None, client: TestClient, world: Setting
) -> None:
    result = run(
        "create-account",
        "--username",
        "forsta.samordnare",
        "--role",
        "coordinator",
        "--organization-id",
        str(world.region_id),
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "forsta.samordnare" in result.stdout
    assert PASSWORD not in result.output
    headers = login(client, "forsta.samordnare")
    me = client.get(f"{API}/auth/me", headers=headers).json()
    assert me["role"] == "coordinator"
    assert me["organization_id"] == world.region_id
    # The coordinator can now do the rest through the API.
    created = client.post(
        f"{API}/accounts",
        json={"username": "anna.nurse", "password": PASSWORD, "role": "nurse"},
        headers=headers,
    )
    assert created.status_code == 201, created.text


def test_the_password_prompt_asks_twice_and_hides_input(
    cli_env: None, client: TestClient, world: Setting
) -> None:
    result = run(
        "create-account",
        "--username",
        "anna.nurse",
        "--role",
        "nurse",
        "--organization-id",
        str(world.region_id),
        "--staff-id",
        str(world.nurse_id),
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    me = client.get(f"{API}/auth/me", headers=login(client, "anna.nurse")).json()
    assert me["staff_id"] == world.nurse_id


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        ([], "kort", "password"),
        (["--role", "system"], PASSWORD, "API keys"),
        (["--organization-id", "999999"], PASSWORD, "no such organization"),
        (["--staff-id", "999999"], PASSWORD, "no such staff member"),
        (["--staff-id", "{social_worker_id}"], PASSWORD, "another organization"),
        (["--username", "X"], PASSWORD, "username"),
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_written(
    cli_env: None,
    session: Session,
    world: Setting,
    args: list[str],
    password: str,
    message: str,
) -> None:
    options = {
        "--username": "anna.nurse",
        "--role": "nurse",
        "--organization-id": str(world.region_id),
    }
    for name, value in zip(args[::2], args[1::2], strict=True):
        options[name] = value.format(social_worker_id=world.social_worker_id)
    flat = [part for pair in options.items() for part in pair]
    result = run("create-account", *flat, "--password-stdin", input=password + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert session.scalar(select(func.count()).select_from(Account)) == 0
    session.rollback()


def test_a_taken_username_is_refused(cli_env: None, world: Setting) -> None:
    args = ["--username", "anna.nurse", "--role", "nurse"]
    args += ["--organization-id", str(world.region_id), "--password-stdin"]
    assert run("create-account", *args, input=PASSWORD + "\n").exit_code == 0
    again = run("create-account", *args, input=PASSWORD + "\n")
    assert again.exit_code == 2
    assert "taken" in again.stderr


def test_an_api_key_is_printed_once_and_works(
    cli_env: None, client: TestClient, session: Session, world: Setting
) -> None:
    result = run(
        "create-api-key",
        "--name",
        "SMS-påminnelser",
        "--organization-id",
        str(world.region_id),
        "--scope",
        "bookings:read",
        "--scope",
        "families:read",
        "--expires-days",
        "30",
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("hbk_") and "\n" not in key
    assert "shown only now" in result.stderr
    stored = session.scalars(select(ApiKey)).one()
    session.rollback()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.scopes == ["bookings:read", "families:read"]
    assert stored.expires_at is not None
    me = client.get(f"{API}/auth/me", headers=bearer(key)).json()
    assert me["organization_id"] == world.region_id
    assert me["scopes"] == ["bookings:read", "families:read"]
    assert client.get(f"{API}/bookings", headers=bearer(key)).status_code == 200
    assert_forbidden(client.post(f"{API}/bookings", json={}, headers=bearer(key)))


def test_an_admin_key_from_the_console_can_create_accounts(
    cli_env: None, client: TestClient, world: Setting
) -> None:
    result = run(
        "create-api-key",
        "--name",
        "Provisionering",
        "--organization-id",
        str(world.municipality_id),
        "--scope",
        "admin",
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    created = client.post(
        f"{API}/accounts",
        json={"username": "bosse", "password": PASSWORD, "role": "social_worker"},
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == world.municipality_id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "superuser"], "superuser"),
        (["--scope", "bookings:read", "--expires-days", "0"], "expires-days"),
        (["--scope", "bookings:read", "--organization-id", "999999"], "no such organization"),
    ],
)
def test_bad_api_keys_are_refused(
    cli_env: None, session: Session, world: Setting, args: list[str], message: str
) -> None:
    base = ["--name", "Nyckel", "--organization-id", str(world.region_id)]
    result = run("create-api-key", *base, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert session.scalar(select(func.count()).select_from(ApiKey)) == 0
    session.rollback()


def test_a_key_made_at_the_console_is_unusable_once_revoked(
    cli_env: None, client: TestClient, world: Setting
) -> None:
    key = run(
        "create-api-key",
        "--name",
        "Tillfällig",
        "--organization-id",
        str(world.region_id),
        "--scope",
        "bookings:read",
    ).stdout.strip()
    admin = run(
        "create-api-key",
        "--name",
        "Admin",
        "--organization-id",
        str(world.region_id),
        "--scope",
        "admin",
    ).stdout.strip()
    keys = client.get(f"{API}/api-keys", headers=bearer(admin)).json()
    temporary = next(k for k in keys if k["name"] == "Tillfällig")
    revoked = client.post(f"{API}/api-keys/{temporary['id']}/revocation", headers=bearer(admin))
    assert revoked.status_code == 200
    assert_unauthorized(client.get(f"{API}/bookings", headers=bearer(key)))
