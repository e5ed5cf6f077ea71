"""The authentication dependency and the scope check each router declares."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.auth.principal import Principal, Scope
from app.auth.tokens import InvalidCredentials, Verifier
from app.deps import SessionDep
from app.errors import Forbidden, Unauthorized

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token or API key>")
    verifier: Verifier = request.app.state.verifier
    try:
        principal = verifier.principal(session, token.strip())
    except InvalidCredentials:
        raise Unauthorized("the credential is invalid, expired or revoked") from None
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(read: Scope, write: Scope | None = None) -> Callable[..., None]:
    """A router dependency: `read` for GET/HEAD, `write` (default: same) for changes."""

    def check(request: Request, principal: CurrentPrincipal) -> None:
        needed = read if request.method in READ_METHODS else (write or read)
        if not principal.can(needed):
            raise Forbidden(f"your role ({principal.role.value}) lacks {needed.value}")

    return check
