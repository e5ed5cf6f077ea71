from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.families.identity import IdentityKind
from app.models_common import Timestamps, Versioned, enum_column


class FamilyStatus(StrEnum):
    offered = "offered"
    enrolled = "enrolled"
    declined = "declined"
    completed = "completed"
    discontinued = "discontinued"


class ConsentScope(StrEnum):
    # Joint visits share data across two secrecy regimes (BVC and socialtjänst): consent needed.
    joint_visits = "joint_visits"


class Family(Versioned, Timestamps, Base):
    __tablename__ = "family"
    __table_args__ = (Index("ix_family_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_code: Mapped[str] = mapped_column(String(20), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    protected_identity: Mapped[bool] = mapped_column(default=False)
    spoken_language: Mapped[str | None] = mapped_column(String(35))
    interpreter_language: Mapped[str | None] = mapped_column(String(35))
    first_child: Mapped[bool] = mapped_column(default=False)
    first_child_in_sweden: Mapped[bool] = mapped_column(default=False)
    known_risk_factors: Mapped[bool] = mapped_column(default=False)
    foreign_born_guardian: Mapped[bool] = mapped_column(default=False)
    language_development_need: Mapped[bool] = mapped_column(default=False)
    preschool_age_not_enrolled: Mapped[bool] = mapped_column(default=False)
    status: Mapped[FamilyStatus] = mapped_column(
        enum_column(FamilyStatus, "family_status"), default=FamilyStatus.offered
    )
    offered_on: Mapped[date | None]
    enrolled_on: Mapped[date | None]
    declined_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    discontinued_on: Mapped[date | None]
    status_reason: Mapped[str | None] = mapped_column(String(500))

    guardians: Mapped[list["Guardian"]] = relationship(
        back_populates="family", order_by="Guardian.id", cascade="all, delete-orphan"
    )
    children: Mapped[list["Child"]] = relationship(
        back_populates="family", order_by="Child.id", cascade="all, delete-orphan"
    )
    consents: Mapped[list["Consent"]] = relationship(
        back_populates="family", order_by="Consent.id", cascade="all, delete-orphan"
    )


class Guardian(Timestamps, Base):
    __tablename__ = "guardian"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    identity_kind: Mapped[IdentityKind | None] = mapped_column(
        enum_column(IdentityKind, "identity_kind")
    )
    identity_number: Mapped[str | None] = mapped_column(String(20), index=True)
    reserve_number_region: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))

    family: Mapped[Family] = relationship(back_populates="guardians")


class Child(Timestamps, Base):
    __tablename__ = "child"
    __table_args__ = (
        CheckConstraint(
            "expected_due_date IS NOT NULL OR birth_date IS NOT NULL", name="due_or_birth_date"
        ),
        CheckConstraint(
            "gestational_week_at_birth BETWEEN 22 AND 45", name="gestational_week_range"
        ),
        # NULLs never collide in a unique constraint, so each identity kind gets its own index.
        Index(
            "uq_child_identity_number",
            "identity_number",
            unique=True,
            sqlite_where=text("identity_kind <> 'reservnummer'"),
            postgresql_where=text("identity_kind <> 'reservnummer'"),
        ),
        Index(
            "uq_child_reserve_number",
            "reserve_number_region",
            "identity_number",
            unique=True,
            sqlite_where=text("identity_kind = 'reservnummer'"),
            postgresql_where=text("identity_kind = 'reservnummer'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    identity_kind: Mapped[IdentityKind | None] = mapped_column(
        enum_column(IdentityKind, "identity_kind")
    )
    identity_number: Mapped[str | None] = mapped_column(String(20))
    reserve_number_region: Mapped[str | None] = mapped_column(String(100))
    expected_due_date: Mapped[date | None]
    birth_date: Mapped[date | None]
    gestational_week_at_birth: Mapped[int | None]

    family: Mapped[Family] = relationship(back_populates="children")


class Consent(Timestamps, Base):
    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    scope: Mapped[ConsentScope] = mapped_column(enum_column(ConsentScope, "consent_scope"))
    given_on: Mapped[date]
    given_by_guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardian.id"))
    withdrawn_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)

    family: Mapped[Family] = relationship(back_populates="consents")

    def in_force_on(self, day: date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)
