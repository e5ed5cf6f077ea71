"""The few lines every service repeats: load-or-404 and applying a partial update."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from app.errors import InvalidInput, NotFound

M = TypeVar("M")


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
