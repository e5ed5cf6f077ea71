from typing import Self

from pydantic import Field, model_validator

from app.programs.plan import (
    Anchor,
    LocationKind,
    Offset,
    OffsetUnit,
    PlanRuleError,
    VisitRule,
    validate_rule,
)
from app.schemas_common import InputModel, LongName, LongText, OutputModel, ShortText
from app.staff.profession import Profession

TEMPLATE_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class OffsetModel(InputModel):
    amount: int = Field(ge=-52, le=260)
    unit: OffsetUnit

    def offset(self) -> Offset:
        return Offset(self.amount, self.unit)


class TemplateVisitIn(InputModel):
    sequence: int = Field(ge=1, le=50)
    name: LongName
    theme: LongName | None = None
    location_kind: LocationKind
    anchor: Anchor
    window_start: OffsetModel
    window_end: OffsetModel = Field(
        description="Exclusive: the first day the visit is no longer due"
    )
    ideal: OffsetModel
    required_professions: list[Profession] = Field(min_length=1, max_length=6)
    is_ordinary: bool = False
    default_duration_minutes: int = Field(default=90, ge=15, le=240)
    window_note: ShortText | None = None

    def rule(self) -> VisitRule:
        return VisitRule(
            sequence=self.sequence,
            anchor=self.anchor,
            window_start=self.window_start.offset(),
            window_end=self.window_end.offset(),
            ideal=self.ideal.offset(),
        )


class TemplateRevision(InputModel):
    """A whole schedule; sent to an existing template it becomes that template's next version."""

    name: LongName
    description: LongText | None = None
    source: LongText | None = None
    is_default: bool = False
    visits: list[TemplateVisitIn] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _visits_valid(self) -> Self:
        sequences = [v.sequence for v in self.visits]
        if len(set(sequences)) != len(sequences):
            raise ValueError("visits: sequence numbers must be unique")
        for index, visit in enumerate(self.visits):
            try:
                validate_rule(visit.rule())
            except PlanRuleError as exc:
                raise ValueError(f"visits.{index}.{exc.field}: {exc.message}") from None
        return self


class TemplateIn(TemplateRevision):
    key: str = Field(pattern=TEMPLATE_KEY_PATTERN)


class OffsetOut(OutputModel):
    amount: int
    unit: OffsetUnit


class TemplateVisitOut(OutputModel):
    id: int
    sequence: int
    name: str
    theme: str | None
    location_kind: LocationKind
    anchor: Anchor
    window_start: OffsetOut
    window_end: OffsetOut
    ideal: OffsetOut
    required_professions: list[Profession]
    is_ordinary: bool
    default_duration_minutes: int
    window_note: str | None


class TemplateOut(OutputModel):
    id: int
    key: str
    version: int
    name: str
    description: str | None
    source: str | None
    is_default: bool
    is_current: bool
    visits: list[TemplateVisitOut]
