"""Report output: the grant follow-up (återrapportering) and the compensation due."""

from datetime import date

from pydantic import BaseModel, Field

from app.reports import indicators as ind
from app.reports.service import CompensationResult, GrantFollowupResult, Scope

DEFINITIONS = "docs/reports.md"


class IndicatorsOut(BaseModel):
    home_visits: int = Field(
        description="Antal utökade hembesök: completed visits held at the family's home"
    )
    families_with_home_visit: int = Field(
        description="Familjer som fått minst ett utökat hembesök (deltagande familjer)"
    )
    home_visits_with_two_professions: int
    share_with_two_professions: float | None = Field(
        description="Andel utökade hembesök med minst två professioner närvarande (0–1)"
    )
    joint_home_visits: int = Field(
        description="Home visits with a BHV nurse and a socialtjänst person (förordning § 4)"
    )
    share_joint: float | None
    home_visits_per_family: float | None = Field(description="Antal hembesök per deltagande familj")
    offered_families: int = Field(description="Familjer som fått erbjudandet under året")
    offered_families_taking_part: int
    share_offered_taking_part: float | None = Field(
        description="Andel familjer som deltar i programmet (av alla som fått erbjudandet)"
    )
    offered_families_declined: int
    share_offered_declined: float | None
    offered_families_discontinued: int
    share_offered_discontinued: float | None
    share_offered_declined_or_discontinued: float | None = Field(
        description="Andel familjer som tackar nej till eller avbryter medverkande i programmet"
    )
    offered_families_undecided: int = Field(description="Offered, not yet answered")
    visits_by_age_group: dict[ind.AgeGroup, int] = Field(description="Table 5's age groups")
    other_actor_visits: dict[ind.Actor, int] = Field(
        description="Home visits per collaborating actor (table 2); several per visit possible"
    )
    families_by_target_group: dict[ind.TargetGroup, int] = Field(
        description="Participating families per target group (table 4); several per family"
    )
    completed_visits_not_at_home: dict[str, int] = Field(
        description="Completed visits held at the clinic, MHV clinic or elsewhere: not counted"
    )

    @classmethod
    def of(cls, figures: ind.Indicators) -> "IndicatorsOut":
        # Built from our own figures: constructed without validating again (a thousand BVC
        # cells in the national report).
        return cls.model_construct(
            home_visits=figures.home_visits,
            families_with_home_visit=figures.families_with_home_visit,
            home_visits_with_two_professions=figures.home_visits_with_two_professions,
            share_with_two_professions=figures.share_with_two_professions,
            joint_home_visits=figures.joint_home_visits,
            share_joint=figures.share_joint,
            home_visits_per_family=figures.home_visits_per_family,
            offered_families=figures.offered_families,
            offered_families_taking_part=figures.offered_families_taking_part,
            share_offered_taking_part=figures.share_offered_taking_part,
            offered_families_declined=figures.offered_families_declined,
            share_offered_declined=figures.share_offered_declined,
            offered_families_discontinued=figures.offered_families_discontinued,
            share_offered_discontinued=figures.share_offered_discontinued,
            share_offered_declined_or_discontinued=figures.share_offered_declined_or_discontinued,
            offered_families_undecided=figures.offered_families_undecided,
            visits_by_age_group=dict(figures.visits_by_age_group),
            other_actor_visits=dict(figures.other_actor_visits),
            families_by_target_group=dict(figures.families_by_target_group),
            completed_visits_not_at_home=dict(figures.completed_visits_not_at_home),
        )


class ScopeOut(BaseModel):
    organization_id: int | None = Field(description="None: the whole country")
    organization_name: str | None
    organization_kind: str | None
    unit_id: int | None

    @classmethod
    def of(cls, scope: Scope) -> "ScopeOut":
        org = scope.organization
        return cls(
            organization_id=org.id if org else None,
            organization_name=org.name if org else None,
            organization_kind=org.kind.value if org else None,
            unit_id=scope.unit_id,
        )


class UnitIndicatorsOut(BaseModel):
    unit_id: int
    unit_name: str
    unit_hsa_id: str | None
    indicators: IndicatorsOut


