"""The knowledge base as the API shows it: rules, their citations, ruleset identity and the
ONC HTI-1 source attributes of each intervention."""

from __future__ import annotations

from pydantic import Field

from app.schemas.base import ReadModel


class SourceRead(ReadModel):
    key: str = Field(description="Stable source key.", examples=["wesson-2003"])
    citation: str = Field(description="Full citation.")
    year: int | None = Field(description="Publication year.", examples=[2003])
    url: str | None = Field(description="Where to read it.")
    doi: str | None = Field(description="DOI, when the source has one.")
    design: str = Field(description="Kind of evidence (guideline, label, RCT, cohort...).")
    verification: str = Field(description="How the cited content was checked.")


class CitationRead(ReadModel):
    key: str = Field(description="Source key.", examples=["wesson-2003"])
    supports: str = Field(description="What this source supports in the rule.")
    strength: str | None = Field(description="Strength of recommendation, if graded.")
    quality: str | None = Field(description="Quality of evidence, if graded.")
    verification: str | None = Field(description="What was found in the primary source.")
    source: SourceRead = Field(description="The source itself.")


class ThresholdRead(ReadModel):
    name: str = Field(description="Threshold name.", examples=["heart_rate_low_bpm"])
    value: float = Field(description="Threshold value.", examples=[60])
    unit: str = Field(description="Unit of the value.", examples=["beats/min"])
    sources: list[str] = Field(description="Source keys behind the value.")
    signed_off: bool = Field(
        description="True when confirmed in a primary source; false: needs clinician sign-off."
    )
    note: str = Field(description="Context for the value.")


class RuleSummary(ReadModel):
    id: str = Field(description="Stable rule id (family prefix + number).", examples=["VS-01"])
    revision: int = Field(description="Revision of the rule within the ruleset.", examples=[1])
    family: str = Field(
        description="What the rule produces: level_of_care, alert, stabilization, "
        "behavioral_therapy or aftercare.",
        examples=["alert"],
    )
    title: str = Field(description="One line for the clinician.")
    summary: str = Field(description="What the rule does, in plain language.")


class RuleDetail(RuleSummary):
    rationale: str = Field(description="Why, in plain language.")
    reads: list[str] = Field(description="The inputs the rule reads (pointers, scores, facts).")
    assessment_inputs: list[str] = Field(
        description="The assessment fields it depends on, with scores and derived facts expanded."
    )
    citations: list[CitationRead] = Field(description="At least one.")
    limitations: list[str] = Field(description="What the rule cannot know or does not cover.")
    thresholds: list[ThresholdRead] = Field(description="Named clinical thresholds it applies.")


class RulesetIdentity(ReadModel):
    ruleset_version: str = Field(description="Ruleset version (semver).", examples=["1.0.0"])
    ruleset_hash: str = Field(description="sha256 of the canonical rule-table metadata.")
    release_date: str = Field(description="Release date of this version.", examples=["2026-11-26"])


class RuleList(RulesetIdentity):
    items: list[RuleSummary] = Field(description="Every rule, in evaluation order.")


class RuleRead(RulesetIdentity):
    rule: RuleDetail = Field(description="The rule.")


class InterventionAttributes(ReadModel):
    """ONC HTI-1 (45 CFR 170.315(b)(11)(iv)) source attributes of one intervention."""

    id: str = Field(description="Rule id.", examples=["MED-01"])
    title: str = Field(description="Rule title.")
    revision: int = Field(description="Rule revision.")
    citations: list[str] = Field(description="Bibliographic citations of the evidence.")
    developer: str = Field(description="Developer of the intervention.")
    funding_source: str = Field(description="Funding source of the intervention's development.")
    release_date: str = Field(description="Release date.")
    revision_date: str = Field(description="Last revision date.")
    inputs: list[str] = Field(description="Assessment fields the intervention depends on.")
    uses_race: bool = Field(description="Uses race.")
    uses_ethnicity: bool = Field(description="Uses ethnicity.")
    uses_language: bool = Field(description="Uses language.")
    uses_sexual_orientation: bool = Field(description="Uses sexual orientation.")
    uses_gender_identity: bool = Field(description="Uses gender identity.")
    uses_sex: bool = Field(description="Uses sex.")
    uses_date_of_birth: bool = Field(description="Uses date of birth (or age).")
    uses_social_determinants_of_health: bool = Field(
        description="Uses social determinants of health."
    )
    uses_health_status_assessments: bool = Field(
        description="Uses health status assessments (instruments, scales, pregnancy...)."
    )


class Knowledge(RulesetIdentity):
    dsi_type: str = Field(description="HTI-1 decision support intervention type.")
    interventions: list[InterventionAttributes] = Field(description="One per rule.")
