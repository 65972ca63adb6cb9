"""The evaluation: what the rules engine returns for an assessment (design.md section 2).

Every recommendation and alert carries the rules that produced it, the inputs they used,
their citations and limitations, so that a clinician can check the basis independently.
The engine builds these models without re-validation (its own tests prove the shapes), so the
field types here are the contract, not a filter.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from app.schemas.base import ReadModel
from app.schemas.plan_vocab import Phase


class OutModel(ReadModel):
    """Base for evaluation parts: immutable once built."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


# --------------------------------------------------------------------------- vocabularies


class Setting(StrEnum):
    """Withdrawal-management settings, most to least intensive."""

    emergency_department = "emergency_department"
    inpatient_medically_managed = "inpatient_medically_managed"
    inpatient_medically_monitored = "inpatient_medically_monitored"
    residential_clinically_managed = "residential_clinically_managed"
    outpatient_extended_monitoring = "outpatient_extended_monitoring"
    outpatient = "outpatient"


class Determination(StrEnum):
    """How far the level of care could be determined from the inputs."""

    determined = "determined"
    provisional = "provisional"
    indeterminate = "indeterminate"


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"


class Category(StrEnum):
    medication = "medication"
    monitoring = "monitoring"
    therapy = "therapy"
    referral = "referral"
    education = "education"
    support = "support"
    nutrition = "nutrition"
    complementary = "complementary"
    lab = "lab"


class Status(StrEnum):
    """From most to least supportive: recommended, consider, avoid, contraindicated."""

    recommended = "recommended"
    consider = "consider"
    avoid = "avoid"
    contraindicated = "contraindicated"


# --------------------------------------------------------------------------- parts


# A (pydantic) dataclass rather than a model: every recommendation repeats its citations
# (about 100 per evaluation), and orjson writes a dataclass natively where a model costs a
# Python call each (app/schemas/jsonout.py); this halved the time to write an evaluation.
@dataclass(frozen=True)
class Evidence:
    """One citation supporting a recommendation or alert."""

    source_key: str = Field(
        description="Key of the source in the knowledge base (e.g. `LUCEMYRA-PI`).",
        examples=["COWS"],
    )
    citation: str = Field(
        description="Bibliographic citation.",
        examples=["Wesson DR, Ling W. The Clinical Opiate Withdrawal Scale (COWS). 2003."],
    )
    year: int | None = Field(description="Publication year.", examples=[2003])
    url: str | None = Field(description="Where to read it.", examples=[None])
    doi: str | None = Field(
        description="Digital object identifier.", examples=["10.1080/02791072.2003.10400007"]
    )
    design: str = Field(
        description="Kind of evidence (guideline, label, RCT, case series, expert opinion...).",
        examples=["validated instrument"],
    )
    strength: str | None = Field(
        description="Strength of recommendation, only where the source grades it.",
        examples=["Strong"],
    )
    quality: str | None = Field(
        description="Quality of evidence, only where the source grades it.",
        examples=["Moderate"],
    )
    verification: str = Field(
        description="What our evidence check found for the fact this citation supports "
        "(docs/evidence-verification.md).",
        examples=["V23 CONFIRMED"],
    )


class LevelOfCare(OutModel):
    setting: Setting | None = Field(
        description="Withdrawal-management setting; null when `determination` is "
        "`indeterminate` (see `minimum_setting`).",
        examples=["outpatient"],
    )
    asam_code: str | None = Field(
        description="ASAM withdrawal-management level for the setting (null for the "
        "emergency department, which precedes placement, and when indeterminate).",
        examples=["1-WM"],
    )
    asam_edition: str = Field(
        description="Edition of the ASAM Criteria the code refers to.",
        examples=["ASAM Criteria 3rd ed. (2013)"],
    )
    determination: Determination = Field(
        description="`determined`; `provisional` (vital signs or withdrawal scale missing: the "
        "setting may rise once they are known); `indeterminate` (neither vital signs nor a "
        "withdrawal scale: no setting can be chosen safely).",
        examples=["determined"],
    )
    minimum_setting: Setting | None = Field(
        description="The least intensive setting the findings already require; equals "
        "`setting` unless indeterminate.",
        examples=["outpatient"],
    )
    rule_ids: tuple[str, ...] = Field(
        description="Rules that decided the setting.", examples=[["LOC-04"]]
    )
    rationale: str = Field(description="Why this setting, in plain language.")


class Alert(OutModel):
    code: str = Field(description="Stable alert code.", examples=["physiological_instability"])
    severity: Severity = Field(description="critical, warning or info.", examples=["critical"])
    title: str = Field(description="One line for the clinician.")
    detail: str = Field(description="What was found and what to do, with the values.")
    rule_id: str = Field(description="The rule that raised it.", examples=["VS-01"])
    evidence: tuple[Evidence, ...] = Field(description="Citations behind the alert.")
    advises_against: tuple[str, ...] = Field(
        description="Recommendation codes (drugs) this alert advises against; such a drug is "
        "never `recommended` in the same evaluation.",
        examples=[["lofexidine"]],
    )


