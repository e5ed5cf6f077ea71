from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class AuditEvent(Base):
    """Who read or changed which family's data, when. Append-only and hash-chained."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # A fork of the chain (two writers appending after the same event) fails loudly.
        UniqueConstraint("chain", "prev_hash"),
        Index("ix_audit_event_family_at", "family_id", "at"),
        Index("ix_audit_event_chain_id", "chain", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[int | None]
    staff_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(16))
    family_id: Mapped[int | None]
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    request_id: Mapped[str] = mapped_column(String(64))

    def chained_fields(self) -> dict[str, object]:
        return {
            "chain": self.chain,
            "at": self.at.isoformat(),
            "subject": self.subject,
            "role": self.role,
            "organization_id": self.organization_id,
            "staff_id": self.staff_id,
            "action": self.action,
            "family_id": self.family_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "method": self.method,
            "path": self.path,
            "request_id": self.request_id,
        }
