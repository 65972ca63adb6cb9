"""Structural validation of incoming resources with the ``fhir.resources`` R4B models.

R4B (4.3) is the closest to R4 (4.0.1) that fhir.resources 8 ships (tooling.md section 9);
the resource types we read did not change between the two. The models check structure and
datatypes only (a ``status: "bogus"`` passes), so value sets are still checked by the mapper.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

import orjson
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


# Results by a digest of the resource's canonical JSON (never the resource itself). The same
# resources come back on every chart view and in the next hook's prefetch, and the models cost
# about 0.1 ms per resource; the digest costs a few microseconds.
_RESULTS: dict[bytes, str | None] = {}
_MAX_RESULTS = 8192


def structural_errors(resource: Json) -> str | None:
    """None when valid; else where and what (error locations and types, never values)."""
    try:
        digest = hashlib.blake2b(
            orjson.dumps(resource, option=orjson.OPT_SORT_KEYS), digest_size=16
        ).digest()
    except TypeError:  # not plain JSON (e.g. an integer beyond 64 bits): validate, uncached
        return _validate(resource)
    if digest in _RESULTS:
        return _RESULTS[digest]
    result = _validate(resource)
    if len(_RESULTS) >= _MAX_RESULTS:
        _RESULTS.clear()
    _RESULTS[digest] = result
    return result


def _validate(resource: Json) -> str | None:
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
