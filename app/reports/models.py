"""Compensation tariffs: what a region pays its BVC units per home visit, as data."""

from datetime import date

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models_common import Timestamps
from app.scheduling.models import Booking


class Tariff(Timestamps, Base):
    """One region's amounts from a date on; a newer row for the region replaces it from its date.

    Shipped tariffs name their region (`region_name`) because they are loaded before any
    organization exists; they apply to the organization of that name until `organization_id`
    links them to one explicitly.
    """

    __tablename__ = "tariff"
    __table_args__ = (
        UniqueConstraint("region_name", "valid_from"),
        CheckConstraint(
            "joint_home_visit_amount >= 0 AND ordinary_home_visit_amount >= 0",
            name="amounts_non_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    region_name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    valid_from: Mapped[date]
    # Whole kronor per completed home visit with socialtjänst present (rörlig ersättning).
    joint_home_visit_amount: Mapped[int]
    # Whole kronor per home visit at units on fixed compensation, socialtjänst present or not.
    ordinary_home_visit_amount: Mapped[int]
    # Units on fixed compensation with extended resource, by name or HSA id.
    fixed_compensation_units: Mapped[list[str]] = mapped_column(JSON)
    kva_code: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)


# The yearly reports read one year's completed visits: a partial index that covers those
# queries (index-only on PostgreSQL once vacuumed). Declared here, on the booking table, because
# the reports are what need it; migration 0005 creates it.
completed_visits_by_start = Index(
    "ix_booking_completed_starts",
    Booking.starts_at,
    postgresql_include=["id", "family_id", "missing_profession_reason"],
    postgresql_where=text("status = 'completed'"),
    sqlite_where=text("status = 'completed'"),
)
