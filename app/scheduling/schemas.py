from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from app.scheduling.models import (
    BookingKind,
    BookingLocation,
    BookingStatus,
    CancelReason,
    ExternalKind,
)
from app.schemas_common import InputModel, Language, Name, OutputModel, ShortText


class Referral(StrEnum):
    mhv = "mhv"
    open_preschool = "open_preschool"
    preschool = "preschool"
    dental_care = "dental_care"
    other_social_services = "other_social_services"
    language_support = "language_support"
    other = "other"


class StaffParticipantIn(InputModel):
    staff_id: int


class ExternalIn(InputModel):
    kind: ExternalKind
    name: Name | None = None
    language: Language | None = None
    contact: ShortText | None = None


class _Times(InputModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = Field(
        default=None, description="Defaults to the visit's default duration"
    )

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        return self


class BookingIn(_Times):
    planned_visit_id: int | None = Field(default=None, description="The plan's visit to book")
    family_id: int | None = Field(
        default=None, description="For a follow-up visit outside the plan (no planned_visit_id)"
    )
    location: BookingLocation | None = Field(
        default=None, description="Defaults to the template's location (home for follow-ups)"
    )
    location_note: ShortText | None = None
    staff: list[StaffParticipantIn] | None = Field(
        default=None, min_length=1, max_length=6, description="Defaults to the family's team"
    )
    externals: list[ExternalIn] = Field(default_factory=list, max_length=6)
    missing_profession_reason: ShortText | None = Field(
        default=None,
        description="Required when the visit lacks a BHV nurse or a socialtjänst person",
    )
    buffer_before_minutes: int | None = Field(default=None, ge=0, le=120)
    buffer_after_minutes: int | None = Field(default=None, ge=0, le=120)

    @model_validator(mode="after")
    def _target(self) -> Self:
        if (self.planned_visit_id is None) == (self.family_id is None):
            raise ValueError("give planned_visit_id, or family_id for a follow-up visit")
        return self


class BookingChange(_Times):
    """A reschedule: new times, and optionally new staff or place."""

    staff: list[StaffParticipantIn] | None = Field(default=None, min_length=1, max_length=6)
    location: BookingLocation | None = None
    location_note: ShortText | None = None
    missing_profession_reason: ShortText | None = None


class BookingCancel(InputModel):
    reason: CancelReason
    note: ShortText | None = None


class NoShowIn(InputModel):
    note: ShortText | None = None


class OutcomeIn(InputModel):
    staff_ids: list[int] = Field(min_length=1, max_length=6, description="Staff who took part")
    held_at: BookingLocation = Field(description="Where the visit really happened")
    guardians_present: int = Field(ge=0, le=4)
    both_guardians_present: bool = False
    interpreter_used: bool = False
    externals: list[ExternalKind] = Field(default_factory=list, max_length=6)
    referrals: list[Referral] = Field(default_factory=list, max_length=7)
    note: ShortText | None = None


class ParticipantOut(OutputModel):
    staff_id: int
    role: str


class ExternalOut(OutputModel):
    kind: ExternalKind
    name: str | None
    language: str | None
    contact: str | None


class OutcomeOut(OutputModel):
    held_at: BookingLocation
    staff_ids: list[int]
    professions: list[str]
    guardians_present: int
    both_guardians_present: bool
    interpreter_used: bool
    external_kinds: list[str]
    referrals: list[str]
    kva_codes: list[str]
    note: str | None


class BookingEventOut(OutputModel):
    at: datetime
    action: str
    starts_at: datetime
    ends_at: datetime
    staff_ids: list[int]
    note: str | None


class BookingOut(OutputModel):
    id: int
    uid: str
    family_id: int
    planned_visit_id: int | None
    kind: BookingKind
    starts_at: datetime
    ends_at: datetime
    buffer_before_minutes: int
    buffer_after_minutes: int
    location: BookingLocation
    location_note: str | None
    status: BookingStatus
    is_joint: bool
    missing_profession_reason: str | None
    needs_follow_up: bool
    outside_window: bool
    interpreter_language: str | None
    cancel_reason: CancelReason | None
    cancel_note: str | None
    cancelled_at: datetime | None
    sequence: int
    version: int
    participants: list[ParticipantOut]
    externals: list[ExternalOut]
    outcome: OutcomeOut | None


class BookingDetail(BookingOut):
    events: list[BookingEventOut]


class KvaRow(OutputModel):
    booking_id: int
    family_id: int
    visit_date: str
    unit_hsa_id: str | None
    unit_name: str
    staff_hsa_ids: list[str]
    kva_codes: list[str]


class SlotOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    local_start: str = Field(description="Start in Europe/Stockholm, e.g. 2027-01-12 10:00")
    staff_ids: list[int]
    continuity: bool = Field(description="True when it is the family's own team")
    days_from_ideal: int | None
