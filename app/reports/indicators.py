"""The grant follow-up figures and the compensation due, from plain rows: no database, no HTTP.

Every figure Socialstyrelsen asks for in the yearly återrapportering (report 2026-6-10350, tables
2, 4, 5 and 6) is computed here from `Visit` and `FamilyFacts` rows, so each can be checked by hand.
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

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

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
    external_kinds: tuple[str, ...] = ()
    referrals: tuple[str, ...] = ()
    kva_codes: tuple[str, ...] = ()
    missing_profession_reason: str | None = None
    child_birth_date: date | None = None
    child_due_date: date | None = None
    # The organization of the social worker in the family's team (from the enrollment).
    team_organization_id: int | None = None


@dataclass(frozen=True, slots=True)
class FamilyFacts:
    family_id: int
    unit_id: int
    status: str
    offered_on: date | None
    target_groups: frozenset[TargetGroup] = frozenset()


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


def enrollment_on(enrollments: Sequence[EnrollmentFacts], day: date) -> EnrollmentFacts | None:
    """The family's enrollment a visit on `day` belongs to.

    The latest begun on or before that day (enrollments follow one another: the one running, or
    the last one if it has ended); else the first (a visit before enrollment, e.g. prenatal).
    """
    if len(enrollments) <= 1:
        return enrollments[0] if enrollments else None
    ordered = sorted(enrollments, key=lambda e: (e.enrolled_on, e.enrollment_id))
    started = [e for e in ordered if e.enrolled_on <= day]
    return started[-1] if started else ordered[0]


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


def social_services_present(staff_ids: Iterable[int], staff: Mapping[int, StaffFacts]) -> bool:
    return any((s := staff.get(i)) is not None and s.social_services for i in staff_ids)


def is_joint(visit: Visit, staff: Mapping[int, StaffFacts]) -> bool:
    """A BHV nurse and a socialtjänst person both present (förordning 2025:74 § 4)."""
    return NURSE in visit.professions and social_services_present(visit.staff_ids, staff)


def visit_municipalities(
    visit: Visit, staff: Mapping[int, StaffFacts], family_municipality: int | None
) -> frozenset[int]:
    """The municipalities whose report counts this visit.

    Those whose socialtjänst staff took part; when none did, the one staffing the family's team
    (the visit was theirs to make), else the family's municipality.
    """
    present = frozenset(
        s.organization_id
        for i in visit.staff_ids
        if (s := staff.get(i)) is not None and s.social_services
    )
    if present:
        return present
    if visit.team_organization_id is not None:
        return frozenset({visit.team_organization_id})
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

# A cell's visit counts live in one flat list (a national year is a quarter of a million
# visits, three cells each): home visits, two professions, joint, then each age group, actor
# and place other than home.
_HOME, _TWO, _JOINT = 0, 1, 2
_AGE_AT = {g: 3 + i for i, g in enumerate(AgeGroup)}
_ACTOR_AT = {a: 3 + len(AgeGroup) + i for i, a in enumerate(Actor)}
_PLACE_AT = {p: 3 + len(AgeGroup) + len(Actor) + i for i, p in enumerate(NOT_AT_HOME)}
_WIDTH = 3 + len(AgeGroup) + len(Actor) + len(NOT_AT_HOME)


class _Cell:
    """Running counts of one report cell: the whole scope, one BVC or one month."""

    __slots__ = ("counts", "families", "offers")

    def __init__(self) -> None:
        self.counts = [0] * _WIDTH
        self.families: set[int] = set()
        self.offers: list[FamilyFacts] = []

    def finish(self, families: Mapping[int, FamilyFacts]) -> Indicators:
        c = self.counts
        figures = Indicators(
            home_visits=c[_HOME],
            families_with_home_visit=len(self.families),
            home_visits_with_two_professions=c[_TWO],
            joint_home_visits=c[_JOINT],
            visits_by_age_group={g: c[i] for g, i in _AGE_AT.items()},
            other_actor_visits={a: c[i] for a, i in _ACTOR_AT.items()},
            completed_visits_not_at_home={p: c[i] for p, i in _PLACE_AT.items()},
        )
        for family in self.offers:
            figures.offered_families += 1
            if family.status in TAKING_PART:
                figures.offered_families_taking_part += 1
            if family.status == "declined":
                figures.offered_families_declined += 1
            elif family.status == "discontinued":
                figures.offered_families_discontinued += 1
            elif family.status == "offered":
                figures.offered_families_undecided += 1
        groups = figures.families_by_target_group
        # Few distinct flag combinations: count those, then spread them over the groups.
        combinations = Counter(
            found.target_groups if (found := families.get(f)) is not None else frozenset()
            for f in self.families
        )
        for flags, count in combinations.items():
            for group in flags:
                groups[group] += count
            if not flags:
                groups[TargetGroup.none_of_these] += count
        return figures


@dataclass
class GrantFollowup:
    year: int
    totals: Indicators
    by_unit: dict[int, Indicators]
    by_month: dict[int, Indicators]
    # Counted home visits with fewer than two professions, by day: reported with their reason.
    lacking_two_professions: list[Visit]


@dataclass(frozen=True, slots=True)
class VisitGroup:
    """Completed visits alike in everything the figures read: one per visit, or many at once.

    `family_ids` holds one entry per visit (repeats allowed), so its length is the count.
    """

    unit_id: int
    month: int
    held_at: str
    age: AgeGroup
    professions: tuple[str, ...]
    external_kinds: tuple[str, ...]
    referrals: tuple[str, ...]
    social_services_present: bool
    family_ids: Sequence[int]


def group_of(visit: Visit, staff: Mapping[int, StaffFacts]) -> VisitGroup:
    """One visit as a group of one."""
    return VisitGroup(
        unit_id=visit.unit_id,
        month=visit.day.month,
        held_at=visit.held_at,
        age=age_group(visit.day, visit.child_birth_date, visit.child_due_date),
        professions=visit.professions,
        external_kinds=visit.external_kinds,
        referrals=visit.referrals,
        social_services_present=social_services_present(visit.staff_ids, staff),
        family_ids=(visit.family_id,),
    )


def age_group_of_years(years: int | None) -> AgeGroup:
    """The age group from completed years (-1 before birth, None with no child)."""
    if years is None:
        return AgeGroup.unknown
    if years < 0:
        return AgeGroup.prenatal
    return _BY_YEARS[years] if years <= 5 else AgeGroup.older


def lacking_two_professions(year: int, visits: Iterable[Visit]) -> list[Visit]:
    """The year's counted home visits with fewer than two professions, by day."""
    return sorted(
        (
            v
            for v in visits
            if v.day.year == year and v.held_at == HOME and not has_two_professions(v.professions)
        ),
        key=lambda v: (v.day, v.booking_id),
    )


