from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.clock import now_utc, today_local
from app.crud import apply_changes, get_for_change, get_or_404, refuse_nulls, touch
from app.db import rolls_back
from app.enrollments import service as enrollments
from app.errors import Conflict, InvalidInput, NotFound
from app.families.identity import IdentityKind, parse_reserve_number
from app.families.models import Child, Consent, Family, FamilyStatus, Guardian
from app.families.schemas import (
    ChildIn,
    ChildPatch,
    ConsentIn,
    ConsentWithdrawal,
    FamilyIn,
    FamilyPatch,
    GuardianIn,
    GuardianPatch,
    IdentityFields,
    StatusChange,
)
from app.organizations.models import Unit, UnitKind
from app.pagination import PageParams, paginate
from app.programs.plan import local_day_bounds
from app.scheduling import service as scheduling

REFERENCE_PREFIX = "F"
_IDENTITY_INPUTS = {"identity_number", "reserve_number", "reserve_number_region"}
_STATUS_DATE_FIELD = {
    FamilyStatus.offered: "offered_on",
    FamilyStatus.enrolled: "enrolled_on",
    FamilyStatus.declined: "declined_on",
    FamilyStatus.completed: "completed_on",
    FamilyStatus.discontinued: "discontinued_on",
}
# Enrolling goes through POST /enrollments, which needs consent and a team.
_ALLOWED_CHANGES = {
    FamilyStatus.offered: {FamilyStatus.declined},
    FamilyStatus.declined: {FamilyStatus.offered},
    FamilyStatus.enrolled: {FamilyStatus.completed, FamilyStatus.discontinued},
    FamilyStatus.completed: set(),
    FamilyStatus.discontinued: {FamilyStatus.offered},
}


def get_family(session: Session, family_id: int) -> Family:
    return get_or_404(session, Family, family_id, "family")


def _bvc_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise InvalidInput.on("unit_id", "no such unit")
    if unit.kind != UnitKind.bvc:
        raise InvalidInput.on("unit_id", "a family belongs to a BVC unit")
    return unit


