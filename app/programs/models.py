from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models_common import Timestamps, enum_column
from app.programs.plan import Anchor, LocationKind, Offset, OffsetUnit, VisitRule


class ProgramTemplate(Timestamps, Base):
    """One version of a visit schedule; versions are immutable once an enrollment uses them."""

    __tablename__ = "program_template"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    is_current: Mapped[bool] = mapped_column(default=True)

    visits: Mapped[list["TemplateVisit"]] = relationship(
        back_populates="template", order_by="TemplateVisit.sequence", cascade="all, delete-orphan"
    )


class TemplateVisit(Base):
    __tablename__ = "template_visit"
    __table_args__ = (UniqueConstraint("template_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("program_template.id"), index=True)
    sequence: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(String(200))
    location_kind: Mapped[LocationKind] = mapped_column(enum_column(LocationKind, "location_kind"))
    anchor: Mapped[Anchor] = mapped_column(enum_column(Anchor, "anchor"))
    window_start_amount: Mapped[int]
    window_start_unit: Mapped[OffsetUnit] = mapped_column(
        enum_column(OffsetUnit, "window_start_unit")
    )
    window_end_amount: Mapped[int]
    window_end_unit: Mapped[OffsetUnit] = mapped_column(enum_column(OffsetUnit, "window_end_unit"))
    ideal_amount: Mapped[int]
    ideal_unit: Mapped[OffsetUnit] = mapped_column(enum_column(OffsetUnit, "ideal_unit"))
    required_professions: Mapped[list[str]] = mapped_column(JSON)
    is_ordinary: Mapped[bool] = mapped_column(default=False)
    default_duration_minutes: Mapped[int] = mapped_column(default=90)
    window_note: Mapped[str | None] = mapped_column(Text)

    template: Mapped[ProgramTemplate] = relationship(back_populates="visits")

    @property
    def window_start(self) -> Offset:
        return Offset(self.window_start_amount, self.window_start_unit)

    @property
    def window_end(self) -> Offset:
        return Offset(self.window_end_amount, self.window_end_unit)

    @property
    def ideal(self) -> Offset:
        return Offset(self.ideal_amount, self.ideal_unit)

    def rule(self) -> VisitRule:
        return VisitRule(
            sequence=self.sequence,
            anchor=self.anchor,
            window_start=self.window_start,
            window_end=self.window_end,
            ideal=self.ideal,
        )
