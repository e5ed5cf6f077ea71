"""The grant follow-up figures and the compensation due, from plain rows: no database, no HTTP.

Every figure Socialstyrelsen asks for in the yearly återrapportering (report 2026-6-10350, tables
2, 4, 5 and 6) is defined here: `visit_facts` says what one completed visit is (stored with its
outcome), `age_group` which age group it counts in, and `grant_followup` puts the figures together
from the counts the database makes of those facts, so each can be checked by hand.
docs/reports.md gives the definitions with the Swedish wording; the short of them:

- A counted visit (*utökat hembesök*) is a completed booking whose outcome says it was held at
  home, dated by its local (Europe/Stockholm) start. Completed visits held elsewhere (clinic, MHV
  clinic, other) are reported beside it, never in it. Cancelled, no-show and booked visits are not
  visits that took place and are not counted anywhere.
- Offered families (*familjer som fått erbjudandet*) are those whose offer date falls in the year;
  their current status says whether they took part, declined or dropped out.
- A region's report covers its BVC units' families; a municipality's covers the visits its
  socialtjänst took part in (or, when nobody from socialtjänst came, the visits of the families
  whose team it staffs), so that a region's figures equal the sum of its municipalities'.
"""

import operator
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol, TypeVar

NURSE = "bhv_nurse"
SOCIAL_WORKER = "social_worker"
HOME = "home"
NOT_AT_HOME = ("clinic", "mhv_clinic", "other")


class AgeGroup(StrEnum):
    """Table 5's age groups; `older` and `unknown` keep every visit accounted for."""

    prenatal = "prenatal"
    age_0 = "0"
    age_1 = "1"
    age_2 = "2"
    age_3 = "3"
    age_4 = "4"
    age_5 = "5"
    older = "older"
    unknown = "unknown"


AGE_GROUP_LABELS_SV = {
    AgeGroup.prenatal: "Innan barnet är fött i samarbete med mödrahälsovården",
    AgeGroup.age_0: "0 år",
    AgeGroup.age_1: "1 år",
    AgeGroup.age_2: "2 år",
    AgeGroup.age_3: "3 år",
    AgeGroup.age_4: "4 år",
    AgeGroup.age_5: "5 år",
    AgeGroup.older: "6 år eller äldre (utanför programmets ålder)",
    AgeGroup.unknown: "Okänd ålder (inget barn registrerat)",
}


class Actor(StrEnum):
    """Table 2: actors besides BHV and preventive socialtjänst (several per visit possible)."""

    mhv = "mhv"
    open_preschool = "open_preschool"
    other_social_services = "other_social_services"
    preschool = "preschool"
    other_municipal = "other_municipal"
    dental_care = "dental_care"
    other_regional = "other_regional"
    civil_society = "civil_society"
    unclassified = "unclassified"
    none = "none"


ACTOR_LABELS_SV = {
    Actor.mhv: "Mödrahälsovården",
    Actor.open_preschool: "Öppna förskolan",
    Actor.other_social_services: "Annan verksamhet inom socialtjänsten",
    Actor.preschool: "Förskolan",
    Actor.other_municipal: "Annan kommunal aktör",
    Actor.dental_care: "Tandvården",
    Actor.other_regional: "Annan regional aktör",
    Actor.civil_society: "Civilsamhälles- eller religiösa aktörer",
    Actor.unclassified: "Annan aktör (ej klassificerad)",
    Actor.none: "Ingen annan aktör",
}

# Who else took part (staff profession or external participant) and where the family was
# referred (lotsad). Interpreters are left out: they carry the conversation, they are not an actor
# the program collaborates with. Libraries and language support are municipal services.
PROFESSION_ACTORS = {
    "midwife": Actor.mhv,
    "dental": Actor.dental_care,
    "librarian": Actor.other_municipal,
    "other": Actor.unclassified,
}
EXTERNAL_ACTORS = {
    "midwife": Actor.mhv,
    "dental_nurse": Actor.dental_care,
    "librarian": Actor.other_municipal,
    "other": Actor.unclassified,
}
REFERRAL_ACTORS = {
    "mhv": Actor.mhv,
    "open_preschool": Actor.open_preschool,
    "preschool": Actor.preschool,
    "dental_care": Actor.dental_care,
    "other_social_services": Actor.other_social_services,
    "language_support": Actor.other_municipal,
    "other": Actor.unclassified,
}


