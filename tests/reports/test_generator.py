"""The synthetic data generator at a tiny scale: proportional, valid, deterministic."""

import hashlib
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from app.all_models import metadata
from app.cli import cli
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.families.identity import parse_identity_number
from app.migrate import migrate
from app.reports import service
from app.reports.facts import recomputed_facts, stored_facts
from app.reports.generator import (
    GeneratorError,
    Plan,
    generate_into,
    synthetic_personnummer,
)

SCALE = 0.002


@pytest.fixture
def fresh(new_database_url):
    def make(name: str) -> Engine:
        url = new_database_url(name)
        migrate(url)
        return make_engine(url)

    engines: list[Engine] = []

    def tracked(name: str) -> Engine:
        engine = make(name)
        engines.append(engine)
        return engine

    yield tracked
    for engine in engines:
        engine.dispose()


def digest(engine: Engine, table: str) -> str:
    columns = [c for c in metadata.tables[table].columns if c.name != "id"]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(metadata.tables[table].c.id)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_plan_is_proportional_to_the_national_set():
    full = Plan.at_scale(1.0)
    assert (full.regions, full.municipalities, full.bvc_units, full.staff) == (21, 290, 1000, 5000)
    assert (full.families, full.bookings) == (150_000, 1_200_000)
    tenth = Plan.at_scale(0.1)
    assert (tenth.regions, tenth.municipalities, tenth.bvc_units) == (2, 29, 100)
    assert (tenth.staff, tenth.families, tenth.bookings) == (500, 15_000, 120_000)
    tiny = Plan.at_scale(SCALE)
    assert (tiny.regions, tiny.municipalities, tiny.bvc_units, tiny.families) == (1, 1, 2, 300)


def test_synthetic_personnummer_is_valid_in_form_and_in_the_reserved_range():
    number = synthetic_personnummer(date(2025, 3, 1), 917)
    assert number[8:11] == "917"
    parsed = parse_identity_number(number, today=date(2026, 11, 23))
    assert parsed.birth_date == date(2025, 3, 1)
    with pytest.raises(ValueError):
        synthetic_personnummer(date(2025, 3, 1), 123)


def test_generated_rows_hold_every_rule_and_the_report_adds_up(fresh):
    engine = fresh("generated")
    counts = generate_into(engine, Plan.at_scale(SCALE), seed=7)
    assert counts["family"] == 300
    assert counts["booking"] == 2400
    assert counts["organization"] == 2 and counts["staff"] == 10
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM booking GROUP BY status")).all()
        )
        assert set(statuses) == {"booked", "completed", "cancelled", "no_show"}
        assert statuses["completed"] > 0.7 * counts["booking"]
        assert conn.scalar(text("SELECT count(*) FROM outcome")) == statuses["completed"]
        # Outcomes only for completed bookings; booked ones only from the reference day on.
        assert not conn.scalar(
            text(
                "SELECT count(*) FROM outcome o JOIN booking b ON b.id = o.booking_id "
                "WHERE b.status <> 'completed'"
            )
        )
        assert not conn.scalar(
            text("SELECT count(*) FROM booking WHERE status <> 'booked' AND starts_at > :end"),
            {"end": "2026-11-24"},
        )
        numbers = conn.scalars(
            text("SELECT identity_number FROM child WHERE identity_number IS NOT NULL")
        ).all()
        assert numbers and len(set(numbers)) == len(numbers)
        for number in numbers:
            assert 900 <= int(number[8:11]) <= 999
            parse_identity_number(number, today=date(2026, 11, 23))
        # No staff member in two active visits at once (the database also refuses it).
        assert not conn.scalar(
            text(
                "SELECT count(*) FROM booking_participant a JOIN booking_participant b "
                "ON a.staff_id = b.staff_id AND a.id < b.id AND a.active AND b.active "
                "AND a.busy_from < b.busy_to AND b.busy_from < a.busy_to"
            )
        )
        assert not conn.scalar(
            text(
                "SELECT count(*) FROM (SELECT family_id FROM enrollment WHERE status = 'active' "
                "GROUP BY family_id HAVING count(*) > 1) AS twice"
            )
        )
    with make_sessionmaker(engine)() as session:
        # The bulk load stores each completed visit's facts as recording its outcome would.
        assert stored_facts(session) == recomputed_facts(session)
        assert len(stored_facts(session)) == statuses["completed"]
        country = service.grant_followup(session, 2025).report.totals
        assert country.home_visits > 0 and country.offered_families > 0
        municipalities = session.scalars(
            text("SELECT id FROM organization WHERE kind = 'municipality'")
        ).all()
        for field in ("home_visits", "offered_families", "offered_families_declined"):
            summed = sum(
                getattr(service.grant_followup(session, 2025, m).report.totals, field)
                for m in municipalities
            )
            assert summed == getattr(country, field), field


def test_same_seed_same_data_other_seed_other_data(fresh):
    first, second, other = fresh("seed_a"), fresh("seed_b"), fresh("seed_c")
    plan = Plan.at_scale(SCALE)
    generate_into(first, plan, seed=3)
    generate_into(second, plan, seed=3)
    generate_into(other, plan, seed=4)
    for table in ("family", "child", "booking", "booking_participant", "outcome"):
        assert digest(first, table) == digest(second, table), table
    assert digest(first, "booking") != digest(other, "booking")


def test_refuses_a_database_with_data(fresh):
    engine = fresh("twice")
    generate_into(engine, Plan.at_scale(SCALE), seed=1)
    with pytest.raises(GeneratorError, match="already has"):
        generate_into(engine, Plan.at_scale(SCALE), seed=1)


def test_cli_generate_and_then_the_api_can_still_insert(new_database_url, monkeypatch):
    url = new_database_url("cli_generate")
    migrate(url)
    monkeypatch.setenv("HEMBESOK_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["report", "generate", "--seed", "2", "--scale", "0.001"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "150 family" in result.stdout and "1,200 booking" in result.stdout
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # Sequences moved past the generated ids (PostgreSQL): a plain insert gets a new id.
            conn.execute(
                metadata.tables["organization"].insert(),
                {"name": "Ny", "kind": "region", "addresses_in_feeds": False},
            )
            assert conn.scalar(select(func.count()).select_from(metadata.tables["organization"]))
    finally:
        engine.dispose()
