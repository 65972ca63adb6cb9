"""Structural validation of incoming resources with the ``fhir.resources`` R4B models.

R4B (4.3) is the closest to R4 (4.0.1) that fhir.resources 8 ships (tooling.md section 9);
the resource types we read did not change between the two. The models check structure and
datatypes only (a ``status: "bogus"`` passes), so value sets are still checked by the mapper.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ValidationError

from app.fhir.access import Json

VALIDATED_TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "MedicationStatement",
    "MedicationRequest",
    "Medication",
    "QuestionnaireResponse",
)


@cache
def _model(resource_type: str) -> type[BaseModel]:
    model: type[BaseModel] = get_fhir_model_class(resource_type)
    return model


def warm_up() -> None:
    """Build the validators once (the first validation of each type takes ~30-60 ms)."""
    for resource_type in VALIDATED_TYPES:
        _model(resource_type).model_validate(
            {"resourceType": resource_type, **_MINIMAL[resource_type]}
        )


_MINIMAL: dict[str, dict[str, Any]] = {
    "Patient": {},
    "Observation": {"status": "final", "code": {"text": "x"}},
    "Condition": {"subject": {"reference": "Patient/x"}},
    "MedicationStatement": {
        "status": "active",
        "subject": {"reference": "Patient/x"},
        "medicationCodeableConcept": {"text": "x"},
    },
    "MedicationRequest": {
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/x"},
        "medicationCodeableConcept": {"text": "x"},
    },
    "Medication": {},
    "QuestionnaireResponse": {"status": "completed"},
}


def structural_errors(resource: Json) -> str | None:
    """None when valid; else where and what (error locations and types, never values)."""
    try:
        _model(str(resource["resourceType"])).model_validate(resource)
    except ValidationError as exc:
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(resource)'}: {err['type']}"
            for err in exc.errors()[:3]
        )
    except (ValueError, TypeError, KeyError) as exc:  # odd shapes the models reject early
        return type(exc).__name__
    return None
