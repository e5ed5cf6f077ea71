from datetime import date, datetime, time
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    Field,
    NaiveDatetime,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.availability.calendar import check_rrule
from app.availability.models import AbsenceKind
from app.schemas_common import InputModel, LongName, Name, OutputModel, ShortText

Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
# Working hours are local wall-clock times: no offset, whole minutes.
LocalTime = Annotated[time, Field(description="Local wall-clock time (Europe/Stockholm), HH:MM")]


def _check_wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local wall-clock time without offset")
    if value.second or value.microsecond:
        raise ValueError("give whole minutes")
    return value


def _check_after_start(value: time, info: ValidationInfo) -> time:
    start = info.data.get("start_time")
    if start is not None and not start < value:
        raise ValueError("must be after start_time")
    return value


class WorkingHoursIn(InputModel):
    weekday: Weekday
    start_time: LocalTime
    end_time: LocalTime

    @field_validator("start_time", "end_time")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        return _check_wall_clock(value)

    @field_validator("end_time")
    @classmethod
    def _ends_after_start(cls, value: time, info: ValidationInfo) -> time:
        return _check_after_start(value, info)


class WorkingHoursOut(OutputModel):
    id: int
    staff_id: int
    weekday: int
    start_time: time
    end_time: time


class OverrideIn(InputModel):
    """Hours replacing the weekly pattern on one date; leave both times out for a day off."""

    on: date
    start_time: LocalTime | None = None
    end_time: LocalTime | None = Field(default=None, validate_default=True)

    @field_validator("start_time", "end_time")
    @classmethod
    def _wall_clock(cls, value: time | None) -> time | None:
        return None if value is None else _check_wall_clock(value)

    @field_validator("end_time")
    @classmethod
    def _both_or_neither(cls, value: time | None, info: ValidationInfo) -> time | None:
        if "start_time" not in info.data:
            return value
        if (value is None) != (info.data["start_time"] is None):
            raise ValueError("give both start_time and end_time, or neither for a day off")
        return None if value is None else _check_after_start(value, info)


class OverrideOut(OutputModel):
    id: int
    staff_id: int
    on: date
    start_time: time | None
    end_time: time | None


class AbsenceIn(InputModel):
    """Either instants (`starts_at`, `ends_at`, end exclusive) or whole local days (both days
    inclusive), not both."""

    kind: AbsenceKind
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(default=None, validate_default=True)
    first_day: date | None = None
    last_day: date | None = Field(default=None, validate_default=True)
    note: ShortText | None = None

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if "starts_at" not in info.data:
            return value
        start = info.data["starts_at"]
        if (value is None) != (start is None):
            raise ValueError("give both starts_at and ends_at")
        if value is not None and start is not None and not start < value:
            raise ValueError("must be after starts_at")
        return value

    @field_validator("last_day")
    @classmethod
    def _last_not_before_first(cls, value: date | None, info: ValidationInfo) -> date | None:
        if "first_day" not in info.data:
            return value
        first = info.data["first_day"]
        if (value is None) != (first is None):
            raise ValueError("give both first_day and last_day")
        if value is not None and first is not None and value < first:
            raise ValueError("must not be before first_day")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        instants = self.starts_at is not None
        days = self.first_day is not None
        if instants == days:
            raise ValueError("give either starts_at and ends_at, or first_day and last_day")
        return self


class AbsenceOut(OutputModel):
    id: int
    staff_id: int
    kind: AbsenceKind
    starts_at: datetime
    ends_at: datetime
    note: str | None


class BlockedTimeIn(InputModel):
    first_start_local: NaiveDatetime = Field(
        description="First start as a local wall-clock time (Europe/Stockholm), no offset"
    )
    duration_minutes: int = Field(ge=1, le=1440)
    rrule: str | None = Field(
        default=None,
        max_length=500,
        description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO; UNTIL in local time",
    )
    reason: LongName

    @field_validator("first_start_local")
    @classmethod
    def _sane_start(cls, value: datetime) -> datetime:
        if not 2000 <= value.year <= 2100:
            raise ValueError("must be between the years 2000 and 2100")
        if value.second or value.microsecond:
            raise ValueError("give whole minutes")
        return value

    @field_validator("rrule")
    @classmethod
    def _valid_rule(cls, value: str | None, info: ValidationInfo) -> str | None:
        first: Any = info.data.get("first_start_local")
        if value is None or first is None:
            return value
        return check_rrule(value, first)


class BlockedTimeOut(OutputModel):
    id: int
    unit_id: int
    first_start_local: datetime
    duration_minutes: int
    rrule: str | None
    reason: str


class ClosedDayIn(InputModel):
    organization_id: int | None = Field(
        default=None, description="Leave out for a day closed in every organization"
    )
    on: date
    name: Name


class ClosedDayOut(OutputModel):
    id: int
    organization_id: int | None
    on: date
    name: str
