"""A statement timeout on PostgreSQL (Settings.statement_timeout_ms), nothing on SQLite."""

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.main import create_app


def _connect_params(engine: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def _record(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return seen


def test_default_is_fifteen_seconds():
    assert Settings().statement_timeout_ms == 15_000


def test_statement_timeout_is_set_on_postgresql_only(database_url: str):
    app = create_app(Settings(database_url=database_url))
    engine = app.state.engine
    try:
        params = _connect_params(engine)
        if engine.dialect.name == "sqlite":
            assert "options" not in params
            return
        assert engine.dialect.name == "postgresql"
        assert params["options"] == "-c statement_timeout=15000"
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "15s"
    finally:
        engine.dispose()


def test_a_runaway_statement_is_cancelled(database_url: str):
    app = create_app(Settings(database_url=database_url, statement_timeout_ms=200))
    engine = app.state.engine
    try:
        if engine.dialect.name != "postgresql":
            assert "options" not in _connect_params(engine)
            return
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()
