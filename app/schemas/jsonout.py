"""Response bytes for output models through orjson: the same JSON as ``model_dump_json``.

The evaluation is about 75 KB of JSON (every recommendation carries its citations, and the
trace every value each rule read); pydantic's serializer takes about three times as long as
orjson to write it. Output models here are plain data (no aliases, exclusions or custom
serializers), so orjson can write their ``__dict__`` directly. Two differences from pydantic
are handled: a field declared ``float`` that holds an int is written as a float (``13.0``), as
pydantic does, and a model with any serialization customisation falls back to pydantic.
tests/test_jsonout.py proves byte equality with ``model_dump_json`` over generated
evaluations.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

_FLOAT_TYPES = (float, float | None)
_OPTIONS = orjson.OPT_UTC_Z
# Per model class: the fields declared float (ints in them are widened), or None when the
# class customises its serialization and pydantic must write it.
_PLAN: dict[type[BaseModel], tuple[str, ...] | None] = {}


def _plan(cls: type[BaseModel]) -> tuple[str, ...] | None:
    decorators = cls.__pydantic_decorators__
    customised = (
        decorators.field_serializers
        or decorators.model_serializers
        or cls.model_computed_fields
        or cls.model_config.get("extra") == "allow"
        or any(
            f.alias is not None or f.serialization_alias is not None or f.exclude
            for f in cls.model_fields.values()
        )
    )
    if customised:
        return None
    return tuple(name for name, f in cls.model_fields.items() if f.annotation in _FLOAT_TYPES)


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        cls = type(value)
        try:
            floats = _PLAN[cls]
        except KeyError:
            floats = _PLAN[cls] = _plan(cls)
        if floats is None:
            return orjson.Fragment(value.model_dump_json())
        data = value.__dict__
        widen = [name for name in floats if type(data[name]) is int]
        if widen:
            data = data | {name: float(data[name]) for name in widen}
        return data
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_json(model: BaseModel) -> bytes:
    """``model.model_dump_json().encode()``, faster for plain output models."""
    return orjson.dumps(model, default=_default, option=_OPTIONS)
