import uuid
from datetime import datetime

from pydantic import Field

from app.schemas_common import InputModel, LongName, OutputModel
from app.webhooks.models import DeliveryStatus, EventType


class WebhookSubscriptionIn(InputModel):
    url: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://[^\s\x00-\x1f\x7f]+$",
        description="https; plain http only to localhost",
    )
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=len(EventType),
        description="The booking events to receive; empty or left out means all of them",
    )
    description: LongName | None = None
    organization_id: int | None = Field(
        default=None, description="Only the operator may name another organization"
    )


class WebhookSubscriptionOut(OutputModel):
    id: int
    organization_id: int
    url: str
    description: str | None
    event_types: list[str]
    active: bool
    created_at: datetime
    deactivated_at: datetime | None


class WebhookSubscriptionCreated(WebhookSubscriptionOut):
    secret: str = Field(
        description=(
            "Shown once. The key of the HMAC-SHA256 in each message's Webhook-Signature header: "
            "v1=hex(HMAC(secret, '{Webhook-Id}.{Webhook-Timestamp}.{body}'))"
        )
    )


class DeliveryAttemptOut(OutputModel):
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    status_code: int | None
    error: str | None
    outcome: str = Field(
        description="sending, delivered, retry, failed, or interrupted (the worker stopped)"
    )


class WebhookDeliveryOut(OutputModel):
    id: int
    event_id: uuid.UUID = Field(description="The Webhook-Id header: the same on every redelivery")
    event_type: str
    occurred_at: datetime
    status: DeliveryStatus
    attempt: int = Field(description="Attempts made so far")
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    attempts: list[DeliveryAttemptOut]
