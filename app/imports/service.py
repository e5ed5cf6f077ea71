"""Bulk onboarding from CSV: staff and families, checked row by row, written all or nothing.

Each row is validated with the same input models the API uses (StaffIn, FamilyIn) and written
with the same non-committing builders, so an import accepts exactly what the API accepts.
"""

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import rolls_back
from app.errors import FieldError, ProblemError
from app.families.models import Family
from app.families.schemas import ChildIn, FamilyIn, GuardianIn
from app.families.service import build_family
from app.imports.schemas import ImportKind, ImportReport
from app.organizations.models import Unit
from app.staff.models import Staff
from app.staff.schemas import StaffIn
from app.staff.service import build_staff

MAX_ROWS = 50_000
HEADER_LINE = 1
GUARDIAN_SLOTS = 2
UNIT_COLUMNS = ("unit_hsa_id", "unit_id")
TRUE_WORDS = frozenset({"true", "ja", "1"})
FALSE_WORDS = frozenset({"false", "nej", "0"})
# Errors about the file or a whole row rather than one column.
FILE_FIELD = "file"
ROW_FIELD = "row"
NOT_UTF8 = "the file is not UTF-8 text; save it as CSV UTF-8"
# Retries when a concurrent writer takes the same reference code or HSA-id mid-import.
WRITE_ATTEMPTS = 3

Progress = Callable[[int], None]
CsvInput = str | bytes | Iterable[str]


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


@dataclass(frozen=True)
class _Layout:
    """The columns of one kind of import and how a row becomes an input model."""

    kind: ImportKind
    model: type[StaffIn] | type[FamilyIn]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...]
    bool_columns: frozenset[str]
    # Where an app error that names no field belongs.
    fallback_column: str


def _required_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


def _bool_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.annotation is bool}


def _staff_layout() -> _Layout:
    fields = list(StaffIn.model_fields)
    return _Layout(
        kind=ImportKind.staff,
        model=StaffIn,
        columns=("unit_hsa_id", *fields),
        required=tuple(f for f in _required_fields(StaffIn) if f != "unit_id"),
        one_of=(UNIT_COLUMNS,),
        bool_columns=frozenset(_bool_fields(StaffIn)),
        fallback_column="hsa_id",
    )


def _family_layout() -> _Layout:
    family_fields = [f for f in FamilyIn.model_fields if f not in {"guardians", "children"}]
    guardian_columns = [
        f"guardian{slot}_{field}"
        for slot in range(1, GUARDIAN_SLOTS + 1)
        for field in GuardianIn.model_fields
    ]
    child_columns = [f"child_{field}" for field in ChildIn.model_fields]
    return _Layout(
        kind=ImportKind.families,
        model=FamilyIn,
        columns=("unit_hsa_id", *family_fields, *guardian_columns, *child_columns),
        required=tuple(f"guardian1_{f}" for f in _required_fields(GuardianIn)),
        one_of=(UNIT_COLUMNS, ("child_expected_due_date", "child_birth_date")),
        bool_columns=frozenset(_bool_fields(FamilyIn)),
        fallback_column="child_identity_number",
    )


STAFF_LAYOUT = _staff_layout()
FAMILY_LAYOUT = _family_layout()
LAYOUTS = {ImportKind.staff: STAFF_LAYOUT, ImportKind.families: FAMILY_LAYOUT}


def import_staff(
    session: Session,
    data: CsvInput,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    max_rows: int = MAX_ROWS,
    allowed_units: set[int] | None = None,
) -> ImportReport:
    """Check a staff CSV and, unless dry_run or any row is bad, create every member."""
    return import_csv(
        session,
        ImportKind.staff,
        data,
        dry_run=dry_run,
        progress=progress,
        max_bytes=max_bytes,
        max_rows=max_rows,
        allowed_units=allowed_units,
    )


def import_families(
    session: Session,
    data: CsvInput,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    max_rows: int = MAX_ROWS,
    allowed_units: set[int] | None = None,
) -> ImportReport:
    """Check a families CSV (one child a row) and, unless dry_run or a row is bad, create all."""
    return import_csv(
        session,
        ImportKind.families,
        data,
        dry_run=dry_run,
        progress=progress,
        max_bytes=max_bytes,
        max_rows=max_rows,
        allowed_units=allowed_units,
    )


