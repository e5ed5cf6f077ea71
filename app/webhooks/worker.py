"""The delivery worker: fan outbox events out into deliveries, then send each one, signed.

Each step is its own short transaction, and no transaction is open while a request is in
flight:

1. Fan-out: outbox events not yet fanned out get one delivery row per matching, active
   subscription (created before the event), and are marked fanned out, atomically.
2. Claim: one due delivery (pending, `next_attempt_at` passed, no live lease) is leased to this
   worker for `lease_seconds`; its attempt count rises and an attempt row ("sending") is logged.
3. Send: POST the JSON body with `Webhook-Id`, `Webhook-Timestamp` and `Webhook-Signature`.
4. Record: 2xx marks the delivery delivered; anything else (status, timeout, refused
   connection, redirect) schedules the next attempt with exponential backoff, until
   `max_attempts` have failed.

A worker killed anywhere leaves either an unclaimed delivery, or one whose lease simply runs out
and is claimed again by the next worker: delivery is at least once, and the receiver recognises
a repeat by its `Webhook-Id`. On PostgreSQL several workers run side by side (claims use
`FOR UPDATE SKIP LOCKED`); on SQLite every write transaction takes the database's write lock at
BEGIN, which serializes claims just as well, but one worker is the sensible number.

Run it with `hembesok webhooks work` (or `python -m app.webhooks.worker work`).
"""

import http.client
import logging
import os
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.clock import now_utc
from app.webhooks.models import (
    DeliveryStatus,
    OutboxEvent,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSubscription,
)
from app.webhooks.service import message_body, signature

log = logging.getLogger("hembesok.webhooks")

USER_AGENT = "Hembesok-Webhooks/1"
SENDING = "sending"
INTERRUPTED = "interrupted"
DELIVERED = "delivered"
RETRY = "retry"
FAILED = "failed"


@dataclass(frozen=True)
class WorkerConfig:
    timeout_seconds: float = 10.0
    # Longer than one request may take: a live worker never loses its claim to another.
    lease_seconds: float = 60.0
    poll_seconds: float = 2.0
    batch_size: int = 100
    max_attempts: int = 10
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 6 * 3600.0

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("the lease must outlast the request timeout")
        if self.max_attempts < 1 or self.batch_size < 1:
            raise ValueError("max_attempts and batch_size must be positive")


def backoff(attempt: int, config: WorkerConfig) -> timedelta:
    """The wait after failed attempt number `attempt` (1, 2, …): base × 2^(attempt-1), capped."""
    seconds = config.backoff_base_seconds * 2 ** min(attempt - 1, 40)
    return timedelta(seconds=min(seconds, config.backoff_cap_seconds))


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


Sender = Callable[[str, dict[str, str], bytes, float], SendResult]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt: the signed message goes to the subscribed URL only."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, headers: dict[str, str], body: bytes, timeout: float) -> SendResult:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(64 * 1024)
            return SendResult(int(response.status))
    except urllib.error.HTTPError as exc:
        exc.close()
        return SendResult(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return SendResult(None, f"{type(exc).__name__}: {reason}"[:500])


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt_id: int
    attempt: int
    subscription_id: int
    url: str
    secret: str
    event_id: str
    body: bytes


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]