class Recommendation(OutModel):
    code: str = Field(
        description="Stable code; for medications, the drug.", examples=["buprenorphine"]
    )
    category: Category = Field(description="Kind of recommendation.", examples=["medication"])
    title: str = Field(description="One line for the clinician.")
    detail: str = Field(description="What to do now and why this status, with the values.")
    status: Status = Field(
        description="recommended / consider / avoid / contraindicated.", examples=["consider"]
    )
    rationale: str = Field(description="Why, in plain language (from the rules).")
    rule_ids: tuple[str, ...] = Field(description="Rules that produced or qualified it.")
    inputs_used: tuple[str, ...] = Field(
        description="Inputs the rules behind it read: JSON pointers into the assessment, "
        "`scores.*` or `derived.*`. Their values are in `trace` (by rule id); any that were "
        "not given are listed in `missing_inputs`.",
        examples=[["scores.cows.total", "/withdrawal/hours_since_last_kratom_use"]],
    )
    evidence: tuple[Evidence, ...] = Field(description="Citations (at least one).")
    limitations: tuple[str, ...] = Field(
        description="Known limits of the evidence and of the rule."
    )


class PhasePlan(OutModel):
    phase: Phase = Field(description="Treatment phase.", examples=["stabilization"])
    title: str = Field(description="Phase name for display.")
    recommendations: tuple[Recommendation, ...] = Field(
        description="Recommendations of this phase."
    )


class MissingInput(OutModel):
    input: str = Field(
        description="JSON pointer into the assessment.", examples=["/vitals/heart_rate_bpm"]
    )
    reason: str = Field(description="What it would have changed, and how the gap was treated.")
    rule_ids: tuple[str, ...] = Field(description="Rules that needed it.")


class TraceEntry(TypedDict):
    """One rule as evaluated. A plain mapping rather than a model: an evaluation holds one per
    rule and builds them on the hot path."""

    rule_id: Annotated[str, Field(description="Rule id.", examples=["VS-01"])]
    revision: Annotated[int, Field(description="Revision of the rule.", examples=[1])]
    fired: Annotated[
        bool,
        Field(
            description="Whether the rule's finding applied (it raised an alert, demanded a "
            "setting, or set or capped a recommendation's status). Rules that only recorded "
            "missing inputs or added a note did not fire."
        ),
    ]
    values_read: Annotated[
        dict[str, Any],
        Field(
            description="Each input the rule reads (a JSON pointer into the assessment, "
            "`scores.*` or `derived.*`) and its value; null = not given."
        ),
    ]


class RulesetInfo(OutModel):
    version: str = Field(description="Ruleset version (semver).", examples=["1.0.0"])
    hash: str = Field(description="sha256 of the canonical rule-table metadata.")


# --------------------------------------------------------------------------- scores


class ScoreBase(OutModel):
    value: float | None = Field(description="The score; null when it could not be computed.")
    band: str | None = Field(description="Band or category from the source; null if none.")
    inputs_used: tuple[str, ...] = Field(description="JSON pointers of the inputs used.")
    missing: tuple[str, ...] = Field(description="JSON pointers of items that were missing.")
    citation: Evidence = Field(description="Source of the instrument and its bands.")


class CowsScore(ScoreBase):
    """Clinical Opiate Withdrawal Scale: total 0-48; <5 none, 5-12 mild, 13-24 moderate,
    25-36 moderately severe, >36 severe."""


class SowsScore(ScoreBase):
    """Subjective Opiate Withdrawal Scale: a trend measure; no bands (none are sourced)."""

    version: str | None = Field(description="handelsman_16 or gossop_10.")
    maximum: int | None = Field(description="Highest possible total for the version.")


class Dsm5Score(ScoreBase):
    """DSM-5 criteria count: 0-1 none, 2-3 mild, 4-5 moderate, 6+ severe."""

    criteria_counted: tuple[str, ...] = Field(description="Criteria counted.")
    excluded: tuple[str, ...] = Field(
        description="Criteria not counted (tolerance, withdrawal under medical supervision)."
    )
    pharmacological_only: bool = Field(
        description="Exactly two criteria and both pharmacological (tolerance, withdrawal)."
    )


class News2Score(ScoreBase):
    """NEWS2 (RCP 2017), SpO2 scale 1; bands low 0-4, low-medium (single 3), medium 5-6,
    high >=7."""

    parameters: dict[str, int] = Field(description="Sub-score of each parameter given.")
    red_flags: tuple[str, ...] = Field(description="Parameters scoring 3 on their own.")
    complete: bool = Field(
        description="All 7 parameters given; otherwise the total is a lower bound."
    )