class TargetGroup(StrEnum):
    """Table 4: the family's target-group flags (several per family possible)."""

    first_child = "first_child"
    first_child_in_sweden = "first_child_in_sweden"
    known_risk_factors = "known_risk_factors"
    foreign_born_guardian = "foreign_born_guardian"
    language_development_need = "language_development_need"
    preschool_age_not_enrolled = "preschool_age_not_enrolled"
    none_of_these = "none_of_these"


TARGET_GROUP_LABELS_SV = {
    TargetGroup.first_child: "Familjer som får sitt/sina första barn",
    TargetGroup.first_child_in_sweden: "Familjer som får sitt/sina första barn i Sverige",
    TargetGroup.known_risk_factors: (
        "Familjer där det finns kända riskfaktorer, exempelvis psykisk ohälsa, missbruk eller "
        "risk för våld"
    ),
    TargetGroup.foreign_born_guardian: (
        "Familjer där en eller båda vårdnadshavarna är utlandsfödda"
    ),
    TargetGroup.language_development_need: (
        "Familjer där vi ser behov av förstärkt språkutveckling hos barnet/barnen"
    ),
    TargetGroup.preschool_age_not_enrolled: (
        "Familjer med barn i förskoleålder som inte är inskrivna i förskolan"
    ),
    TargetGroup.none_of_these: "Ingen av dessa målgrupper (annan målgrupp)",
}

FLAGGED_TARGET_GROUPS = tuple(g for g in TargetGroup if g is not TargetGroup.none_of_these)


@dataclass(frozen=True, slots=True)
class StaffFacts:
    profession: str
    # A socialtjänst person: a social worker, or anyone working at a socialtjänst unit.
    social_services: bool
    organization_id: int


@dataclass(frozen=True, slots=True)
class Visit:
    """A completed booking with its outcome."""

    booking_id: int
    family_id: int
    unit_id: int  # the family's BVC
    day: date  # local date of the start
    held_at: str
    staff_ids: tuple[int, ...]
    professions: tuple[str, ...]
    kva_codes: tuple[str, ...] = ()
    missing_profession_reason: str | None = None


@dataclass(frozen=True, slots=True)
class CollaborationFacts:
    collaboration_id: int
    social_organization_id: int
    started_on: date
    ended_on: date | None


@dataclass(frozen=True, slots=True)
class EnrollmentFacts:
    enrollment_id: int
    enrolled_on: date
    ended_on: date | None
    child_birth_date: date | None
    child_due_date: date | None
    team_organization_id: int  # the organization of the team's social worker


class _Begun(Protocol):
    @property
    def enrollment_id(self) -> int: ...

    @property
    def enrolled_on(self) -> date: ...


_E = TypeVar("_E", bound=_Begun)


def enrollment_on(enrollments: Sequence[_E], day: date) -> _E | None:
    """The family's enrollment a visit on `day` belongs to.

    The latest begun on or before that day (enrollments follow one another: the one running, or
    the last one if it has ended); else the first (a visit before enrollment, e.g. prenatal).
    """
    if len(enrollments) <= 1:
        return enrollments[0] if enrollments else None
    ordered = sorted(enrollments, key=lambda e: (e.enrolled_on, e.enrollment_id))
    started = [e for e in ordered if e.enrolled_on <= day]
    return started[-1] if started else ordered[0]


@dataclass(frozen=True, slots=True)
class EnrollmentChild:
    enrollment_id: int
    enrolled_on: date
    index_child_id: int


@dataclass(frozen=True, slots=True)
class ChildFacts:
    child_id: int
    born: date  # the birth date, else the expected due date (a child has one or the other)


def youngest_child(children: Iterable[ChildFacts]) -> int | None:
    """The youngest child (twins: the first registered), as an enrollment picks its index child."""
    found = max(children, key=lambda c: (c.born, -c.child_id), default=None)
    return found.child_id if found is not None else None


def index_child(
    enrollments: Sequence[EnrollmentChild], children: Iterable[ChildFacts], day: date
) -> int | None:
    """The child a visit on `day` is for, whose age the report counts.

    The index child of the family's enrollment on that day (`enrollment_on`); without an
    enrollment, the family's youngest child; None when no child is registered yet.
    """
    enrollment = enrollment_on(enrollments, day)
    if enrollment is not None:
        return enrollment.index_child_id
    return youngest_child(children)


