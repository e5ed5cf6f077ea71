"""Writing audit events in the caller's transaction, and reading and verifying them."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, ChainedEvent, Verification, event_hash, verify_chain
from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.clock import now_utc

READ_METHODS = frozenset({"GET", "HEAD"})


def chain_of(principal: Principal) -> str:
    return "operator" if principal.organization_id is None else f"org:{principal.organization_id}"


def request_id(request: Request) -> str:
    existing = getattr(request.state, "request_id", None)
    if existing is None:
        given = request.headers.get("x-request-id", "")
        existing = given[:64] if given.isprintable() and given else uuid.uuid4().hex
        request.state.request_id = existing
    return str(existing)


def record(
    session: Session,
    request: Request,
    principal: Principal,
    *,
    family_id: int | None,
    object_type: str,
    object_id: object = None,
    action: str | None = None,
) -> None:
    """Add an audit event to the session: it commits with the change it describes."""
    session.add(
        AuditEvent(
            chain=chain_of(principal),
            prev_hash="",
            hash="",
            at=now_utc(),
            subject=principal.subject,
            role=principal.role.value,
            organization_id=principal.organization_id,
            staff_id=principal.staff_id,
            action=action or ("read" if request.method in READ_METHODS else "write"),
            family_id=family_id,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            method=request.method,
            path=request.url.path[:300],
            request_id=request_id(request),
        )
    )


def record_reads(
    session: Session,
    request: Request,
    principal: Principal,
    family_ids: Iterable[int],
    object_type: str,
    action: str = "search",
) -> None:
    """One event per family a list or export showed, committed now (a read changes nothing)."""
    for family_id in sorted(set(family_ids)):
        record(
            session, request, principal, family_id=family_id, object_type=object_type, action=action
        )
    session.commit()


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _context: Any, _instances: Any) -> None:
    """Link each new event to the last one of its chain, appends serialized per chain."""
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent) and not obj.hash]
    if not pending:
        return
    by_chain: dict[str, list[AuditEvent]] = {}
    for item in pending:
        by_chain.setdefault(item.chain, []).append(item)
    bind = session.get_bind()
    for chain, items in sorted(by_chain.items()):
        if bind.dialect.name == "postgresql":
            # Held to commit: concurrent writers of one chain queue here instead of forking it.
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": chain})
        # SQLite: every transaction holds the write lock from BEGIN IMMEDIATE already.
        last = session.scalar(
            select(AuditEvent.hash)
            .where(AuditEvent.chain == chain, AuditEvent.hash != "")
            .order_by(AuditEvent.id.desc())
            .limit(1)
            .execution_options(autoflush=False)
        )
        prev = last or GENESIS
        for item in items:
            item.prev_hash = prev
            item.hash = event_hash(prev, item.chained_fields())
            prev = item.hash


def _chains(session: Session, principal: Principal) -> list[str]:
    if principal.unrestricted:
        return list(session.scalars(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)))
    return [chain_of(principal)]


def verify(session: Session, principal: Principal) -> dict[str, Verification]:
    """Check every chain the caller may audit, streaming in append order."""
    results = {}
    for chain in _chains(session, principal):
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == chain)
            .order_by(AuditEvent.id)
            .execution_options(yield_per=1000)
        )
        results[chain] = verify_chain(
            ChainedEvent(r.id, r.prev_hash, r.hash, r.chained_fields()) for r in rows
        )
    return results


def list_events(
    session: Session,
    principal: Principal,
    *,
    family_id: int | None,
    staff_id: int | None,
    subject: str | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    after_id: int | None,
    limit: int,
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent)
    if not principal.unrestricted:
        stmt = stmt.where(AuditEvent.chain == chain_of(principal))
    if family_id is not None:
        stmt = stmt.where(AuditEvent.family_id == family_id)
    if staff_id is not None:
        stmt = stmt.where(AuditEvent.staff_id == staff_id)
    if subject is not None:
        stmt = stmt.where(AuditEvent.subject == subject)
    if starts_from is not None:
        stmt = stmt.where(AuditEvent.at >= starts_from)
    if starts_to is not None:
        stmt = stmt.where(AuditEvent.at < starts_to)
    if after_id is not None:
        stmt = stmt.where(AuditEvent.id > after_id)
    return session.scalars(stmt.order_by(AuditEvent.id).limit(limit)).all()
