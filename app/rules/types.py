"""The rule table's vocabulary: rules, citations, thresholds (frozen, typed, hashable)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.rules.facts import Facts
    from app.rules.findings import Findings
    from app.schemas.evaluation import Evidence


class Family(StrEnum):
    """What a rule produces; the id prefix names the clinical area."""

    level_of_care = "level_of_care"
    alert = "alert"
    stabilization = "stabilization"
    behavioral_therapy = "behavioral_therapy"
    aftercare = "aftercare"


@dataclass(frozen=True, slots=True)
class Source:
    """A published source the rules cite (resolved by key in app.rules.sources)."""

    key: str
    citation: str
    year: int | None
    url: str | None
    doi: str | None
    design: str
    verification: str


@dataclass(frozen=True, slots=True)
class Cite:
    """One citation of a rule: the source, what it supports, and its grade if it has one."""

    key: str
    supports: str
    strength: str | None = None
    quality: str | None = None
    verification: str | None = None


@dataclass(frozen=True, slots=True)
class Threshold:
    """A named clinical threshold; `signed_off` is False for unverified conventions."""

    name: str
    value: float
    unit: str
    sources: tuple[str, ...]
    signed_off: bool
    note: str


RuleLogic = Callable[["Facts", "Findings"], bool]


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One row of the rule table. `apply` is the predicate: it returns whether the rule fired
    and records its findings (alerts, recommendations, level of care, missing inputs).
    Compared by identity; `evidence` and `rule_ids` are precomputed output parts."""

    id: str
    revision: int
    family: Family
    title: str
    summary: str
    rationale: str
    reads: tuple[str, ...]
    cites: tuple[Cite, ...]
    limitations: tuple[str, ...]
    apply: RuleLogic
    thresholds: tuple[Threshold, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    rule_ids: tuple[str, ...] = ()
