"""KVÅ coding of completed visits: the codes and the rules that give them, as data.

KVÅ (Klassifikation av vårdåtgärder) is republished yearly; codes carry the version they come from.
A rule names a fact about the visit; `derive_codes` applies every rule whose fact holds.
"""

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class KvaCode:
    code: str
    title: str
    version: str


class VisitFact(StrEnum):
    social_services_present = "social_services_present"
    home_visit = "home_visit"


@dataclass(frozen=True)
class KvaRule:
    code: str
    when: frozenset[VisitFact]  # every fact must hold
    why: str


KVA_CODES: dict[str, KvaCode] = {
    "ZV509": KvaCode("ZV509", "Medverkan av företrädare för Socialtjänst", "KVÅ 2025"),
}

KVA_RULES: tuple[KvaRule, ...] = (
    KvaRule(
        code="ZV509",
        when=frozenset({VisitFact.social_services_present}),
        why="a socialtjänst representative took part (Region Örebro län's rule: every joint visit)",
    ),
)


def derive_codes(facts: set[VisitFact], rules: tuple[KvaRule, ...] = KVA_RULES) -> list[str]:
    """The KVÅ codes a visit with these facts gets, sorted and without duplicates."""
    return sorted({rule.code for rule in rules if rule.when <= facts})
