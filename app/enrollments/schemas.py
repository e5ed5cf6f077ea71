from datetime import date, datetime

from pydantic import Field

from app.enrollments.models import EnrollmentStatus
from app.programs.plan import LocationKind, PlanStatus
from app.scheduling.models import BookingStatus
from app.schemas_common import InputModel, OutputModel
from app.staff.profession import Profession


class EnrollmentIn(InputModel):
    family_id: int
    index_child_id: int | None = Field(
        default=None, description="Defaults to the family's youngest child; twins share one plan"
    )
    template_id: int | None = Field(default=None, description="Defaults to the default template")
    nurse_id: int = Field(description="The family's BHV nurse")
    social_worker_id: int = Field(description="The family's socialtjänst partner")
    enrolled_on: date | None = Field(default=None, description="Defaults to today")


class EnrollmentTeamChange(InputModel):
    nurse_id: int | None = None
    social_worker_id: int | None = None


class EnrollmentOut(OutputModel):
    id: int
    family_id: int
    template_id: int
    index_child_id: int
    nurse_id: int
    social_worker_id: int
    enrolled_on: date
    status: EnrollmentStatus
    ended_on: date | None


class PlannedVisitOut(OutputModel):
    id: int
    sequence: int
    name: str
    theme: str | None
    location_kind: LocationKind
    required_professions: list[Profession]
    is_ordinary: bool
    default_duration_minutes: int
    window_start: date
    window_end: date = Field(description="Last day of the window (inclusive)")
    ideal_date: date
    provisional: bool = Field(description="Anchored on the due date until the birth is recorded")
    status: PlanStatus
    status_reason: str | None
    booking_id: int | None = Field(default=None, description="The visit's current booking")
    booking_starts_at: datetime | None = None
    booking_status: BookingStatus | None = None


class PlanOut(OutputModel):
    enrollment: EnrollmentOut
    family_reference_code: str
    template_key: str
    template_version: int
    template_name: str
    visits: list[PlannedVisitOut]
