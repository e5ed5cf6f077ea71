from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models_common import Timestamps, Versioned, enum_column
from app.programs.models import ProgramTemplate, TemplateVisit
from app.programs.plan import PlanStatus


class EnrollmentStatus(StrEnum):
    active = "active"
    completed = "completed"
    discontinued = "discontinued"


class Enrollment(Versioned, Timestamps, Base):
    """A family in a program: one index child (twins share it), one template version, one team."""

    __tablename__ = "enrollment"
    __table_args__ = (
        Index(
            "uq_enrollment_active_family",
            "family_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("program_template.id"), index=True)
    index_child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    nurse_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    social_worker_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    enrolled_on: Mapped[date]
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus, "enrollment_status"), default=EnrollmentStatus.active
    )
    ended_on: Mapped[date | None]

    template: Mapped[ProgramTemplate] = relationship()
    visits: Mapped[list["PlannedVisit"]] = relationship(
        back_populates="enrollment", order_by="PlannedVisit.sequence", cascade="all, delete-orphan"
    )


class PlannedVisit(Timestamps, Base):
    __tablename__ = "planned_visit"
    __table_args__ = (UniqueConstraint("enrollment_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), index=True)
    template_visit_id: Mapped[int] = mapped_column(ForeignKey("template_visit.id"))
    sequence: Mapped[int]
    window_start: Mapped[date]
    window_end: Mapped[date]
    ideal_date: Mapped[date]
    provisional: Mapped[bool] = mapped_column(default=False)
    status: Mapped[PlanStatus] = mapped_column(
        enum_column(PlanStatus, "plan_status"), default=PlanStatus.planned
    )
    status_reason: Mapped[str | None] = mapped_column(String(200))

    enrollment: Mapped[Enrollment] = relationship(back_populates="visits")
    template_visit: Mapped[TemplateVisit] = relationship()
