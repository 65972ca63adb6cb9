"""Model bases and the reusable, documented field types of the API.

Request bodies are validated from the raw JSON bytes in strict mode: a boolean is not a
number, a number is not a string or a date, and a datetime must carry a UTC offset. (Strict
mode over already-decoded Python objects would refuse ISO date strings and enum values, which
is why the API validates bytes, see ``app.api.body``.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema


class ApiModel(BaseModel):
    """Base for request bodies: strict, unknown fields rejected, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ReadModel(BaseModel):
    """Base for response bodies."""

    model_config = ConfigDict(from_attributes=True)


DATETIME_OUT_OF_RANGE = "datetime_out_of_range"


def _as_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        # A type of its own: a valid RFC 3339 date-time that JSON Schema cannot refuse.
        raise PydanticCustomError(
            DATETIME_OUT_OF_RANGE, "The instant is out of range once converted to UTC."
        ) from None


# Unambiguous (the fraction's digits only after a dot), so a failing match is linear: the
# ambiguous \d+\.?\d* took 1.7 s on 8,000 digits and a letter.
_NUMBER = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")


def _not_a_number(value: Any) -> Any:
    # Query parameters are strings validated in lax mode, where "1" would be read as the
    # Unix epoch: an instant is a date and a time with an offset, nothing else.
    if isinstance(value, str) and _NUMBER.match(value):
        raise ValueError("Send an ISO 8601 date-time with a UTC offset, not a number.")
    return value


IsoDate = Annotated[date, Field(json_schema_extra={"maxLength": 10})]
UtcDateTime = Annotated[
    AwareDatetime, AfterValidator(_as_utc), Field(json_schema_extra={"maxLength": 40})
]
#: An instant given as a query parameter: ISO 8601 with an offset, converted to UTC.
UtcInstantQuery = Annotated[
    AwareDatetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_as_utc),
    Field(json_schema_extra={"maxLength": 40}),
]
StrictBool = bool


def _whole_float(value: float) -> int:
    # JSON Schema counts 11.0 as an integer, so accept it; 11.5 stays an error.
    if value.is_integer():
        return int(value)
    raise PydanticCustomError("int_type", "Input should be a valid integer")


#: A JSON integer, or a number with no fractional part (11.0), as an int; booleans and strings
#: are errors. Integers, by far the common case, never reach Python: the float branch (and
#: its Python call) runs only when the integer branch fails.
_WHOLE = core_schema.union_schema(
    [
        core_schema.int_schema(strict=True),
        core_schema.chain_schema(
            [
                core_schema.float_schema(strict=True, allow_inf_nan=False),
                core_schema.no_info_plain_validator_function(_whole_float),
            ]
        ),
    ],
    mode="left_to_right",
    custom_error_type="int_type",
)


@dataclass(frozen=True, slots=True)
class Whole:
    """``Annotated[int, Whole(...)]``: a strict integer with bounds or a published value set.

    ``Literal[0, 1, 2, 4]`` would accept ``true`` as 1 (``True == 1`` in Python), and bounds
    given with ``Field`` next to a custom validator are lost from the JSON Schema; building
    the core schema here keeps both exact, and keeps validation in pydantic-core (no Python
    call per field: an assessment has about 40 of them).
    """

    ge: int | None = None
    le: int | None = None
    one_of: tuple[int, ...] | None = None

    def _bounded(self) -> core_schema.CoreSchema:
        return core_schema.int_schema(ge=self.ge, le=self.le, strict=True)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        steps = [_WHOLE, self._bounded()]
        if self.one_of is not None:
            steps.append(core_schema.literal_schema(list(self.one_of)))
        return core_schema.chain_schema(steps)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(self._bounded())
        if self.one_of is not None:
            json_schema["enum"] = list(self.one_of)
        return json_schema


CROSS_FIELD = "cross_field"
#: A time later than the server\'s clock allows (it depends on when the request arrives).
IN_THE_FUTURE = "in_the_future"


def cross_field_error(message: str) -> PydanticCustomError:
    """An error that depends on another field's value, which JSON Schema cannot express.

    Its type is ``cross_field`` so clients (and our schema fuzzing) can tell it apart.
    """
    return PydanticCustomError(CROSS_FIELD, message)


def field_error(
    loc: tuple[str | int, ...], message: str, *, kind: str = CROSS_FIELD
) -> ValidationError:
    """A cross-field error (or another ``kind`` JSON Schema cannot express) at a precise
    location.

    Raised from a model validator, Pydantic prefixes the enclosing path, so the client gets a
    JSON pointer to the exact field instead of to the whole object.
    """
    error = PydanticCustomError(kind, message)
    return ValidationError.from_exception_data(
        "Assessment", [InitErrorDetails(type=error, loc=loc, input=None)]
    )


T = TypeVar("T")


def unique_items(values: list[T] | None) -> list[T] | None:
    """Reject duplicates in a list that acts as a set (criteria, classes, analytes)."""
    if values is not None and len(set(values)) != len(values):
        raise ValueError("items must be unique")
    return values
