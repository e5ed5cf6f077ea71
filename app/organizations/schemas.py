from datetime import date

from pydantic import Field

from app.organizations.models import OrganizationKind, UnitKind
from app.schemas_common import HsaId, InputModel, LongName, OutputModel


class OrganizationIn(InputModel):
    name: LongName
    kind: OrganizationKind
    org_number: str | None = Field(default=None, pattern=r"^[0-9]{6}-?[0-9]{4}$")
    addresses_in_feeds: bool = False


class OrganizationPatch(InputModel):
    name: LongName | None = None
    kind: OrganizationKind | None = None
    org_number: str | None = Field(default=None, pattern=r"^[0-9]{6}-?[0-9]{4}$")
    addresses_in_feeds: bool | None = None


class OrganizationOut(OutputModel):
    id: int
    name: str
    kind: OrganizationKind
    org_number: str | None
    addresses_in_feeds: bool


class UnitIn(InputModel):
    organization_id: int
    name: LongName
    kind: UnitKind
    hsa_id: HsaId | None = None
    area_type: int | None = Field(default=None, ge=1, le=5, description="SCB area type 1–5")
    cni: float | None = Field(default=None, ge=0, le=100, description="Care Need Index")


class UnitPatch(InputModel):
    name: LongName | None = None
    hsa_id: HsaId | None = None
    area_type: int | None = Field(default=None, ge=1, le=5)
    cni: float | None = Field(default=None, ge=0, le=100)


class UnitOut(OutputModel):
    id: int
    organization_id: int
    name: str
    kind: UnitKind
    hsa_id: str | None
    area_type: int | None
    cni: float | None


class CollaborationIn(InputModel):
    bvc_unit_id: int
    social_unit_id: int
    started_on: date
    ended_on: date | None = None


class CollaborationPatch(InputModel):
    ended_on: date | None = None


class CollaborationOut(OutputModel):
    id: int
    bvc_unit_id: int
    social_unit_id: int
    started_on: date
    ended_on: date | None