class MonthIndicatorsOut(BaseModel):
    month: str = Field(examples=["2025-03"])
    indicators: IndicatorsOut


class VisitWithoutTwoProfessionsOut(BaseModel):
    booking_id: int
    visit_date: date
    unit_id: int
    professions: list[str]
    reason: str | None = Field(description="The booking's missing_profession_reason, if given")


class GrantFollowupOut(BaseModel):
    year: int
    scope: ScopeOut
    definitions: str = Field(default=DEFINITIONS, description="Where the definitions are")
    totals: IndicatorsOut
    by_unit: list[UnitIndicatorsOut]
    by_month: list[MonthIndicatorsOut]
    visits_without_two_professions: list[VisitWithoutTwoProfessionsOut]

    @classmethod
    def of(cls, result: GrantFollowupResult) -> "GrantFollowupOut":
        report = result.report
        units = result.units
        return cls(
            year=report.year,
            scope=ScopeOut.of(result.scope),
            totals=IndicatorsOut.of(report.totals),
            by_unit=[
                UnitIndicatorsOut(
                    unit_id=unit_id,
                    unit_name=units[unit_id].name if unit_id in units else "",
                    unit_hsa_id=units[unit_id].hsa_id if unit_id in units else None,
                    indicators=IndicatorsOut.of(figures),
                )
                for unit_id, figures in report.by_unit.items()
            ],
            by_month=[
                MonthIndicatorsOut(
                    month=f"{report.year}-{month:02d}", indicators=IndicatorsOut.of(figures)
                )
                for month, figures in report.by_month.items()
            ],
            visits_without_two_professions=[
                VisitWithoutTwoProfessionsOut.model_construct(
                    booking_id=v.booking_id,
                    visit_date=v.day,
                    unit_id=v.unit_id,
                    professions=list(v.professions),
                    reason=v.missing_profession_reason,
                )
                for v in report.lacking_two_professions
            ],
        )


class TariffOut(BaseModel):
    id: int
    organization_id: int | None
    region_name: str
    year: int
    valid_from: date
    joint_home_visit_amount: int = Field(description="kr per home visit with socialtjänst")
    ordinary_home_visit_amount: int = Field(
        description="kr per home visit at units on fixed compensation"
    )
    fixed_compensation_units: list[str]
    kva_code: str
    source: str | None

    model_config = {"from_attributes": True}


class CompensationLineOut(BaseModel):
    unit_id: int
    unit_name: str
    unit_hsa_id: str | None
    month: str = Field(examples=["2025-10"])
    basis: ind.CompensationBasis = Field(
        description="joint_home_visit (the joint amount), ordinary_home_visit (unit on fixed "
        "compensation) or no_tariff (no tariff in force that day: nothing due)"
    )
    amount_per_visit: int
    visits: int = Field(description="Completed home visits with socialtjänst present")
    amount_due: int = Field(description="kr")
    visits_missing_kva_code: int = Field(
        description="Of those, visits lacking the tariff's KVÅ code (e.g. ZV509): to correct"
    )


class CompensationOut(BaseModel):
    year: int
    scope: ScopeOut
    lines: list[CompensationLineOut]
    total_visits: int
    total_amount_due: int
    tariffs: list[TariffOut]

    @classmethod
    def of(cls, result: CompensationResult) -> "CompensationOut":
        units = result.units
        lines = [
            CompensationLineOut(
                unit_id=line.unit_id,
                unit_name=units[line.unit_id].name,
                unit_hsa_id=units[line.unit_id].hsa_id,
                month=f"{result.year}-{line.month:02d}",
                basis=line.basis,
                amount_per_visit=line.amount_per_visit,
                visits=line.visits,
                amount_due=line.amount_due,
                visits_missing_kva_code=line.visits_missing_kva_code,
            )
            for line in result.lines
        ]
        return cls(
            year=result.year,
            scope=ScopeOut.of(result.scope),
            lines=lines,
            total_visits=sum(line.visits for line in lines),
            total_amount_due=sum(line.amount_due for line in lines),
            tariffs=[TariffOut.model_validate(t) for t in result.tariffs],
        )
