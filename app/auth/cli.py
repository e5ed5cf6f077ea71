"""`hembesok auth create-account | create-api-key`: the first coordinator and system keys.

Both run as the operator (a person at the server's console), so they work on an empty
installation where nobody can log in yet. The password is read from a hidden prompt or from
stdin, never from the command line (which ends up in shell history and process lists).
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.principal import Principal, Role, Scope
from app.auth.schemas import AccountIn, ApiKeyIn
from app.clock import now_utc
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.errors import ProblemError

auth_app = typer.Typer(
    help="Local accounts and API keys, created as the operator.", no_args_is_help=True
)

T = TypeVar("T")

OrganizationId = Annotated[
    int, typer.Option("--organization-id", help="The organization the account or key belongs to")
]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]{message}[/red]", markup=True, highlight=False)
    return typer.Exit(2)


def _validated(build: Callable[[], T]) -> T:
    try:
        return build()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise _fail(problems) from None


def _as_operator(action: Callable[[Session], T]) -> T:
    settings = get_settings()
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        with make_sessionmaker(engine)() as session:
            return action(session)
    except ProblemError as exc:
        raise _fail(exc.detail or exc.title) from None
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@auth_app.command("create-account")
def create_account(
    username: Annotated[str, typer.Option("--username", help="Login name: a-z 0-9 . _ @ -")],
    role: Annotated[Role, typer.Option("--role", help="nurse, social_worker, coordinator, …")],
    organization_id: OrganizationId,
    staff_id: Annotated[
        int | None, typer.Option("--staff-id", help="The staff member who uses the account")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from stdin instead of a prompt"),
    ] = False,
) -> None:
    """Create a local account (e.g. the first coordinator); the password is asked for."""
    password = _read_password(password_stdin)
    data = _validated(
        lambda: AccountIn(
            username=username,
            password=password,
            role=role,
            organization_id=organization_id,
            staff_id=staff_id,
        )
    )
    account = _as_operator(lambda s: service.create_account(s, Principal.operator(), data))
    typer.echo(
        f"account {account.id} ({account.username}, {account.role.value}) created "
        f"in organization {account.organization_id}"
    )


@auth_app.command("create-api-key")
def create_api_key(
    name: Annotated[str, typer.Option("--name", help="Which system uses the key")],
    organization_id: OrganizationId,
    scope: Annotated[
        list[Scope], typer.Option("--scope", help="A scope the key grants; repeat for more")
    ],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Days until the key expires")
    ] = None,
) -> None:
    """Create an API key for a system client and print it once (only its hash is stored)."""
    expires_at = now_utc() + timedelta(days=expires_days) if expires_days else None
    data = _validated(
        lambda: ApiKeyIn(
            name=name, scopes=scope, expires_at=expires_at, organization_id=organization_id
        )
    )
    key, plain = _as_operator(lambda s: service.create_api_key(s, Principal.operator(), data))
    Console(stderr=True).print(
        f"API key {key.id} ({key.name}; {', '.join(key.scopes)}) for organization "
        f"{key.organization_id}, expires {key.expires_at or 'never'}. "
        "It is shown only now: store it in the client's secret store.",
        highlight=False,
    )
    typer.echo(plain)
