from datetime import date
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models_common import Timestamps, Versioned, enum_column


class OrganizationKind(StrEnum):
    region = "region"
    municipality = "municipality"
    private_provider = "private_provider"
    other = "other"


class UnitKind(StrEnum):
    bvc = "bvc"
    social_services = "social_services"
    mhv = "mhv"
    dental = "dental"
    library = "library"
    other = "other"


class Organization(Versioned, Timestamps, Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(
        enum_column(OrganizationKind, "organization_kind")
    )
    org_number: Mapped[str | None] = mapped_column(String(11), unique=True)
    addresses_in_feeds: Mapped[bool] = mapped_column(default=False)

    units: Mapped[list["Unit"]] = relationship(back_populates="organization")


class Unit(Versioned, Timestamps, Base):
    __tablename__ = "unit"
    __table_args__ = (
        CheckConstraint("area_type BETWEEN 1 AND 5", name="area_type_range"),
        CheckConstraint("cni >= 0", name="cni_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind, "unit_kind"))
    hsa_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    area_type: Mapped[int | None]
    cni: Mapped[float | None]

    organization: Mapped[Organization] = relationship(back_populates="units")


class Collaboration(Versioned, Timestamps, Base):
    """A BVC and a socialtjänst unit that run the program together."""

    __tablename__ = "collaboration"
    __table_args__ = (UniqueConstraint("bvc_unit_id", "social_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bvc_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    social_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    started_on: Mapped[date]
    # The first day without the collaboration; a planned end is in force until then.
    ended_on: Mapped[date | None]

    @classmethod
    def in_force_on(cls, day: date) -> ColumnElement[bool]:
        """Started, and not ended: a planned collaboration gives no access yet."""
        return and_(cls.started_on <= day, or_(cls.ended_on.is_(None), cls.ended_on > day))