def next_reference_code(session: Session, year: int) -> str:
    """F-YYYY-NNNN, the next free number of the year; never derived from a name."""
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    last = session.scalar(
        select(Family.reference_code)
        .where(Family.reference_code.startswith(prefix))
        .order_by(func.length(Family.reference_code).desc(), Family.reference_code.desc())
        .limit(1)
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def identity_columns(data: IdentityFields, field_prefix: str) -> dict[str, object]:
    """The model columns for an identity number or reservnummer given in the input."""
    if data.identity_number is not None:
        kind = (
            IdentityKind.samordningsnummer
            if int(data.identity_number[6:8]) > 60
            else IdentityKind.personnummer
        )
        return {
            "identity_kind": kind,
            "identity_number": data.identity_number,
            "reserve_number_region": None,
        }
    if data.reserve_number is not None:
        try:
            reserve = parse_reserve_number(
                data.reserve_number, issuing_region=data.reserve_number_region or ""
            )
        except ValueError as exc:
            raise InvalidInput.on(f"{field_prefix}reserve_number", str(exc)) from None
        return {
            "identity_kind": IdentityKind.reservnummer,
            "identity_number": reserve.value,
            "reserve_number_region": reserve.issuing_region,
        }
    return {}


def _ensure_child_identity_free(
    session: Session, columns: dict[str, object], own_id: int | None, field: str
) -> None:
    if not columns:
        return
    stmt = select(Child.id).where(Child.identity_number == columns["identity_number"])
    if columns["identity_kind"] == IdentityKind.reservnummer:
        stmt = stmt.where(
            Child.identity_kind == IdentityKind.reservnummer,
            Child.reserve_number_region == columns["reserve_number_region"],
        )
    else:
        stmt = stmt.where(Child.identity_kind != IdentityKind.reservnummer)
    other = session.scalar(stmt)
    if other is not None and other != own_id:
        raise Conflict(f"{field}: a child with this identity number is already registered")


def _new_child(session: Session, data: ChildIn, field_prefix: str) -> Child:
    columns = identity_columns(data, field_prefix)
    _ensure_child_identity_free(session, columns, None, f"{field_prefix}identity_number")
    fields = data.model_dump(exclude=_IDENTITY_INPUTS)
    return Child(**fields, **columns)


def _new_guardian(data: GuardianIn, field_prefix: str) -> Guardian:
    columns = identity_columns(data, field_prefix)
    fields = data.model_dump(exclude=_IDENTITY_INPUTS)
    return Guardian(**fields, **columns)


def build_family(session: Session, data: FamilyIn) -> Family:
    """A new family with its guardians and children, added to the session but not committed."""
    _bvc_unit(session, data.unit_id)
    children = [_new_child(session, c, f"children.{i}.") for i, c in enumerate(data.children)]
    seen = {c.identity_number for c in children if c.identity_number}
    if len(seen) < sum(1 for c in children if c.identity_number):
        raise InvalidInput.on("children", "the same identity number is given twice")
    guardians = [_new_guardian(g, f"guardians.{i}.") for i, g in enumerate(data.guardians)]
    fields = data.model_dump(exclude={"guardians", "children"})
    fields["offered_on"] = data.offered_on or today_local()
    family = Family(**fields, status=FamilyStatus.offered, guardians=guardians, children=children)
    family.reference_code = next_reference_code(session, fields["offered_on"].year)
    session.add(family)
    return family


@rolls_back
def create_family(session: Session, data: FamilyIn) -> Family:
    for _attempt in range(5):
        try:
            with session.begin_nested():
                family = build_family(session, data)
                session.flush()
        except IntegrityError:
            # Another writer took the same reference number between our read and insert.
            continue
        session.commit()
        return family
    raise Conflict("could not allocate a reference code; try again")


@rolls_back
def update_family(
    session: Session, family_id: int, data: FamilyPatch, if_match: str | None
) -> Family:
    family = get_for_change(session, Family, family_id, "family", if_match)
    if data.unit_id is not None:
        _bvc_unit(session, data.unit_id)
    apply_changes(family, data)
    session.commit()
    return family


@rolls_back
def change_status(
    session: Session, family_id: int, change: StatusChange, if_match: str | None = None
) -> Family:
    family = get_for_change(session, Family, family_id, "family", if_match, required=False)
    if change.status not in _ALLOWED_CHANGES[family.status]:
        raise InvalidInput.on(
            "status", f"a family that is {family.status.value} cannot become {change.status.value}"
        )
    on = change.on or today_local()
    family.status = change.status
    setattr(family, _STATUS_DATE_FIELD[change.status], on)
    family.status_reason = change.reason
    if change.status in {FamilyStatus.completed, FamilyStatus.discontinued}:
        enrollments.end_active_enrollment(session, family.id, change.status.value, on)
    session.commit()
    return family


def list_families(
    session: Session,
    page: PageParams,
    unit_id: int | None = None,
    status: FamilyStatus | None = None,
    visible_units: set[int] | None = None,
) -> tuple[Sequence[Family], str | None]:
    stmt = select(Family)
    if visible_units is not None:
        stmt = stmt.where(Family.unit_id.in_(visible_units))
    if unit_id is not None:
        stmt = stmt.where(Family.unit_id == unit_id)
    if status is not None:
        stmt = stmt.where(Family.status == status)
    return paginate(session, stmt, Family.id, page)


@rolls_back
def add_guardian(
    session: Session, family_id: int, data: GuardianIn, if_match: str | None = None
) -> Guardian:
    family = get_for_change(session, Family, family_id, "family", if_match, required=False)
    if len(family.guardians) >= 4:
        raise InvalidInput.on("guardians", "a family has at most four guardians")
    guardian = _new_guardian(data, "")
    family.guardians.append(guardian)
    touch(family)
    session.commit()
    return guardian


MemberT = TypeVar("MemberT", Guardian, Child)


def _member(session: Session, model: type[MemberT], family_id: int, member_id: int) -> MemberT:
    obj = session.get(model, member_id)
    if obj is None or obj.family_id != family_id:
        raise NotFound(f"{model.__name__.lower()} {member_id} not found in family {family_id}")
    return obj


@rolls_back
def update_guardian(
    session: Session, family_id: int, guardian_id: int, data: GuardianPatch, if_match: str | None
) -> Guardian:
    family = get_for_change(session, Family, family_id, "family", if_match)
    guardian = _member(session, Guardian, family_id, guardian_id)
    changes = data.model_dump(exclude_unset=True, exclude=_IDENTITY_INPUTS)
    refuse_nulls(Guardian, changes)
    for key, value in {**changes, **identity_columns(data, "")}.items():
        setattr(guardian, key, value)
    if session.is_modified(guardian):
        touch(family)
    session.commit()
    return guardian


@rolls_back
def add_child(
    session: Session, family_id: int, data: ChildIn, if_match: str | None = None
) -> Child:
    family = get_for_change(session, Family, family_id, "family", if_match, required=False)
    child = _new_child(session, data, "")
    family.children.append(child)
    touch(family)
    session.commit()
    return child


@rolls_back
def update_child(
    session: Session, family_id: int, child_id: int, data: ChildPatch, if_match: str | None
) -> Child:
    """Change a child; a birth date re-anchors the plan, a personnummer re-links the child."""
    family = get_for_change(session, Family, family_id, "family", if_match)
    child = _member(session, Child, family_id, child_id)
    columns = identity_columns(data, "")
    _ensure_child_identity_free(session, columns, child.id, "identity_number")
    changes = data.model_dump(exclude_unset=True, exclude=_IDENTITY_INPUTS)
    birth_changed = "birth_date" in changes and changes["birth_date"] != child.birth_date
    for key, value in {**changes, **columns}.items():
        setattr(child, key, value)
    if child.expected_due_date is None and child.birth_date is None:
        raise InvalidInput.on("birth_date", "expected_due_date or birth_date is required")
    if child.gestational_week_at_birth is not None and child.birth_date is None:
        raise InvalidInput.on("gestational_week_at_birth", "needs birth_date")
    if birth_changed or "expected_due_date" in changes:
        enrollments.reanchor_for_child(session, child)
    if session.is_modified(child):
        touch(family)
    session.commit()
    return child


@rolls_back
def add_consent(
    session: Session, family_id: int, data: ConsentIn, if_match: str | None = None
) -> Consent:
    family = get_for_change(session, Family, family_id, "family", if_match, required=False)
    if data.given_by_guardian_id is not None and all(
        g.id != data.given_by_guardian_id for g in family.guardians
    ):
        raise InvalidInput.on("given_by_guardian_id", "not a guardian of this family")
    if data.given_on > today_local():
        raise InvalidInput.on("given_on", "must not be in the future")
    consent = Consent(**data.model_dump())
    family.consents.append(consent)
    touch(family)
    session.commit()
    return consent


@rolls_back
def withdraw_consent(
    session: Session,
    family_id: int,
    consent_id: int,
    data: ConsentWithdrawal,
    if_match: str | None = None,
) -> tuple[Consent, list[int]]:
    """Withdraw a consent; returns it and the joint bookings cancelled because of it."""
    family = get_for_change(session, Family, family_id, "family", if_match, required=False)
    consent = session.get(Consent, consent_id)
    if consent is None or consent.family_id != family_id:
        raise NotFound(f"consent {consent_id} not found in family {family_id}")
    if consent.withdrawn_on is not None:
        raise Conflict("the consent is already withdrawn")
    on = data.withdrawn_on or today_local()
    if on < consent.given_on:
        raise InvalidInput.on("withdrawn_on", "must not be before the consent was given")
    consent.withdrawn_on = on
    if data.note:
        consent.note = data.note
    touch(family)
    cancelled: list[int] = []
    if not consent_in_force(family, on):
        # Without consent there are no joint visits: cancel them now, in this same transaction.
        # Visits already under way or past are left for their outcome to be recorded.
        since = max(local_day_bounds(on)[0], now_utc())
        cancelled = scheduling.cancel_future_joint_bookings(session, family_id, since)
    session.commit()
    return consent, cancelled


def consent_in_force(family: Family, day: date) -> bool:
    return any(c.in_force_on(day) for c in family.consents)
