from datetime import datetime

from pydantic import AwareDatetime, Field

from app.auth.principal import Role, Scope
from app.schemas_common import InputModel, Name, OutputModel


class TokenRequest(InputModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(OutputModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class AccountIn(InputModel):
    username: str = Field(pattern=r"^[a-z0-9._@-]{3,100}$")
    password: str = Field(min_length=12, max_length=200, description="At least 12 characters")
    role: Role
    staff_id: int | None = None
    organization_id: int | None = Field(
        default=None, description="Only the operator may name another organization"
    )


class AccountOut(OutputModel):
    id: int
    username: str
    role: Role
    organization_id: int
    staff_id: int | None
    active: bool


class ApiKeyIn(InputModel):
    name: Name
    scopes: list[Scope] = Field(min_length=1)
    expires_at: AwareDatetime | None = None
    organization_id: int | None = None


class ApiKeyOut(OutputModel):
    id: int
    name: str
    organization_id: int
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Shown once; only its hash is stored")


class PrincipalOut(OutputModel):
    subject: str
    role: Role
    organization_id: int | None
    staff_id: int | None
    scopes: list[Scope]
