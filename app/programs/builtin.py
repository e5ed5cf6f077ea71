"""The program templates shipped with Hembesök, as pure data.

Five real visit schedules from Swedish extended home-visit programs (utökade hembesöksprogram).
Coordinators copy and edit them; see docs/templates.md for the tables and the reasoning.

Window conventions (all windows are [start, end) with an exclusive end; see app.programs.plan):

- "GW 34–38" (graviditetsvecka, GW N = due date − (40 − N) weeks), anchored on the due date:
  [−6 weeks, −1 week), ideal −4 weeks (GW 36); the last day is GW 38+6.
- "1–2 weeks": [1 week, 3 weeks), ideal 10 days (the days on which the child is 1 or 2 weeks old).
- "~2 weeks" / "newborn": [1 week, 4 weeks), ideal 2 weeks.
- "3 weeks": [2 weeks, 5 weeks), ideal 3 weeks.
- "1–2 months": [1 month, 3 months), ideal 6 weeks.
- A single nominal age of N months: from about two weeks before N months, in whole weeks
  (round(N × 4.345 − 2) weeks), to N + 1 months exclusive, ideal N months. Ages in the sources are
  nominal ("at 4 months"); booking needs a window; two weeks' lead lets the team book around
  holidays and the family's wishes; ending at the next month birthday keeps the visit at the
  age the source names and clear of the next visit.

All visits after birth are anchored on the birth date (provisionally on the due date until the
birth is recorded). Durations: 90 minutes for joint home visits (the upper end of the Rinkeby
model's 60–90 minutes, so the booked slot does not overrun; travel not included) and 60 minutes
for clinic visits.
"""

from dataclasses import dataclass

from app.programs.plan import Anchor, LocationKind, Offset, OffsetUnit, VisitRule
from app.staff.profession import Profession

HOME_VISIT_MINUTES = 90
CLINIC_VISIT_MINUTES = 60


@dataclass(frozen=True)
class VisitSpec:
    sequence: int
    name: str  # Swedish, user-facing
    theme: str | None
    location_kind: LocationKind
    anchor: Anchor
    window_start: Offset
    window_end: Offset  # exclusive
    ideal: Offset
    required_professions: tuple[Profession, ...]
    is_ordinary: bool  # one of the ordinary BHV program's home visits (or "ordinarie" per source)
    default_duration_minutes: int
    window_note: str  # one line in English: why this window

    def rule(self) -> VisitRule:
        return VisitRule(
            sequence=self.sequence,
            anchor=self.anchor,
            window_start=self.window_start,
            window_end=self.window_end,
            ideal=self.ideal,
        )


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    name: str
    description: str
    source: str
    is_default: bool
    visits: tuple[VisitSpec, ...]

    def rules(self) -> tuple[VisitRule, ...]:
        return tuple(visit.rule() for visit in self.visits)


def _days(amount: int) -> Offset:
    return Offset(amount, OffsetUnit.days)


def _weeks(amount: int) -> Offset:
    return Offset(amount, OffsetUnit.weeks)


def _months(amount: int) -> Offset:
    return Offset(amount, OffsetUnit.months)


@dataclass(frozen=True)
class _Window:
    anchor: Anchor
    start: Offset
    end: Offset  # exclusive
    ideal: Offset
    note: str


GW_34_38 = _Window(
    Anchor.expected_due_date,
    _weeks(-6),
    _weeks(-1),
    _weeks(-4),
    "Source says GW 34–38: GW 34+0 to 38+6 (due date −6 weeks to −1 week exclusive), ideal GW 36.",
)
WEEKS_1_2 = _Window(
    Anchor.birth_date,
    _weeks(1),
    _weeks(3),
    _days(10),
    "Source says 1–2 weeks: the days the child is one or two weeks old, ideal 10 days.",
)
NEWBORN_2_WEEKS = _Window(
    Anchor.birth_date,
    _weeks(1),
    _weeks(4),
    _weeks(2),
    "Source says newborn (about 2 weeks): from 1 week to 4 weeks exclusive, ideal 2 weeks.",
)
WEEK_3 = _Window(
    Anchor.birth_date,
    _weeks(2),
    _weeks(5),
    _weeks(3),
    "Source says 3 weeks: from 2 weeks to 5 weeks exclusive, ideal 3 weeks.",
)
MONTHS_1_2 = _Window(
    Anchor.birth_date,
    _months(1),
    _months(3),
    _weeks(6),
    "Source says 1–2 months: the days the child is one or two months old, ideal 6 weeks.",
)


def _nominal_months(months: int) -> _Window:
    """A single nominal age: ~2 weeks' lead before the month birthday, end at the next one."""
    lead_weeks = round(months * 4.345 - 2)
    age = f"{months // 12} years" if months % 12 == 0 and months >= 24 else f"{months} months"
    return _Window(
        Anchor.birth_date,
        _weeks(lead_weeks),
        _months(months + 1),
        _months(months),
        f"Source says {age}: from {lead_weeks} weeks (about two weeks before) "
        f"to {months + 1} months exclusive, ideal {months} months.",
    )