_BY_YEARS = (
    AgeGroup.age_0,
    AgeGroup.age_1,
    AgeGroup.age_2,
    AgeGroup.age_3,
    AgeGroup.age_4,
    AgeGroup.age_5,
)


def completed_years(born: date, day: date) -> int:
    """Whole years of age on `day` (a child born 29 February has its birthday on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_group(day: date, birth_date: date | None, due_date: date | None) -> AgeGroup:
    """The table 5 age group of the index child on the visit day.

    Before the birth date (or, with no birth recorded, before the due date) the visit is prenatal;
    after it, the child's completed years. A child born but not yet registered is aged from its
    due date.
    """
    born = birth_date or due_date
    if born is None:
        return AgeGroup.unknown
    if day < born:
        return AgeGroup.prenatal
    return age_group_of_years(completed_years(born, day))


def other_actors(
    professions: Iterable[str], external_kinds: Iterable[str], referrals: Iterable[str]
) -> frozenset[Actor]:
    """Table 2 categories involved in a visit; {none} when there was nobody else."""
    found = {PROFESSION_ACTORS[p] for p in professions if p in PROFESSION_ACTORS}
    found.update(EXTERNAL_ACTORS[k] for k in external_kinds if k in EXTERNAL_ACTORS)
    found.update(REFERRAL_ACTORS[r] for r in referrals if r in REFERRAL_ACTORS)
    return frozenset(found) if found else frozenset({Actor.none})


def has_two_professions(professions: Iterable[str]) -> bool:
    """At least two different professions among the staff present (table 6)."""
    return len(set(professions)) >= 2


def visit_municipalities(
    social_services_organization_ids: Collection[int],
    team_organization_id: int | None,
    family_municipality: int | None,
) -> frozenset[int]:
    """The municipalities whose report counts a visit.

    Those whose socialtjänst staff took part; when none did, the one staffing the family's team
    (the visit was theirs to make), else the family's municipality.
    """
    if social_services_organization_ids:
        return frozenset(social_services_organization_ids)
    if team_organization_id is not None:
        return frozenset({team_organization_id})
    return frozenset() if family_municipality is None else frozenset({family_municipality})


def family_municipality(
    team_organization_id: int | None,
    collaborations: Sequence[CollaborationFacts],
    offered_on: date | None,
) -> int | None:
    """The one municipality a family is counted with (offers, declines, drop-outs).

    The municipality of its team's social worker; a family never enrolled has no team, so it goes
    with its BVC's first collaboration (lowest id) in force on the offer date, else its first
    collaboration of all. One municipality per family keeps the municipalities' sums equal to
    the region's.
    """
    if team_organization_id is not None:
        return team_organization_id
    if not collaborations:
        return None
    in_force = [
        c
        for c in collaborations
        if offered_on is not None
        and c.started_on <= offered_on
        and (c.ended_on is None or c.ended_on > offered_on)
    ]
    chosen = min(in_force or collaborations, key=lambda c: c.collaboration_id)
    return chosen.social_organization_id


def share(part: int, whole: int) -> float | None:
    """part / whole rounded to four decimals; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


@dataclass
class Indicators:
    """The figures of one report cell: the whole scope, one BVC or one month."""

    home_visits: int = 0
    families_with_home_visit: int = 0
    home_visits_with_two_professions: int = 0
    joint_home_visits: int = 0
    offered_families: int = 0
    offered_families_taking_part: int = 0
    offered_families_declined: int = 0
    offered_families_discontinued: int = 0
    offered_families_undecided: int = 0
    visits_by_age_group: dict[AgeGroup, int] = field(
        default_factory=lambda: dict.fromkeys(AgeGroup, 0)
    )
    other_actor_visits: dict[Actor, int] = field(default_factory=lambda: dict.fromkeys(Actor, 0))
    families_by_target_group: dict[TargetGroup, int] = field(
        default_factory=lambda: dict.fromkeys(TargetGroup, 0)
    )
    completed_visits_not_at_home: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(NOT_AT_HOME, 0)
    )

    @property
    def share_with_two_professions(self) -> float | None:
        return share(self.home_visits_with_two_professions, self.home_visits)

    @property
    def share_joint(self) -> float | None:
        return share(self.joint_home_visits, self.home_visits)

    @property
    def home_visits_per_family(self) -> float | None:
        return share(self.home_visits, self.families_with_home_visit)

    @property
    def share_offered_taking_part(self) -> float | None:
        return share(self.offered_families_taking_part, self.offered_families)

    @property
    def share_offered_declined(self) -> float | None:
        return share(self.offered_families_declined, self.offered_families)

    @property
    def share_offered_discontinued(self) -> float | None:
        return share(self.offered_families_discontinued, self.offered_families)

    @property
    def share_offered_declined_or_discontinued(self) -> float | None:
        return share(
            self.offered_families_declined + self.offered_families_discontinued,
            self.offered_families,
        )


