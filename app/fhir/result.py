"""What the inbound mapping returns: the assessment plus an account of every resource."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.assessment import AssessmentIn


class Reason(StrEnum):
    # unsupported: looks relevant, but cannot be mapped without guessing
    invalid_resource = "invalid_resource"
    unrecognised_code = "unrecognised_code"
    unit_not_supported = "unit_not_supported"
    value_missing = "value_missing"
    value_not_exact = "value_not_exact"  # a comparator (<, <=, >=, >, ad): a bound, not a value
    result_not_interpretable = "result_not_interpretable"
    implausible_value = "implausible_value"
    uln_missing = "uln_missing"
    effective_time_imprecise = "effective_time_imprecise"
    partial_date = "partial_date"
    bp_outside_panel = "bp_outside_panel"
    medication_class_unknown = "medication_class_unknown"
    medication_not_identified = "medication_not_identified"
    instrument_incomplete = "instrument_incomplete"
    answer_score_unknown = "answer_score_unknown"
    too_many = "too_many"
    modifier_extension = "modifier_extension"
    # ignored: understood and deliberately not used
    resource_type_not_used = "resource_type_not_used"
    status_not_usable = "status_not_usable"
    not_active = "not_active"
    subject_mismatch = "subject_mismatch"
    superseded = "superseded"
    after_assessment = "after_assessment"
    administrative_gender_not_used = "administrative_gender_not_used"
    panel_not_used = "panel_not_used"
    outside_recall_period = "outside_recall_period"
    duplicate = "duplicate"


#: What each unsupported reason means, in words that carry no submitted value (a 422 must
#: not echo units, URLs or text the caller sent).
REASON_TEXT: dict[Reason, str] = {
    Reason.invalid_resource: "The resource is not valid FHIR R4.",
    Reason.unrecognised_code: "The code is not one this service maps.",
    Reason.unit_not_supported: "The unit is not a supported UCUM unit for this code.",
    Reason.value_missing: "The value is missing.",
    Reason.value_not_exact: "The value is a bound (Quantity.comparator), not a measurement.",
    Reason.result_not_interpretable: "The result cannot be read as positive or negative.",
    Reason.implausible_value: "The value is outside the plausible range.",
    Reason.uln_missing: "No usable normal-range upper limit.",
    Reason.effective_time_imprecise: "The effective time is not precise enough.",
    Reason.partial_date: "The date is partial.",
    Reason.bp_outside_panel: "A blood-pressure component outside a blood-pressure panel.",
    Reason.medication_class_unknown: "The medication's class is not known to this service.",
    Reason.medication_not_identified: "The medication has no name or display.",
    Reason.instrument_incomplete: "The instrument is incomplete.",
    Reason.answer_score_unknown: "An answer has no known score.",
    Reason.too_many: "More entries than this service accepts.",
    Reason.modifier_extension: "A modifier extension this service does not understand.",
}


IGNORED_REASONS = frozenset(
    {
        Reason.resource_type_not_used,
        Reason.status_not_usable,
        Reason.not_active,
        Reason.subject_mismatch,
        Reason.superseded,
        Reason.after_assessment,
        Reason.administrative_gender_not_used,
        Reason.panel_not_used,
        Reason.outside_recall_period,
        Reason.duplicate,
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MappingIssue(_Frozen):
    ref: str = Field(description="`Type/id` of the resource, or `Type/#n` (n = list index).")
    pointer: str | None = Field(
        default=None, description="JSON pointer into that resource, when one element is at fault."
    )
    reason: Reason
    detail: str = Field(description="Codes and units involved; never a patient value.")


class UsedInput(_Frozen):
    """One assessment field and where it came from (for card explanations)."""

    field: str = Field(description="JSON pointer into the assessment, e.g. /vitals/heart_rate_bpm.")
    ref: str
    code: str | None = Field(default=None, description="LOINC code, or the questionnaire URL.")
    source_value: float | str | None = None
    source_unit: str | None = None
    effective: str | None = Field(default=None, description="The resource's effective time.")


class FhirMapping(_Frozen):
    assessment: AssessmentIn
    used: list[str] = Field(description="Resources that contributed at least one field.")
    inputs: list[UsedInput]
    unsupported: list[MappingIssue] = Field(
        description="Relevant data that could not be mapped without guessing."
    )
    ignored: list[MappingIssue] = Field(
        description="Resources deliberately not used (status, superseded, other patient...)."
    )
