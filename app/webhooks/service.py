"""Booking events into the outbox, subscriptions, and the signing every delivery uses.

Who receives an event: the subscriptions of the family's BVC organization (the region, which
owns the booking) and of every organization whose socialtjänst unit collaborates with that BVC
(an open collaboration, as in app/auth/scope.py): exactly the organizations that may read the
booking through the API. The audience is fixed when the event is recorded.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.auth.principal import Principal
from app.auth.scope import organization_for
from app.clock import now_utc, today_local
from app.crud import get_or_404
from app.db import rolls_back
from app.errors import InvalidInput, NotFound
from app.families.models import Family
from app.organizations.models import Collaboration, Unit
from app.pagination import PageParams, paginate
from app.scheduling.models import Booking
from app.webhooks.models import (
    DeliveryStatus,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import WebhookSubscriptionIn

SECRET_PREFIX = "whsec_"

_ACTION_TYPES = {
    "booked": EventType.booked,
    "rescheduled": EventType.rescheduled,
    "cancelled": EventType.cancelled,
    "no_show": EventType.no_show,
    "completed": EventType.completed,
}


def _iso(instant: datetime) -> str:
    """UTC with a Z: values fresh from a request still carry the client's offset."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def booking_payload(booking: Booking, unit_id: int) -> dict[str, Any]:
    """What a receiver learns: ids, times and states; never anything about the people."""
    return {
        "booking_id": booking.id,
        "booking_uid": booking.uid,
        "family_id": booking.family_id,
        "unit_id": unit_id,
        "planned_visit_id": booking.planned_visit_id,
        "kind": booking.kind.value,
        "status": booking.status.value,
        "starts_at": _iso(booking.starts_at),
        "ends_at": _iso(booking.ends_at),
        "sequence": booking.sequence,
        "version": booking.version,
    }


def record_booking_event(session: Session | None, booking: Booking, action: str) -> None:
    """Add the outbox row for a booking change to the caller's transaction (no commit).

    Called from scheduling's `_event()`; `session` may be None, then the booking's own session
    is used. Unknown actions are ignored so that a new history action needs no webhook type.
    """
    event_type = _ACTION_TYPES.get(action)
    if event_type is None:
        return
    session = session or Session.object_session(booking)
    if session is None:
        raise RuntimeError("record_booking_event needs a booking that belongs to a session")
    with session.no_autoflush:
        if booking.id is None:
            session.flush()
        unit_id, organization_id = session.execute(
            select(Unit.id, Unit.organization_id)
            .join(Family, Family.unit_id == Unit.id)
            .where(Family.id == booking.family_id)
        ).one()
        partners = session.scalars(
            select(Unit.organization_id)
            .join(Collaboration, Collaboration.social_unit_id == Unit.id)
            .where(Collaboration.bvc_unit_id == unit_id, Collaboration.in_force_on(today_local()))
        ).all()
    session.add(
        OutboxEvent(
            event_id=uuid.uuid4(),
            type=event_type.value,
            occurred_at=now_utc(),
            organization_id=organization_id,
            audience=sorted({organization_id, *partners}),
            payload=booking_payload(booking, unit_id),
        )
    )


# --- the message on the wire ---------------------------------------------------------------


def message_body(event: OutboxEvent) -> bytes:
    """The JSON body: the same bytes on every attempt, so a redelivery is recognisably the same."""
    envelope = {
        "id": str(event.event_id),
        "type": event.type,
        "occurred_at": _iso(event.occurred_at),
        "data": event.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256, keyed with the secret, of `{id}.{timestamp}.{body}`."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, event_id: str, timestamp: str, body: bytes, header: str, *, now: int | None = None
) -> bool:
    """The receiver's check (documented, and used by the tests): any v1 signature matches and
    the timestamp is within five minutes."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if now is not None and abs(now - stamp) > 300:
        return False
    expected = signature(secret, event_id, stamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(" "))


# --- subscriptions -------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_url(url: str) -> None:
    """https anywhere; plain http only to this machine (development and tests)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is no number or past 65535 fails here, not at delivery
    except ValueError:  # also "https://]", an unclosed IPv6 bracket
        raise InvalidInput.on("url", "not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput.on("url", "an absolute http(s) URL is required")
    if parts.username or parts.password:
        raise InvalidInput.on("url", "credentials in the URL are not allowed; use the secret")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InvalidInput.on("url", "use https (plain http only to localhost)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@rolls_back
def create_subscription(
    session: Session, principal: Principal, data: WebhookSubscriptionIn
) -> WebhookSubscription:
    organization_id = organization_for(session, principal, data.organization_id, "webhooks")
    check_url(data.url)
    types = data.event_types or list(EventType)
    subscription = WebhookSubscription(
        organization_id=organization_id,
        url=data.url,
        description=data.description,
        secret=new_secret(),
        event_types=sorted({t.value for t in types}),
        active=True,
    )
    session.add(subscription)
    session.commit()
    return subscription


def get_subscription(
    session: Session, principal: Principal, subscription_id: int
) -> WebhookSubscription:
    subscription = get_or_404(session, WebhookSubscription, subscription_id, "webhook")
    if not principal.unrestricted and subscription.organization_id != principal.organization_id:
        raise NotFound(f"webhook {subscription_id} not found")
    return subscription


def list_subscriptions(
    session: Session, principal: Principal, page: PageParams
) -> tuple[Sequence[WebhookSubscription], str | None]:
    stmt = select(WebhookSubscription)
    if not principal.unrestricted:
        stmt = stmt.where(WebhookSubscription.organization_id == principal.organization_id)
    return paginate(session, stmt, WebhookSubscription.id, page)


@rolls_back
def deactivate_subscription(
    session: Session, principal: Principal, subscription_id: int
) -> WebhookSubscription:
    """Stop sending: the subscription's pending deliveries end as failed. Idempotent."""
    subscription = get_subscription(session, principal, subscription_id)
    if subscription.active:
        now = now_utc()
        subscription.active = False
        subscription.deactivated_at = now
        pending = session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.status == DeliveryStatus.pending,
            )
        )
        for delivery in pending:
            delivery.status = DeliveryStatus.failed
            delivery.last_error = "subscription deactivated"
            delivery.locked_until = None
            delivery.locked_by = None
    session.commit()
    return subscription


def list_deliveries(
    session: Session,
    principal: Principal,
    subscription_id: int,
    page: PageParams,
    status: DeliveryStatus | None = None,
) -> tuple[Sequence[WebhookDelivery], str | None]:
    get_subscription(session, principal, subscription_id)
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .options(selectinload(WebhookDelivery.event), selectinload(WebhookDelivery.attempts))
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return paginate(session, stmt, WebhookDelivery.id, page)
