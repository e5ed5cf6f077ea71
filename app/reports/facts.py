"""The visit facts the grant follow-up counts (models.VisitFact), written with each outcome."""

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import astuple
from datetime import date
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, bindparam, event, func, inspect, select, update
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM
from app.enrollments.models import Enrollment
from app.families.models import Child, Family
from app.organizations.models import Unit, UnitKind
from app.reports import indicators as ind
from app.reports.models import VisitFact
from app.scheduling.models import Booking, Outcome
from app.staff.models import Staff
from app.staff.profession import Profession

# visit_fact's columns after booking_id and family_id, in the order of indicators.VisitFacts.
FACT_COLUMNS = (
    "visit_date",
    "held_at",
    "two_professions",
    "nurse_present",
    "social_services_present",
    "actors",
    "social_services_organization_ids",
    "professions",
    "missing_profession_reason",
)


def staff_fact(profession: str, unit_kind: str, organization_id: int) -> ind.StaffFacts:
    social = profession == Profession.social_worker or unit_kind == UnitKind.social_services
    return ind.StaffFacts(profession, social, organization_id)


def staff_facts(session: Session) -> dict[int, ind.StaffFacts]:
    rows = session.execute(
        select(Staff.id, Staff.profession, Unit.kind, Unit.organization_id).join(
            Unit, Unit.id == Staff.unit_id
        )
    )
    return {
        staff_id: staff_fact(profession.value, kind.value, organization_id)
        for staff_id, profession, kind, organization_id in rows
    }


def team_facts(staff: Iterable[Staff], units: Mapping[int, Unit]) -> dict[int, ind.StaffFacts]:
    return {
        s.id: staff_fact(
            s.profession.value, units[s.unit_id].kind.value, units[s.unit_id].organization_id
        )
        for s in staff
    }


def facts_of(
    booking: Booking, outcome: Outcome, staff: Mapping[int, ind.StaffFacts]
) -> ind.VisitFacts:
    return ind.visit_facts(
        booking.starts_at.astimezone(STOCKHOLM).date(),
        outcome.held_at.value,
        outcome.staff_ids,
        outcome.professions,
        outcome.external_kinds,
        outcome.referrals,
        staff,
        booking.missing_profession_reason,
    )


def fact_values(facts: ind.VisitFacts) -> dict[str, Any]:
    values = dict(zip(FACT_COLUMNS, astuple(facts), strict=True))
    values["social_services_organization_ids"] = list(facts.social_services_organization_ids)
    values["professions"] = list(facts.professions)
    return values


class FamilyChildren:
    """Families' enrollments and children: the child each visit is for (indicators.index_child)
    and the age group it counts in (indicators.age_group)."""

    def __init__(self, db: Session | Connection, family_ids: Collection[int] | None = None) -> None:
        enrollments = select(
            Enrollment.family_id, Enrollment.id, Enrollment.enrolled_on, Enrollment.index_child_id
        )
        children = select(
            Child.family_id, Child.id, func.coalesce(Child.birth_date, Child.expected_due_date)
        )
        if family_ids is not None:
            enrollments = enrollments.where(Enrollment.family_id.in_(sorted(family_ids)))
            children = children.where(Child.family_id.in_(sorted(family_ids)))
        self.enrollments: dict[int, list[ind.EnrollmentChild]] = defaultdict(list)
        for family, enrollment_id, began, child_id in db.execute(enrollments):
            self.enrollments[family].append(ind.EnrollmentChild(enrollment_id, began, child_id))
        self.children: dict[int, list[ind.ChildFacts]] = defaultdict(list)
        self.born: dict[int, date] = {}
        for family, child_id, born in db.execute(children):
            self.children[family].append(ind.ChildFacts(child_id, born))
            self.born[child_id] = born

    def index_child(self, family_id: int, day: date) -> int | None:
        return ind.index_child(
            self.enrollments.get(family_id, []), self.children.get(family_id, []), day
        )

    def age_group(self, family_id: int, index_child_id: int | None, day: date) -> ind.AgeGroup:
        """The visit's index child's age group by its dates now; a visit recorded before the
        family had a child registered counts the youngest child registered since."""
        if index_child_id is None:
            index_child_id = ind.youngest_child(self.children.get(family_id, []))
        born = self.born.get(index_child_id) if index_child_id is not None else None
        return ind.age_group(day, born, None)


def record_visit_fact(
    session: Session, booking: Booking, outcome: Outcome, staff: Mapping[int, ind.StaffFacts]
) -> None:
    """Store the facts of a visit whose outcome is being recorded (in the same transaction)."""
    facts = facts_of(booking, outcome, staff)
    children = FamilyChildren(session, [booking.family_id])
    index_child = children.index_child(booking.family_id, facts.visit_date)
    session.add(
        VisitFact(
            booking_id=booking.id,
            family_id=booking.family_id,
            unit_id=session.get_one(Family, booking.family_id).unit_id,
            index_child_id=index_child,
            age_group=children.age_group(booking.family_id, index_child, facts.visit_date),
            **fact_values(facts),
        )
    )


