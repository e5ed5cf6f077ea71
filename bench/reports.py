"""Benchmark: the yearly grant follow-up on national-scale synthetic data, on PostgreSQL.

Starts a throwaway PostgreSQL cluster (tests/pg.py), migrates it, fills it with
`hembesok report generate` data (scale 1.0 = 150,000 families, 1.2 million bookings unless
--scale says otherwise), then times the 2025 report for the whole country, one region and one
municipality (medians of several runs) beside a baseline measured in the same run, and writes the
figures into bench/RESULTS.md between the reports markers.

    .venv/bin/python bench/reports.py [--scale 1.0] [--runs 5] [--database-url URL]

--database-url reuses a database already generated (no cluster is started, nothing generated).
"""

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.reports import service  # noqa: E402
from app.reports.generator import Plan, generate_into  # noqa: E402
from app.reports.schemas import GrantFollowupOut  # noqa: E402
from tests.pg import find_pg_bin, start_cluster  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- reports:start -->", "<!-- reports:end -->"
YEAR = 2025


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times), min(times)


def write_section(body: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    section = f"{START}\n{body.rstrip()}\n{END}"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        current = before + section + after
    else:
        current = current.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an already generated PostgreSQL database")
    args = parser.parse_args()

    cluster = None
    generation = "reused an already generated database"
    try:
        if args.database_url:
            url = args.database_url
        else:
            bin_dir = find_pg_bin()
            if bin_dir is None:
                raise SystemExit("PostgreSQL binaries not found (apt-get install postgresql)")
            cluster = start_cluster(bin_dir)
            url = cluster.create_database("bench_reports")
            migrate(url)
            engine = make_engine(url)
            began = time.perf_counter()
            counts = generate_into(engine, Plan.at_scale(args.scale), seed=args.seed)
            generation = (
                f"generated in {time.perf_counter() - began:.0f} s (seed {args.seed}, scale "
                f"{args.scale}): {counts['booking']:,} bookings, {counts['family']:,} families"
            )
            engine.dispose()
            print(generation, flush=True)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            bookings = session.scalar(text("SELECT count(*) FROM booking"))
            families = session.scalar(text("SELECT count(*) FROM family"))
            region = session.scalar(
                text(
                    "SELECT o.id FROM organization o JOIN unit u ON u.organization_id = o.id "
                    "WHERE o.kind = 'region' AND u.kind = 'bvc' "
                    "GROUP BY o.id ORDER BY count(*) DESC, o.id LIMIT 1"
                )
            )
            municipality = session.scalar(
                text("SELECT min(id) FROM organization WHERE kind = 'municipality'")
            )
            version = session.scalar(text("SHOW server_version"))

        def baseline() -> None:
            with sessions() as session:
                session.scalar(text("SELECT count(*) FROM booking"))

        def report(organization_id: int | None) -> Callable[[], object]:
            def run() -> object:
                with sessions() as session:
                    result = service.grant_followup(session, YEAR, organization_id)
                    return GrantFollowupOut.of(result).model_dump_json()

            return run

        report(None)()  # warm the caches once
        rows = [
            ("baseline: `SELECT count(*) FROM booking`", *timed(baseline, args.runs)),
            ("grant follow-up 2025, whole country", *timed(report(None), args.runs)),
            (f"grant follow-up 2025, one region (id {region})", *timed(report(region), args.runs)),
            (
                f"grant follow-up 2025, one municipality (id {municipality})",
                *timed(report(municipality), args.runs),
            ),
        ]
        with sessions() as session:
            totals = service.grant_followup(session, YEAR).report.totals
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.stop()

    lines = [
        "## Grant follow-up report on national-scale synthetic data (PostgreSQL)",
        "",
        f"`.venv/bin/python bench/reports.py --scale {args.scale}` (`make bench`) on "
        f"{date.today().isoformat()}, Python {platform.python_version()}, PostgreSQL {version}, "
        f"{platform.machine()}, 2 CPUs. Data: {bookings:,} bookings, {families:,} families; "
        f"{generation}. The {YEAR} report covers {totals.home_visits:,} home visits of "
        f"{totals.families_with_home_visit:,} families. Times are medians of {args.runs} runs "
        "(min in brackets), report built and serialized to JSON as the API serves it.",
        "",
        "| What | Time |",
        "|---|---|",
        *(f"| {label} | {median:.2f} s ({best:.2f} s) |" for label, median, best in rows),
    ]
    country = rows[1][1]
    lines += [
        "",
        f"Target: the country report under 2 s — {'met' if country < 2 else 'not met'} "
        f"({country:.2f} s, {country / rows[0][1]:.0f}× the baseline). Each completed visit's "
        "facts are stored with its outcome (visit_fact: local date, place, professions, "
        "socialtjänst, actors, the index child; the family's BVC and the child's age group, "
        "kept current when they change), so the database counts visits per BVC, month and age "
        "group without a join, and families joined only with the family table for its flags, "
        "using parallel workers; Python adds up the counted rows (app/reports/indicators.py). "
        "The machine is shared and noisy: compare with the baseline of the same run.",
    ]
    write_section("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
