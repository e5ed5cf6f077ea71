"""Webhook subscriptions of the caller's organization and their delivery log (admin scope)."""

from fastapi import APIRouter, status

from app.auth.deps import CurrentPrincipal
from app.deps import PageDep, SessionDep
from app.pagination import Page
from app.webhooks import service
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from app.webhooks.schemas import (
    DeliveryAttemptOut,
    WebhookDeliveryOut,
    WebhookSubscriptionCreated,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
)

router = APIRouter(tags=["webhooks"])


def _delivery_out(delivery: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=delivery.id,
        event_id=delivery.event.event_id,
        event_type=delivery.event.type,
        occurred_at=delivery.event.occurred_at,
        status=delivery.status,
        attempt=delivery.attempt,
        next_attempt_at=(
            delivery.next_attempt_at if delivery.status == DeliveryStatus.pending else None
        ),
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        attempts=[DeliveryAttemptOut.model_validate(a) for a in delivery.attempts],
    )


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(
    body: WebhookSubscriptionIn, session: SessionDep, principal: CurrentPrincipal
) -> WebhookSubscriptionCreated:
    """Subscribe an endpoint to booking events; the response's secret is shown only now."""
    subscription = service.create_subscription(session, principal, body)
    out = WebhookSubscriptionOut.model_validate(subscription)
    return WebhookSubscriptionCreated(**out.model_dump(), secret=subscription.secret)


@router.get("/webhooks")
def list_webhooks(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> Page[WebhookSubscriptionOut]:
    rows, cursor = service.list_subscriptions(session, principal, page)
    return Page(items=[WebhookSubscriptionOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/webhooks/{webhook_id}")
def get_webhook(
    webhook_id: int, session: SessionDep, principal: CurrentPrincipal
) -> WebhookSubscriptionOut:
    return WebhookSubscriptionOut.model_validate(
        service.get_subscription(session, principal, webhook_id)
    )


@router.post("/webhooks/{webhook_id}/deactivation")
def deactivate_webhook(
    webhook_id: int, session: SessionDep, principal: CurrentPrincipal
) -> WebhookSubscriptionOut:
    """Stop deliveries for good; pending ones end as failed."""
    return WebhookSubscriptionOut.model_validate(
        service.deactivate_subscription(session, principal, webhook_id)
    )


@router.get("/webhooks/{webhook_id}/deliveries")
def list_webhook_deliveries(
    webhook_id: int,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    status: DeliveryStatus | None = None,
) -> Page[WebhookDeliveryOut]:
    """The delivery log: each event's state and every attempt with its HTTP status or error."""
    rows, cursor = service.list_deliveries(session, principal, webhook_id, page, status)
    return Page(items=[_delivery_out(r) for r in rows], next_cursor=cursor)
