"""Fixtures: a migrated database per run (SQLite or PostgreSQL), emptied before each test.

HEMBESOK_TEST_BACKEND=sqlite (default) or postgresql chooses the backend; `make test` runs both.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session, sessionmaker

from app.all_models import metadata
from app.auth.deps import current_principal
from app.auth.principal import Principal
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.migrate import migrate, seed_reference_data
from tests.pg import Cluster, find_pg_bin, start_cluster

BACKEND = os.environ.get("HEMBESOK_TEST_BACKEND", "sqlite")


def pytest_report_header() -> str:
    return f"hembesok database backend: {BACKEND}"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries not found, and CI must run the PostgreSQL suite")
        pytest.skip("PostgreSQL binaries not installed (CI installs them)")
    cluster = start_cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def new_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """A factory for empty databases of the backend under test."""
    counter = iter(range(1_000_000))

    def make(name: str) -> str:
        n = next(counter)
        if BACKEND == "postgresql":
            cluster: Cluster = request.getfixturevalue("pg_cluster")
            return cluster.create_database(f"{name}_{n}")
        path: Path = tmp_path_factory.mktemp("db") / f"{name}_{n}.db"
        return f"sqlite:///{path}"

    yield make


@pytest.fixture(scope="session")
def database_url(new_database_url: object) -> str:
    url: str = new_database_url("hembesok_test")  # type: ignore[operator]
    migrate(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    # The test's own session must not hold SQLite's write lock while the app under test writes.
    engine = make_engine(database_url, sqlite_begin="DEFERRED")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


def empty_database(session_factory: sessionmaker[Session]) -> None:
    """Empty every table, then load the shipped reference data again."""
    with session_factory() as session:
        for table in reversed(metadata.sorted_tables):
            if table.name == "audit_event" and session.get_bind().dialect.name == "postgresql":
                # Append-only by trigger; TRUNCATE fires no row triggers (test cleanup only).
                session.execute(text("TRUNCATE audit_event"))
            else:
                session.execute(delete(table))
        session.commit()
        seed_reference_data(session)


@pytest.fixture
def clean_db(session_factory: sessionmaker[Session]) -> None:
    empty_database(session_factory)


@pytest.fixture
def session(clean_db: None, session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[FastAPI]:
    application = create_app(Settings(database_url=database_url))
    # The suite's default caller is the operator; tests/auth exercise real credentials.
    application.dependency_overrides[current_principal] = Principal.operator
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(clean_db: None, app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
