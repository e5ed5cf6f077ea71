"""Loading what a report needs in a few set-based queries, and handing it to indicators.py."""

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    String,
    Text,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM
from app.enrollments.models import Enrollment
from app.errors import InvalidInput
from app.families.models import Child, Family
from app.organizations.models import Collaboration, Organization, OrganizationKind, Unit, UnitKind
from app.reports import indicators as ind
from app.reports.models import Tariff
from app.scheduling.models import Booking, BookingStatus, Outcome
from app.staff.models import Staff
from app.staff.profession import Profession

# Called with the name of each loading step, for a progress bar.
StepCallback = Callable[[str], None]
STEPS = ("scope", "staff", "visits", "families", "enrollments", "figures")

TARGET_GROUP_COLUMNS = {
    ind.TargetGroup.first_child: Family.first_child,
    ind.TargetGroup.first_child_in_sweden: Family.first_child_in_sweden,
    ind.TargetGroup.known_risk_factors: Family.known_risk_factors,
    ind.TargetGroup.foreign_born_guardian: Family.foreign_born_guardian,
    ind.TargetGroup.language_development_need: Family.language_development_need,
    ind.TargetGroup.preschool_age_not_enrolled: Family.preschool_age_not_enrolled,
}


@dataclass(frozen=True)
class Scope:
    """Whose report: the whole country, a region's BVC units, or a municipality's socialtjänst."""

    organization: Organization | None
    # The BVC units whose families the report reads; None for the whole country.
    bvc_unit_ids: frozenset[int] | None
    unit_id: int | None

    @property
    def municipality_id(self) -> int | None:
        org = self.organization
        return org.id if org is not None and org.kind == OrganizationKind.municipality else None


@dataclass
class GrantFollowupResult:
    scope: Scope
    report: ind.GrantFollowup
    units: dict[int, ind.UnitFacts]


@dataclass
class CompensationResult:
    scope: Scope
    year: int
    lines: list[ind.CompensationLine]
    units: dict[int, ind.UnitFacts]
    tariffs: list[Tariff]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """Local (Europe/Stockholm) new year to new year, as UTC instants."""
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=STOCKHOLM).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=STOCKHOLM).astimezone(UTC)
    return start, end


def resolve_scope(session: Session, organization_id: int | None, unit_id: int | None) -> Scope:
    organization = None
    bvc_ids: frozenset[int] | None = None
    if organization_id is not None:
        organization = session.get(Organization, organization_id)
        if organization is None:
            raise InvalidInput.on("organization_id", "no such organization")
        if organization.kind == OrganizationKind.municipality:
            social = select(Unit.id).where(
                Unit.organization_id == organization.id, Unit.kind == UnitKind.social_services
            )
            bvc_ids = frozenset(
                session.scalars(
                    select(Collaboration.bvc_unit_id).where(
                        Collaboration.social_unit_id.in_(social)
                    )
                )
            )
        else:
            bvc_ids = frozenset(
                session.scalars(
                    select(Unit.id).where(
                        Unit.organization_id == organization.id, Unit.kind == UnitKind.bvc
                    )
                )
            )
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.kind != UnitKind.bvc:
            raise InvalidInput.on("unit_id", "no such BVC unit")
        if bvc_ids is not None and unit_id not in bvc_ids:
            raise InvalidInput.on("unit_id", "the BVC is not in the organization's report")
        bvc_ids = frozenset({unit_id})
    return Scope(organization=organization, bvc_unit_ids=bvc_ids, unit_id=unit_id)


def _in_scope(column: Any, scope: Scope) -> ColumnElement[bool] | None:
    return None if scope.bvc_unit_ids is None else column.in_(sorted(scope.bvc_unit_ids))


def staff_facts(session: Session) -> dict[int, ind.StaffFacts]:
    rows = session.execute(
        select(Staff.id, Staff.profession, Unit.kind, Unit.organization_id).join(
            Unit, Unit.id == Staff.unit_id
        )
    )
    return {
        staff_id: ind.StaffFacts(
            profession=profession.value,
            social_services=(
                profession == Profession.social_worker or kind == UnitKind.social_services
            ),
            organization_id=organization_id,
        )
        for staff_id, profession, kind, organization_id in rows
    }


