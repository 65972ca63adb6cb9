"""Plan vocabulary shared by schemas and services: statuses, phases, decisions, reasons."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class PlanStatus(StrEnum):
    """Mirrors FHIR CarePlan.status so the FHIR mapping is one-to-one."""

    draft = "draft"
    active = "active"
    on_hold = "on_hold"
    completed = "completed"
    revoked = "revoked"
    entered_in_error = "entered_in_error"


class Phase(StrEnum):
    stabilization = "stabilization"
    behavioral_therapy = "behavioral_therapy"
    aftercare = "aftercare"


class Decision(StrEnum):
    accepted = "accepted"
    declined = "declined"
    modified = "modified"


class DecisionReason(StrEnum):
    """The published reason codes for clinician decisions (documented in the OpenAPI)."""

    agree_with_recommendation = "agree_with_recommendation"
    patient_declined = "patient_declined"
    patient_preference_alternative = "patient_preference_alternative"
    contraindication_not_captured = "contraindication_not_captured"
    already_in_place = "already_in_place"
    not_available_locally = "not_available_locally"
    insurance_or_cost = "insurance_or_cost"
    clinical_judgment_differs = "clinical_judgment_differs"
    dose_or_schedule_adjusted = "dose_or_schedule_adjusted"
    deferred_pending_results = "deferred_pending_results"
    data_incorrect = "data_incorrect"
    other = "other"

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Publish what each code means: as a list in the description, for people, and as
        `x-enumDescriptions` (read by openapi-typescript and most generators), for code."""
        schema: dict[str, Any] = handler.resolve_ref_schema(handler(core_schema))
        meanings = [DECISION_REASON_DESCRIPTIONS[code] for code in cls]
        schema["description"] = "Reason codes for clinician decisions:\n\n" + "\n".join(
            f"- `{code.value}`: {text}" for code, text in zip(cls, meanings, strict=True)
        )
        schema["x-enumDescriptions"] = meanings
        return schema


DECISION_REASON_DESCRIPTIONS: dict[DecisionReason, str] = {
    DecisionReason.agree_with_recommendation: "Clinician agrees and will act on it.",
    DecisionReason.patient_declined: "The patient declined after shared decision-making.",
    DecisionReason.patient_preference_alternative: "The patient prefers an alternative.",
    DecisionReason.contraindication_not_captured: "A contraindication the inputs did not show.",
    DecisionReason.already_in_place: "Already prescribed, ordered or arranged.",
    DecisionReason.not_available_locally: "Not available in this setting or region.",
    DecisionReason.insurance_or_cost: "Coverage or cost prevents it.",
    DecisionReason.clinical_judgment_differs: "Clinical judgment differs (explain in text).",
    DecisionReason.dose_or_schedule_adjusted: "Accepted with a changed dose or schedule.",
    DecisionReason.deferred_pending_results: "Deferred until pending results are back.",
    DecisionReason.data_incorrect: "The assessment data behind it is wrong.",
    DecisionReason.other: "Other (explain in text).",
}