def refresh_age_groups(db: Session | Connection, family_ids: Collection[int]) -> int:
    """Work the stored age groups of these families' visits out again from their children's
    dates now; returns how many changed."""
    changed = 0
    ordered = sorted(family_ids)
    # In slices: an import registers thousands of families in one flush.
    for start in range(0, len(ordered), 1000):
        changed += _refresh_age_groups(db, ordered[start : start + 1000])
    return changed


def _refresh_age_groups(db: Session | Connection, family_ids: list[int]) -> int:
    children = FamilyChildren(db, family_ids)
    rows = db.execute(
        select(
            VisitFact.booking_id,
            VisitFact.family_id,
            VisitFact.index_child_id,
            VisitFact.visit_date,
            VisitFact.age_group,
        ).where(VisitFact.family_id.in_(family_ids))
    )
    changed = []
    for booking_id, family_id, index_child, day, stored in rows:
        group = children.age_group(family_id, index_child, day)
        if group != stored:
            changed.append({"key": booking_id, "value": group})
    _update_facts(db, "booking_id", "age_group", changed)
    return len(changed)


def refresh_units(db: Session | Connection, units: Mapping[int, int]) -> None:
    """Move these families' visits to their new BVC (family id → unit id)."""
    rows = [{"key": family, "value": unit} for family, unit in units.items()]
    _update_facts(db, "family_id", "unit_id", rows)


def _update_facts(
    db: Session | Connection, key: str, column: str, rows: list[dict[str, Any]]
) -> None:
    """Set `column` to each row's value where `key` is its key (one executemany)."""
    if rows:
        table = cast(Table, VisitFact.__table__)
        db.execute(
            update(table)
            .where(table.c[key] == bindparam("key"))
            .values({column: bindparam("value")}),
            rows,
        )


_CHILD_DATES = ("family_id", "birth_date", "expected_due_date")


@event.listens_for(Session, "after_flush")
def _keep_facts_current(session: Session, _context: object) -> None:
    """What visit facts repeat follows the change in the same transaction, whatever path made
    it through the ORM: a family moved to another BVC moves its visits; a child registered,
    removed or with new dates moves its family's visits between age groups."""
    families = set()
    moved = {}
    for changed in (*session.new, *session.dirty, *session.deleted):
        if isinstance(changed, Family) and changed in session.dirty:
            if inspect(changed).attrs["unit_id"].history.has_changes():
                moved[changed.id] = changed.unit_id
            continue
        if not isinstance(changed, Child):
            continue
        histories = [inspect(changed).attrs[name].history for name in _CHILD_DATES]
        if changed in session.dirty and not any(h.has_changes() for h in histories):
            continue
        families.add(changed.family_id)
        families.update(v for v in histories[0].deleted if v is not None)
    families.discard(None)
    if moved:
        refresh_units(session.connection(), moved)
    if families:
        refresh_age_groups(session.connection(), families)


class StoredFacts(NamedTuple):
    """What is stored of one visit: its family and the family's BVC, the child whose age it
    counts and that age group, and the facts proper."""

    family_id: int
    unit_id: int
    index_child_id: int | None
    age_group: ind.AgeGroup
    facts: ind.VisitFacts


def recomputed_facts(session: Session) -> dict[int, StoredFacts]:
    """The facts of every completed visit, worked out again from bookings, outcomes, families,
    enrollments and children (as they are now: equal to the stored ones, which are kept so)."""
    staff = staff_facts(session)
    children = FamilyChildren(session)
    units: dict[int, int] = {f: u for f, u in session.execute(select(Family.id, Family.unit_id))}
    rows = session.execute(select(Booking, Outcome).join(Outcome, Outcome.booking_id == Booking.id))
    found = {}
    for booking, outcome in rows:
        facts = facts_of(booking, outcome, staff)
        family = booking.family_id
        index_child = children.index_child(family, facts.visit_date)
        group = children.age_group(family, index_child, facts.visit_date)
        found[booking.id] = StoredFacts(family, units[family], index_child, group, facts)
    return found


def stored_facts(session: Session) -> dict[int, StoredFacts]:
    rows = session.scalars(select(VisitFact))
    return {
        row.booking_id: StoredFacts(
            row.family_id,
            row.unit_id,
            row.index_child_id,
            row.age_group,
            ind.VisitFacts(
                visit_date=row.visit_date,
                held_at=row.held_at.value,
                two_professions=row.two_professions,
                nurse_present=row.nurse_present,
                social_services_present=row.social_services_present,
                actors=row.actors,
                social_services_organization_ids=tuple(row.social_services_organization_ids),
                professions=tuple(row.professions),
                missing_profession_reason=row.missing_profession_reason,
            ),
        )
        for row in rows
    }
