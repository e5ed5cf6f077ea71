"""Idempotency-Key on POST (draft-ietf-httpapi-idempotency-key-header).

A client that may retry a POST sends `Idempotency-Key: <unique value>`. The first request with a
key reserves it; its response is stored and every later request with the same key, the same
caller and the same request gets that response again, with `Idempotent-Replayed: true`, and
nothing is done twice. The same key with another request is a 422; a retry while the first is
still running is a 409 (with Retry-After).

Two halves, because the caller is only known once authentication has run:

* `idempotency_guard`, a router dependency placed after authentication and the scope check,
  keys the reservation by `Principal.subject` (stable across token renewals, and what the
  tests' dependency override provides too, unlike `request.state.principal`). It hashes the
  query string and body, and commits the in-progress row through the request's session (which
  on SQLite already holds the write lock) *before* the handler runs, so a concurrent retry on
  any replica sees it. A 401 or 403 is therefore never stored.
* `IdempotencyMiddleware`, pure ASGI, passes the response through unchanged (streaming
  included) while keeping a copy; it holds back only the final body message until the handler,
  its dependencies' teardown and the stored result are done, so a client that has the response
  can immediately replay it. 5xx, 412 and 428 responses and exceptions release the key so a
  retry runs again; anything else is stored.

Reservations expire after Settings.idempotency_ttl_hours (deleted by later reservations); one
left "in progress" longer than Settings.idempotency_lock_seconds is taken to be from a crashed
process and is taken over. Routes whose response carries a credential (the auth routes:
tokens, API keys; the calendar-token routes: feed secrets) do not take part, since the
database keeps only hashes of those; app/main.py leaves the guard off their routers.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.deps import CurrentPrincipal
from app.db import utcnow
from app.deps import SessionDep, SettingsDep
from app.errors import ProblemError
from app.http.middleware import PayloadTooLarge
from app.http.models import IdempotencyKey, IdempotencyState

log = logging.getLogger("hembesok.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[!-~]{1,255}$"  # visible ASCII; a structured-field string may be quoted
_KEY = re.compile(KEY_PATTERN)
_SCOPE_KEY = "hembesok.idempotency"
# Response headers that belong to the result and are replayed; never cookies or hop-by-hop.
_RERUN = frozenset({412, 428})
_STORED_HEADERS = frozenset(
    {
        "content-type",
        "content-location",
        "location",
        "etag",
        "last-modified",
        "cache-control",
        "content-disposition",
        "link",
        "vary",
    }
)


class InvalidIdempotencyKey(ProblemError):
    status = 400
    slug = "idempotency-key-invalid"
    title = "Invalid Idempotency-Key"


class IdempotencyKeyReused(ProblemError):
    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused"


class IdempotencyKeyInProgress(ProblemError):
    status = 409
    slug = "idempotency-key-in-progress"
    title = "Request in progress"


class StoredResponse(Exception):
    """Raised by the guard to answer with a completed key's response."""

    def __init__(self, status: int, headers: list[list[str]], body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers
        self.body = body


@dataclass
class _Pending:
    """Per request: the raw header, and the reservation once the guard has made one."""

    raw_key: str
    reservation_id: int | None = None
    sessionmaker: "sessionmaker[Session] | None" = field(default=None, repr=False)


def parse_key(raw: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]  # the draft's structured-field string form
    if not value or not _KEY.fullmatch(value):
        raise InvalidIdempotencyKey(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID"
        )
    return value


def _subject_column(subject: str) -> str:
    """The subject as stored: a long one (an OIDC issuer and sub) by its SHA-256, never cut."""
    if len(subject) <= 200:
        return subject
    return "sha256:" + hashlib.sha256(subject.encode()).hexdigest()


def request_hash(query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(query.encode("latin-1"))
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Claim:
    subject: str
    key: str
    method: str
    path: str
    request_hash: str
    now: datetime
    ttl: timedelta
    lock: timedelta


def _find(session: Session, claim: _Claim) -> IdempotencyKey | None:
    return session.scalars(
        select(IdempotencyKey).where(
            IdempotencyKey.subject == claim.subject, IdempotencyKey.key == claim.key
        )
    ).one_or_none()


def reserve(session: Session, claim: _Claim) -> int:
    """Reserve the key and commit; returns the reservation's id, or raises what to answer."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < claim.now - claim.ttl))
    row = _find(session, claim)
    if row is None:
        row = IdempotencyKey(
            key=claim.key,
            subject=claim.subject,
            method=claim.method,
            path=claim.path,
            request_hash=claim.request_hash,
            state=IdempotencyState.in_progress,
            created_at=claim.now,
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            # Another replica reserved the same key between our read and our insert.
            session.rollback()
            row = _find(session, claim)
            if row is None:  # and already released it: the caller may simply retry
                raise IdempotencyKeyInProgress(
                    "a request with this Idempotency-Key just finished; retry",
                    headers={"Retry-After": "1"},
                ) from None
        else:
            return row.id
    # The row is read; our transaction has nothing worth keeping but the cleanup.
    session.commit()
    if (row.method, row.path, row.request_hash) != (claim.method, claim.path, claim.request_hash):
        raise IdempotencyKeyReused(
            f"this {HEADER} was already used for a different request; use a new key"
        )
    if row.state == IdempotencyState.completed:
        raise StoredResponse(
            status=row.response_status or 200,
            headers=[list(pair) for pair in row.response_headers or []],
            body=row.response_body or b"",
        )
    if row.created_at < claim.now - claim.lock:
        # Abandoned by a process that died mid-request: take it over, unless someone else does.
        taken = session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == row.id,
                IdempotencyKey.state == IdempotencyState.in_progress,
                IdempotencyKey.created_at == row.created_at,
            )
            .values(created_at=claim.now)
        )
        session.commit()
        if getattr(taken, "rowcount", 0) == 1:
            return row.id
    raise IdempotencyKeyInProgress(
        f"a request with this {HEADER} is still being processed; retry later",
        headers={"Retry-After": "1"},
    )


def finish(
    factory: "sessionmaker[Session]",
    reservation_id: int,
    status: int,
    headers: list[list[str]],
    body: bytes,
) -> None:
    with factory() as session:
        session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == reservation_id,
                IdempotencyKey.state == IdempotencyState.in_progress,
            )
            .values(
                state=IdempotencyState.completed,
                response_status=status,
                response_headers=headers,
                response_body=body,
                completed_at=utcnow(),
            )
        )
        session.commit()


def release(factory: "sessionmaker[Session]", reservation_id: int) -> None:
    with factory() as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == reservation_id,
                IdempotencyKey.state == IdempotencyState.in_progress,
            )
        )
        session.commit()


async def idempotency_guard(
    request: Request, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> None:
    """Router dependency: reserve the request's Idempotency-Key, or answer from the stored one."""
    pending = request.scope.get(_SCOPE_KEY)
    if not isinstance(pending, _Pending) or request.method != "POST":
        return
    key = parse_key(pending.raw_key)
    # JSON routes have read the body already (under the body-size limit); the CSV imports have
    # not and are exempt from that limit, so hold them to their own before buffering here.
    declared = request.headers.get("content-length", "")
    limit = max(settings.max_body_bytes, settings.import_max_bytes)
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    body = await request.body()
    claim = _Claim(
        subject=_subject_column(principal.subject),
        key=key,
        method=request.method,
        path=request.url.path[:1000],
        request_hash=request_hash(request.url.query, body),
        now=utcnow(),
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        lock=timedelta(seconds=settings.idempotency_lock_seconds),
    )
    pending.sessionmaker = request.app.state.sessionmaker
    pending.reservation_id = await run_in_threadpool(reserve, session, claim)


async def _replay(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoredResponse)
    response = Response(content=exc.body, status_code=exc.status)
    for name, value in exc.headers:
        response.raw_headers.append((name.encode("latin-1"), value.encode("latin-1")))
    response.headers[REPLAYED_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    """Keeps a copy of the response of a reserved request and stores it (see module doc)."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        raw = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"idempotency-key"),
            None,
        )
        if raw is None:
            await self.app(scope, receive, send)
            return
        pending = _Pending(raw_key=raw)
        scope[_SCOPE_KEY] = pending
        start: Message | None = None
        parts: list[bytes] = []
        held: Message | None = None

        async def capture(message: Message) -> None:
            nonlocal start, held
            if pending.reservation_id is None:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
                await send(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if message.get("more_body", False):
                    await send(message)
                else:
                    held = message
            else:
                await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            # A response sent in full is stored (unless 5xx), even if a teardown failed after
            # it: its changes are committed. Anything else releases the key. Shielded, so that
            # a client hanging up does not leave the key in progress.
            with anyio.CancelScope(shield=True):
                await self._settle(pending, start, b"".join(parts) if held is not None else None)
            if held is not None:
                await send(held)

    async def _settle(self, pending: _Pending, start: Message | None, body: bytes | None) -> None:
        reservation, factory = pending.reservation_id, pending.sessionmaker
        if reservation is None or factory is None:
            return
        try:
            # 412/428 answer the If-Match header, which the key does not cover: a retry with a
            # current ETag must run, not replay the refusal (nothing was done).
            if start is None or body is None or start["status"] >= 500 or start["status"] in _RERUN:
                await run_in_threadpool(release, factory, reservation)
                return
            headers = [
                [name.decode("latin-1").lower(), value.decode("latin-1")]
                for name, value in start.get("headers", [])
                if name.decode("latin-1").lower() in _STORED_HEADERS
            ]
            await run_in_threadpool(finish, factory, reservation, start["status"], headers, body)
        except Exception:
            # The response stands; the key stays in progress until idempotency_lock_seconds.
            log.exception("could not settle idempotency key %s", reservation)


def idempotent_post_paths(app: FastAPI) -> set[str]:
    """The paths whose POST takes an Idempotency-Key (those with the guard among their deps)."""
    paths: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if (
            isinstance(route.original_route, APIRoute)
            and "POST" in (route.methods or ())
            and route.path_format
            and any(dep.dependency is idempotency_guard for dep in route.dependencies)
        ):
            paths.add(route.path_format)
    return paths


def document_idempotency(app: FastAPI, schema: dict[str, Any]) -> None:
    """Declare the optional Idempotency-Key header on every POST that honours it."""
    parameter: dict[str, Any] = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "A unique value (e.g. a UUID) per intended request. Retrying with the same key and "
            "body returns the stored response with `Idempotent-Replayed: true` instead of "
            "repeating the change; the same key with another body is a 422, and a retry while "
            "the first request still runs is a 409. Keys are per caller and kept 24 hours."
        ),
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_LENGTH,
            "pattern": KEY_PATTERN,
        },
    }
    for path in idempotent_post_paths(app):
        operation = schema.get("paths", {}).get(path, {}).get("post")
        if operation is not None:
            operation.setdefault("parameters", []).append(parameter)


def install_idempotency(app: FastAPI, *, prefix: str) -> None:
    app.add_exception_handler(StoredResponse, _replay)
    app.add_middleware(IdempotencyMiddleware, prefix=prefix)
