"""schemathesis against the app's own OpenAPI document, with real credentials.

Every operation is fuzzed (stateless), then a stateful run chains operations through the links
schemathesis infers from the document (a created family's id feeds GET /families/{family_id},
and so on). Both run on the backend under test, against seeded data, authenticated with a real
API key of the region (no operator override), and bounded: a fixed seed, few examples per
operation, short scenarios.
"""

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from app.auth import service as auth_service
from app.auth.principal import Principal, Scope
from app.auth.schemas import ApiKeyIn
from app.calendar import service as calendar_service
from app.calendar.schemas import CalendarTokenIn
from app.config import Settings
from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.main import create_app
from app.openapi_export import openapi_text
from app.scheduling import service as scheduling
from app.scheduling.schemas import BookingIn
from tests import factories
from tests.conftest import empty_database

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SEED = 20260401
# The documented contract: no 5xx; status, content type, body and headers as documented; and
# ignored_auth, which repeats a successful request without the key and with a forged one and
# wants both refused. Not here: positive_data_acceptance (a schema-valid body may still name
# another region's family, 404, or an overlapping visit, 409) and negative_data_rejection
# (pydantic's lax mode reads "?to_date=0" as 1970-01-01: lenient, not a broken contract).
CHECKS = {
    "enabled": False,
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    "ignored_auth": {"enabled": True},
    # Stateful only: what was created can be read, what was deleted cannot.
    "ensure_resource_availability": {"enabled": True},
    "use_after_free": {"enabled": True},
}
STATEFUL = hypothesis.settings(
    max_examples=40,
    stateful_step_count=8,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.generate],
)


class AppUnderTest:
    """The ASGI app of the running test. schemathesis keeps one app per schema (its auth probes
    send through it too), while each test makes its own app on the backend's database."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "use the contract_app fixture"
        await self.app(scope, receive, send)


APP = AppUnderTest()
# The document does not depend on the database, so it is loaded once, at collection.
schema = schemathesis.openapi.from_dict(
    json.loads(openapi_text()),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "checks": CHECKS,
            "generation": {
                "max-examples": 5,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
                # The key goes in every request; generated Authorization headers would
                # replace it with nonsense (ignored_auth still probes without and with a bad one).
                "with-security-parameters": False,
            },
            # Every method a path lacks gets a 405 from the router; hundreds of those say nothing.
            "phases": {"coverage": {"unexpected-methods": []}},
        }
    ),
)
schema.app = APP  # as schemathesis.openapi.from_asgi would set it


def seed(session: Session) -> dict[str, str]:
    """A collaborating BVC and socialtjänst, a born and an unborn family, an enrollment with a
    booking, and a calendar token, so the fuzzer meets real objects behind the ids it tries.
    Returns the headers of a system key of the region with every scope, made as the CLI would."""
    setting = factories.setting(session)
    born = factories.family(session, setting.bvc_id, born=date(2026, 9, 1), serial=123)
    factories.family(session, setting.bvc_id, due=date(2027, 6, 1), serial=456)
    enrollment = enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=born.id,
            nurse_id=setting.nurse_id,
            social_worker_id=setting.social_worker_id,
            enrolled_on=date(2026, 8, 1),
        ),
    )
    last = max(enrollments.plan(session, enrollment.id).visits, key=lambda v: v.sequence)
    scheduling.create_booking(
        session,
        BookingIn(
            planned_visit_id=last.id,
            starts_at=datetime.combine(last.window_start, datetime.min.time(), STOCKHOLM).replace(
                hour=10
            ),
        ),
        Settings(),
    )
    calendar_service.issue_for_staff(session, setting.nurse_id, CalendarTokenIn(label="Outlook"))
    _, key = auth_service.create_api_key(
        session,
        Principal.operator(),
        ApiKeyIn(name="schemathesis", scopes=list(Scope), organization_id=setting.region_id),
    )
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def contract_app(database_url: str) -> Iterator[FastAPI]:
    """The app without the suite's operator override: every request authenticates for real."""
    application = create_app(Settings(database_url=database_url))
    APP.app = application
    yield application
    APP.app = None
    application.state.engine.dispose()


@pytest.fixture
def credentials(session: Session) -> dict[str, str]:
    return seed(session)


@schema.parametrize()
# The database is seeded afresh for each operation; the examples of one operation share it, as
# one client's requests would.
@hypothesis.settings(
    deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, contract_app: FastAPI, credentials: dict[str, str]
) -> None:
    # schemathesis adds its own headers to the dict it is given.
    case.call_and_validate(headers=dict(credentials))


def test_stateful_sequences_answer_as_documented(
    contract_app: FastAPI, session_factory: sessionmaker[Session]
) -> None:
    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        """Every scenario starts from the same seeded database, so one seed replays the same
        requests and responses (hypothesis refuses draws that depend on leftover state)."""

        def setup(self) -> None:
            empty_database(session_factory)
            with session_factory() as session:
                self.credentials = seed(session)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": dict(self.credentials)}

    hypothesis.seed(SEED)(Scenario).run(settings=STATEFUL)
