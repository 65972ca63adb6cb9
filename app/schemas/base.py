"""Model bases and the reusable, documented field types of the API.

Request bodies are validated from the raw JSON bytes in strict mode: a boolean is not a
number, a number is not a string or a date, and a datetime must carry a UTC offset. (Strict
mode over already-decoded Python objects would refuse ISO date strings and enum values, which
is why the API validates bytes, see ``app.api.body``.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import InitErrorDetails, PydanticCustomError


class ApiModel(BaseModel):
    """Base for request bodies: strict, unknown fields rejected, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ReadModel(BaseModel):
    """Base for response bodies."""

    model_config = ConfigDict(from_attributes=True)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


IsoDate = Annotated[date, Field(json_schema_extra={"maxLength": 10})]
UtcDateTime = Annotated[
    AwareDatetime, AfterValidator(_as_utc), Field(json_schema_extra={"maxLength": 40})
]
StrictBool = bool


def allowed_scores(*values: int) -> Any:
    """An integer restricted to a published set of item scores (e.g. COWS pulse: 0, 1, 2, 4)."""
    allowed = frozenset(values)

    def check(value: int) -> int:
        if value not in allowed:
            raise ValueError(f"must be one of {sorted(allowed)}")
        return value

    return Annotated[
        int, AfterValidator(check), WithJsonSchema({"type": "integer", "enum": sorted(allowed)})
    ]


def field_error(loc: tuple[str | int, ...], message: str) -> ValidationError:
    """A validation error at a precise location, for checks that span several fields.

    Raised from a model validator, Pydantic prefixes the enclosing path, so the client gets a
    JSON pointer to the exact field instead of to the whole object.
    """
    return ValidationError.from_exception_data(
        "Assessment",
        [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=None)],
    )


T = TypeVar("T")


def unique_items(values: list[T] | None) -> list[T] | None:
    """Reject duplicates in a list that acts as a set (criteria, classes, analytes)."""
    if values is not None and len(set(values)) != len(values):  # type: ignore[arg-type]
        raise ValueError("items must be unique")
    return values
