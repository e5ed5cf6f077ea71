"""Imports every model so that Base.metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
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
from app.http.models import IdempotencyKey
from app.organizations.models import Collaboration, Organization, Unit
from app.programs.models import ProgramTemplate, TemplateVisit
from app.reports.models import Tariff, VisitFact
from app.scheduling.models import (
    Booking,
    BookingEvent,
    BookingParticipant,
    ExternalParticipant,
    Outcome,
)
from app.staff.models import Staff
from app.webhooks.models import (
    OutboxEvent,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSubscription,
)

metadata = Base.metadata

__all__ = [
    "Absence",
    "Account",
    "ApiKey",
    "AuditEvent",
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
    "IdempotencyKey",
    "Organization",
    "OutboxEvent",
    "Outcome",
    "PlannedVisit",
    "ProgramTemplate",
    "Staff",
    "Tariff",
    "TemplateVisit",
    "Unit",
    "UnitBlockedTime",
    "VisitFact",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookSubscription",
    "WorkingHours",
    "WorkingHoursOverride",
    "metadata",
]