@rolls_back
def import_csv(
    session: Session,
    kind: ImportKind,
    data: CsvInput,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    max_rows: int = MAX_ROWS,
    allowed_units: set[int] | None = None,
    before_commit: Callable[[list[int]], None] | None = None,
) -> ImportReport:
    """Run one import in one transaction: committed only when not a dry run and no row failed.

    Raises PayloadTooLarge when the input exceeds max_bytes (default: the import_max_bytes
    setting); every other problem is reported in the returned ImportReport. A row for a unit
    outside allowed_units (None: any) is reported like a unit that does not exist.
    before_commit gets the created ids, to add what must commit with them (audit events).
    """
    limit = get_settings().import_max_bytes if max_bytes is None else max_bytes
    run = _ImportRun(session, LAYOUTS[kind], progress, max_rows, allowed_units)
    try:
        text = _decode(data, limit)
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        run.errors.append(FieldError(line=line, field=FILE_FIELD, message=NOT_UTF8))
    else:
        try:
            run.process(text)
        except BaseException:
            session.rollback()
            raise
    applied = not dry_run and not run.errors
    if applied:
        if before_commit is not None:
            before_commit(run.created_ids)
        session.commit()
    else:
        session.rollback()
    return ImportReport(
        kind=kind,
        dry_run=dry_run,
        rows=run.rows,
        valid_rows=run.valid_rows,
        created=run.valid_rows if applied else 0,
        applied=applied,
        errors=run.errors,
    )


def _decode(data: CsvInput, max_bytes: int) -> str:
    too_large = PayloadTooLarge(f"the file is larger than {max_bytes} bytes; split it")
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise too_large
        return data.decode("utf-8-sig")
    if isinstance(data, str):
        if len(data.encode()) > max_bytes:
            raise too_large
        return data.removeprefix("\ufeff")
    parts: list[str] = []
    size = 0
    for chunk in data:
        size += len(chunk.encode())
        if size > max_bytes:
            raise too_large
        parts.append(chunk)
    return "".join(parts).removeprefix("\ufeff")


def _delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header_line.count(";") > header_line.count(",") else ","


def _is_blank(value: str | None) -> bool:
    return value is None or not value.strip(" \t\r\n")


