"""Imports every model so that Base.metadata is complete (Alembic, tests)."""

from app.auth.models import Account, ApiKey
from app.availability.models import (
    Absence,
    ClosedDay,
    UnitBlockedTime,
    WorkingHours,
    WorkingHoursOverride,
)
from app.calendar.models import CalendarToken
from app.db import Base
from app.enrollments.models import Enrollment, PlannedVisit
from app.families.models import Child, Consent, Family, Guardian
from app.organizations.models import Collaboration, Organization, Unit
from app.programs.models import ProgramTemplate, TemplateVisit
from app.reports.models import Tariff
from app.scheduling.models import (
    Booking,
    BookingEvent,
    BookingParticipant,
    ExternalParticipant,
    Outcome,
)
from app.staff.models import Staff

metadata = Base.metadata

__all__ = [
    "Absence",
    "Account",
    "ApiKey",
    "Booking",
    "BookingEvent",
    "BookingParticipant",
    "CalendarToken",
    "Child",
    "ClosedDay",
    "Collaboration",
    "Consent",
    "Enrollment",
    "ExternalParticipant",
    "Family",
    "Guardian",
    "Organization",
    "Outcome",
    "PlannedVisit",
    "ProgramTemplate",
    "Staff",
    "Tariff",
    "TemplateVisit",
    "Unit",
    "UnitBlockedTime",
    "WorkingHours",
    "WorkingHoursOverride",
    "metadata",
]
