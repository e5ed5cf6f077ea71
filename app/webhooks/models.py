"""Webhook subscriptions, the transactional outbox and the delivery log.

The outbox row is written in the same transaction as the booking change it describes, so an event
exists exactly when the change does. A worker (app/webhooks/worker.py) fans each event out into
one delivery row per matching subscription and then sends it; the delivery row carries a lease
(`locked_until`) so that the claims of a worker that died mid-delivery become due again.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.models_common import Timestamps, enum_column


class EventType(StrEnum):
    booked = "booking.booked"
    rescheduled = "booking.rescheduled"
    cancelled = "booking.cancelled"
    no_show = "booking.no_show"
    completed = "booking.completed"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookSubscription(Timestamps, Base):
    """A system's endpoint for booking events of one organization.

    The secret is stored as it is (not hashed): the worker needs it to compute each message's
    HMAC. It is shown once, when the subscription is created, and never returned again.
    """

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxEvent(Base):
    """One booking change, written in the change's own transaction; never updated but for
    `fanned_out_at`, which the worker sets once it has made the event's delivery rows."""

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid(), unique=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The family's BVC organization (the data's owner).
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    # Every organization whose subscriptions receive the event: the owner and the municipalities
    # whose socialtjänst units collaborate with the family's BVC (who can read the booking).
    audience: Mapped[list[int]] = mapped_column(JSON)
    # Ids and times only: no names, identity numbers, addresses, phone numbers or notes.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class WebhookDelivery(Timestamps, Base):
    """One event to one subscription: its state, the next attempt and the worker's lease."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "outbox_event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"))
    outbox_event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id"), index=True)
    # How many attempts have been made (0 before the first).
    attempt: Mapped[int] = mapped_column(default=0)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.pending
    )
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A worker's claim: until this instant no other worker takes the delivery. A worker that is
    # killed never clears it, and once it passes the delivery is due again.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscription: Mapped[WebhookSubscription] = relationship()
    event: Mapped[OutboxEvent] = relationship()
    attempts: Mapped[list["WebhookDeliveryAttempt"]] = relationship(
        back_populates="delivery", order_by="WebhookDeliveryAttempt.id"
    )


class WebhookDeliveryAttempt(Base):
    """The delivery log: one row per HTTP attempt, whatever its result."""

    __tablename__ = "webhook_delivery_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"), index=True)
    attempt: Mapped[int]
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None while sending
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    # sending | delivered | retry | failed | interrupted (the worker died mid-request)
    outcome: Mapped[str] = mapped_column(String(16))

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempts")
