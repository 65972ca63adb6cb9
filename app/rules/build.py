"""Fast construction of the (already-correct) output models, and citation rendering.

The engine's output is built from typed internal values, so re-validating it would only cost
time (the evaluation budget is 100 microseconds). `make` does what `BaseModel.model_construct`
does, minus its per-field default and alias handling; tests/rules/test_output_models.py proves
that every output built this way equals the validated model.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from app.rules.sources import SOURCES
from app.rules.types import Cite
from app.schemas.evaluation import Evidence

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__
_FIELDS: dict[type[BaseModel], set[str]] = {}


def make(cls: type[M], data: dict[str, Any]) -> M:
    """An instance of `cls` holding `data`, which must name every field with a valid value."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = set(cls.model_fields)
    obj = _new(cls)
    _set(obj, "__dict__", data)
    _set(obj, "__pydantic_fields_set__", fields)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def evidence(cite: Cite) -> Evidence:
    """The output form of one citation (validated once, at import time)."""
    source = SOURCES[cite.key]
    return Evidence(
        source_key=source.key,
        citation=source.citation,
        year=source.year,
        url=source.url,
        doi=source.doi,
        design=source.design,
        strength=cite.strength,
        quality=cite.quality,
        verification=cite.verification or source.verification,
    )
