"""`hembesok import staff|families FILE [--apply]`: the CSV imports from a terminal."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import OperationalError

from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.imports.schemas import ImportKind, ImportReport
from app.imports.service import PayloadTooLarge, import_csv

import_app = typer.Typer(
    help="Import staff or families from a CSV file. A dry run unless --apply; "
    "--apply writes every row or, if any row is bad, nothing.",
    no_args_is_help=True,
)

CsvFile = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, readable=True, help="CSV file, UTF-8, `,` or `;` delimited"
    ),
]
Apply = Annotated[
    bool, typer.Option("--apply", help="Write the rows (all or nothing) instead of a dry run")
]


def _estimated_rows(data: bytes) -> int:
    # Line count minus the header; quoted cells with line breaks make it an estimate.
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(lines - 1, 0)


def _run(kind: ImportKind, file: Path, apply: bool) -> None:
    settings = get_settings()
    data = file.read_bytes()
    errors = Console(stderr=True)
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        with (
            make_sessionmaker(engine)() as session,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=errors,
                transient=True,
            ) as progress,
        ):
            total = _estimated_rows(data)
            task = progress.add_task(f"{'Importing' if apply else 'Checking'} {kind}", total=total)
            report = import_csv(
                session,
                kind,
                data,
                dry_run=not apply,
                progress=lambda n: progress.advance(task, n),
                max_bytes=settings.import_max_bytes,
            )
    except PayloadTooLarge as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except OperationalError as exc:
        errors.print(f"[red]Database unavailable: {exc.orig}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    _print_report(report)
    if report.errors:
        raise typer.Exit(1)


def _print_report(report: ImportReport) -> None:
    for error in report.errors:
        typer.echo(f"line {error.line}, {error.field}: {error.message}")
    summary = f"{report.kind}: {report.rows} rows, {report.valid_rows} valid"
    if report.applied:
        typer.echo(f"{summary}, {report.created} created.")
    elif report.dry_run and report.errors:
        typer.echo(f"{summary}. Dry run: nothing written; fix the lines above, then --apply.")
    elif report.dry_run:
        typer.echo(f"{summary}. Dry run: nothing written; use --apply to import.")
    else:
        typer.echo(f"{summary}, {len(report.errors)} errors. Nothing was imported.")


@import_app.command()
def staff(file: CsvFile, apply: Apply = False) -> None:
    """Staff: unit_hsa_id or unit_id, given_name, family_name, profession, hsa_id, email,
    active."""
    _run(ImportKind.staff, file, apply)


@import_app.command()
def families(file: CsvFile, apply: Apply = False) -> None:
    """Families, one child a row: unit_hsa_id or unit_id, the family columns,
    guardian1_*/guardian2_* and child_*."""
    _run(ImportKind.families, file, apply)
