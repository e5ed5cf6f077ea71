"""Imports every model so that Base.metadata is complete (Alembic, tests)."""

from app.db import Base
from app.enrollments.models import Enrollment, PlannedVisit
from app.families.models import Child, Consent, Family, Guardian
from app.organizations.models import Collaboration, Organization, Unit
from app.programs.models import ProgramTemplate, TemplateVisit
from app.staff.models import Staff

metadata = Base.metadata

__all__ = [
    "Child",
    "Collaboration",
    "Consent",
    "Enrollment",
    "Family",
    "Guardian",
    "Organization",
    "PlannedVisit",
    "ProgramTemplate",
    "Staff",
    "TemplateVisit",
    "Unit",
    "metadata",
]