def grant_followup(
    year: int,
    visits: Iterable[Visit],
    families: Iterable[FamilyFacts],
    staff: Mapping[int, StaffFacts],
    cohort: Collection[int] | None = None,
) -> GrantFollowup:
    """All the grant indicators for one year, in total, per BVC and per month.

    `visits` are the scope's completed visits (any place; those outside the year are ignored);
    `families` are the scope's families offered in the year plus any family with a visit; of
    those offered in the year, the ones in `cohort` (all when None) count as the scope's offers.
    """
    in_year = [v for v in visits if v.day.year == year]
    report = tally(year, (group_of(v, staff) for v in in_year), families, cohort)
    report.lacking_two_professions = lacking_two_professions(year, in_year)
    return report


def tally(
    year: int,
    groups: Iterable[VisitGroup],
    families: Iterable[FamilyFacts],
    cohort: Collection[int] | None = None,
) -> GrantFollowup:
    """The figures from the year's visit groups and the scope's families (see grant_followup).

    A home visit adds one to: home visits; its age group; each of its actors; two professions
    and joint when it has them. Another completed visit adds one to its place. The list of
    visits lacking two professions is left for the caller (`lacking_two_professions`).
    """
    family_map = {f.family_id: f for f in families}
    total = _Cell()
    by_unit: dict[int, _Cell] = {}
    by_month = {month: _Cell() for month in range(1, 13)}
    # The same professions, actors and ages recur; each combination is worked out once.
    increments_of: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for group in groups:
        unit = by_unit.get(group.unit_id)
        if unit is None:
            unit = by_unit[group.unit_id] = _Cell()
        month = by_month[group.month]
        count = len(group.family_ids)
        if group.held_at != HOME:
            place = _PLACE_AT[group.held_at]
            total.counts[place] += count
            unit.counts[place] += count
            month.counts[place] += count
            continue
        joint = group.social_services_present and NURSE in group.professions
        key = (group.age, group.professions, group.external_kinds, group.referrals, joint)
        increments = increments_of.get(key)
        if increments is None:
            increments = increments_of[key] = _increments(key)
        total_counts, unit_counts, month_counts = total.counts, unit.counts, month.counts
        for index in increments:
            total_counts[index] += count
            unit_counts[index] += count
            month_counts[index] += count
        total.families.update(group.family_ids)
        unit.families.update(group.family_ids)
        month.families.update(group.family_ids)
    for family in family_map.values():
        offered_on = family.offered_on
        if offered_on is None or offered_on.year != year:
            continue
        if cohort is not None and family.family_id not in cohort:
            continue
        unit = by_unit.get(family.unit_id)
        if unit is None:
            unit = by_unit[family.unit_id] = _Cell()
        for cell in (total, unit, by_month[offered_on.month]):
            cell.offers.append(family)
    return GrantFollowup(
        year=year,
        totals=total.finish(family_map),
        by_unit={u: by_unit[u].finish(family_map) for u in sorted(by_unit)},
        by_month={m: by_month[m].finish(family_map) for m in range(1, 13)},
        lacking_two_professions=[],
    )


def _increments(key: tuple[Any, ...]) -> tuple[int, ...]:
    age, professions, external_kinds, referrals, joint = key
    found = [_HOME, _AGE_AT[age]]
    if has_two_professions(professions):
        found.append(_TWO)
    if joint:
        found.append(_JOINT)
    found.extend(_ACTOR_AT[a] for a in other_actors(professions, external_kinds, referrals))
    return tuple(found)


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


def compensation(
    year: int,
    visits: Iterable[Visit],
    staff: Mapping[int, StaffFacts],
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
        if not social_services_present(visit.staff_ids, staff):
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