class _JsonLists:
    """JSON array columns read as text and parsed once per distinct value (most repeat)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[Any, ...]] = {}

    def __call__(self, text: str | None) -> tuple[Any, ...]:
        if not text:
            return ()
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = tuple(json.loads(text))
        return found


def _completed_in_year(year: int) -> list[ColumnElement[bool]]:
    start, end = year_bounds(year)
    return [
        Booking.status == BookingStatus.completed,
        Booking.starts_at >= start,
        Booking.starts_at < end,
    ]


def _visit_query(year: int, scope: Scope, dialect: str, *extra: Any) -> Any:
    """Completed visits of the year in scope: booking id, family, BVC, local day, place, staff."""
    # PostgreSQL gives the local date itself; SQLite keeps no zones, so Python converts.
    start = (
        cast(func.timezone(STOCKHOLM.key, Booking.starts_at), Date)
        if dialect == "postgresql"
        else Booking.starts_at
    )
    stmt = (
        select(
            Booking.id,
            Booking.family_id,
            Family.unit_id,
            start,
            cast(Outcome.held_at, String),
            cast(Outcome.staff_ids, Text),
            *extra,
        )
        .join(Outcome, Outcome.booking_id == Booking.id)
        .join(Family, Family.id == Booking.family_id)
        .where(*_completed_in_year(year))
    )
    in_scope = _in_scope(Family.unit_id, scope)
    return stmt if in_scope is None else stmt.where(in_scope)


class _LocalDays:
    """Local dates of start instants (SQLite) or the dates PostgreSQL already gave."""

    def __init__(self, dialect: str) -> None:
        self._given = dialect == "postgresql"
        self._seen: dict[Any, date] = {}

    def __call__(self, value: Any) -> date:
        if self._given:
            return value  # type: ignore[no-any-return]
        day = self._seen.get(value)
        if day is None:
            day = self._seen[value] = _utc(value).astimezone(STOCKHOLM).date()
        return day


def _fetch_all(connection: Connection, stmt: Any) -> Sequence[Any]:
    """All rows; on PostgreSQL straight from the driver (plain tuples, no result processing:
    the report queries select only integers, text and dates, which psycopg converts itself)."""
    result = connection.execute(stmt)
    if connection.dialect.name == "postgresql":
        rows: Sequence[Any] = result.cursor.fetchall()
        result.close()
        return rows
    return result.all()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _families_of_interest(year: int, scope: Scope) -> ColumnElement[bool]:
    """The scope's families offered in the year or with a completed visit in it."""
    with_visit = select(Booking.family_id).where(*_completed_in_year(year))
    offered = Family.offered_on.between(date(year, 1, 1), date(year, 12, 31))
    condition = or_(offered, Family.id.in_(with_visit))
    in_scope = _in_scope(Family.unit_id, scope)
    return condition if in_scope is None else condition & in_scope


def _family_rows(session: Session, year: int, scope: Scope) -> list[ind.FamilyFacts]:
    flags = list(TARGET_GROUP_COLUMNS.items())
    stmt = select(
        Family.id,
        Family.unit_id,
        cast(Family.status, String),
        Family.offered_on,
        *(column for _, column in flags),
    ).where(_families_of_interest(year, scope))
    families = []
    groups_of: dict[tuple[bool, ...], frozenset[ind.TargetGroup]] = {}
    for family_id, unit_id, status, offered_on, *bits in session.connection().execute(stmt).all():
        key = tuple(bits)
        groups = groups_of.get(key)
        if groups is None:
            groups = groups_of[key] = frozenset(
                group for (group, _), on in zip(flags, key, strict=True) if on
            )
        families.append(ind.FamilyFacts(family_id, unit_id, status, offered_on, groups))
    return families


def _enrollments(session: Session, year: int, scope: Scope) -> dict[int, list[ind.EnrollmentFacts]]:
    social_worker_unit = Unit.__table__.alias("social_worker_unit")
    social_worker = Staff.__table__.alias("social_worker")
    stmt = (
        select(
            Enrollment.family_id,
            Enrollment.id,
            Enrollment.enrolled_on,
            Enrollment.ended_on,
            Child.birth_date,
            Child.expected_due_date,
            social_worker_unit.c.organization_id,
        )
        .join(Child, Child.id == Enrollment.index_child_id)
        .join(social_worker, social_worker.c.id == Enrollment.social_worker_id)
        .join(social_worker_unit, social_worker_unit.c.id == social_worker.c.unit_id)
        .join(Family, Family.id == Enrollment.family_id)
        .where(_families_of_interest(year, scope))
    )
    found: dict[int, list[ind.EnrollmentFacts]] = defaultdict(list)
    for family_id, *rest in session.connection().execute(stmt).all():
        found[family_id].append(ind.EnrollmentFacts(*rest))
    return found


