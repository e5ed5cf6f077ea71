"""ETag / If-Match for every mutable resource (RFC 9110 §13.1.1, RFC 6585 for 428).

A resource's ETag names its row version ("family-12-v3"); GET and every change return it, a
PATCH or PUT must send it back in If-Match (428 without, 412 when stale). The check is made
against the row as loaded in the write's transaction, and the version column makes the UPDATE
itself conditional (app.models_common.Versioned), so two writers holding the same ETag cannot
both win.
"""

import hashlib
from typing import Annotated, Protocol

from fastapi import Header, Response

from app.errors import PreconditionFailed, PreconditionRequired


class HasVersion(Protocol):
    __tablename__: str
    id: int
    version: int


IfMatch = Annotated[
    str | None,
    Header(
        max_length=1000,
        description="The resource's ETag, from GET or the last change (required on PATCH/PUT)",
    ),
]


def etag(obj: HasVersion) -> str:
    return f'"{obj.__tablename__}-{obj.id}-v{obj.version}"'


def content_etag(kind: str, owner_id: int, content: str) -> str:
    """For a collection replaced as a whole (a weekly pattern): the hash of its representation."""
    digest = hashlib.sha256(content.encode()).hexdigest()[:24]
    return f'"{kind}-{owner_id}-{digest}"'


def check_if_match(current: str, if_match: str | None, *, required: bool, what: str) -> None:
    """412 when the client's copy is stale, 428 when it sent none and one is required."""
    if if_match is None:
        if required:
            raise PreconditionRequired(f"send If-Match with the {what}'s ETag")
        return
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and current not in tags:
        raise PreconditionFailed(f"the {what} has changed since you read it; fetch it again")


def set_etag(response: Response, tag: str) -> None:
    response.headers["ETag"] = tag
