"""Deterministic synthetic national data, for benchmarks and demos: never real people.

At scale 1.0: 21 regions, 290 municipalities, 1,000 BVC units, 5,000 staff, 150,000 families and
1.2 million bookings over five years (2022 to the reference day and six weeks beyond), with the
plans, outcomes, KVÅ codes and history the services would have written. Rows go straight in with
bulk inserts (COPY on PostgreSQL, executemany in batches on SQLite), yet satisfy every constraint:
no staff member is ever in two visits at once, identity numbers are unique and pass the Luhn check.

What makes it clearly synthetic (docs/reports.md): every name ends in "(syntetisk)" or comes from
a short invented list; postal codes are 999 xx (unused in Sweden); HSA ids start SE0000000000-;
personnummer use birth numbers 900–999 only (see `synthetic_personnummer`); no organization number.
"""

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, func, insert, select, text

from app.all_models import metadata
from app.clock import STOCKHOLM
from app.families.identity import luhn_check_digit
from app.programs.plan import Anchor, ChildDates, Offset, OffsetUnit, VisitRule, due_window
from app.reports import indicators as ind
from app.reports.facts import staff_fact
from app.scheduling.kva import VisitFact, derive_codes

Progress = Callable[[str, int, int], None]

REFERENCE_DAY = date(2026, 11, 23)
FIRST_DAY = date(2022, 1, 1)
BOOKING_HORIZON = timedelta(days=42)
# Visit start times (local); a home visit's 90 minutes plus 30-minute travel buffers on each
# side fill exactly one 2.5-hour block, so blocks touch but never overlap.
SLOT_STARTS = (time(8, 30), time(11, 0), time(13, 30), time(16, 0))
HOME_MINUTES, CLINIC_MINUTES, BUFFER_MINUTES = 90, 60, 30
FAMILIES_PER_CHUNK = 5000

GIVEN_NAMES = (
    "Amina", "Ali", "Sara", "Omar", "Elin", "Yusuf", "Maja", "Hassan", "Noor", "Liam",
    "Fatima", "Ahmed", "Ida", "Leila", "Mohammed", "Emma", "Zainab", "Ibrahim", "Alva", "Hamza",
)  # fmt: skip
FAMILY_NAMES = (
    "Exempelsson", "Testberg", "Provlund", "Fiktivsson", "Syntesdal", "Demoqvist",
    "Modellström", "Påhittsson", "Låtsaslund", "Övningsberg",
)  # fmt: skip
LANGUAGES = ("arabiska", "somaliska", "tigrinja", "dari", "persiska", "engelska", "ukrainska")
MISSING_REASONS = (
    "Socialsekreteraren sjuk",
    "Semester hos socialtjänsten",
    "Ingen från socialtjänsten kunde delta",
)
CANCEL_NOTES = {"family": "Familjen förhindrad", "staff": "Sjukdom", "other": "Annat"}


class GeneratorError(Exception):
    """The database is not empty, or the schema has changed under the generator."""


@dataclass(frozen=True)
class Plan:
    regions: int = 21
    municipalities: int = 290
    bvc_units: int = 1000
    staff: int = 5000
    families: int = 150_000
    bookings: int = 1_200_000
    reference_day: date = REFERENCE_DAY

    @classmethod
    def at_scale(cls, scale: float) -> "Plan":
        """Counts proportional to the national set (at least one region with one of each)."""
        full = cls()
        regions = max(1, round(full.regions * scale))
        municipalities = max(regions, round(full.municipalities * scale))
        bvc_units = max(municipalities, round(full.bvc_units * scale))
        return cls(
            regions=regions,
            municipalities=municipalities,
            bvc_units=bvc_units,
            # Every BVC needs a nurse and every municipality a social worker.
            staff=max(2 * bvc_units + municipalities, round(full.staff * scale)),
            families=max(1, round(full.families * scale)),
            bookings=max(1, round(full.bookings * scale)),
        )


def synthetic_personnummer(birth: date, serial: int) -> str:
    """A personnummer valid in form (12 digits, Luhn) with birth number 900–999.

    Real numbers are handed out from the low end of each day's range and seldom reach 900, and
    every synthetic person carries an invented name, so none of these is meant to be anyone's.
    """
    if not 900 <= serial <= 999:
        raise ValueError("synthetic birth numbers are 900–999")
    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(nine)}"


COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": (
        "id", "name", "kind", "org_number", "addresses_in_feeds", "created_at", "updated_at",
    ),
    "unit": (
        "id", "organization_id", "name", "kind", "hsa_id", "area_type", "cni", "created_at",
        "updated_at",
    ),
    "collaboration": (
        "id", "bvc_unit_id", "social_unit_id", "started_on", "ended_on", "created_at",
        "updated_at",
    ),
    "staff": (
        "id", "unit_id", "given_name", "family_name", "profession", "hsa_id", "email", "active",
        "created_at", "updated_at",
    ),
    "family": (
        "id", "reference_code", "unit_id", "street_address", "postal_code", "city",
        "protected_identity", "spoken_language", "interpreter_language", "first_child",
        "first_child_in_sweden", "known_risk_factors", "foreign_born_guardian",
        "language_development_need", "preschool_age_not_enrolled", "status", "offered_on",
        "enrolled_on", "declined_on", "completed_on", "discontinued_on", "status_reason",
        "created_at", "updated_at",
    ),
    "guardian": (
        "id", "family_id", "given_name", "family_name", "identity_kind", "identity_number",
        "reserve_number_region", "phone", "email", "created_at", "updated_at",
    ),
    "child": (
        "id", "family_id", "given_name", "family_name", "identity_kind", "identity_number",
        "reserve_number_region", "expected_due_date", "birth_date", "gestational_week_at_birth",
        "created_at", "updated_at",
    ),
    "consent": (
        "id", "family_id", "scope", "given_on", "given_by_guardian_id", "withdrawn_on", "note",
        "created_at", "updated_at",
    ),
    "enrollment": (
        "id", "family_id", "template_id", "index_child_id", "nurse_id", "social_worker_id",
        "enrolled_on", "status", "ended_on", "created_at", "updated_at",
    ),
    "planned_visit": (
        "id", "enrollment_id", "template_visit_id", "sequence", "window_start", "window_end",
        "ideal_date", "provisional", "status", "status_reason", "created_at", "updated_at",
    ),
    "booking": (
        "id", "uid", "family_id", "planned_visit_id", "kind", "starts_at", "ends_at",
        "buffer_before_minutes", "buffer_after_minutes", "location", "location_note", "status",
        "is_joint", "missing_profession_reason", "needs_follow_up", "outside_window",
        "interpreter_language", "cancel_reason", "cancel_note", "cancelled_at", "sequence",
        "version", "created_at", "updated_at",
    ),
    "booking_participant": (
        "id", "booking_id", "staff_id", "role", "busy_from", "busy_to", "active",
    ),
    "booking_event": (
        "id", "booking_id", "at", "action", "starts_at", "ends_at", "staff_ids", "note",
    ),
    "external_participant": ("id", "booking_id", "kind", "name", "language", "contact"),
    "outcome": (
        "id", "booking_id", "held_at", "staff_ids", "professions", "guardians_present",
        "both_guardians_present", "interpreter_used", "external_kinds", "referrals", "kva_codes",
        "note", "created_at", "updated_at",
    ),
    "visit_fact": (
        "booking_id", "family_id", "unit_id", "index_child_id", "age_group", "visit_date",
        "held_at", "two_professions", "nurse_present", "social_services_present", "actors",
        "social_services_organization_ids", "professions", "missing_profession_reason",
    ),
}  # fmt: skip
# Parents before children: the order rows are written in.
TABLE_ORDER = tuple(COLUMNS)
FAMILY_TABLES = TABLE_ORDER[4:]


@dataclass(frozen=True)
class _TemplateVisit:
    id: int
    sequence: int
    location: str
    rule: VisitRule
    minutes: int


@dataclass
class _Staff:
    id: int
    unit_id: int
    profession: str


@dataclass
class _Bvc:
    id: int
    organization_id: int
    municipality_index: int
    social_unit_ids: list[int]
    nurses: list[int] = field(default_factory=list)
    weight: float = 1.0


def _instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=STOCKHOLM).astimezone(UTC)


def _stamp(day: date) -> datetime:
    """A deterministic write time on a day: 07:00 UTC."""
    return datetime.combine(day, time(7, 0), tzinfo=UTC)


class _Schedule:
    """Which visit blocks each staff member has taken, one bit per block and day."""

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.days = (last - first).days + 1
        self._taken: dict[int, bytearray] = {}

    def _row(self, staff_id: int) -> bytearray:
        row = self._taken.get(staff_id)
        if row is None:
            row = self._taken[staff_id] = bytearray(self.days)
        return row

    def find(
        self, staff_ids: Sequence[int], around: date, earliest: date, rng: random.Random
    ) -> tuple[date, int] | None:
        """A weekday and block, from `around` onwards (then backwards), free for everyone."""
        rows = [self._row(s) for s in staff_ids]
        start = (around - self.first).days
        floor = max((earliest - self.first).days, 0)
        offsets = [*range(0, 21), *range(-1, -8, -1)]
        for offset in offsets:
            index = start + offset
            if index < floor or index >= self.days:
                continue
            day = self.first + timedelta(days=index)
            if day.weekday() >= 5:
                continue
            taken = 0
            for row in rows:
                taken |= row[index]
            if taken == 0b1111:
                continue
            first_block = rng.randrange(4)
            for step in range(4):
                block = (first_block + step) % 4
                if not taken & (1 << block):
                    for row in rows:
                        row[index] |= 1 << block
                    return day, block
        return None