def _youngest_children(
    session: Session, family_ids: Sequence[int]
) -> dict[int, tuple[date | None, date | None]]:
    """Birth and due date of each family's youngest child, for visits with no enrollment."""
    found: dict[int, tuple[date | None, date | None]] = {}
    for chunk in _chunks(sorted(family_ids), 1000):
        rows = session.execute(
            select(Child.family_id, Child.id, Child.birth_date, Child.expected_due_date).where(
                Child.family_id.in_(chunk)
            )
        )
        best: dict[int, tuple[date, int]] = {}
        for family_id, child_id, born, due in rows:
            key = (born or due or date.min, child_id)
            if family_id not in best or key > best[family_id]:
                best[family_id] = key
                found[family_id] = (born, due)
    return found


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _collaborations(
    session: Session, bvc_unit_ids: frozenset[int]
) -> dict[int, list[ind.CollaborationFacts]]:
    rows = session.execute(
        select(
            Collaboration.bvc_unit_id,
            Collaboration.id,
            Unit.organization_id,
            Collaboration.started_on,
            Collaboration.ended_on,
        )
        .join(Unit, Unit.id == Collaboration.social_unit_id)
        .where(Collaboration.bvc_unit_id.in_(sorted(bvc_unit_ids)))
    )
    found: dict[int, list[ind.CollaborationFacts]] = defaultdict(list)
    for bvc_unit_id, collaboration_id, organization_id, started_on, ended_on in rows:
        found[bvc_unit_id].append(
            ind.CollaborationFacts(collaboration_id, organization_id, started_on, ended_on)
        )
    return found


def unit_facts(session: Session, unit_ids: Sequence[int]) -> dict[int, ind.UnitFacts]:
    found = {}
    for chunk in _chunks(sorted(unit_ids), 1000):
        for unit_id, name, hsa_id, organization_id in session.execute(
            select(Unit.id, Unit.name, Unit.hsa_id, Unit.organization_id).where(Unit.id.in_(chunk))
        ):
            found[unit_id] = ind.UnitFacts(unit_id, name, hsa_id, organization_id)
    return found


def _noop(_step: str) -> None:
    return None


def _visits(
    session: Session, year: int, scope: Scope, step: StepCallback
) -> tuple[
    list[ind.Visit], list[ind.FamilyFacts], dict[int, ind.StaffFacts], frozenset[int] | None
]:
    """The scope's completed visits of the year, its families, and who is in its offer cohort.

    The cohort is None (every family given) except for a municipality, whose cohort is the
    families counted with it; others are given only for their visits' target groups.
    """
    step("staff")
    staff = staff_facts(session)
    step("families")
    families = _family_rows(session, year, scope)
    step("enrollments")
    enrollments = _enrollments(session, year, scope)
    step("visits")
    connection = session.connection()
    dialect = connection.dialect.name
    # The three lists as one text: the combinations recur, so each is parsed once.
    lists = (
        cast(Outcome.professions, Text)
        + "|"
        + cast(Outcome.external_kinds, Text)
        + "|"
        + cast(Outcome.referrals, Text)
    )
    rows = _fetch_all(
        connection, _visit_query(year, scope, dialect, lists, Booking.missing_profession_reason)
    )
    without = {r[1] for r in rows if r[1] not in enrollments}
    youngest = _youngest_children(session, list(without)) if without else {}
    parse = _JsonLists()
    profiles: dict[str, tuple[tuple[str, ...], ...]] = {}
    teams: dict[str, tuple[int, ...]] = {}
    local_day = _LocalDays(dialect)
    visits: list[ind.Visit] = []
    append = visits.append
    for booking_id, family_id, unit_id, start, held_at, staff_text, profile, reason in rows:
        day = local_day(start)
        staff_ids = teams.get(staff_text)
        if staff_ids is None:
            staff_ids = teams[staff_text] = parse(staff_text)
        found = enrollments.get(family_id)
        enrollment = (
            found[0]
            if found is not None and len(found) == 1
            else ind.enrollment_on(found or (), day)
        )
        if enrollment is not None:
            born, due = enrollment.child_birth_date, enrollment.child_due_date
            team: int | None = enrollment.team_organization_id
        else:
            born, due = youngest.get(family_id, (None, None))
            team = None
        parsed = profiles.get(profile)
        if parsed is None:
            parsed = profiles[profile] = tuple(parse(part) for part in profile.split("|"))
        professions, external_kinds, referrals = parsed
        append(
            ind.Visit(
                booking_id,
                family_id,
                unit_id,
                day,
                held_at,
                staff_ids,
                professions,
                external_kinds,
                referrals,
                (),
                reason,
                born,
                due,
                team,
            )
        )
    municipality = scope.municipality_id
    if municipality is not None:
        assert scope.bvc_unit_ids is not None
        collaborations = _collaborations(session, scope.bvc_unit_ids)
        homes = {}
        for family in families:
            latest = max(
                enrollments.get(family.family_id, ()),
                key=lambda e: (e.enrolled_on, e.enrollment_id),
                default=None,
            )
            homes[family.family_id] = ind.family_municipality(
                latest.team_organization_id if latest else None,
                collaborations.get(family.unit_id, ()),
                family.offered_on,
            )
        visits = [
            v
            for v in visits
            if municipality in ind.visit_municipalities(v, staff, homes.get(v.family_id))
        ]
        counted = {v.family_id for v in visits}
        cohort = frozenset(f.family_id for f in families if homes.get(f.family_id) == municipality)
        families = [f for f in families if f.family_id in cohort or f.family_id in counted]
        return visits, families, staff, cohort
    return visits, families, staff, None


