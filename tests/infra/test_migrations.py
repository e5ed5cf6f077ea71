"""The migrations build exactly the models' schema, and undo cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.all_models import metadata
from app.db import make_engine
from app.migrate import downgrade, upgrade


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_on_empty_database_matches_models(new_database_url):
    url = new_database_url("migrations_match")
    upgrade(url)
    assert _diff(url) == []
    assert _tables(url) == set(metadata.tables)


def test_downgrade_then_upgrade_round_trips(new_database_url):
    url = new_database_url("migrations_roundtrip")
    upgrade(url)
    downgrade(url, "base")
    assert _tables(url) == set()
    upgrade(url)
    assert _diff(url) == []
