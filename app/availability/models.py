"""Working hours, overrides, absences, unit-wide blocked times and configured closed days."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.models_common import Timestamps, enum_column


class AbsenceKind(StrEnum):
    vacation = "vacation"
    sick_leave = "sick_leave"
    training = "training"
    other = "other"


class WorkingHours(Timestamps, Base):
    """One span of a staff member's weekly pattern (local wall-clock times; several per day)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="ends_after_start"),
        Index("ix_working_hours_staff_weekday", "staff_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    weekday: Mapped[int]  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time())
    end_time: Mapped[time] = mapped_column(Time())


class WorkingHoursOverride(Timestamps, Base):
    """Hours replacing the weekly pattern on one date; no times = not working that date."""

    __tablename__ = "working_hours_override"
    __table_args__ = (
        CheckConstraint(
            "(start_time IS NULL AND end_time IS NULL) OR "
            "(start_time IS NOT NULL AND end_time IS NOT NULL AND start_time < end_time)",
            name="both_or_neither",
        ),
        Index("ix_working_hours_override_staff_on", "staff_id", "on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    on: Mapped[date] = mapped_column(Date())
    start_time: Mapped[time | None] = mapped_column(Time())
    end_time: Mapped[time | None] = mapped_column(Time())


class Absence(Timestamps, Base):
    """Vacation, sick leave, training: the staff member is busy for the whole span."""

    __tablename__ = "absence"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ends_after_start"),
        Index("ix_absence_staff_starts", "staff_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[AbsenceKind] = mapped_column(enum_column(AbsenceKind, "absence_kind"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(500))


class UnitBlockedTime(Timestamps, Base):
    """Time blocked for everyone in a unit, e.g. a weekly team meeting.

    `first_start_local` is a naive local (Europe/Stockholm) wall-clock time in a plain DateTime
    column, not an instant: a recurring 09:00 meeting must stay at 09:00 after a clock change,
    which a stored UTC instant would move by an hour. Occurrences are turned into instants only
    when expanded for a date range.
    """

    __tablename__ = "unit_blocked_time"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    first_start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    duration_minutes: Mapped[int]
    rrule: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(200))


class ClosedDay(Timestamps, Base):
    """A configured closed date beyond the public holidays; no organization = everywhere."""

    __tablename__ = "closed_day"
    __table_args__ = (Index("ix_closed_day_on", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    on: Mapped[date] = mapped_column(Date())
    name: Mapped[str] = mapped_column(String(100))
