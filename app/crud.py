"""The few lines every service repeats: load-or-404 and applying a partial update."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.http.etag import HasVersion, check_if_match, etag
from app.models_common import Timestamps

M = TypeVar("M")
V = TypeVar("V", bound=HasVersion)


def get_or_404(
    session: Session,
    model: type[M],
    object_id: int,
    label: str,
    options: Sequence[ORMOption] = (),
) -> M:
    obj = session.get(model, object_id, options=options)
    if obj is None:
        raise NotFound(f"{label} {object_id} not found")
    return obj


def get_for_change(
    session: Session,
    model: type[V],
    object_id: int,
    label: str,
    if_match: str | None,
    *,
    required: bool = True,
) -> V:
    """Load a versioned row for a change: 404 when missing, 428/412 unless If-Match is current."""
    obj = get_or_404(session, model, object_id, label)
    check_if_match(etag(obj), if_match, required=required, what=label)
    return obj


def touch(parent: Timestamps) -> None:
    """A part (guardian, child, consent) changed: the parent's row version and ETag rise too."""
    parent.updated_at = utcnow()


def refuse_nulls(model: type[Any], data: Mapping[str, Any]) -> None:
    """Refuse an explicit null for a column that cannot hold one (PATCH {"name": null})."""
    columns = inspect(model).columns
    for key, value in data.items():
        if value is None and key in columns and not columns[key].nullable:
            raise InvalidInput.on(key, "must not be null")


def apply_changes(obj: Any, changes: BaseModel) -> dict[str, Any]:
    """Set the fields the client sent (PATCH semantics) and return them."""
    data = changes.model_dump(exclude_unset=True)
    refuse_nulls(type(obj), data)
    for key, value in data.items():
        setattr(obj, key, value)
    return data
