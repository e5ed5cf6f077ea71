"""Keyset pagination by id: stable under inserts, cheap at any depth."""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.errors import InvalidInput

T = TypeVar("T")
# Ids are INTEGER columns: PostgreSQL's is 32-bit, and a larger cursor cannot be a real one.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class PageParams:
    limit: int
    after_id: int | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_ID:
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.on("cursor", "not a cursor returned by this API") from None


def paginate(
    session: Session, stmt: Select[Any], id_column: Any, page: PageParams
) -> tuple[Sequence[Any], str | None]:
    """Run `stmt` ordered by id after the cursor; return the rows and the next cursor."""
    if page.after_id is not None:
        stmt = stmt.where(id_column > page.after_id)
    rows = session.scalars(stmt.order_by(id_column).limit(page.limit + 1)).all()
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        return rows, encode_cursor(rows[-1].id)
    return rows, None
