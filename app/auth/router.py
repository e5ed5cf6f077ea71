from fastapi import APIRouter, Depends, Request, status

from app.auth import service
from app.auth.deps import CurrentPrincipal, requires
from app.auth.principal import Scope
from app.auth.schemas import (
    AccountIn,
    AccountOut,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    PrincipalOut,
    TokenOut,
    TokenRequest,
)
from app.auth.tokens import InvalidCredentials, Verifier
from app.deps import SessionDep
from app.errors import Unauthorized

public_router = APIRouter(tags=["auth"])
router = APIRouter(tags=["auth"])
admin = [Depends(requires(Scope.admin))]


@public_router.post("/auth/token")
def issue_token(body: TokenRequest, request: Request, session: SessionDep) -> TokenOut:
    """Log in with a local account; the token is valid for an hour (production uses OIDC)."""
    try:
        account = service.authenticate(session, body.username, body.password)
    except InvalidCredentials:
        raise Unauthorized("wrong username or password") from None
    verifier: Verifier = request.app.state.verifier
    token, lifetime = verifier.issue_local(account)
    return TokenOut(access_token=token, expires_in=lifetime)


@router.get("/auth/me")
def me(principal: CurrentPrincipal) -> PrincipalOut:
    return PrincipalOut(
        subject=principal.subject,
        role=principal.role,
        organization_id=principal.organization_id,
        staff_id=principal.staff_id,
        scopes=sorted(principal.scopes),
    )


@router.post("/accounts", status_code=status.HTTP_201_CREATED, dependencies=admin)
def create_account(body: AccountIn, session: SessionDep, principal: CurrentPrincipal) -> AccountOut:
    return AccountOut.model_validate(service.create_account(session, principal, body))


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, dependencies=admin)
def create_api_key(
    body: ApiKeyIn, session: SessionDep, principal: CurrentPrincipal
) -> ApiKeyCreated:
    key, plain = service.create_api_key(session, principal, body)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=plain)


@router.get("/api-keys", dependencies=admin)
def list_api_keys(session: SessionDep, principal: CurrentPrincipal) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in service.list_api_keys(session, principal)]


@router.post("/api-keys/{key_id}/revocation", dependencies=admin)
def revoke_api_key(key_id: int, session: SessionDep, principal: CurrentPrincipal) -> ApiKeyOut:
    return ApiKeyOut.model_validate(service.revoke_api_key(session, principal, key_id))
