"""The shipped tariffs, as data, and loading them into a database."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.reports.models import Tariff


@dataclass(frozen=True)
class TariffSpec:
    region_name: str
    year: int
    valid_from: date
    joint_home_visit_amount: int
    ordinary_home_visit_amount: int
    fixed_compensation_units: tuple[str, ...]
    kva_code: str
    source: str


# Region Örebro län, "Rutin – Statsbidrag för att stödja och stimulera barnhälsovårdens
# förebyggande arbete med utökade hembesöksprogram", document 1138579 R1, valid from 2025-09-18:
# 2,500 kr per home visit made with socialtjänst (ordinary or extra, coded ZV509); the units on
# fixed compensation with extended resource (national child CNI above 2) get only the ordinary
# 1,800 kr per home visit even with socialtjänst, and code ZV509 too. The source names the
# vårdcentral "Vivalla/Lundby"; "Vivalla" and "Lundby" are listed as well so that a unit
# registered under either name matches.
REGION_OREBRO_LAN_2025 = TariffSpec(
    region_name="Region Örebro län",
    year=2025,
    valid_from=date(2025, 9, 18),
    joint_home_visit_amount=2500,
    ordinary_home_visit_amount=1800,
    fixed_compensation_units=(
        "Vivalla/Lundby",
        "Vivalla",
        "Lundby",
        "Varberga",
        "Mikaeli",
        "Brickebacken",
    ),
    kva_code="ZV509",
    source=(
        "Region Örebro län, Rutin – Statsbidrag för att stödja och stimulera barnhälsovårdens "
        "förebyggande arbete med utökade hembesöksprogram, dokumentnr 1138579 R1, "
        "giltig fr.o.m. 2025-09-18"
    ),
)

SHIPPED_TARIFFS = (REGION_OREBRO_LAN_2025,)


def seed_tariffs(session: Session) -> int:
    """Add the shipped tariffs not yet present (by region and start date); no commit."""
    present = set(session.execute(select(Tariff.region_name, Tariff.valid_from)))
    added = 0
    for spec in SHIPPED_TARIFFS:
        if (spec.region_name, spec.valid_from) in present:
            continue
        session.add(
            Tariff(
                region_name=spec.region_name,
                year=spec.year,
                valid_from=spec.valid_from,
                joint_home_visit_amount=spec.joint_home_visit_amount,
                ordinary_home_visit_amount=spec.ordinary_home_visit_amount,
                fixed_compensation_units=list(spec.fixed_compensation_units),
                kva_code=spec.kva_code,
                source=spec.source,
            )
        )
        added += 1
    session.flush()
    return added
