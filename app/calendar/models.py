"""Secret feed tokens: one staff member's or one unit's calendar subscription."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class FeedScope(StrEnum):
    staff = "staff"
    unit = "unit"


class CalendarToken(Base):
    """Only the SHA-256 of the secret is stored; the secret is shown once, at creation."""

    __tablename__ = "calendar_token"
    __table_args__ = (CheckConstraint("(staff_id IS NULL) <> (unit_id IS NULL)", name="one_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The token that replaced this one on rotation.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_token.id"))
    # The last body served and when it last changed: Last-Modified must never move backwards,
    # even when a booking leaves the feed (moved to other staff, cancelled long ago).
    feed_etag: Mapped[str | None] = mapped_column(String(80))
    feed_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def scope(self) -> FeedScope:
        return FeedScope.staff if self.staff_id is not None else FeedScope.unit

    @property
    def active(self) -> bool:
        return self.revoked_at is None
