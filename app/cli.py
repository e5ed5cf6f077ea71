"""Command line: `hembesok migrate | demo | serve | export-openapi | import … | report …`."""

from pathlib import Path
from typing import Annotated

import typer

from app.auth.cli import auth_app
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.imports.cli import import_app
from app.reports.cli import report_app
from app.webhooks.cli import webhooks_app

cli = typer.Typer(help="Hembesök: joint BVC and socialtjänst home visits.", no_args_is_help=True)


@cli.command()
def migrate() -> None:
    """Upgrade the database to the current schema and load the shipped templates."""
    from app.migrate import migrate as run_migrate

    settings = get_settings()
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    added = run_migrate(settings.database_url)
    typer.echo(f"database at head; {added} shipped reference row(s) added (templates, tariffs)")


@cli.command()
def demo() -> None:
    """Load demo data into an empty database (does nothing when data exists)."""
    from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo

    engine = make_engine(get_settings().database_url)
    with make_sessionmaker(engine)() as session:
        loaded = load_demo(session)
    engine.dispose()
    typer.echo("demo data loaded" if loaded else "database already has data; demo not loaded")
    typer.echo(
        f"demo logins (POST /api/v1/auth/token): {', '.join(DEMO_ACCOUNTS)}; "
        f"password: {DEMO_PASSWORD}"
    )


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    uvicorn.run("app.asgi:app", host=host, port=port, proxy_headers=True)


@cli.command("export-openapi")
def export_openapi(
    path: Annotated[Path, typer.Argument(help="Where to write")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document that the running app serves."""
    from app.openapi_export import openapi_text

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi_text(), encoding="utf-8")
    typer.echo(f"wrote {path}")


cli.add_typer(import_app, name="import")
cli.add_typer(report_app, name="report")
cli.add_typer(auth_app, name="auth")
cli.add_typer(webhooks_app, name="webhooks")


def main() -> None:
    cli()
