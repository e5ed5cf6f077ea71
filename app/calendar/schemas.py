from datetime import datetime

from pydantic import Field

from app.calendar.models import FeedScope
from app.schemas_common import InputModel, Name, OutputModel


class CalendarTokenIn(InputModel):
    label: Name | None = Field(
        default=None, description="Where the feed is subscribed, e.g. 'Outlook på jobbet'"
    )


class CalendarTokenOut(OutputModel):
    id: int
    scope: FeedScope
    staff_id: int | None
    unit_id: int | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    replaced_by_id: int | None = Field(description="The token that replaced this on rotation")
    active: bool


class CalendarTokenCreated(CalendarTokenOut):
    """The secret is shown only here; the service keeps nothing but its hash."""

    token: str = Field(description="The secret: 256 random bits, URL-safe")
    feed_url: str = Field(description="The subscription address, for Outlook and Google")
    webcal_url: str = Field(description="The same feed as webcal://, for Apple Calendar")