class _ImportRun:
    """The state of one import: counts, errors, in-file keys and looked-up units."""

    def __init__(
        self,
        session: Session,
        layout: _Layout,
        progress: Progress | None,
        max_rows: int,
        allowed_units: set[int] | None,
    ) -> None:
        self.session = session
        self.allowed_units = allowed_units
        self.layout = layout
        self.progress = progress
        self.max_rows = max_rows
        self.rows = 0
        self.valid_rows = 0
        self.errors: list[FieldError] = []
        self.created_ids: list[int] = []
        self.unit_column = UNIT_COLUMNS[0]
        self._seen: dict[tuple[str, ...], int] = {}
        self._units_by_hsa: dict[str, int | None] = {}
        # The session's identity map holds objects weakly: keep the units, or every
        # builder's session.get(Unit, ...) would query again.
        self._units: dict[int, Unit | None] = {}

    def process(self, text: str) -> None:
        stream = io.StringIO(text, newline="")
        header_line = stream.readline()
        stream.seek(0)
        reader = csv.DictReader(stream, delimiter=_delimiter(header_line), restkey=ROW_FIELD)
        try:
            if not self._read_header(reader):
                return
            start = reader.line_num + 1
            for raw in reader:
                line, start = start, reader.line_num + 1
                if all(_is_blank(v) for k, v in raw.items() if k != ROW_FIELD):
                    continue
                self.rows += 1
                if self.rows > self.max_rows:
                    self.rows -= 1
                    self._error(line, FILE_FIELD, f"more than {self.max_rows} rows; split the file")
                    return
                self._process_row(line, raw)
                if self.progress is not None:
                    self.progress(1)
        except csv.Error as exc:
            self._error(reader.line_num, FILE_FIELD, f"not readable as CSV: {exc}")

    def _error(self, line: int, field: str, message: str) -> None:
        self.errors.append(FieldError(line=line, field=field, message=message))

    def _read_header(self, reader: "csv.DictReader[str]") -> bool:
        """Normalise the column names; False (with line-1 errors) when they do not fit."""
        names = reader.fieldnames
        if not names:
            self._error(HEADER_LINE, FILE_FIELD, "the file is empty; line 1 must name the columns")
            return False
        columns = [name.strip().lower() for name in names]
        reader.fieldnames = columns
        known = set(self.layout.columns)
        before = len(self.errors)
        for position, column in enumerate(columns, start=1):
            if not column:
                self._error(HEADER_LINE, f"column {position}", "the column has no name")
            elif columns.index(column) != position - 1:
                self._error(HEADER_LINE, column, "the column appears twice")
            elif column not in known:
                guess = difflib.get_close_matches(column, self.layout.columns, n=1)
                hint = f"; did you mean {guess[0]}?" if guess else ""
                self._error(HEADER_LINE, column, f"unknown column{hint}")
        for column in self.layout.required:
            if column not in columns:
                self._error(HEADER_LINE, column, "required column is missing")
        for group in self.layout.one_of:
            if not any(column in columns for column in group):
                self._error(
                    HEADER_LINE, group[0], f"required column is missing: {' or '.join(group)}"
                )
        self.unit_column = next((c for c in UNIT_COLUMNS if c in columns), UNIT_COLUMNS[0])
        return len(self.errors) == before

    def _process_row(self, line: int, raw: dict[str, Any]) -> None:
        extra = raw.pop(ROW_FIELD, None)
        if extra:
            self._error(line, ROW_FIELD, f"{len(extra)} more cells than the header has columns")
            return
        cells = {k: v for k, v in raw.items() if not _is_blank(v)}
        errors: list[FieldError] = []
        for column in self.layout.bool_columns & cells.keys():
            word = cells[column].strip().lower()
            if word in TRUE_WORDS | FALSE_WORDS:
                cells[column] = word in TRUE_WORDS
            else:
                errors.append(
                    FieldError(line=line, field=column, message="use true/false, ja/nej or 1/0")
                )
                del cells[column]
        unit_error = self._resolve_unit(line, cells, errors)
        data: StaffIn | FamilyIn | None = None
        try:
            data = self.layout.model.model_validate(_payload(self.layout.kind, cells))
        except ValidationError as exc:
            for err in exc.errors():
                column, message = self._column_for(
                    tuple(str(p) for p in err["loc"]), str(err["msg"])
                )
                if not (unit_error and column == self.unit_column):
                    errors.append(FieldError(line=line, field=column, message=message))
        if errors or data is None:
            self.errors.extend(errors)
            return
        if self._duplicate_in_file(line, data):
            return
        self._write(line, data)

    def _resolve_unit(self, line: int, cells: dict[str, Any], errors: list[FieldError]) -> bool:
        """Turn unit_hsa_id into unit_id; True when the unit column already has an error."""
        hsa_id = cells.pop("unit_hsa_id", None)
        message = None
        if hsa_id is not None and "unit_id" in cells:
            message = "give unit_hsa_id or unit_id, not both"
        elif hsa_id is not None:
            unit_id = self._unit_by_hsa(hsa_id.strip())
            if unit_id is None:
                message = "no unit has this HSA-id"
            else:
                cells["unit_id"] = unit_id
        elif "unit_id" not in cells:
            message = "required: give unit_hsa_id or unit_id"
        elif not self._allowed(cells["unit_id"]):
            message = "no such unit"
        if message is None:
            return False
        errors.append(FieldError(line=line, field=self.unit_column, message=message))
        # A placeholder so the other columns are still checked.
        cells["unit_id"] = 0
        return True

    def _allowed(self, unit_id: object) -> bool:
        """Outside the caller's units reads as no such unit; a malformed id is left to the
        field's own check."""
        if self.allowed_units is None or not str(unit_id).strip().isdigit():
            return True
        return int(str(unit_id)) in self.allowed_units

    def _unit_by_hsa(self, hsa_id: str) -> int | None:
        if hsa_id not in self._units_by_hsa:
            unit = self.session.scalar(select(Unit).where(Unit.hsa_id == hsa_id))
            if unit is not None and not self._allowed(unit.id):
                unit = None
            self._units_by_hsa[hsa_id] = unit.id if unit else None
            if unit is not None:
                self._units[unit.id] = unit
        return self._units_by_hsa[hsa_id]

    def _keep_unit(self, unit_id: int) -> None:
        if unit_id not in self._units:
            self._units[unit_id] = self.session.get(Unit, unit_id)

    def _duplicate_in_file(self, line: int, data: StaffIn | FamilyIn) -> bool:
        for column, key, label in _identity_keys(data):
            first = self._seen.setdefault(key, line)
            if first != line:
                self._error(line, column, f"the same {label} is already on line {first}")
                return True
        return False

    def _write(self, line: int, data: StaffIn | FamilyIn) -> None:
        self._keep_unit(data.unit_id)
        for _attempt in range(WRITE_ATTEMPTS):
            try:
                with self.session.begin_nested():
                    obj = _build(self.session, data)
                    self.session.flush()
            except ProblemError as exc:
                self.errors.extend(self._problem_errors(line, exc))
                return
            except IntegrityError:
                continue
            # Written rows stay in the transaction; dropping them keeps memory flat.
            self.created_ids.append(obj.id)
            self.session.expunge(obj)
            self.valid_rows += 1
            return
        self._error(line, ROW_FIELD, "the row conflicts with data already stored")

    def _problem_errors(self, line: int, exc: ProblemError) -> list[FieldError]:
        if exc.errors:
            pairs = [self._column_for(tuple(e.field.split(".")), e.message) for e in exc.errors]
        else:
            # Conflicts carry "path: message" in the detail, or no path at all.
            detail = exc.detail or exc.title
            path, sep, rest = detail.partition(": ")
            if sep and re.fullmatch(r"[a-z_]+(\.[0-9]+\.[a-z_]+)?", path):
                pairs = [self._column_for(tuple(path.split(".")), rest)]
            else:
                pairs = [(self.layout.fallback_column, detail)]
        return [FieldError(line=line, field=column, message=message) for column, message in pairs]

    def _column_for(self, loc: tuple[str, ...], message: str) -> tuple[str, str]:
        """The CSV column behind a model field path such as guardians.0.identity_number."""
        message = message.removeprefix("Value error, ")
        model: type[BaseModel] = self.layout.model
        prefix = ""
        rest = loc
        if len(loc) >= 2 and loc[0] == "guardians" and loc[1].isdigit():
            model, prefix, rest = GuardianIn, f"guardian{int(loc[1]) + 1}_", loc[2:]
        elif len(loc) >= 2 and loc[0] == "children" and loc[1].isdigit():
            model, prefix, rest = ChildIn, "child_", loc[2:]
        if rest:
            name = rest[0]
        else:
            # A check across fields names them in its message, e.g. "birth_date: ...".
            found = _field_in_message(message, list(model.model_fields))
            if found is None:
                fallback = "identity_number" if prefix else self.layout.fallback_column
                return prefix + fallback, message
            name, message = found
        column = prefix + name
        if column == "unit_id":
            column = self.unit_column
        return column, message


