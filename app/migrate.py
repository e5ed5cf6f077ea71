"""Bring a database to the current schema and load the shipped reference data."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session

from app.db import make_engine, make_sessionmaker
from app.programs.service import seed_builtin_templates
from app.reports.tariffs import seed_tariffs


def project_root() -> Path:
    """Where alembic.ini and migrations/ live: the checkout, or the image's working directory."""
    for candidate in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (candidate / "alembic.ini").is_file() and (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("alembic.ini and migrations/ not found next to the app or in the cwd")


def alembic_config(url: str) -> Config:
    root = project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def seed_reference_data(session: Session) -> int:
    """Shipped templates and tariffs (only those not yet present); returns how many were added."""
    added = seed_builtin_templates(session)
    added += seed_tariffs(session)
    session.commit()
    return added


def migrate(url: str) -> int:
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return seed_reference_data(session)
    finally:
        engine.dispose()
