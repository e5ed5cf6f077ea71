"""The one place that reads the wall clock, so tests can pin 'today'."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def now_utc() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date in Sweden (a nurse's 'today', not UTC's)."""
    return now_utc().astimezone(STOCKHOLM).date()
