"""Fixtures for the API tests: a pinned 'today' and a region, municipality and team to work in."""

from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest
from sqlalchemy.orm import Session

from app import clock
from tests import factories
from tests.api.support import TODAY


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # today_local() reads clock.now_utc at call time, so one patch pins "today" everywhere.
    morning = datetime.combine(TODAY, time(8, 0), tzinfo=UTC)
    monkeypatch.setattr(clock, "now_utc", lambda: morning)
    yield


@pytest.fixture
def world(session: Session) -> factories.Setting:
    """A BVC and a socialtjänst unit that collaborate, with one nurse and one social worker."""
    return factories.setting(session)
