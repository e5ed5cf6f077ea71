"""Bookings of visits, their participants, history and outcomes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.models_common import Timestamps, enum_column


class BookingKind(StrEnum):
    planned_visit = "planned_visit"
    follow_up = "follow_up"


class BookingStatus(StrEnum):
    booked = "booked"
    completed = "completed"
    cancelled = "cancelled"
    no_show = "no_show"


class BookingLocation(StrEnum):
    home = "home"
    clinic = "clinic"
    mhv_clinic = "mhv_clinic"
    other = "other"


class CancelReason(StrEnum):
    family = "family"
    staff = "staff"
    consent_withdrawn = "consent_withdrawn"
    other = "other"


class ExternalKind(StrEnum):
    interpreter = "interpreter"
    librarian = "librarian"
    dental_nurse = "dental_nurse"
    midwife = "midwife"
    other = "other"


class Booking(Timestamps, Base):
    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_family_starts", "family_id", "starts_at"),
        Index("ix_booking_starts", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"))
    planned_visit_id: Mapped[int | None] = mapped_column(ForeignKey("planned_visit.id"), index=True)
    kind: Mapped[BookingKind] = mapped_column(enum_column(BookingKind, "booking_kind"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    location: Mapped[BookingLocation] = mapped_column(
        enum_column(BookingLocation, "booking_location")
    )
    location_note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus, "booking_status"), default=BookingStatus.booked
    )
    is_joint: Mapped[bool] = mapped_column(default=True)
    missing_profession_reason: Mapped[str | None] = mapped_column(String(500))
    needs_follow_up: Mapped[bool] = mapped_column(default=False)
    outside_window: Mapped[bool] = mapped_column(default=False)
    interpreter_language: Mapped[str | None] = mapped_column(String(35))
    cancel_reason: Mapped[CancelReason | None] = mapped_column(
        enum_column(CancelReason, "cancel_reason")
    )
    cancel_note: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Rises on every time change or cancellation (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    # Rises on every change (ETag / If-Match), set by the service (participants live in another
    # table, so a change may leave this row's other columns as they were); the UPDATE is
    # conditional on the version read, as for app.models_common.Versioned.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {  # noqa: RUF012 (declarative reads it once, at mapping)
        "version_id_col": version,
        "version_id_generator": False,
    }

    participants: Mapped[list["BookingParticipant"]] = relationship(
        back_populates="booking", order_by="BookingParticipant.id", cascade="all, delete-orphan"
    )
    externals: Mapped[list["ExternalParticipant"]] = relationship(
        back_populates="booking", order_by="ExternalParticipant.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["BookingEvent"]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan"
    )
    outcome: Mapped["Outcome | None"] = relationship(
        back_populates="booking", cascade="all, delete-orphan"
    )


class BookingParticipant(Base):
    """One staff member's busy interval for a booking; the database refuses overlaps."""

    __tablename__ = "booking_participant"
    __table_args__ = (
        Index("ix_booking_participant_staff_busy", "staff_id", "busy_from"),
        ExcludeConstraint(
            ("staff_id", "="),
            (text("tstzrange(busy_from, busy_to, '[)')"), "&&"),
            name="booking_participant_no_overlap",
            using="gist",
            where=text("active"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    role: Mapped[str] = mapped_column(String(32))
    # The visit plus travel buffers: what makes this person unavailable.
    busy_from: Mapped[datetime] = mapped_column(UTCDateTime())
    busy_to: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)

    booking: Mapped[Booking] = relationship(back_populates="participants")


class ExternalParticipant(Base):
    __tablename__ = "external_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    kind: Mapped[ExternalKind] = mapped_column(enum_column(ExternalKind, "external_kind"))
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(35))
    contact: Mapped[str | None] = mapped_column(String(200))

    booking: Mapped[Booking] = relationship(back_populates="externals")


class BookingEvent(Base):
    """Append-only history of a booking: booked, rescheduled, cancelled, completed, no-show."""

    __tablename__ = "booking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    staff_ids: Mapped[list[int]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    booking: Mapped[Booking] = relationship(back_populates="events")


class Outcome(Timestamps, Base):
    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    held_at: Mapped[BookingLocation] = mapped_column(enum_column(BookingLocation, "held_at"))
    staff_ids: Mapped[list[int]] = mapped_column(JSON)
    professions: Mapped[list[str]] = mapped_column(JSON)
    guardians_present: Mapped[int] = mapped_column(default=1)
    both_guardians_present: Mapped[bool] = mapped_column(default=False)
    interpreter_used: Mapped[bool] = mapped_column(default=False)
    external_kinds: Mapped[list[str]] = mapped_column(JSON)
    referrals: Mapped[list[str]] = mapped_column(JSON)
    kva_codes: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    booking: Mapped[Booking] = relationship(back_populates="outcome")