@dataclass(frozen=True)
class _FamilyFacts:
    unit_id: int
    index_child_id: int
    born: date | None
    due: date | None


@dataclass
class _Chunk:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {t: [] for t in FAMILY_TABLES}
    )
    # Each family's BVC and index child (one enrollment each): what its visit facts repeat.
    families: dict[int, "_FamilyFacts"] = field(default_factory=dict)


class _Builder:
    """Makes the rows; ids are given here, in order, so the same seed gives the same data."""

    def __init__(self, plan: Plan, seed: int, template_id: int, visits: list[_TemplateVisit]):
        self.plan = plan
        self.rng = random.Random(seed)
        self.seed = seed
        self.template_id = template_id
        self.template_visits = visits
        self.today = plan.reference_day
        self.horizon = self.today + BOOKING_HORIZON
        self.next_id: dict[str, int] = defaultdict(lambda: 1)
        self.schedule = _Schedule(FIRST_DAY, self.horizon + timedelta(days=60))
        self.bvcs: list[_Bvc] = []
        self.social_workers: dict[int, list[int]] = defaultdict(list)  # by social unit
        self.staff: dict[int, _Staff] = {}
        self.staff_facts: dict[int, ind.StaffFacts] = {}
        self.reference_counter: dict[int, int] = defaultdict(int)
        self.serials: dict[date, int] = defaultdict(lambda: 900)
        self.bookings_made = 0
        self.families_made = 0
        self.window_cache: dict[tuple[int, date | None, date | None], Any] = {}
        self.slot_instants: dict[tuple[date, int], datetime] = {}

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    # Organizations, units, collaborations and staff.

    def organizations(self) -> dict[str, list[tuple[Any, ...]]]:
        plan, rng = self.plan, self.rng
        stamp = _stamp(FIRST_DAY - timedelta(days=60))
        rows: dict[str, list[tuple[Any, ...]]] = {
            t: [] for t in ("organization", "unit", "collaboration", "staff")
        }
        region_ids = []
        for r in range(plan.regions):
            org_id = self._id("organization")
            region_ids.append(org_id)
            rows["organization"].append(
                (org_id, f"Region {r + 1:02d} (syntetisk)", "region", None, False, stamp, stamp)
            )
        mhv_units = []
        for r, org_id in enumerate(region_ids):
            for kind, label in (("mhv", "Mödrahälsovård"), ("dental", "Folktandvård")):
                unit_id = self._id("unit")
                rows["unit"].append(
                    (unit_id, org_id, f"{label} region {r + 1:02d} (syntetisk)", kind,
                     f"SE0000000000-{kind.upper()}{r + 1:02d}", None, None, stamp, stamp)
                )  # fmt: skip
                if kind == "mhv":
                    mhv_units.append(unit_id)
        social_units = []
        municipality_regions = []
        for m in range(plan.municipalities):
            org_id = self._id("organization")
            region_index = m % plan.regions
            municipality_regions.append(region_index)
            rows["organization"].append(
                (org_id, f"Kommun {m + 1:03d} (syntetisk)", "municipality", None, False, stamp,
                 stamp)
            )  # fmt: skip
            unit_id = self._id("unit")
            social_units.append(unit_id)
            rows["unit"].append(
                (unit_id, org_id, f"Förebyggande socialtjänst kommun {m + 1:03d} (syntetisk)",
                 "social_services", None, None, None, stamp, stamp)
            )  # fmt: skip
        for b in range(plan.bvc_units):
            municipality = b % plan.municipalities
            region_index = municipality_regions[municipality]
            unit_id = self._id("unit")
            area = rng.choice((1, 1, 2, 2, 2, 3, 4, 5))
            rows["unit"].append(
                (unit_id, region_ids[region_index], f"BVC {b + 1:04d} (syntetisk)", "bvc",
                 f"SE0000000000-BVC{b + 1:04d}", area, round(rng.uniform(0.4, 3.2), 2), stamp,
                 stamp)
            )  # fmt: skip
            partners = [social_units[municipality]]
            # One BVC in ten also works with the next municipality of its region.
            neighbours = [
                i
                for i in range(plan.municipalities)
                if municipality_regions[i] == region_index and i != municipality
            ]
            if neighbours and rng.random() < 0.1:
                partners.append(social_units[rng.choice(neighbours)])
            for social_unit in partners:
                rows["collaboration"].append(
                    (self._id("collaboration"), unit_id, social_unit, FIRST_DAY, None, stamp,
                     stamp)
                )  # fmt: skip
            self.bvcs.append(
                _Bvc(unit_id, region_ids[region_index], municipality, partners,
                     weight=rng.uniform(0.3, 1.7))
            )  # fmt: skip
        nurses = max(plan.bvc_units, plan.staff // 2)
        social = max(plan.municipalities, plan.staff * 44 // 100)
        others = max(plan.staff - nurses - social, 0)
        for i in range(nurses):
            bvc = self.bvcs[i % len(self.bvcs)]
            bvc.nurses.append(self._staff_row(rows, bvc.id, "bhv_nurse", stamp))
        for i in range(social):
            unit_id = social_units[i % len(social_units)]
            self.social_workers[unit_id].append(
                self._staff_row(rows, unit_id, "social_worker", stamp)
            )
        for i in range(others):
            self._staff_row(
                rows,
                mhv_units[i % len(mhv_units)],
                "midwife" if i % 3 else "dental",
                stamp,
            )
        units = {row[0]: (row[3], row[1]) for row in rows["unit"]}
        self.staff_facts = {
            s.id: staff_fact(s.profession, *units[s.unit_id]) for s in self.staff.values()
        }
        return rows

    def _staff_row(
        self, rows: dict[str, list[tuple[Any, ...]]], unit_id: int, profession: str, stamp: Any
    ) -> int:
        staff_id = self._id("staff")
        rng = self.rng
        rows["staff"].append(
            (staff_id, unit_id, rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES), profession,
             f"SE0000000000-P{staff_id:06d}", None, True, stamp, stamp)
        )  # fmt: skip
        self.staff[staff_id] = _Staff(staff_id, unit_id, profession)
        return staff_id

    # Families.

    def family_chunks(self) -> Iterator[_Chunk]:
        total = self.plan.families
        weights = [b.weight for b in self.bvcs]
        cumulative = []
        running = 0.0
        for w in weights:
            running += w
            cumulative.append(running)
        span = (self.today - timedelta(days=3) - FIRST_DAY).days
        done = 0
        while done < total:
            chunk = _Chunk()
            for _ in range(min(FAMILIES_PER_CHUNK, total - done)):
                # More families offered in later years: the programs are growing.
                offered = FIRST_DAY + timedelta(days=int(self.rng.triangular(0, span, span)))
                pick = self.rng.random() * running
                bvc = self.bvcs[_bisect(cumulative, pick)]
                self._family(chunk, bvc, offered)
                done += 1
                self.families_made = done
            yield chunk

    def _family(self, chunk: _Chunk, bvc: _Bvc, offered: date) -> None:
        rng, today = self.rng, self.today
        rows = chunk.rows
        family_id = self._id("family")
        stamp = _stamp(offered)
        # The index child: expected (offer in pregnancy) or a newborn.
        if rng.random() < 0.65:
            due: date | None = offered + timedelta(days=rng.randint(20, 110))
            assert due is not None
            born: date | None = due + timedelta(days=rng.randint(-18, 10))
            if born is not None and born >= today:
                born = None
        else:
            born = offered - timedelta(days=rng.randint(0, 50))
            due = born + timedelta(days=rng.randint(-10, 14)) if rng.random() < 0.7 else None
        older_sibling = rng.random() < 0.3
        interpreter = rng.choice(LANGUAGES) if rng.random() < 0.35 else None
        flags = (
            not older_sibling,
            rng.random() < 0.35,
            rng.random() < 0.2,
            interpreter is not None or rng.random() < 0.3,
            rng.random() < 0.15,
            older_sibling and rng.random() < 0.1,
        )
        status, enrolled_on, declined_on, completed_on, discontinued_on = (
            "offered", None, None, None, None,
        )  # fmt: skip
        decision = offered + timedelta(days=rng.randint(2, 25))
        if decision < today:
            if rng.random() < 0.12:
                status, declined_on = "declined", decision
            else:
                status, enrolled_on = "enrolled", decision
        self.reference_counter[offered.year] += 1
        reference = f"F-{offered.year}-{self.reference_counter[offered.year]:06d}"
        # Guardians and children.
        guardian_ids = []
        for g in range(2 if rng.random() < 0.55 else 1):
            guardian_id = self._id("guardian")
            guardian_ids.append(guardian_id)
            guardian_born = date(rng.randint(1976, 2004), rng.randint(1, 12), rng.randint(1, 28))
            rows["guardian"].append(
                (guardian_id, family_id, rng.choice(GIVEN_NAMES), FAMILY_NAMES[family_id % 10],
                 "personnummer", synthetic_personnummer(guardian_born, 900 + g * 50 +
                 family_id % 50), None, None, None, stamp, stamp)
            )  # fmt: skip
        if older_sibling:
            anchor = born or due or offered
            sibling_born = anchor - timedelta(days=rng.randint(500, 1400))
            self._child(rows, family_id, sibling_born, None, stamp)
        child_id = self._child(rows, family_id, born, due, stamp)
        chunk.families[family_id] = _FamilyFacts(bvc.id, child_id, born, due)
        if status == "enrolled":
            assert enrolled_on is not None
            status, completed_on, discontinued_on = self._enrollment(
                chunk, family_id, bvc, child_id, born, due, enrolled_on, interpreter, stamp
            )
            rows["consent"].append(
                (self._id("consent"), family_id, "joint_visits", enrolled_on, guardian_ids[0],
                 discontinued_on if discontinued_on and rng.random() < 0.3 else None, None,
                 stamp, stamp)
            )  # fmt: skip
        street = None if rng.random() < 0.01 else f"Syntetgatan {family_id % 200 + 1}"
        rows["family"].append(
            (family_id, reference, bvc.id, street, f"999 {family_id % 100:02d}",
             f"Kommun {bvc.municipality_index + 1:03d}", street is None, interpreter, interpreter,
             *flags, status, offered, enrolled_on, declined_on, completed_on, discontinued_on,
             None, stamp, stamp)
        )  # fmt: skip

    def _child(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        family_id: int,
        born: date | None,
        due: date | None,
        stamp: datetime,
    ) -> int:
        child_id = self._id("child")
        kind = number = None
        if born is not None:
            serial = self.serials[born]
            if serial <= 999:
                self.serials[born] = serial + 1
                kind, number = "personnummer", synthetic_personnummer(born, serial)
        week = self.rng.randint(36, 42) if born is not None and self.rng.random() < 0.8 else None
        rows["child"].append(
            (child_id, family_id, self.rng.choice(GIVEN_NAMES), FAMILY_NAMES[family_id % 10],
             kind, number, None, due, born, week, stamp, stamp)
        )  # fmt: skip
        return child_id

    def _window(self, visit: _TemplateVisit, born: date | None, due: date | None) -> Any:
        key = (visit.id, born, due)
        found = self.window_cache.get(key)
        if found is None:
            found = self.window_cache[key] = due_window(visit.rule, ChildDates(due, born))
        return found

    def _enrollment(
        self,
        chunk: _Chunk,
        family_id: int,
        bvc: _Bvc,
        child_id: int,
        born: date | None,
        due: date | None,
        enrolled_on: date,
        interpreter: str | None,
        stamp: datetime,
    ) -> tuple[str, date | None, date | None]:
        rng, today = self.rng, self.today
        rows = chunk.rows
        enrollment_id = self._id("enrollment")
        nurse = rng.choice(bvc.nurses)
        social_unit = bvc.social_unit_ids[0 if rng.random() < 0.85 else -1]
        social_worker = rng.choice(self.social_workers[social_unit])
        windows = [(v, self._window(v, born, due)) for v in self.template_visits]
        program_end = max(w.end for _, w in windows)
        stop: date | None = None
        if rng.random() < 0.08:
            stop = enrolled_on + timedelta(
                days=rng.randint(20, max((program_end - enrolled_on).days, 21))
            )
            if stop >= today:
                stop = None
        last_visit = enrolled_on
        for visit, window in windows:
            status, reason, visit_id = "planned", None, self._id("planned_visit")
            booked_status = None
            if window.end < enrolled_on or (
                born is not None
                and visit.rule.anchor is Anchor.expected_due_date
                and born <= window.start
            ):
                status, reason = "not_applicable", "window had passed at enrollment"
            elif stop is not None and window.start > stop:
                status, reason = "cancelled", "enrollment discontinued"
            else:
                around = max(window.ideal + timedelta(days=rng.randint(-5, 7)), window.start,
                             enrolled_on + timedelta(days=1))  # fmt: skip
                if stop is not None and around > stop:
                    status, reason = "cancelled", "enrollment discontinued"
                elif around <= self.horizon:
                    booked_status, last = self._attempts(
                        chunk, family_id, visit_id, visit, window, around, nurse,
                        social_worker, social_unit, interpreter, stop, enrolled_on,
                    )  # fmt: skip
                    last_visit = max(last_visit, last)
                    status = {
                        "completed": "completed",
                        "booked": "booked",
                        "no_show": "missed",
                        "cancelled": "cancelled",
                        None: "planned",
                    }[booked_status]
                    if status == "missed":
                        reason = "the family was not at home"
                    elif status == "cancelled":
                        reason = "cancelled: family"
            rows["planned_visit"].append(
                (visit_id, enrollment_id, visit.id, visit.sequence, window.start, window.end,
                 window.ideal, window.provisional, status, reason, stamp, stamp)
            )  # fmt: skip
        self._follow_ups(chunk, family_id, enrolled_on, stop or program_end, nurse, social_worker,
                         social_unit, interpreter)  # fmt: skip
        ended: date | None
        completed: date | None
        discontinued: date | None
        if stop is not None:
            family_status, ended, completed, discontinued = "discontinued", stop, None, stop
            enrollment_status = "discontinued"
        elif program_end + timedelta(days=14) < today:
            ended = completed = min(max(program_end, last_visit) + timedelta(days=14), today)
            family_status, enrollment_status, discontinued = "completed", "completed", None
        else:
            family_status, enrollment_status = "enrolled", "active"
            ended = completed = discontinued = None
        rows["enrollment"].append(
            (enrollment_id, family_id, self.template_id, child_id, nurse, social_worker,
             enrolled_on, enrollment_status, ended, stamp, stamp)
        )  # fmt: skip
        return family_status, completed, discontinued

    def _follow_ups(
        self,
        chunk: _Chunk,
        family_id: int,
        enrolled_on: date,
        until: date,
        nurse: int,
        social_worker: int,
        social_unit: int,
        interpreter: str | None,
    ) -> None:
        """Extra visits outside the plan, as many as keep the bookings on the plan's total."""
        rng = self.rng
        expected = self.plan.bookings * (self.families_made + 1) / self.plan.families
        missing = int(expected - self.bookings_made)
        if missing <= 0:
            return
        last = min(until, self.horizon)
        if last <= enrolled_on + timedelta(days=7):
            return
        for _ in range(min(missing, 12)):
            around = enrolled_on + timedelta(days=rng.randint(7, (last - enrolled_on).days))
            location = "home" if rng.random() < 0.85 else "clinic"
            minutes = HOME_MINUTES if location == "home" else CLINIC_MINUTES
            self._booking(
                chunk, family_id, None, location, minutes, around,
                (enrolled_on + timedelta(days=1), last), nurse, social_worker, social_unit,
                interpreter, None, None,
            )  # fmt: skip

    def _attempts(
        self,
        chunk: _Chunk,
        family_id: int,
        visit_id: int,
        visit: _TemplateVisit,
        window: Any,
        around: date,
        nurse: int,
        social_worker: int,
        social_unit: int,
        interpreter: str | None,
        stop: date | None,
        enrolled_on: date,
    ) -> tuple[str | None, date]:
        status: str | None = None
        day = around
        for _attempt in range(3):
            if stop is not None and day > stop:
                break
            made = self._booking(
                chunk, family_id, visit_id, visit.location, visit.minutes, day,
                (max(window.start, enrolled_on + timedelta(days=1)), stop or self.horizon),
                nurse, social_worker, social_unit, interpreter, visit.sequence,
                (window.start, window.end),
            )  # fmt: skip
            if made is None:
                break
            status, day = made
            if status in ("completed", "booked"):
                break
            if status == "cancelled" and self.rng.random() < 0.5:
                break  # the family let the visit go
            day = day + timedelta(days=self.rng.randint(5, 14))
            if day > window.end + timedelta(days=14) or day > self.horizon:
                break
        return status, day

    def _booking(
        self,
        chunk: _Chunk,
        family_id: int,
        planned_visit_id: int | None,
        location: str,
        minutes: int,
        around: date,
        allowed: tuple[date, date],
        nurse: int,
        social_worker: int,
        social_unit: int,
        interpreter: str | None,
        template_sequence: int | None,
        window: tuple[date, date] | None,
    ) -> tuple[str, date] | None:
        """One booking on the first day from `around` on (in `allowed`) when the team is free."""
        rng, rows = self.rng, chunk.rows
        missing_reason = None
        team = [nurse, social_worker]
        roll = rng.random()
        if roll < 0.03:
            team = [nurse]
            missing_reason = rng.choice(MISSING_REASONS)
        elif roll < 0.07:
            substitutes = self.social_workers[social_unit]
            team = [nurse, rng.choice(substitutes)]
        found = self.schedule.find(team, around, allowed[0], rng)
        if found is None:
            return None
        day, block = found
        if day > allowed[1] or day > self.horizon:
            return None
        outside_window = window is not None and not window[0] <= day <= window[1]
        key = (day, block)
        starts_at = self.slot_instants.get(key)
        if starts_at is None:
            starts_at = self.slot_instants[key] = _instant(day, SLOT_STARTS[block])
        ends_at = starts_at + timedelta(minutes=minutes)
        buffer = BUFFER_MINUTES if location == "home" else 0
        busy_from = starts_at - timedelta(minutes=buffer)
        busy_to = ends_at + timedelta(minutes=buffer)
        if day > self.today or (day == self.today and rng.random() < 0.5):
            status = "booked"
        else:
            roll = rng.random()
            status = "completed" if roll < 0.82 else "cancelled" if roll < 0.93 else "no_show"
        booking_id = self._id("booking")
        self.bookings_made += 1
        created = starts_at - timedelta(days=rng.randint(7, 30))
        closed = starts_at + timedelta(minutes=minutes + 60)
        cancel_reason = cancel_note = cancelled_at = None
        if status == "cancelled":
            cancel_reason = rng.choice(("family", "family", "staff", "other"))
            cancel_note = CANCEL_NOTES[cancel_reason]
            cancelled_at = starts_at - timedelta(days=rng.randint(1, 6))
            closed = cancelled_at
        updated = created if status == "booked" else closed
        rows["booking"].append(
            (booking_id, f"{self.seed:08x}{booking_id:024x}", family_id, planned_visit_id,
             "planned_visit" if planned_visit_id else "follow_up", starts_at, ends_at, buffer,
             buffer, location, None, status, missing_reason is None, missing_reason,
             missing_reason is not None, outside_window, interpreter, cancel_reason, cancel_note,
             cancelled_at, 1 if status == "cancelled" else 0, 1 if status == "booked" else 2,
             created, updated)
        )  # fmt: skip
        for staff_id in team:
            rows["booking_participant"].append(
                (self._id("booking_participant"), booking_id, staff_id,
                 self.staff[staff_id].profession, busy_from, busy_to, status != "cancelled")
            )  # fmt: skip
        rows["booking_event"].append(
            (self._id("booking_event"), booking_id, created, "booked", starts_at, ends_at, team,
             None)
        )  # fmt: skip
        if status != "booked":
            rows["booking_event"].append(
                (self._id("booking_event"), booking_id, closed, status, starts_at, ends_at, team,
                 f"{cancel_reason}: {cancel_note}" if cancel_reason else None)
            )  # fmt: skip
        if interpreter is not None:
            rows["external_participant"].append(
                (self._id("external_participant"), booking_id, "interpreter", None, interpreter,
                 None)
            )  # fmt: skip
        if status == "completed":
            self._outcome(rows, booking_id, family_id, chunk.families[family_id], day,
                          location, team, interpreter, template_sequence, closed,
                          missing_reason)  # fmt: skip
        return status, day

    def _outcome(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        booking_id: int,
        family_id: int,
        family: "_FamilyFacts",
        day: date,
        location: str,
        team: list[int],
        interpreter: str | None,
        template_sequence: int | None,
        closed: datetime,
        missing_reason: str | None,
    ) -> None:
        rng = self.rng
        present = list(team)
        if len(present) == 2 and rng.random() < 0.015:
            present = present[:1]  # socialtjänst did not come after all
        held_at = location
        if location == "home":
            roll = rng.random()
            held_at = "clinic" if roll < 0.08 else "other" if roll < 0.1 else "home"
        professions = sorted({self.staff[s].profession for s in present})
        social = any(self.staff[s].profession == "social_worker" for s in present)
        facts = {VisitFact.social_services_present} if social else set()
        if held_at == "home":
            facts.add(VisitFact.home_visit)
        externals = ["interpreter"] if interpreter else []
        if template_sequence in (1, 2) and rng.random() < 0.3:
            externals.append("midwife")
        if template_sequence == 5 and rng.random() < 0.2:
            externals.append("dental_nurse")
        if rng.random() < 0.02:
            externals.append("librarian")
        referrals = [
            kind
            for kind, p in (
                ("open_preschool", 0.10),
                ("mhv", 0.03),
                ("preschool", 0.04),
                ("dental_care", 0.03),
                ("other_social_services", 0.03),
                ("language_support", 0.02),
                ("other", 0.01),
            )
            if rng.random() < p
        ]
        guardians = 2 if rng.random() < 0.45 else 1
        rows["outcome"].append(
            (self._id("outcome"), booking_id, held_at, present, professions, guardians,
             guardians == 2, interpreter is not None, sorted(set(externals)), sorted(referrals),
             derive_codes(facts), None, closed, closed)
        )  # fmt: skip
        found = ind.visit_facts(day, held_at, present, professions, externals, referrals,
                                self.staff_facts, missing_reason)  # fmt: skip
        rows["visit_fact"].append(
            (booking_id, family_id, family.unit_id, family.index_child_id,
             ind.age_group(day, family.born, family.due).value, day, held_at,
             found.two_professions, found.nurse_present, found.social_services_present,
             found.actors,
             list(found.social_services_organization_ids), professions, missing_reason)
        )  # fmt: skip


def _bisect(cumulative: Sequence[float], value: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def _template(conn: Connection) -> tuple[int, list[_TemplateVisit]]:
    template = metadata.tables["program_template"]
    visit = metadata.tables["template_visit"]
    template_id = conn.scalar(
        select(template.c.id).where(template.c.is_default, template.c.is_current)
    )
    if template_id is None:
        raise GeneratorError("no default program template: run `hembesok migrate` first")
    visits = []
    for row in conn.execute(
        select(visit).where(visit.c.template_id == template_id).order_by(visit.c.sequence)
    ).mappings():
        rule = VisitRule(
            sequence=row["sequence"],
            anchor=Anchor(row["anchor"]),
            window_start=Offset(row["window_start_amount"], OffsetUnit(row["window_start_unit"])),
            window_end=Offset(row["window_end_amount"], OffsetUnit(row["window_end_unit"])),
            ideal=Offset(row["ideal_amount"], OffsetUnit(row["ideal_unit"])),
        )
        visits.append(
            _TemplateVisit(
                id=row["id"],
                sequence=row["sequence"],
                location=row["location_kind"],
                rule=rule,
                minutes=HOME_MINUTES if row["location_kind"] == "home" else CLINIC_MINUTES,
            )
        )
    return template_id, visits


def _check_schema_and_emptiness(conn: Connection) -> None:
    for name, columns in COLUMNS.items():
        table = metadata.tables[name]
        missing = [
            c.name
            for c in table.columns
            if c.name not in columns and not c.nullable and c.server_default is None
        ]
        if missing:
            raise GeneratorError(f"{name} has columns the generator does not fill: {missing}")
    for name in ("organization", "family", "booking"):
        if conn.scalar(select(func.count()).select_from(metadata.tables[name])):
            raise GeneratorError(
                f"the database already has {name} rows: generate into an empty one"
            )


class _Writer:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.counts: dict[str, int] = defaultdict(int)

    def write(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        self.counts[name] += len(rows)
        self._write(metadata.tables[name], COLUMNS[name], rows)

    def _write(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        for start in range(0, len(rows), 5000):
            batch = [dict(zip(columns, row, strict=True)) for row in rows[start : start + 5000]]
            self.conn.execute(insert(table), batch)

    def finish(self) -> None:
        return None


class _CopyWriter(_Writer):
    """PostgreSQL: COPY ... FROM STDIN through psycopg; JSON columns as text."""

    def _write(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        driver = self.conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    if json_at:
                        values = list(row)
                        for i in json_at:
                            values[i] = json.dumps(values[i])
                        copy.write_row(values)
                    else:
                        copy.write_row(row)

    def finish(self) -> None:
        # Ids were given explicitly: move each sequence past them so the API can insert.
        for name in (t for t in TABLE_ORDER if "id" in COLUMNS[t]):
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                )
            )


def generate_into(
    engine: Engine, plan: Plan, *, seed: int = 1, progress: Progress | None = None
) -> dict[str, int]:
    """Fill an empty (migrated) database; returns the rows written per table."""
    report = progress or (lambda _d, _n, _t: None)
    with engine.connect() as conn:
        _check_schema_and_emptiness(conn)
        template_id, visits = _template(conn)
        writer: _Writer = _CopyWriter(conn) if conn.dialect.name == "postgresql" else _Writer(conn)
        builder = _Builder(plan, seed, template_id, visits)
        report("Organizations and staff", 0, plan.families)
        for name, rows in builder.organizations().items():
            writer.write(name, rows)
        for chunk in builder.family_chunks():
            for name in FAMILY_TABLES:
                writer.write(name, chunk.rows[name])
            report("Families and visits", builder.families_made, plan.families)
        writer.finish()
        conn.commit()
    if engine.dialect.name == "postgresql":
        # Fresh statistics and visibility maps, as autovacuum would leave them: index-only scans.
        report("Vacuuming and analyzing", plan.families, plan.families)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return {name: writer.counts[name] for name in TABLE_ORDER}


def tables_in_order() -> Iterable[str]:
    return TABLE_ORDER