MONTH_2 = _nominal_months(2)
MONTH_4 = _nominal_months(4)
MONTH_8 = _nominal_months(8)
MONTH_10 = _nominal_months(10)
MONTH_12 = _nominal_months(12)
MONTH_15 = _nominal_months(15)
YEARS_2 = _nominal_months(24)


def _visit(
    sequence: int,
    name: str,
    window: _Window,
    professions: tuple[Profession, ...],
    *,
    ordinary: bool,
    theme: str | None = None,
    location: LocationKind = LocationKind.home,
    minutes: int = HOME_VISIT_MINUTES,
) -> VisitSpec:
    return VisitSpec(
        sequence=sequence,
        name=name,
        theme=theme,
        location_kind=location,
        anchor=window.anchor,
        window_start=window.start,
        window_end=window.end,
        ideal=window.ideal,
        required_professions=professions,
        is_ordinary=ordinary,
        default_duration_minutes=minutes,
        window_note=window.note,
    )


NURSE = Profession.bhv_nurse
SOCIAL = Profession.social_worker
MIDWIFE = Profession.midwife
DENTAL = Profession.dental
LIBRARIAN = Profession.librarian

JOINT = (NURSE, SOCIAL)

TILLSAMMANS = TemplateSpec(
    key="tillsammans-for-en-trygg-start",
    name="Tillsammans för en trygg start",
    description=(
        "Socialstyrelsens pilotverksamhet 2019–2023 (Växjö, Linköping, Eskilstuna, Borlänge): "
        "åtta gemensamma besök av BHV-sjuksköterska och socialtjänst, från graviditetsvecka "
        "34–38 till två års ålder, med samtalsstödet ”Bubblorna”."
    ),
    source=(
        "Socialstyrelsen, Kunskapsguiden: presentation om utökade hembesöksprogram, "
        "februari 2026 (seeds/000_fb692389de142ffd.txt)."
    ),
    is_default=True,
    visits=(
        _visit(
            1,
            "Besök hos barnmorskan GV 34–38",
            GW_34_38,
            (NURSE, SOCIAL, MIDWIFE),
            ordinary=False,
            theme="Att snart bli förälder",
            location=LocationKind.mhv_clinic,
            minutes=CLINIC_VISIT_MINUTES,
        ),
        _visit(
            2,
            "Hembesök 1–2 veckor",
            WEEKS_1_2,
            JOINT,
            ordinary=True,
            theme="Att ta emot sitt barn",
        ),
        _visit(
            3,
            "Hembesök 1–2 månader",
            MONTHS_1_2,
            JOINT,
            ordinary=False,
            theme="Att lära känna sitt barn",
        ),
        _visit(
            4, "Hembesök 4 månader", MONTH_4, JOINT, ordinary=False, theme="Att vara tillsammans"
        ),
        _visit(5, "Hembesök 8 månader", MONTH_8, JOINT, ordinary=True, theme="Att leda och följa"),
        _visit(6, "Hembesök 10 månader", MONTH_10, JOINT, ordinary=False, theme="Att skapa vardag"),
        _visit(
            7, "Hembesök 15 månader", MONTH_15, JOINT, ordinary=False, theme="Att vara en familj"
        ),
        _visit(
            8,
            "Mottagningsbesök 2 år",
            YEARS_2,
            JOINT,
            ordinary=False,
            theme="Att växa och utvecklas tillsammans",
            location=LocationKind.clinic,
            minutes=CLINIC_VISIT_MINUTES,
        ),
    ),
)

OREBRO = TemplateSpec(
    key="region-orebro-lan",
    name="Region Örebro län (förslag)",
    description=(
        "Region Örebro läns förslag på utökat hembesöksprogram: sex hembesök tillsammans med "
        "socialtjänsten under barnets första 15 månader, två ordinarie och fyra extra."
    ),
    source=(
        "Region Örebro län, rutin ”Statsbidrag för att stödja och stimulera barnhälsovårdens "
        "förebyggande arbete med utökade hembesöksprogram”, dokument 1138579 R1, 2025-09-16 "
        "(seeds/001_b821b96708c959e5.txt)."
    ),
    is_default=False,
    visits=(
        _visit(1, "Hembesök 1–2 veckor", WEEKS_1_2, JOINT, ordinary=True),
        _visit(2, "Hembesök 2 månader", MONTH_2, JOINT, ordinary=False),
        _visit(3, "Hembesök 4 månader", MONTH_4, JOINT, ordinary=False),
        _visit(4, "Hembesök 8 månader", MONTH_8, JOINT, ordinary=True),
        # "extra, utöver ordinarie teambesök": the ordinary 12-month team visit is separate.
        _visit(5, "Hembesök 12 månader", MONTH_12, JOINT, ordinary=False),
        _visit(6, "Hembesök 15 månader", MONTH_15, JOINT, ordinary=False),
    ),
)