class Worker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        config: WorkerConfig | None = None,
        *,
        name: str | None = None,
        sender: Sender = http_post,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.factory = factory
        self.config = config or WorkerConfig()
        self.name = name or default_name()
        self.sender = sender
        self.clock = clock

    def _skip_locked(self, session: Session) -> bool:
        return session.get_bind().dialect.name == "postgresql"

    # --- 1. fan-out --------------------------------------------------------------------

    def fan_out(self) -> int:
        """Make the delivery rows of events not yet fanned out; returns how many events."""
        with self.factory() as session:
            stmt = (
                select(OutboxEvent)
                .where(OutboxEvent.fanned_out_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(self.config.batch_size)
            )
            if self._skip_locked(session):
                stmt = stmt.with_for_update(skip_locked=True)
            events = session.scalars(stmt).all()
            if not events:
                session.rollback()
                return 0
            organizations = {org for event in events for org in event.audience}
            subscriptions = session.scalars(
                select(WebhookSubscription).where(
                    WebhookSubscription.active,
                    WebhookSubscription.organization_id.in_(organizations),
                )
            ).all()
            now = self.clock()
            for event in events:
                for subscription in subscriptions:
                    if (
                        subscription.organization_id in event.audience
                        and event.type in subscription.event_types
                        and subscription.created_at <= event.occurred_at
                    ):
                        session.add(
                            WebhookDelivery(
                                subscription_id=subscription.id,
                                outbox_event_id=event.id,
                                status=DeliveryStatus.pending,
                                attempt=0,
                                next_attempt_at=now,
                            )
                        )
                event.fanned_out_at = now
            session.commit()
            return len(events)

    # --- 2. claim ------------------------------------------------------------------------

    def claim(self) -> Claim | None:
        """Lease the most overdue delivery to this worker, or None when nothing is due."""
        with self.factory() as session:
            now = self.clock()
            stmt = (
                select(WebhookDelivery)
                .join(
                    WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id
                )
                .where(
                    WebhookDelivery.status == DeliveryStatus.pending,
                    WebhookDelivery.next_attempt_at <= now,
                    or_(
                        WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now
                    ),
                    WebhookSubscription.active,
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(1)
            )
            if self._skip_locked(session):
                stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)
            delivery = session.scalar(stmt)
            if delivery is None:
                session.rollback()
                return None
            # Attempts a dead worker left "sending" never finished.
            session.execute(
                update(WebhookDeliveryAttempt)
                .where(
                    WebhookDeliveryAttempt.delivery_id == delivery.id,
                    WebhookDeliveryAttempt.outcome == SENDING,
                )
                .values(outcome=INTERRUPTED, error="worker stopped mid-delivery", finished_at=now)
            )
            if delivery.attempt >= self.config.max_attempts:
                delivery.status = DeliveryStatus.failed
                delivery.last_error = f"gave up after {delivery.attempt} attempts"
                delivery.locked_until = delivery.locked_by = None
                session.commit()
                return None
            delivery.attempt += 1
            delivery.locked_until = now + timedelta(seconds=self.config.lease_seconds)
            delivery.locked_by = self.name
            attempt = WebhookDeliveryAttempt(
                delivery_id=delivery.id,
                attempt=delivery.attempt,
                worker=self.name,
                started_at=now,
                outcome=SENDING,
            )
            session.add(attempt)
            subscription = session.get_one(WebhookSubscription, delivery.subscription_id)
            event = session.get_one(OutboxEvent, delivery.outbox_event_id)
            session.flush()
            claim = Claim(
                delivery_id=delivery.id,
                attempt_id=attempt.id,
                attempt=delivery.attempt,
                subscription_id=subscription.id,
                url=subscription.url,
                secret=subscription.secret,
                event_id=str(event.event_id),
                body=message_body(event),
            )
            session.commit()
            return claim

    # --- 3. send ---------------------------------------------------------------------------

    def send(self, claim: Claim) -> SendResult:
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": claim.event_id,
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": signature(claim.secret, claim.event_id, timestamp, claim.body),
        }
        try:
            return self.sender(claim.url, headers, claim.body, self.config.timeout_seconds)
        except Exception as exc:  # a bug in a sender must not stop the worker
            log.exception("sending delivery %s failed", claim.delivery_id)
            return SendResult(None, f"{type(exc).__name__}: {exc}"[:500])

    # --- 4. record -------------------------------------------------------------------------

    def record(self, claim: Claim, result: SendResult) -> str:
        """Log the attempt and move the delivery on; returns the attempt's outcome."""
        with self.factory() as session:
            now = self.clock()
            stmt = select(WebhookDelivery).where(WebhookDelivery.id == claim.delivery_id)
            if self._skip_locked(session):
                stmt = stmt.with_for_update()
            delivery = session.scalars(stmt).one()
            attempt = session.get_one(WebhookDeliveryAttempt, claim.attempt_id)
            # Still ours unless the lease ran out and another worker claimed it again.
            mine = delivery.locked_by == self.name and delivery.attempt == claim.attempt
            error = None if result.ok else (result.error or f"HTTP {result.status_code}")
            if result.ok:
                outcome = DELIVERED
                if delivery.status != DeliveryStatus.delivered:
                    delivery.status = DeliveryStatus.delivered
                    delivery.delivered_at = now
                    delivery.last_status_code = result.status_code
                    delivery.last_error = None
            elif not mine or delivery.status != DeliveryStatus.pending:
                outcome = RETRY  # another worker has the delivery now; it decides
            else:
                if claim.attempt >= self.config.max_attempts:
                    outcome = FAILED
                    delivery.status = DeliveryStatus.failed
                else:
                    outcome = RETRY
                    delivery.next_attempt_at = now + backoff(claim.attempt, self.config)
                delivery.last_status_code = result.status_code
                delivery.last_error = error[:500] if error else None
            if mine:
                delivery.locked_until = delivery.locked_by = None
            attempt.finished_at = now
            attempt.status_code = result.status_code
            attempt.error = error[:500] if error else None
            attempt.outcome = outcome
            session.commit()
        log.info(
            "webhook delivery %s (subscription %s, event %s) attempt %s: %s %s",
            claim.delivery_id,
            claim.subscription_id,
            claim.event_id,
            claim.attempt,
            outcome,
            result.status_code or error,
        )
        return outcome

    # --- the loop ----------------------------------------------------------------------

    def deliver_one(self) -> bool:
        claim = self.claim()
        if claim is None:
            return False
        self.record(claim, self.send(claim))
        return True

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Fan out, then send up to batch_size due deliveries; returns how many were tried."""
        while self.fan_out():
            pass
        tried = 0
        while tried < self.config.batch_size and not (stop and stop.is_set()):
            if not self.deliver_one():
                break
            tried += 1
        return tried

    def drain(self) -> int:
        """Work until nothing is due now (deliveries waiting for a later retry stay)."""
        total = 0
        while tried := self.run_once():
            total += tried
        return total

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; sleep poll_seconds whenever nothing is due."""
        log.info("webhook worker %s started", self.name)
        while not stop.is_set():
            try:
                tried = self.run_once(stop)
            except Exception:
                # The database away for a moment, say: log it and try again after a pause.
                log.exception("webhook worker round failed")
                tried = 0
            if not tried:
                stop.wait(self.config.poll_seconds)
        log.info("webhook worker %s stopped", self.name)


if __name__ == "__main__":
    # `python -m app.webhooks.worker work [--once]`: the same command as `hembesok webhooks`.
    import importlib

    importlib.import_module("app.webhooks.cli").webhooks_app()
