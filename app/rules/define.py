"""`rule(...)`: builds one checked row of the rule table, and the shared vocabulary rules use."""

from __future__ import annotations

import re

from app.rules.build import evidence
from app.rules.facts import KNOWN_KEYS
from app.rules.types import Cite, Family, Rule, RuleLogic, Threshold
from app.schemas.evaluation import Category, Setting, Severity, Status
from app.schemas.plan_vocab import Phase

__all__ = [
    "AFTERCARE",
    "AVOID",
    "BEHAVIORAL_THERAPY",
    "COMPLEMENTARY",
    "CONSIDER",
    "CONTRAINDICATED",
    "CRITICAL",
    "EDUCATION",
    "EMERGENCY",
    "EXTENDED",
    "INFO",
    "INPATIENT_OR_EMERGENCY",
    "LAB",
    "MANAGED",
    "MEDICATION",
    "MONITORED",
    "MONITORING",
    "NO_KRATOM_GUIDELINE",
    "NUTRITION",
    "OUTPATIENT",
    "RECOMMENDED",
    "REFERRAL",
    "RESIDENTIAL",
    "STABILIZATION",
    "SUPPORT",
    "THERAPY",
    "WARNING",
    "Category",
    "Cite",
    "Family",
    "Phase",
    "Setting",
    "Severity",
    "Status",
    "rule",
]

# Enum members as plain module constants: attribute access on an Enum class costs ~0.2 us
# on Python 3.11, and rules use these on the hot path.
STABILIZATION = Phase.stabilization
BEHAVIORAL_THERAPY = Phase.behavioral_therapy
AFTERCARE = Phase.aftercare
RECOMMENDED = Status.recommended
CONSIDER = Status.consider
AVOID = Status.avoid
CONTRAINDICATED = Status.contraindicated
CRITICAL = Severity.critical
WARNING = Severity.warning
INFO = Severity.info
MEDICATION = Category.medication
MONITORING = Category.monitoring
THERAPY = Category.therapy
REFERRAL = Category.referral
EDUCATION = Category.education
SUPPORT = Category.support
NUTRITION = Category.nutrition
COMPLEMENTARY = Category.complementary
LAB = Category.lab
EMERGENCY = Setting.emergency_department
MANAGED = Setting.inpatient_medically_managed
MONITORED = Setting.inpatient_medically_monitored
RESIDENTIAL = Setting.residential_clinically_managed
EXTENDED = Setting.outpatient_extended_monitoring
OUTPATIENT = Setting.outpatient
#: Settings of inpatient or emergency care (what a destabilising finding asks for).
INPATIENT_OR_EMERGENCY = (MONITORED, MANAGED, EMERGENCY)

RULE_ID = re.compile(r"^[A-Z]{2,4}-\d{2}$")

NO_KRATOM_GUIDELINE = (
    "No guideline specific to kratom use disorder exists; this extrapolates from opioid use "
    "disorder guidance and kratom case reports, case series and surveys."
)


def rule(
    rule_id: str,
    *,
    family: Family,
    title: str,
    summary: str,
    rationale: str,
    reads: tuple[str, ...],
    cites: tuple[Cite, ...],
    limitations: tuple[str, ...],
    apply: RuleLogic,
    thresholds: tuple[Threshold, ...] = (),
    revision: int = 1,
) -> Rule:
    """A rule, checked at import: id pattern, known inputs, at least one citation and one
    limitation; an unsigned threshold adds a limitation asking for clinician sign-off."""
    if not RULE_ID.match(rule_id):
        raise ValueError(f"{rule_id}: rule ids are PREFIX-NN")
    unknown = [r for r in reads if r not in KNOWN_KEYS]
    if unknown:
        raise ValueError(f"{rule_id}: unknown inputs {unknown}")
    if not cites or not limitations:
        raise ValueError(f"{rule_id}: needs at least one citation and one limitation")
    pending = [t for t in thresholds if not t.signed_off]
    extra = tuple(
        f"Threshold {t.name} = {t.value:g} {t.unit} is not confirmed in a primary source "
        f"({t.note}); it needs clinician sign-off."
        for t in pending
    )
    return Rule(
        id=rule_id,
        revision=revision,
        family=family,
        title=title,
        summary=summary,
        rationale=rationale,
        reads=reads,
        cites=cites,
        limitations=limitations + extra,
        apply=apply,
        thresholds=thresholds,
        evidence=tuple(evidence(c) for c in cites),
        rule_ids=(rule_id,),
    )
