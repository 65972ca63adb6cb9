"""The engine builds its output without re-validation; prove the result equals the validated
model, serialises cleanly, and that every output field is described for OpenAPI."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from pydantic import BaseModel

from app.schemas import evaluation as schema
from app.schemas.evaluation import Evaluation
from tests.factories import cows_items
from tests.rules.support import run

VARIED: list[dict[str, Any]] = [
    {},
    {"vitals": None, "withdrawal": {"cows": None}, "labs": None},
    {
        "vitals": {"heart_rate_bpm": 135, "respiratory_rate_per_min": 7},
        "use_history": {"product_types": ["concentrated_7oh"], "other_substances": ["fentanyl"]},
        "considering": ["naltrexone", "lofexidine", "clonidine", "methadone"],
    },
    {
        "withdrawal": {"cows": cows_items(30)},
        "labs": {"qtc_ms": 510, "alt_u_per_l": 300, "total_bilirubin_mg_per_dl": 3.0},
    },
]


@pytest.mark.parametrize("overrides", VARIED)
def test_built_evaluation_equals_validated_and_serialises_without_warnings(
    overrides: dict[str, Any],
) -> None:
    ev = run(**overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dumped = ev.model_dump(mode="json")
        ev.model_dump_json()
    again = Evaluation.model_validate(dumped)
    assert again.model_dump(mode="json") == dumped
    assert Evaluation.model_validate_json(ev.model_dump_json()) == again


def _models() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(schema).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == schema.__name__
    ]


def test_every_output_field_has_a_description() -> None:
    for model in _models():
        for name, field in model.model_fields.items():
            if model.__name__ in {"OutModel"}:
                continue
            assert field.description, f"{model.__name__}.{name}"


def test_json_schema_builds() -> None:
    doc = Evaluation.model_json_schema(mode="serialization")
    assert "TraceEntry" in doc["$defs"]
    assert doc["$defs"]["TraceEntry"]["properties"]["values_read"]["description"]
