"""CSV renderings of the reports: one figure per row, so a spreadsheet can pivot them."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from app.reports import indicators as ind
from app.reports.schemas import CompensationOut, GrantFollowupOut, IndicatorsOut

GRANT_COLUMNS = (
    "section",
    "unit_id",
    "unit_name",
    "period",
    "indicator",
    "category",
    "label_sv",
    "value",
)
COMPENSATION_COLUMNS = (
    "unit_id",
    "unit_name",
    "unit_hsa_id",
    "month",
    "basis",
    "amount_per_visit",
    "visits",
    "amount_due",
    "visits_missing_kva_code",
)

# Swedish wording of the scalar figures, after Socialstyrelsen's table 6 where it has one.
LABELS_SV = {
    "home_visits": "Antal utökade hembesök",
    "families_with_home_visit": "Antal familjer som fått minst ett utökat hembesök",
    "home_visits_with_two_professions": "Utökade hembesök med minst två professioner närvarande",
    "share_with_two_professions": "Andel utökade hembesök med minst två professioner närvarande",
    "joint_home_visits": "Utökade hembesök med BHV-sjuksköterska och socialtjänst",
    "share_joint": "Andel utökade hembesök med BHV-sjuksköterska och socialtjänst",
    "home_visits_per_family": "Antal hembesök per deltagande familj",
    "offered_families": "Antal familjer som fått erbjudandet",
    "offered_families_taking_part": "Familjer som deltar i programmet (av dem som erbjudits)",
    "share_offered_taking_part": (
        "Andel familjer som deltar i programmet (av alla som fått erbjudandet)"
    ),
    "offered_families_declined": "Familjer som tackat nej",
    "share_offered_declined": "Andel familjer som tackar nej",
    "offered_families_discontinued": "Familjer som avbrutit medverkan",
    "share_offered_discontinued": "Andel familjer som avbryter medverkande i programmet",
    "share_offered_declined_or_discontinued": (
        "Andel familjer som tackar nej till eller avbryter medverkande i programmet"
    ),
    "offered_families_undecided": "Familjer som ännu inte svarat på erbjudandet",
    "visits_by_age_group": "Utökade hembesök per åldersgrupp",
    "other_actor_visits": "Utökade hembesök med samverkande aktör",
    "families_by_target_group": "Deltagande familjer per målgrupp",
    "completed_visits_not_at_home": "Genomförda besök som inte hölls i hemmet (räknas inte)",
}
CATEGORY_LABELS_SV: dict[str, dict[str, str]] = {
    "visits_by_age_group": {k.value: v for k, v in ind.AGE_GROUP_LABELS_SV.items()},
    "other_actor_visits": {k.value: v for k, v in ind.ACTOR_LABELS_SV.items()},
    "families_by_target_group": {k.value: v for k, v in ind.TARGET_GROUP_LABELS_SV.items()},
    "completed_visits_not_at_home": {
        "clinic": "Mottagningsbesök",
        "mhv_clinic": "Besök på mödrahälsovården",
        "other": "Annan plats",
    },
}


def _text(value: str | None) -> str:
    """Free text for a spreadsheet: a leading =, +, - or @ would run as a formula."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def _value(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _figure_rows(figures: IndicatorsOut) -> Iterator[tuple[str, str, str, str]]:
    for name, value in figures.model_dump().items():
        if isinstance(value, dict):
            labels = CATEGORY_LABELS_SV.get(name, {})
            for category, count in value.items():
                key = str(category)
                label = f"{LABELS_SV[name]}: {labels.get(key, key)}"
                yield name, key, label, _value(count)
        else:
            yield name, "", LABELS_SV[name], _value(value)


def grant_followup_csv(report: GrantFollowupOut) -> str:
    """The report as CSV: totals, then each BVC, each month, and the visits lacking a profession."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GRANT_COLUMNS)
    year = str(report.year)
    for row in _figure_rows(report.totals):
        writer.writerow(("total", "", "", year, *row))
    for unit in report.by_unit:
        for row in _figure_rows(unit.indicators):
            writer.writerow(("unit", unit.unit_id, _text(unit.unit_name), year, *row))
    for month in report.by_month:
        for row in _figure_rows(month.indicators):
            writer.writerow(("month", "", "", month.month, *row))
    for visit in report.visits_without_two_professions:
        writer.writerow(
            (
                "visit_without_two_professions",
                visit.unit_id,
                "",
                visit.visit_date.isoformat(),
                "booking_id",
                visit.booking_id,
                "Besök utan två professioner: " + (" ".join(visit.professions) or "-"),
                _text(visit.reason),
            )
        )
    return out.getvalue()


def compensation_csv(report: CompensationOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COMPENSATION_COLUMNS)
    for line in report.lines:
        writer.writerow(
            (
                line.unit_id,
                _text(line.unit_name),
                line.unit_hsa_id or "",
                line.month,
                line.basis.value,
                line.amount_per_visit,
                line.visits,
                line.amount_due,
                line.visits_missing_kva_code,
            )
        )
    return out.getvalue()
