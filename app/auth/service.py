from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Account, ApiKey
from app.auth.passwords import hash_password, verify_password
from app.auth.principal import ROLE_SCOPES, Principal, Role, Scope
from app.auth.schemas import AccountIn, ApiKeyIn
from app.auth.scope import organization_for
from app.auth.tokens import InvalidCredentials, hash_api_key, new_api_key
from app.clock import now_utc
from app.crud import get_or_404
from app.db import rolls_back
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.organizations.models import Unit
from app.staff.models import Staff


def authenticate(session: Session, username: str, password: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == username))
    if not verify_password(account.password_hash if account else None, password):
        raise InvalidCredentials("wrong username or password")
    assert account is not None
    if not account.active:
        raise InvalidCredentials("account disabled")
    return account


@rolls_back
def create_account(session: Session, principal: Principal, data: AccountIn) -> Account:
    organization_id = organization_for(
        session, principal, data.organization_id, "accounts and keys"
    )
    if data.role is Role.system:
        raise InvalidInput.on("role", "systems use API keys, not accounts")
    if Scope.audit_read in ROLE_SCOPES[data.role] and not principal.unrestricted:
        # Auditors oversee the coordinators: their accounts come from the operator or the IdP.
        raise Forbidden("only the operator may create auditor accounts")
    if data.staff_id is not None:
        staff_organization = session.scalar(
            select(Unit.organization_id)
            .join(Staff, Staff.unit_id == Unit.id)
            .where(Staff.id == data.staff_id)
        )
        if staff_organization is None:
            raise InvalidInput.on("staff_id", "no such staff member")
        if staff_organization != organization_id:
            raise InvalidInput.on("staff_id", "the staff member works in another organization")
    if session.scalar(select(Account.id).where(Account.username == data.username)):
        raise Conflict("the username is taken")
    account = Account(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role,
        organization_id=organization_id,
        staff_id=data.staff_id,
    )
    session.add(account)
    session.commit()
    return account


@rolls_back
def create_api_key(session: Session, principal: Principal, data: ApiKeyIn) -> tuple[ApiKey, str]:
    organization_id = organization_for(
        session, principal, data.organization_id, "accounts and keys"
    )
    if Scope.admin in data.scopes and not principal.unrestricted:
        raise Forbidden("only the operator may create keys with the admin scope")
    if Scope.audit_read in data.scopes and not principal.unrestricted:
        raise Forbidden("only the operator may create keys with the audit:read scope")
    if data.expires_at is not None and data.expires_at <= now_utc():
        raise InvalidInput.on("expires_at", "must be in the future")
    plain = new_api_key()
    key = ApiKey(
        name=data.name,
        key_hash=hash_api_key(plain),
        organization_id=organization_id,
        scopes=sorted({s.value for s in data.scopes}),
        expires_at=data.expires_at,
    )
    session.add(key)
    session.commit()
    return key, plain


def list_api_keys(session: Session, principal: Principal) -> Sequence[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if not principal.unrestricted:
        stmt = stmt.where(ApiKey.organization_id == principal.organization_id)
    return session.scalars(stmt).all()


@rolls_back
def revoke_api_key(session: Session, principal: Principal, key_id: int) -> ApiKey:
    key = get_or_404(session, ApiKey, key_id, "API key")
    if not principal.unrestricted and key.organization_id != principal.organization_id:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = now_utc()
    session.commit()
    return key
