"""Counting what a report needs in a few set-based queries, and handing it to indicators.py."""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from app.enrollments.models import Enrollment
from app.errors import InvalidInput
from app.families.models import Child, Family
from app.organizations.models import Collaboration, Organization, OrganizationKind, Unit, UnitKind
from app.reports import indicators as ind
from app.reports.models import Tariff, VisitFact
from app.scheduling.models import BookingLocation, Outcome
from app.staff.models import Staff

# Called with the name of each loading step, for a progress bar.
StepCallback = Callable[[str], None]
STEPS = ("scope", "visits", "offers", "lacking", "figures")

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


def _fetch_all(connection: Connection, stmt: Any) -> Sequence[Any]:
    """All rows; on PostgreSQL straight from the driver (plain tuples, no result processing:
    the report queries select only integers, text and dates, which psycopg converts itself)."""
    result = connection.execute(stmt)
    if connection.dialect.name == "postgresql":
        rows: Sequence[Any] = result.cursor.fetchall()
        result.close()
        return rows
    return result.all()


def _families_of_interest(year: int, scope: Scope) -> ColumnElement[bool]:
    """The scope's families offered in the year or with a completed visit in it."""
    with_visit = select(VisitFact.family_id).where(_fact_in_year(year))
    offered = Family.offered_on.between(date(year, 1, 1), date(year, 12, 31))
    condition = or_(offered, Family.id.in_(with_visit))
    in_scope = _in_scope(Family.unit_id, scope)
    return condition if in_scope is None else condition & in_scope


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


def _fact_in_year(year: int) -> ColumnElement[bool]:
    return VisitFact.visit_date.between(date(year, 1, 1), date(year, 12, 31))


def _ids(name: str, ids: Iterable[int]) -> BindParameter[Any]:
    # Written into the statement: a large municipality's visits exceed the bind parameter limit.
    return bindparam(name, sorted(ids), expanding=True, literal_execute=True)


