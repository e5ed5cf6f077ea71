import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.config import get_settings
from app.imports.cli import import_app
from app.staff.models import Staff
from tests import factories

BVC = "SE2321000000-BVC1"
HEADER = "unit_hsa_id;given_name;family_name;profession;hsa_id"


@pytest.fixture
def cli_env(database_url, monkeypatch):
    monkeypatch.setenv("HEMBESOK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def staff_count(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Staff)) or 0
    # SQLite: a transaction left open would hold the write lock the import needs.
    session.rollback()
    return count


def test_dry_run_prints_each_error_and_exits_1(cli_env, session, tmp_path):
    factories.setting(session)
    before = staff_count(session)
    file = tmp_path / "staff.csv"
    file.write_text(f"{HEADER}\n{BVC};Cecilia;Ek;surgeon;\n{BVC};David;Lind;midwife;\n")
    result = CliRunner().invoke(import_app, ["staff", str(file)])
    assert result.exit_code == 1, result.output
    assert "line 2, profession: " in result.stdout
    assert "Dry run" in result.stdout
    assert staff_count(session) == before


def test_apply_of_a_good_file_exits_0_and_writes_the_rows(cli_env, session, tmp_path):
    factories.setting(session)
    before = staff_count(session)
    file = tmp_path / "staff.csv"
    rows = [f"{BVC};Person{i};Ek;bhv_nurse;SE2321000000-P{i:03d}" for i in range(30)]
    file.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8-sig")
    result = CliRunner().invoke(import_app, ["staff", str(file), "--apply"])
    assert result.exit_code == 0, result.output
    assert "30 created" in result.stdout
    assert staff_count(session) == before + 30


def test_apply_of_a_bad_families_file_exits_1_and_writes_nothing(cli_env, session, tmp_path):
    factories.setting(session)
    file = tmp_path / "families.csv"
    file.write_text(
        "unit_hsa_id,guardian1_given_name,guardian1_family_name,child_expected_due_date\n"
        f"{BVC},Sara,Ali,2027-01-10\n{BVC},Omar,,2027-01-10\n"
    )
    result = CliRunner().invoke(import_app, ["families", str(file), "--apply"])
    assert result.exit_code == 1
    assert "line 3, guardian1_family_name: " in result.stdout
    assert "Nothing was imported" in result.stdout
