"""Column helpers shared by the domain models."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.db import UTCDateTime, utcnow


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    # VARCHAR + CHECK on every backend: adding a value is a plain migration, not ALTER TYPE.
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Versioned:
    """A row version that SQLAlchemy raises on every UPDATE of the row (version_id_col).

    It is the resource's ETag; a writer that loaded an older version fails at flush with
    StaleDataError (412), so a concurrent change between the If-Match check and the write is
    never overwritten.
    """

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}
