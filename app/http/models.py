"""Stored Idempotency-Key reservations and the responses they replay."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.models_common import enum_column


class IdempotencyState(StrEnum):
    in_progress = "in_progress"
    completed = "completed"


class IdempotencyKey(Base):
    """One caller's key: reserved before the handler runs, then the response it produced.

    Rows live in the database so every replica sees them; they expire after
    Settings.idempotency_ttl_hours and are cleaned up by later reservations.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("subject", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(300))  # Principal.subject, or its SHA-256
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(1000))
    # SHA-256 over the query string and the body: a reused key with anything else is a 422.
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[IdempotencyState] = mapped_column(
        enum_column(IdempotencyState, "idempotency_state")
    )
    response_status: Mapped[int | None]
    # [[name, value], ...] of the headers worth replaying (content type, Location, ETag, ...)
    response_headers: Mapped[list[Any] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
