from datetime import date, timedelta
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from app.clock import today_local
from app.families.identity import (
    IdentityKind,
    InvalidIdentityNumber,
    parse_identity_number,
    parse_reserve_number,
)
from app.families.models import ConsentScope, FamilyStatus
from app.schemas_common import (
    Email,
    InputModel,
    Language,
    LongName,
    Name,
    OutputModel,
    Phone,
    ShortText,
)

PostalCode = Annotated[str, Field(pattern=r"^[0-9]{3} ?[0-9]{2}$")]
EARLIEST_CHILD_DATE = date(1900, 1, 1)
# A due date is known during a pregnancy (40 weeks); two more leave room for an early offer.
LATEST_DUE_AHEAD = timedelta(weeks=42)


def _plausible_child_date(value: date | None) -> date | None:
    if value is not None and value < EARLIEST_CHILD_DATE:
        raise ValueError(f"must not be before {EARLIEST_CHILD_DATE.isoformat()}")
    return value


def _plausible_due_date(value: date | None) -> date | None:
    # Far-off dates are typing mistakes, and plans five years past them may not exist (9999).
    if value is not None and value > today_local() + LATEST_DUE_AHEAD:
        raise ValueError("more than 42 weeks ahead: not a pregnancy in progress")
    return _plausible_child_date(value)


def _identity(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_identity_number(value, today=today_local()).digits
    except InvalidIdentityNumber as exc:
        raise ValueError(f"invalid personnummer or samordningsnummer: {exc}") from None


class IdentityFields(InputModel):
    identity_number: str | None = Field(
        default=None,
        max_length=20,
        description="Personnummer or samordningsnummer, 10 or 12 digits, with - or + separator",
        examples=["20230412-2386"],
    )
    reserve_number: str | None = Field(
        default=None, max_length=20, description="Reservnummer: an opaque id from the region"
    )
    reserve_number_region: Name | None = None

    @field_validator("identity_number")
    @classmethod
    def _valid_identity(cls, value: str | None) -> str | None:
        return _identity(value)

    @model_validator(mode="after")
    def _one_identity(self) -> Self:
        if self.identity_number and self.reserve_number:
            raise ValueError("give either identity_number or reserve_number, not both")
        if self.reserve_number is not None:
            try:
                parse_reserve_number(
                    self.reserve_number, issuing_region=self.reserve_number_region or ""
                )
            except ValueError as exc:
                raise ValueError(f"reserve_number: {exc}") from None
        return self


class GuardianIn(IdentityFields):
    given_name: Name
    family_name: Name
    phone: Phone | None = None
    email: Email | None = None


class GuardianPatch(IdentityFields):
    given_name: Name | None = None
    family_name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None


class ChildIn(IdentityFields):
    given_name: Name | None = None
    family_name: Name | None = None
    expected_due_date: date | None = None
    birth_date: date | None = None
    gestational_week_at_birth: int | None = Field(default=None, ge=22, le=45)

    @field_validator("expected_due_date")
    @classmethod
    def _due_plausible(cls, value: date | None) -> date | None:
        return _plausible_due_date(value)

    @field_validator("birth_date")
    @classmethod
    def _birth_plausible(cls, value: date | None) -> date | None:
        return _plausible_child_date(value)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.expected_due_date is None and self.birth_date is None:
            raise ValueError("expected_due_date or birth_date is required")
        if self.birth_date is not None and self.birth_date > today_local():
            raise ValueError("birth_date: must not be in the future")
        if self.gestational_week_at_birth is not None and self.birth_date is None:
            raise ValueError("gestational_week_at_birth: needs birth_date")
        return self


class ChildPatch(IdentityFields):
    given_name: Name | None = None
    family_name: Name | None = None
    expected_due_date: date | None = None
    birth_date: date | None = Field(
        default=None, description="Recording the birth re-anchors the open visit windows"
    )
    gestational_week_at_birth: int | None = Field(default=None, ge=22, le=45)

    @field_validator("expected_due_date")
    @classmethod
    def _due_plausible(cls, value: date | None) -> date | None:
        return _plausible_due_date(value)

    @field_validator("birth_date")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > today_local():
            raise ValueError("must not be in the future")
        return _plausible_child_date(value)


class TargetGroups(InputModel):
    first_child: bool = False
    first_child_in_sweden: bool = False
    known_risk_factors: bool = False
    foreign_born_guardian: bool = False
    language_development_need: bool = False
    preschool_age_not_enrolled: bool = False


class FamilyIn(TargetGroups):
    unit_id: int = Field(description="The family's BVC")
    street_address: LongName | None = None
    postal_code: PostalCode | None = None
    city: Name | None = None
    protected_identity: bool = False
    spoken_language: Language | None = None
    interpreter_language: Language | None = None
    offered_on: date | None = None
    guardians: list[GuardianIn] = Field(default_factory=list, max_length=4)
    children: list[ChildIn] = Field(default_factory=list, max_length=10)


class FamilyPatch(InputModel):
    unit_id: int | None = None
    street_address: LongName | None = None
    postal_code: PostalCode | None = None
    city: Name | None = None
    protected_identity: bool | None = None
    spoken_language: Language | None = None
    interpreter_language: Language | None = None
    first_child: bool | None = None
    first_child_in_sweden: bool | None = None
    known_risk_factors: bool | None = None
    foreign_born_guardian: bool | None = None
    language_development_need: bool | None = None
    preschool_age_not_enrolled: bool | None = None


class StatusChange(InputModel):
    status: FamilyStatus = Field(
        description="offered, declined, completed or discontinued; enrolled comes from enrolling"
    )
    on: date | None = Field(default=None, description="Defaults to today")
    reason: ShortText | None = None


class ConsentIn(InputModel):
    scope: ConsentScope = ConsentScope.joint_visits
    given_on: date
    given_by_guardian_id: int | None = None
    note: ShortText | None = None


class ConsentWithdrawal(InputModel):
    withdrawn_on: date | None = Field(default=None, description="Defaults to today")
    note: ShortText | None = None


class GuardianOut(OutputModel):
    id: int
    given_name: str
    family_name: str
    identity_kind: IdentityKind | None
    identity_number: str | None
    reserve_number_region: str | None
    phone: str | None
    email: str | None


class ChildOut(OutputModel):
    id: int
    given_name: str | None
    family_name: str | None
    identity_kind: IdentityKind | None
    identity_number: str | None
    reserve_number_region: str | None
    expected_due_date: date | None
    birth_date: date | None
    gestational_week_at_birth: int | None


class ConsentOut(OutputModel):
    id: int
    scope: ConsentScope
    given_on: date
    given_by_guardian_id: int | None
    withdrawn_on: date | None
    note: str | None


class ConsentWithdrawalOut(ConsentOut):
    cancelled_booking_ids: list[int] = Field(
        description="Joint bookings cancelled because no consent remains in force"
    )


class FamilySummary(OutputModel):
    id: int
    reference_code: str
    unit_id: int
    status: FamilyStatus
    protected_identity: bool
    interpreter_language: str | None


class FamilyOut(FamilySummary):
    street_address: str | None
    postal_code: str | None
    city: str | None
    spoken_language: str | None
    first_child: bool
    first_child_in_sweden: bool
    known_risk_factors: bool
    foreign_born_guardian: bool
    language_development_need: bool
    preschool_age_not_enrolled: bool
    offered_on: date | None
    enrolled_on: date | None
    declined_on: date | None
    completed_on: date | None
    discontinued_on: date | None
    status_reason: str | None
    guardians: list[GuardianOut]
    children: list[ChildOut]
    consents: list[ConsentOut]
