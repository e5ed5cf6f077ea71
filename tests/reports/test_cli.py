"""`hembesok report grant-followup | compensation` print the same report as the API."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from tests.reports import handmade


@pytest.fixture
def cli_env(database_url, monkeypatch):
    monkeypatch.setenv("HEMBESOK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def made(session) -> handmade.Handmade:
    return handmade.build(session)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_is_the_api_report(cli_env, made, client):
    printed = json.loads(run("grant-followup", "--year", "2025", "--format", "json"))
    served = client.get("/api/v1/reports/grant-followup", params={"year": 2025}).json()
    assert printed == served
    assert printed["totals"]["home_visits"] == 9


def test_csv_and_table_for_a_region(cli_env, made):
    text = run(
        "grant-followup",
        "--year",
        "2025",
        "--organization-id",
        str(made.region_id),
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    total = {r["indicator"]: r["value"] for r in rows if r["section"] == "total"}
    assert total["families_with_home_visit"] == "5"
    table = run("grant-followup", "--year", "2025", "--organization-id", str(made.region_id))
    assert "Återrapportering 2025: Region Testland" in table
    assert "Socialsekreterare sjuk" in table


def test_unknown_organization_exits_2(cli_env, made):
    result = CliRunner().invoke(
        cli, ["report", "grant-followup", "--year", "2025", "--organization-id", "999999"]
    )
    assert result.exit_code == 2
    assert "no such organization" in result.output


def test_compensation_prints_a_total(cli_env, made):
    table = run("compensation", "--year", "2025", "--organization-id", str(made.region_id))
    assert "Totalt" in table