TAKING_PART = frozenset({"enrolled", "completed", "discontinued"})

# Bits of visit_fact.actors, one per table 2 actor. Stored: never renumber, add at the end.
ACTOR_BITS = {actor: 1 << index for index, actor in enumerate(Actor)}


def actor_bits(actors: Iterable[Actor]) -> int:
    bits = 0
    for actor in actors:
        bits |= ACTOR_BITS[actor]
    return bits


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """What the figures read from one completed visit, fixed when its outcome is recorded."""

    visit_date: date  # local date of the start
    held_at: str
    two_professions: bool
    nurse_present: bool
    social_services_present: bool
    actors: int  # ACTOR_BITS of other_actors()
    # The organizations whose socialtjänst staff took part, ascending.
    social_services_organization_ids: tuple[int, ...]
    professions: tuple[str, ...]
    missing_profession_reason: str | None


def visit_facts(
    day: date,
    held_at: str,
    staff_ids: Iterable[int],
    professions: Iterable[str],
    external_kinds: Iterable[str],
    referrals: Iterable[str],
    staff: Mapping[int, StaffFacts],
    missing_profession_reason: str | None = None,
) -> VisitFacts:
    """A completed visit's facts from its outcome and who the staff present were."""
    professions = tuple(professions)
    present = [s for i in staff_ids if (s := staff.get(i)) is not None]
    social = sorted({s.organization_id for s in present if s.social_services})
    return VisitFacts(
        visit_date=day,
        held_at=held_at,
        two_professions=has_two_professions(professions),
        nurse_present=NURSE in professions,
        social_services_present=bool(social),
        actors=actor_bits(other_actors(professions, external_kinds, referrals)),
        social_services_organization_ids=tuple(social),
        professions=professions,
        missing_profession_reason=missing_profession_reason,
    )


# One report cell's visit counts as a flat vector (a national year has a thousand BVCs and
# twelve months of them): home visits, two professions, joint, each age group, each actor, and
# each place other than home; VisitCounts in that order.
_HOME, _TWO, _JOINT = 0, 1, 2
_AGE_AT = {g: 3 + i for i, g in enumerate(AgeGroup)}
_ACTOR_AT = {a: 3 + len(AgeGroup) + i for i, a in enumerate(Actor)}
_PLACE_AT = {p: 3 + len(AgeGroup) + len(Actor) + i for i, p in enumerate(NOT_AT_HOME)}
_WIDTH = 3 + len(AgeGroup) + len(Actor) + len(NOT_AT_HOME)


@dataclass(frozen=True, slots=True)
class VisitCounts:
    """The year's completed visits of one BVC and month.

    `by_age` counts the home visits per AgeGroup, `actors` per Actor and `not_at_home` the
    other visits per place in NOT_AT_HOME, each in that order.
    """

    unit_id: int
    month: int
    home_visits: int
    two_professions: int
    joint: int
    by_age: Sequence[int]
    actors: Sequence[int]
    not_at_home: Sequence[int]


@dataclass(frozen=True, slots=True)
class FamilyCounts:
    """Distinct families with at least one counted home visit: of one BVC in the year, or of
    the whole scope in one month (the other of `unit_id` and `month` is None).

    `by_target_group` follows TargetGroup (none_of_these last).
    """

    unit_id: int | None
    month: int | None
    families: int
    by_target_group: Sequence[int]


@dataclass(frozen=True, slots=True)
class OfferCounts:
    """Families offered the program in the year, by status now: of one BVC in the year, or of
    the whole scope in one month (the other of `unit_id` and `month` is None)."""

    unit_id: int | None
    month: int | None
    status: str
    families: int