VAXA_TRYGGT = TemplateSpec(
    key="vaxa-tryggt",
    name="Växa tryggt (Region Skåne)",
    description=(
        "Region Skånes förstärkta föräldraskapsstöd för förstföderskor: sex hembesök med "
        "BHV-sjuksköterska, tillsammans med barnmorska från mödrahälsovården (1–2 veckor), "
        "föräldrastödjare från socialtjänsten (3 veckor, 4, 10 och 15 månader) och "
        "tandsköterska eller tandhygienist (8 månader)."
    ),
    source=(
        "Folkhälsomyndigheten och Socialstyrelsen, ”Lärande exempel från barnhälsovården” "
        "(2022), avsnittet Växa tryggt (seeds/004_5adc055125641301.txt)."
    ),
    is_default=False,
    visits=(
        _visit(1, "Hembesök 1–2 veckor", WEEKS_1_2, (NURSE, MIDWIFE), ordinary=True),
        _visit(2, "Hembesök 3 veckor", WEEK_3, JOINT, ordinary=False),
        _visit(3, "Hembesök 4 månader", MONTH_4, JOINT, ordinary=False),
        _visit(4, "Hembesök 8 månader", MONTH_8, (NURSE, DENTAL), ordinary=True),
        _visit(5, "Hembesök 10 månader", MONTH_10, JOINT, ordinary=False),
        _visit(6, "Hembesök 15 månader", MONTH_15, JOINT, ordinary=False),
    ),
)

TORVALLA = TemplateSpec(
    key="torvallamodellen",
    name="Torvallamodellen (Region Jämtland Härjedalen)",
    description=(
        "Fyra hembesök under barnets första 15 månader: nyfödd (cirka 2 veckor) med barnmorska "
        "från mödrahälsovården, 2 och 8 månader i samverkan med biblioteket (bokgåvor, "
        "högläsning), samt 15 månader. Källan nämner inte socialtjänsten; lägg till den för "
        "program med statsbidrag enligt förordning 2025:74."
    ),
    source=(
        "Folkhälsomyndigheten och Socialstyrelsen, ”Lärande exempel från barnhälsovården” "
        "(2022), avsnittet om Region Jämtland Härjedalen (seeds/004_5adc055125641301.txt)."
    ),
    is_default=False,
    visits=(
        _visit(
            1, "Hembesök nyfödd (cirka 2 veckor)", NEWBORN_2_WEEKS, (NURSE, MIDWIFE), ordinary=True
        ),
        # The original plan had the librarian at these visits; during covid-19 the librarian
        # advised the nurse instead.
        _visit(2, "Hembesök 2 månader", MONTH_2, (NURSE, LIBRARIAN), ordinary=False),
        _visit(3, "Hembesök 8 månader", MONTH_8, (NURSE, LIBRARIAN), ordinary=True),
        _visit(4, "Hembesök 15 månader", MONTH_15, (NURSE,), ordinary=False),
    ),
)

RINKEBY = TemplateSpec(
    key="rinkebymodellen",
    name="Rinkebymodellen",
    description=(
        "Sex gemensamma hembesök av BHV-sjuksköterska och föräldrarådgivare från socialtjänsten "
        "under barnets första 15 månader, med teman som följer barnhälsovårdens basprogram. "
        "Åldrarna (nyfödd, 2, 4, 8, 12 och 15 månader) följer Göteborgs stads beskrivning."
    ),
    source=(
        "Folkhälsomyndigheten och Socialstyrelsen, ”Lärande exempel från barnhälsovården” "
        "(2022), avsnittet om Region Stockholm (seeds/004_5adc055125641301.txt); besöksåldrar "
        "från Göteborgs stads beskrivning av Rinkebymodellen; besökslängd 60–90 minuter."
    ),
    is_default=False,
    visits=(
        _visit(1, "Hembesök nyfödd", NEWBORN_2_WEEKS, JOINT, ordinary=True),
        _visit(2, "Hembesök 2 månader", MONTH_2, JOINT, ordinary=False),
        _visit(3, "Hembesök 4 månader", MONTH_4, JOINT, ordinary=False),
        _visit(4, "Hembesök 8 månader", MONTH_8, JOINT, ordinary=True),
        _visit(5, "Hembesök 12 månader", MONTH_12, JOINT, ordinary=False),
        _visit(6, "Hembesök 15 månader", MONTH_15, JOINT, ordinary=False),
    ),
)

BUILTIN_TEMPLATES: tuple[TemplateSpec, ...] = (TILLSAMMANS, OREBRO, VAXA_TRYGGT, TORVALLA, RINKEBY)
DEFAULT_TEMPLATE_KEY: str = TILLSAMMANS.key
