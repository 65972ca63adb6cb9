"""`dump_json` writes exactly what pydantic's `model_dump_json` writes, faster."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given
from pydantic import BaseModel, Field, field_serializer

from app.rules import evaluate
from app.rules.build import make
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn
from app.schemas.evaluation import CowsScore
from app.schemas.jsonout import dump_json
from tests.rules.test_properties import SETTINGS, assessments

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "app" / "examples").glob("*.json"))


def _evaluation_of(doc: dict[str, Any]) -> Any:
    assessment = AssessmentIn.model_validate_json(orjson.dumps(doc))
    return evaluate(assessment, as_of=assessment.assessed_at)


def test_shipped_examples_serialise_byte_for_byte() -> None:
    docs = [ASSESSMENT_EXAMPLE, *(orjson.loads(p.read_bytes()) for p in EXAMPLES)]
    for doc in docs:
        evaluation = _evaluation_of(doc)
        assert dump_json(evaluation) == evaluation.model_dump_json().encode()


@SETTINGS
@given(assessments())
def test_generated_evaluations_serialise_byte_for_byte(doc: dict[str, Any]) -> None:
    evaluation = _evaluation_of(doc)
    assert dump_json(evaluation) == evaluation.model_dump_json().encode()


def test_an_int_in_a_float_field_is_written_as_a_float() -> None:
    # The engine builds models without validation, so a COWS total of 13 is an int there;
    # the contract (and pydantic) says float.
    score = _evaluation_of(ASSESSMENT_EXAMPLE).scores.cows
    data = dict(score.__dict__, value=13)
    built = make(CowsScore, data)
    assert b'"value":13.0,' in dump_json(built)
    assert dump_json(built) == built.model_dump_json().encode()


class _Aliased(BaseModel):
    when: datetime
    name: str = Field(serialization_alias="displayName")


class _Custom(BaseModel):
    secret: str

    @field_serializer("secret")
    def _mask(self, value: str) -> str:
        return "***"


class _Outer(BaseModel):
    aliased: _Aliased
    custom: _Custom


def test_customised_models_are_written_by_pydantic() -> None:
    outer = _Outer(
        aliased=_Aliased(when=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), name="x"),
        custom=_Custom(secret="s"),
    )
    assert dump_json(outer) == outer.model_dump_json().encode()
    body = orjson.loads(dump_json(outer))
    assert body["custom"] == {"secret": "***"}
    assert body["aliased"] == {"when": "2026-01-02T03:04:05.000006Z", "name": "x"}