def _field_in_message(message: str, fields: list[str]) -> tuple[str, str] | None:
    """The field a message is about: its "field: " prefix, else the first field it names."""
    for name in fields:
        if message.startswith(f"{name}: "):
            return name, message.removeprefix(f"{name}: ")
    hits = [(m.start(), -len(name), name) for name in fields if (m := _word(name, message))]
    return (min(hits)[2], message) if hits else None


def _word(name: str, message: str) -> re.Match[str] | None:
    return re.search(rf"\b{re.escape(name)}\b", message)


def _payload(kind: ImportKind, cells: dict[str, Any]) -> dict[str, Any]:
    """The nested input of the API model from one row's flat cells."""
    if kind is ImportKind.staff:
        return cells
    payload: dict[str, Any] = {}
    guardians: list[dict[str, Any]] = [{} for _ in range(GUARDIAN_SLOTS)]
    child: dict[str, Any] = {}
    for column, value in cells.items():
        slot = re.match(r"guardian([0-9])_(.+)", column)
        if slot:
            guardians[int(slot[1]) - 1][slot[2]] = value
        elif column.startswith("child_"):
            child[column.removeprefix("child_")] = value
        else:
            payload[column] = value
    # The first guardian is always checked so a row without one names the missing columns.
    payload["guardians"] = [guardians[0], *(g for g in guardians[1:] if g)]
    payload["children"] = [child]
    return payload


def _identity_keys(data: StaffIn | FamilyIn) -> list[tuple[str, tuple[str, ...], str]]:
    """(column, key, label) of the values that must not repeat within one file."""
    if isinstance(data, StaffIn):
        return [("hsa_id", ("hsa", data.hsa_id), "HSA-id")] if data.hsa_id else []
    keys: list[tuple[str, tuple[str, ...], str]] = []
    for child in data.children:
        if child.identity_number:
            key: tuple[str, ...] = ("pnr", child.identity_number)
            keys.append(("child_identity_number", key, "identity number"))
        elif child.reserve_number:
            key = ("reserve", child.reserve_number_region or "", child.reserve_number)
            keys.append(("child_reserve_number", key, "reserve number"))
    return keys


def _build(session: Session, data: StaffIn | FamilyIn) -> Staff | Family:
    if isinstance(data, StaffIn):
        return build_staff(session, data)
    return build_family(session, data)
