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
from app.models_common import Timestamps, enum_column
from app.reports.indicators import AgeGroup
from app.scheduling.models import Booking, BookingLocation


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


class VisitFact(Base):
    """What the grant follow-up reads from one completed visit, written with its outcome.

    Only what is fixed once the outcome is recorded lives here (the local date, where the visit
    was held, who took part and what that makes it: app/reports/indicators.py `visit_facts`), so
    a national year is one narrow scan instead of a join of bookings, outcomes and staff. Two
    things that can still change are stored too and kept current, so that counting visits joins
    nothing: the family's BVC, and the index child's age group (its dates can be corrected).
    The family counts join the family for its flags.
    """

    __tablename__ = "visit_fact"
    __table_args__ = (
        # The report reads one year of facts: index-only on PostgreSQL once vacuumed.
        Index(
            "ix_visit_fact_visit_date",
            "visit_date",
            postgresql_include=[
                "family_id",
                "unit_id",
                "age_group",
                "held_at",
                "two_professions",
                "nurse_present",
                "social_services_present",
                "actors",
            ],
        ),
        # A municipality's report starts from its families: their visits of the year. Also the
        # visits whose age groups a change to a family's children moves.
        Index("ix_visit_fact_family_id_visit_date", "family_id", "visit_date"),
        # The few home visits without two professions, listed by the report with their reason.
        Index(
            "ix_visit_fact_lacking_two_professions",
            "visit_date",
            postgresql_where=text("NOT two_professions"),
            sqlite_where=text("NOT two_professions"),
        ),
    )

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"))
    # The family's BVC now, kept current when the family moves (facts.refresh_units): the
    # report's unit and scope without joining the family.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    # The child whose age the visit counts in (indicators.index_child): its enrollment's index
    # child then, else the youngest child; None if the family had no child registered yet.
    index_child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"))
    # That child's age group on the visit day (indicators.age_group), from its dates as they
    # are now: kept current when a child's dates change (facts.refresh_age_groups).
    age_group: Mapped[AgeGroup] = mapped_column(enum_column(AgeGroup, "age_group"))
    # Local (Europe/Stockholm) date of the start: the visit's year and month.
    visit_date: Mapped[date]
    held_at: Mapped[BookingLocation] = mapped_column(enum_column(BookingLocation, "held_at"))
    two_professions: Mapped[bool]
    nurse_present: Mapped[bool]
    # Judged when the outcome is recorded, as the KVÅ code ZV509 is.
    social_services_present: Mapped[bool]
    # Table 2 actors as bits (indicators.ACTOR_BITS).
    actors: Mapped[int]
    # The organizations whose socialtjänst staff took part (a municipality's report).
    social_services_organization_ids: Mapped[list[int]] = mapped_column(JSON)
    # The outcome's professions and the booking's reason: what the report lists for a visit
    # without two professions.
    professions: Mapped[list[str]] = mapped_column(JSON)
    missing_profession_reason: Mapped[str | None] = mapped_column(String(500))