def grant_followup(
    session: Session,
    year: int,
    organization_id: int | None = None,
    unit_id: int | None = None,
    step: StepCallback = _noop,
) -> GrantFollowupResult:
    """The year's grant indicators for the country, a region or a municipality (and one BVC)."""
    step("scope")
    scope = resolve_scope(session, organization_id, unit_id)
    visits, families, staff, cohort = _visits(session, year, scope, step)
    step("figures")
    report = ind.grant_followup(year, visits, families, staff, cohort)
    units = unit_facts(session, list(report.by_unit))
    return GrantFollowupResult(scope=scope, report=report, units=units)


def tariffs_for(session: Session, organizations: Sequence[Organization]) -> list[Tariff]:
    """Tariffs linked to these organizations, or shipped under their name and not yet linked."""
    names = {org.name.casefold(): org.id for org in organizations}
    ids = {org.id for org in organizations}
    return [
        t
        for t in session.scalars(select(Tariff).order_by(Tariff.valid_from, Tariff.id))
        if t.organization_id in ids
        or (t.organization_id is None and t.region_name.casefold() in names)
    ]


def _tariff_owner(tariff: Tariff, organizations: Sequence[Organization]) -> int:
    if tariff.organization_id is not None:
        return tariff.organization_id
    return next(o.id for o in organizations if o.name.casefold() == tariff.region_name.casefold())


def compensation(
    session: Session, year: int, organization_id: int | None = None
) -> CompensationResult:
    """What each BVC is due per month for its home visits with socialtjänst, by its tariffs."""
    scope = resolve_scope(session, organization_id, None)
    if scope.municipality_id is not None:
        raise InvalidInput.on(
            "organization_id",
            "compensation is paid by the region to its BVC units: give the region",
        )
    staff = staff_facts(session)
    connection = session.connection()
    dialect = connection.dialect.name
    stmt = _visit_query(year, scope, dialect, cast(Outcome.kva_codes, Text))
    parse = _JsonLists()
    local_day = _LocalDays(dialect)
    rows = _fetch_all(connection, stmt)
    visits = [
        ind.Visit(
            booking_id=booking_id,
            family_id=family_id,
            unit_id=unit_id,
            day=local_day(start),
            held_at=held_at,
            staff_ids=parse(staff_ids),
            professions=(),
            kva_codes=parse(kva_codes),
        )
        for booking_id, family_id, unit_id, start, held_at, staff_ids, kva_codes in rows
    ]
    units = unit_facts(session, list({v.unit_id for v in visits}))
    organizations = (
        [scope.organization]
        if scope.organization is not None
        else list(
            session.scalars(
                select(Organization).where(
                    Organization.id.in_(sorted({u.organization_id for u in units.values()}))
                )
            )
        )
    )
    tariffs = tariffs_for(session, organizations)
    by_org: dict[int, list[ind.TariffTerms]] = defaultdict(list)
    for tariff in tariffs:
        by_org[_tariff_owner(tariff, organizations)].append(
            ind.TariffTerms(
                valid_from=tariff.valid_from,
                joint_home_visit_amount=tariff.joint_home_visit_amount,
                ordinary_home_visit_amount=tariff.ordinary_home_visit_amount,
                fixed_compensation_units=tuple(tariff.fixed_compensation_units),
                kva_code=tariff.kva_code,
            )
        )
    lines = ind.compensation(year, visits, staff, units, by_org)
    return CompensationResult(scope=scope, year=year, lines=lines, units=units, tariffs=tariffs)