class LiverScore(ScoreBase):
    """Liver injury: multiples of the upper limit of normal, R ratio and pattern (ACG), Hy's
    law range."""

    alt_x_uln: float | None = Field(description="ALT / ULN.")
    ast_x_uln: float | None = Field(description="AST / ULN.")
    alp_x_uln: float | None = Field(description="ALP / ULN.")
    bilirubin_x_uln: float | None = Field(description="Total bilirubin / ULN.")
    r_ratio: float | None = Field(description="(ALT/ULN) / (ALP/ULN).")
    pattern: str | None = Field(
        description="From the R ratio: hepatocellular (>=5), mixed (2-5), cholestatic (<=2); "
        "only at drug-induced injury levels (ALT > 3x or ALP > 2x ULN, or Hy's-law range), "
        "null below them (`band` is then `elevated`)."
    )
    hys_law_range: bool | None = Field(
        description="ALT or AST >=3x ULN with total bilirubin >=2x ULN (other causes not "
        "excluded by the engine)."
    )
    inr: float | None = Field(description="INR as given.")


class QtcScore(ScoreBase):
    """QTc category by sex: normal, prolonged (>=450 ms male, >=460 ms female or unknown sex
    uses 450), high_risk (>=500 ms)."""

    prolonged_threshold_ms: int = Field(description="Sex-specific threshold applied.")


class Phq9Score(ScoreBase):
    """PHQ-9: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe."""

    item9: int | None = Field(description="Item 9 (thoughts of death or self-harm).")
    positive: bool | None = Field(description="Total >= 10.")


class Gad7Score(ScoreBase):
    """GAD-7: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe."""

    positive: bool | None = Field(description="Total >= 10.")


class Pcl5Score(ScoreBase):
    """PCL-5: provisional PTSD at the cut-off; no official severity bands."""

    positive: bool | None = Field(description="Total >= the cut-off.")
    cutoff: int = Field(description="Cut-off applied (31; 31-33 published).")
    dsm_clusters_met: bool | None = Field(
        description="DSM-5 cluster rule from items (items >=2: B>=1, C>=1, D>=2, E>=2)."
    )


class CssrsScore(ScoreBase):
    """C-SSRS screener risk: none, low, moderate, high; `incomplete` if Q3-Q5 were due but
    not asked."""

    complete: bool | None = Field(description="All questions due were answered.")


class AuditCScore(ScoreBase):
    """AUDIT-C: positive at >=4 (men) or >=3 (women; also used when sex is unknown)."""

    positive: bool | None = Field(description="Total at or above the threshold.")
    threshold: int = Field(description="Threshold applied for the recorded sex.")


class Dast10Score(ScoreBase):
    """DAST-10: 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe."""


class Scores(OutModel):
    cows: CowsScore = Field(description="Clinical Opiate Withdrawal Scale.")
    sows: SowsScore = Field(description="Subjective Opiate Withdrawal Scale.")
    dsm5: Dsm5Score = Field(description="DSM-5 substance use disorder criteria.")
    news2: News2Score = Field(description="National Early Warning Score 2.")
    liver: LiverScore = Field(description="Liver injury pattern.")
    qtc: QtcScore = Field(description="QTc category.")
    phq9: Phq9Score = Field(description="PHQ-9 depression.")
    gad7: Gad7Score = Field(description="GAD-7 anxiety.")
    pcl5: Pcl5Score = Field(description="PCL-5 PTSD checklist.")
    cssrs: CssrsScore = Field(description="C-SSRS screener risk level.")
    audit_c: AuditCScore = Field(description="AUDIT-C alcohol screen.")
    dast10: Dast10Score = Field(description="DAST-10 drug use screen (other than alcohol).")


# --------------------------------------------------------------------------- the evaluation


class Evaluation(OutModel):
    """Level of care, alerts, three phases of recommendations, gaps, trace and scores."""

    evaluated_at: datetime = Field(description="The `as_of` time the evaluation used.")
    level_of_care: LevelOfCare = Field(description="Withdrawal-management setting.")
    alerts: tuple[Alert, ...] = Field(description="Safety alerts, most severe first.")
    phases: tuple[PhasePlan, ...] = Field(
        description="Exactly three, in order: stabilization, behavioral_therapy, aftercare."
    )
    missing_inputs: tuple[MissingInput, ...] = Field(
        description="Inputs that would have changed the result had they been given."
    )
    trace: tuple[TraceEntry, ...] = Field(description="Every rule evaluated, fired or not.")
    scores: Scores = Field(description="Derived scores with their inputs.")
    ruleset: RulesetInfo = Field(description="Ruleset version and content hash.")
    evidence_level: str = Field(description="How strong the evidence base is overall.")
    disclaimer: str = Field(description="Decision support, not orders.")