@dataclass(frozen=True)
class _Filters:
    """The report's rows: the scope's BVC units, and for a municipality its visits and cohort."""

    year: int
    scope: Scope
    booking_ids: frozenset[int] | None = None
    cohort: frozenset[int] | None = None

    def visits(self) -> list[ColumnElement[bool]]:
        """The visit facts counted (by the BVC they store: no family joined)."""
        found: list[ColumnElement[bool]] = [_fact_in_year(self.year)]
        in_scope = _in_scope(VisitFact.unit_id, self.scope)
        if in_scope is not None:
            found.append(in_scope)
        if self.booking_ids is not None:
            found.append(VisitFact.booking_id.in_(_ids("booking_ids", self.booking_ids)))
        return found

    def offers(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [
            Family.offered_on.between(date(self.year, 1, 1), date(self.year, 12, 31))
        ]
        in_scope = _in_scope(Family.unit_id, self.scope)
        if in_scope is not None:
            found.append(in_scope)
        if self.cohort is not None:
            found.append(Family.id.in_(_ids("cohort", self.cohort)))
        return found


def _municipality_filters(session: Session, year: int, scope: Scope) -> _Filters:
    """A municipality's visits and offer cohort, by the rules in indicators.py.

    The visits its socialtjänst took part in, else those of the families whose team it staffs;
    the families counted with it (its team's, or its BVC's first partner's when never enrolled).
    """
    municipality = scope.municipality_id
    assert municipality is not None and scope.bvc_unit_ids is not None
    enrollments = _enrollments(session, year, scope)
    collaborations = _collaborations(session, scope.bvc_unit_ids)
    homes: dict[int, int | None] = {}
    for family_id, unit_id, offered_on in session.execute(
        select(Family.id, Family.unit_id, Family.offered_on).where(
            _families_of_interest(year, scope)
        )
    ):
        latest = max(
            enrollments.get(family_id, ()),
            key=lambda e: (e.enrolled_on, e.enrollment_id),
            default=None,
        )
        homes[family_id] = ind.family_municipality(
            latest.team_organization_id if latest else None,
            collaborations.get(unit_id, ()),
            offered_on,
        )
    parse = _JsonLists()
    counted = set()
    for booking_id, family_id, day, present in session.execute(
        select(
            VisitFact.booking_id,
            VisitFact.family_id,
            VisitFact.visit_date,
            cast(VisitFact.social_services_organization_ids, Text),
        ).where(*_Filters(year, scope).visits())
    ):
        enrollment = ind.enrollment_on(enrollments.get(family_id, ()), day)
        team = enrollment.team_organization_id if enrollment is not None else None
        if municipality in ind.visit_municipalities(parse(present), team, homes.get(family_id)):
            counted.add(booking_id)
    cohort = frozenset(f for f, home in homes.items() if home == municipality)
    return _Filters(year, scope, frozenset(counted), cohort)


def _month(day: Any) -> ColumnElement[int]:
    return cast(extract("month", day), Integer)


_VISITS, _UNIT_FAMILIES, _MONTH_FAMILIES = 0, 1, 2


def _counts(
    session: Session, filters: _Filters
) -> tuple[list[ind.VisitCounts], list[ind.FamilyCounts]]:
    """In one statement: the visits per BVC, month and age group, and the distinct families
    with a home visit per BVC and per month, by target group.

    Each part reads the facts itself: cheaper than materializing the joined year once (a
    quarter of a million rows in the national report) and reading it three times.
    """
    home = VisitFact.held_at == BookingLocation.home
    bits = [ind.ACTOR_BITS[a] for a in ind.Actor]
    month = _month(VisitFact.visit_date)
    # The order of indicators.VisitCounts.
    visit_columns = [
        func.count().filter(home),
        func.count().filter(home & VisitFact.two_professions),
        func.count().filter(home & VisitFact.nurse_present & VisitFact.social_services_present),
        *(func.count().filter(home & (VisitFact.age_group == group)) for group in ind.AgeGroup),
        *(func.count().filter(home & (VisitFact.actors.op("&")(bit) != 0)) for bit in bits),
        *(func.count().filter(VisitFact.held_at == place) for place in ind.NOT_AT_HOME),
    ]
    visits = (
        select(literal(_VISITS), VisitFact.unit_id, month, *visit_columns)
        .where(*filters.visits())
        .group_by(VisitFact.unit_id, month)
    )
    home_visits = [*filters.visits(), VisitFact.held_at == BookingLocation.home]
    # The families with a home visit, with their BVC and flags: read by both family counts.
    visited = (
        select(Family.id, Family.unit_id, *TARGET_GROUP_COLUMNS.values())
        .where(Family.id.in_(select(VisitFact.family_id).where(*home_visits)))
        .cte("visited_families")
    )
    f = visited.c
    flags = [f[TARGET_GROUP_COLUMNS[g].key] for g in ind.FLAGGED_TARGET_GROUPS]
    # TargetGroup order, none_of_these last; padded to the width of the visit rows.
    groups = [*flags, and_(*(~flag for flag in flags))]
    padding = [literal(0)] * (len(visit_columns) - 1 - len(groups))
    family_columns = [func.count(), *(func.count().filter(g) for g in groups), *padding]
    no_number = cast(None, Integer)
    # A family belongs to one BVC: counted once there.
    by_unit = select(literal(_UNIT_FAMILIES), f.unit_id, no_number, *family_columns).group_by(
        f.unit_id
    )
    # Each family once per month it had a home visit (in scope: the facts store the BVC), then
    # its flags.
    month = _month(VisitFact.visit_date)
    months = (
        select(VisitFact.family_id, month.label("month"))
        .where(*home_visits)
        .group_by(VisitFact.family_id, month)
        .subquery("visited_months")
    )
    by_month = (
        select(literal(_MONTH_FAMILIES), no_number, months.c.month, *family_columns)
        .join_from(months, visited, f.id == months.c.family_id)
        .group_by(months.c.month)
    )
    stmt: CompoundSelect[Any] = union_all(visits, by_unit, by_month)
    ages_end = len(ind.AgeGroup) + 2
    actors_end = ages_end + len(ind.Actor)
    visit_counts, family_counts = [], []
    for kind, unit_id, month, first, *counts in _fetch_all(session.connection(), stmt):
        if kind == _VISITS:
            visit_counts.append(
                ind.VisitCounts(
                    unit_id=unit_id,
                    month=month,
                    home_visits=first,
                    two_professions=counts[0],
                    joint=counts[1],
                    by_age=counts[2:ages_end],
                    actors=counts[ages_end:actors_end],
                    not_at_home=counts[actors_end:],
                )
            )
        else:
            family_counts.append(ind.FamilyCounts(unit_id, month, first, counts[: len(groups)]))
    return visit_counts, family_counts


def _offer_counts(session: Session, filters: _Filters) -> list[ind.OfferCounts]:
    """The families offered in the year by status now, per BVC and per month."""
    month = _month(Family.offered_on)
    status = cast(Family.status, String)
    no_number = cast(None, Integer)
    stmt = union_all(
        select(Family.unit_id, no_number, status, func.count())
        .where(*filters.offers())
        .group_by(Family.unit_id, status),
        select(no_number, month, status, func.count())
        .where(*filters.offers())
        .group_by(month, status),
    )
    return [ind.OfferCounts(*row) for row in _fetch_all(session.connection(), stmt)]


def _lacking_two_professions(session: Session, filters: _Filters) -> list[ind.Visit]:
    """The counted home visits with fewer than two professions, with the booking's reason."""
    stmt = select(
        VisitFact.booking_id,
        VisitFact.family_id,
        VisitFact.unit_id,
        VisitFact.visit_date,
        cast(VisitFact.professions, Text),
        VisitFact.missing_profession_reason,
    ).where(
        *filters.visits(),
        VisitFact.held_at == BookingLocation.home,
        ~VisitFact.two_professions,
    )
    parse = _JsonLists()
    return [
        ind.Visit(
            booking_id=booking_id,
            family_id=family_id,
            unit_id=unit_id,
            day=day,
            held_at=BookingLocation.home.value,
            staff_ids=(),
            professions=parse(professions),
            missing_profession_reason=reason,
        )
        for booking_id, family_id, unit_id, day, professions, reason in _fetch_all(
            session.connection(), stmt
        )
    ]


# For the report's transaction. A few aggregations over a year of facts: in memory, not worth
# compiling (jit), and the national year's join split between workers (bench/reports.py).
POSTGRESQL_SETTINGS = (
    "jit = off",
    "work_mem = '64MB'",
    "max_parallel_workers_per_gather = 2",
    "parallel_setup_cost = 100",
    "parallel_tuple_cost = 0.01",
)


def grant_followup(
    session: Session,
    year: int,
    organization_id: int | None = None,
    unit_id: int | None = None,
    step: StepCallback = _noop,
) -> GrantFollowupResult:
    """The year's grant indicators for the country, a region or a municipality (and one BVC).

    The database counts the stored visit facts (VisitFact) per BVC, month and age; the figures
    are put together by indicators.grant_followup.
    """
    step("scope")
    scope = resolve_scope(session, organization_id, unit_id)
    if session.get_bind().dialect.name == "postgresql":
        for setting in POSTGRESQL_SETTINGS:
            session.execute(text(f"SET LOCAL {setting}"))
    filters = (
        _municipality_filters(session, year, scope)
        if scope.municipality_id is not None
        else _Filters(year, scope)
    )
    step("visits")
    visits, families = _counts(session, filters)
    step("offers")
    offers = _offer_counts(session, filters)
    step("lacking")
    lacking = _lacking_two_professions(session, filters)
    step("figures")
    report = ind.grant_followup(year, visits, families, offers, lacking)
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
    # The facts fixed with each outcome, as the grant follow-up reads them: one definition of
    # "a home visit with socialtjänst" for both.
    stmt = (
        select(
            VisitFact.unit_id,
            VisitFact.visit_date,
            cast(VisitFact.held_at, String),
            VisitFact.social_services_present,
            cast(Outcome.kva_codes, Text),
        )
        .join(Outcome, Outcome.booking_id == VisitFact.booking_id)
        .where(
            _fact_in_year(year),
            VisitFact.held_at == BookingLocation.home,
            VisitFact.social_services_present,
        )
    )
    in_scope = _in_scope(VisitFact.unit_id, scope)
    if in_scope is not None:
        stmt = stmt.where(in_scope)
    parse = _JsonLists()
    visits = [
        ind.CompensableVisit(
            unit_id=unit_id,
            day=day,
            held_at=held_at,
            social_services_present=present,
            kva_codes=parse(kva_codes),
        )
        for unit_id, day, held_at, present, kva_codes in session.execute(stmt)
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
    lines = ind.compensation(year, visits, units, by_org)
    return CompensationResult(scope=scope, year=year, lines=lines, units=units, tariffs=tariffs)