@dataclass
class GrantFollowup:
    year: int
    totals: Indicators
    by_unit: dict[int, Indicators]
    by_month: dict[int, Indicators]
    # Counted home visits with fewer than two professions, by day: reported with their reason.
    lacking_two_professions: list[Visit]


def age_group_of_years(years: int | None) -> AgeGroup:
    """The age group from completed years (-1 before birth, None with no child)."""
    if years is None:
        return AgeGroup.unknown
    if years < 0:
        return AgeGroup.prenatal
    return _BY_YEARS[years] if years <= 5 else AgeGroup.older


def grant_followup(
    year: int,
    visits: Iterable[VisitCounts],
    families: Iterable[FamilyCounts],
    offers: Iterable[OfferCounts],
    lacking_two_professions: Sequence[Visit] = (),
) -> GrantFollowup:
    """All the grant indicators for one year, in total, per BVC and per month.

    The counts are the year's, already restricted to the report's scope (the database groups
    the visit facts; see service.py). A cell's distinct families come from `families`, never
    from adding up visits, so a family visited in March and May is one family of the year.
    """
    unit_sums: dict[int, list[int]] = {}
    month_sums: dict[int, list[int]] = {month: [0] * _WIDTH for month in range(1, 13)}
    for row in visits:
        vector = [row.home_visits, row.two_professions, row.joint, *row.by_age, *row.actors]
        vector += row.not_at_home
        unit_sums[row.unit_id] = _added(unit_sums.get(row.unit_id), vector)
        month_sums[row.month] = _added(month_sums[row.month], vector)
    months = {m: _cell(sums) for m, sums in month_sums.items()}
    total: list[int] | None = None
    for sums in month_sums.values():
        total = _added(total, sums)
    totals = _cell(total or [0] * _WIDTH)
    units = {u: _cell(sums) for u, sums in unit_sums.items()}
    for family_row in families:
        if family_row.unit_id is not None:
            if family_row.unit_id not in units:
                units[family_row.unit_id] = Indicators()
            for cell in (totals, units[family_row.unit_id]):
                _add_families(cell, family_row.families, family_row.by_target_group)
        if family_row.month is not None:
            _add_families(months[family_row.month], family_row.families, family_row.by_target_group)
    for offer in offers:
        if offer.unit_id is not None:
            if offer.unit_id not in units:
                units[offer.unit_id] = Indicators()
            _add_offers(units[offer.unit_id], offer.status, offer.families)
        if offer.month is not None:
            for cell in (totals, months[offer.month]):
                _add_offers(cell, offer.status, offer.families)
    return GrantFollowup(
        year=year,
        totals=totals,
        by_unit={u: units[u] for u in sorted(units)},
        by_month=months,
        lacking_two_professions=sorted(
            lacking_two_professions, key=lambda v: (v.day, v.booking_id)
        ),
    )


def _added(sums: list[int] | None, vector: list[int]) -> list[int]:
    return vector if sums is None else list(map(operator.add, sums, vector))


def _cell(c: Sequence[int]) -> Indicators:
    return Indicators(
        home_visits=c[_HOME],
        home_visits_with_two_professions=c[_TWO],
        joint_home_visits=c[_JOINT],
        visits_by_age_group={g: c[i] for g, i in _AGE_AT.items()},
        other_actor_visits={a: c[i] for a, i in _ACTOR_AT.items()},
        completed_visits_not_at_home={p: c[i] for p, i in _PLACE_AT.items()},
    )


def _add_families(cell: Indicators, families: int, by_target_group: Sequence[int]) -> None:
    cell.families_with_home_visit += families
    for group, count in zip(TargetGroup, by_target_group, strict=True):
        cell.families_by_target_group[group] += count


def _add_offers(cell: Indicators, status: str, families: int) -> None:
    cell.offered_families += families
    if status in TAKING_PART:
        cell.offered_families_taking_part += families
    if status == "declined":
        cell.offered_families_declined += families
    elif status == "discontinued":
        cell.offered_families_discontinued += families
    elif status == "offered":
        cell.offered_families_undecided += families


