"""Who is calling: a user (local account or OIDC) or a system (API key), with role and scope."""

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    nurse = "nurse"
    social_worker = "social_worker"
    coordinator = "coordinator"
    auditor = "auditor"
    system = "system"


class Scope(StrEnum):
    """What an API key may do; users get the scopes of their role."""

    families_read = "families:read"
    families_write = "families:write"
    bookings_read = "bookings:read"
    bookings_write = "bookings:write"
    admin = "admin"
    audit_read = "audit:read"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.nurse: frozenset(
        {Scope.families_read, Scope.families_write, Scope.bookings_read, Scope.bookings_write}
    ),
    # Socialtjänst books and records visits but does not register families or identity numbers.
    Role.social_worker: frozenset({Scope.families_read, Scope.bookings_read, Scope.bookings_write}),
    Role.coordinator: frozenset(
        {
            Scope.families_read,
            Scope.families_write,
            Scope.bookings_read,
            Scope.bookings_write,
            Scope.admin,
        }
    ),
    Role.auditor: frozenset({Scope.audit_read}),
    Role.system: frozenset(),  # an API key carries its own scopes
}


@dataclass(frozen=True)
class Principal:
    subject: str  # "account:12", "apikey:3", "oidc:<iss>#<sub>"
    role: Role
    organization_id: int | None  # None only for the operator (CLI, tests): no scoping
    staff_id: int | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def unrestricted(self) -> bool:
        return self.organization_id is None

    @classmethod
    def operator(cls) -> "Principal":
        """The command line's identity: a person at the console of the server, not a web user."""
        return cls(
            subject="operator",
            role=Role.coordinator,
            organization_id=None,
            scopes=frozenset(Scope),
        )
