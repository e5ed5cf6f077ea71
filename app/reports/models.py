"""Compensation tariffs: what a region pays its BVC units per home visit, as data."""

from datetime import date

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models_common import Timestamps


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