@dataclass(frozen=True, slots=True)
class TariffTerms:
    """What a region pays its BVC units per home visit made with socialtjänst, from a date."""

    valid_from: date
    joint_home_visit_amount: int
    ordinary_home_visit_amount: int
    # Units on fixed compensation with extended resource: unit names or HSA ids.
    fixed_compensation_units: tuple[str, ...]
    kva_code: str


@dataclass(frozen=True, slots=True)
class UnitFacts:
    unit_id: int
    name: str
    hsa_id: str | None
    organization_id: int


class CompensationBasis(StrEnum):
    joint_home_visit = "joint_home_visit"
    ordinary_home_visit = "ordinary_home_visit"
    no_tariff = "no_tariff"


def _normalized(text: str) -> str:
    return " ".join(text.casefold().split())


def on_fixed_compensation(unit: UnitFacts, entries: Iterable[str]) -> bool:
    """Whether the tariff lists the unit: by HSA id, by name, or by name followed by more words.

    "Varberga" matches "Varberga", "varberga vårdcentral" and "Varberga BVC", not "Varbergaby".
    """
    name = _normalized(unit.name)
    for entry in entries:
        wanted = _normalized(entry)
        if unit.hsa_id is not None and unit.hsa_id.casefold() == wanted:
            return True
        if name == wanted or name.startswith(wanted + " "):
            return True
    return False


def tariff_on(tariffs: Sequence[TariffTerms], day: date) -> TariffTerms | None:
    """The tariff in force on a day: the one with the latest start on or before it."""
    in_force = [t for t in tariffs if t.valid_from <= day]
    return max(in_force, key=lambda t: t.valid_from) if in_force else None


@dataclass
class CompensationLine:
    unit_id: int
    month: int
    basis: CompensationBasis
    amount_per_visit: int
    visits: int = 0
    # Joint home visits without the tariff's KVÅ code: they must be coded (e.g. ZV509).
    visits_missing_kva_code: int = 0

    @property
    def amount_due(self) -> int:
        return self.visits * self.amount_per_visit


@dataclass(frozen=True, slots=True)
class CompensableVisit:
    """A completed visit as the compensation sees it, from its stored visit facts."""

    unit_id: int  # the family's BVC
    day: date  # local date of the start
    held_at: str
    social_services_present: bool
    kva_codes: tuple[str, ...] = ()


def compensation(
    year: int,
    visits: Iterable[CompensableVisit],
    units: Mapping[int, UnitFacts],
    tariffs: Mapping[int, Sequence[TariffTerms]],
) -> list[CompensationLine]:
    """What is due per BVC and month for the home visits made together with socialtjänst.

    Each completed home visit with a socialtjänst person present earns the joint amount of the
    tariff in force that day for the BVC's organization (`tariffs` by organization id), or the
    ordinary amount at units on fixed compensation (which still code it). Visits with no tariff
    in force are listed with amount 0.
    """
    lines: dict[tuple[int, int, CompensationBasis, int], CompensationLine] = {}
    fixed_cache: dict[tuple[int, TariffTerms], bool] = {}
    for visit in visits:
        if visit.day.year != year or visit.held_at != HOME:
            continue
        if not visit.social_services_present:
            continue
        unit = units.get(visit.unit_id)
        tariff = (
            None if unit is None else tariff_on(tariffs.get(unit.organization_id, ()), visit.day)
        )
        if unit is None or tariff is None:
            basis, amount = CompensationBasis.no_tariff, 0
        else:
            key = (visit.unit_id, tariff)
            fixed = fixed_cache.get(key)
            if fixed is None:
                fixed = fixed_cache[key] = on_fixed_compensation(
                    unit, tariff.fixed_compensation_units
                )
            if fixed:
                basis, amount = (
                    CompensationBasis.ordinary_home_visit,
                    (tariff.ordinary_home_visit_amount),
                )
            else:
                basis, amount = CompensationBasis.joint_home_visit, tariff.joint_home_visit_amount
        line_key = (visit.unit_id, visit.day.month, basis, amount)
        line = lines.get(line_key)
        if line is None:
            line = lines[line_key] = CompensationLine(
                unit_id=visit.unit_id, month=visit.day.month, basis=basis, amount_per_visit=amount
            )
        line.visits += 1
        if tariff is not None and tariff.kva_code not in visit.kva_codes:
            line.visits_missing_kva_code += 1
    return [lines[k] for k in sorted(lines, key=lambda k: (k[0], k[1], k[2].value, k[3]))]
