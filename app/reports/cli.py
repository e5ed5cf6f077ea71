"""`hembesok report grant-followup | compensation | generate`: reports and synthetic data."""

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.errors import ProblemError
from app.reports import render, service
from app.reports.schemas import CompensationOut, GrantFollowupOut, IndicatorsOut

report_app = typer.Typer(
    help="Follow-up reports (återrapportering, compensation) and synthetic data.",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


Year = Annotated[int, typer.Option("--year", min=2000, max=2100, help="Calendar year")]
OrganizationId = Annotated[
    int | None,
    typer.Option(
        "--organization-id",
        help="A region or a municipality; omit for the whole country",
    ),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv")]


def _progress(errors: Console) -> Progress:
    # On stderr and transient: the report on stdout stays clean for pipes and files.
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _totals_table(title: str, figures: IndicatorsOut) -> Table:
    table = Table(title=title, show_header=False)
    rows = (
        ("Utökade hembesök (home visits)", figures.home_visits),
        ("Familjer med minst ett hembesök", figures.families_with_home_visit),
        ("Andel med minst två professioner", _share(figures.share_with_two_professions)),
        ("Andel med BHV och socialtjänst", _share(figures.share_joint)),
        ("Hembesök per deltagande familj", figures.home_visits_per_family or "–"),
        ("Familjer som fått erbjudandet", figures.offered_families),
        ("Andel som deltar", _share(figures.share_offered_taking_part)),
        ("Andel som tackat nej", _share(figures.share_offered_declined)),
        ("Andel som avbrutit", _share(figures.share_offered_discontinued)),
    )
    for label, value in rows:
        table.add_row(label, str(value))
    for group, count in figures.visits_by_age_group.items():
        table.add_row(f"Åldersgrupp {group.value}", str(count))
    for actor, count in figures.other_actor_visits.items():
        table.add_row(f"Aktör {actor.value}", str(count))
    for target, count in figures.families_by_target_group.items():
        table.add_row(f"Målgrupp {target.value}", str(count))
    return table


def _print_tables(console: Console, report: GrantFollowupOut) -> None:
    scope = report.scope.organization_name or "Hela landet"
    console.print(_totals_table(f"Återrapportering {report.year}: {scope}", report.totals))
    months = Table("Månad", "Hembesök", "Familjer", "Erbjudna", title="Per månad")
    for month in report.by_month:
        figures = month.indicators
        months.add_row(
            month.month,
            str(figures.home_visits),
            str(figures.families_with_home_visit),
            str(figures.offered_families),
        )
    console.print(months)
    units = Table("BVC", "Hembesök", "Familjer", "Två professioner", title="Per BVC")
    for unit in report.by_unit:
        figures = unit.indicators
        units.add_row(
            unit.unit_name,
            str(figures.home_visits),
            str(figures.families_with_home_visit),
            _share(figures.share_with_two_professions),
        )
    console.print(units)
    if report.visits_without_two_professions:
        lacking = Table("Bokning", "Datum", "Professioner", "Orsak", title="Utan två professioner")
        for visit in report.visits_without_two_professions:
            lacking.add_row(
                str(visit.booking_id),
                visit.visit_date.isoformat(),
                " ".join(visit.professions),
                visit.reason or "",
            )
        console.print(lacking)


@report_app.command("grant-followup")
def grant_followup(
    year: Year,
    organization_id: OrganizationId = None,
    unit_id: Annotated[int | None, typer.Option("--unit-id", help="One BVC unit")] = None,
    format: Format = OutputFormat.table,
) -> None:
    """Print the year's grant follow-up for the country, a region or a municipality."""
    settings = get_settings()
    errors = Console(stderr=True)
    engine = make_engine(settings.database_url, sqlite_begin="DEFERRED")
    try:
        with make_sessionmaker(engine)() as session, _progress(errors) as progress:
            task = progress.add_task("Reading visits", total=len(service.STEPS))

            def step(name: str) -> None:
                progress.update(task, description=f"Reading {name}", advance=1)

            result = service.grant_followup(session, year, organization_id, unit_id, step)
    except ProblemError as exc:
        errors.print(f"[red]{exc.detail or exc.title}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    report = GrantFollowupOut.of(result)
    if format is OutputFormat.json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif format is OutputFormat.csv:
        typer.echo(render.grant_followup_csv(report), nl=False)
    else:
        _print_tables(Console(), report)


@report_app.command("compensation")
def compensation(
    year: Year,
    organization_id: OrganizationId = None,
    format: Format = OutputFormat.table,
) -> None:
    """Print what each BVC is due per month for home visits with socialtjänst."""
    settings = get_settings()
    engine = make_engine(settings.database_url, sqlite_begin="DEFERRED")
    try:
        with make_sessionmaker(engine)() as session:
            result = service.compensation(session, year, organization_id)
    except ProblemError as exc:
        Console(stderr=True).print(f"[red]{exc.detail or exc.title}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    report = CompensationOut.of(result)
    if format is OutputFormat.json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif format is OutputFormat.csv:
        typer.echo(render.compensation_csv(report), nl=False)
    else:
        table = Table("BVC", "Månad", "Grund", "kr/besök", "Besök", "Belopp", "Saknar KVÅ")
        for line in report.lines:
            table.add_row(
                line.unit_name,
                line.month,
                line.basis.value,
                str(line.amount_per_visit),
                str(line.visits),
                str(line.amount_due),
                str(line.visits_missing_kva_code),
            )
        table.add_row("Totalt", "", "", "", str(report.total_visits), str(report.total_amount_due))
        Console().print(table)


@report_app.command("generate")
def generate(
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data")] = 1,
    scale: Annotated[
        float,
        typer.Option(
            "--scale", min=0.0001, max=2.0, help="1.0: 150,000 families, 1.2 million bookings"
        ),
    ] = 1.0,
) -> None:
    """Fill an empty database with deterministic synthetic national data (never real people)."""
    from app.reports.generator import GeneratorError, Plan, generate_into

    settings = get_settings()
    errors = Console(stderr=True)
    engine = make_engine(settings.database_url)
    try:
        with _progress(errors) as progress:
            task = progress.add_task("Generating", total=None)

            def tick(description: str, done: int, total: int) -> None:
                progress.update(task, description=description, completed=done, total=total)

            counts = generate_into(engine, Plan.at_scale(scale), seed=seed, progress=tick)
    except GeneratorError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(", ".join(f"{n:,} {table}" for table, n in counts.items()))
