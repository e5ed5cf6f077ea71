from enum import StrEnum

from pydantic import BaseModel, Field

from app.errors import FieldError


class ImportKind(StrEnum):
    staff = "staff"
    families = "families"


class ImportReport(BaseModel):
    """What a CSV import found and did; `errors` name each bad row by line and column."""

    kind: ImportKind
    dry_run: bool
    rows: int = Field(description="Data rows read (the header is line 1 and not counted)")
    valid_rows: int = Field(description="Rows that passed every check")
    created: int = Field(description="Records written; 0 for a dry run or when any row failed")
    applied: bool = Field(description="True only when every row was written")
    errors: list[FieldError] = Field(
        default_factory=list, description="`line` is the line in the file; `field` the column"
    )
