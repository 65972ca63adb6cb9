"""Reading one value out of an Observation (or component): quantity, qualitative, ULN."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from app.fhir.access import Json, codings, obj, objs, quantity, text
from app.fhir.codes import NEGATIVE_CODES, NEGATIVE_WORDS, POSITIVE_CODES, POSITIVE_WORDS
from app.fhir.result import Reason
from app.fhir.units import Linear, convert


@dataclass(frozen=True, slots=True)
class Problem:
    reason: Reason
    detail: str
    pointer: str | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    value: float  # in the target unit
    source_value: float
    source_unit: str


def measured(
    holder: Json, table: dict[str, Linear], code: str, base: str = ""
) -> Measured | Problem:
    """A valueQuantity converted with ``table``; ``base`` prefixes the pointer (components)."""
    pointer = f"{base}/valueQuantity"
    if "valueQuantity" not in holder:
        return Problem(Reason.value_missing, f"{code}: no valueQuantity", base or None)
    q = quantity(holder["valueQuantity"])
    if q.value is None:
        return Problem(Reason.value_missing, f"{code}: quantity has no value", pointer)
    if q.comparator is not None:
        # "eGFR >60" or "K <2.5" is a bound: using it as the value would move thresholds.
        return Problem(
            Reason.value_not_exact,
            f"{code}: the value is a bound (comparator), not a measurement",
            f"{pointer}/comparator",
        )
    if q.unit is None:
        shown = q.shown or "none"
        return Problem(
            Reason.unit_not_supported, f"{code}: unit {shown!r} is not a UCUM code", pointer
        )
    converted = convert(q.value, q.unit, table)
    if converted is None:
        return Problem(
            Reason.unit_not_supported, f"{code}: UCUM unit {q.unit!r} not supported", pointer
        )
    return Measured(converted, q.value, q.unit)


# Wide enough for any finite float's digits (1.8e308), so that an absurd value reaches the
# plausibility check (reported as implausible_value) instead of overflowing the default
# 28-digit context.
_WIDE = Context(prec=400)


def whole(value: float) -> int | float:
    """Round half up to an integer (a measured rate or percent reported with decimals). A
    value beyond 64 bits stays a float: JSON tools refuse such integers, and the plausibility
    check refuses the value."""
    result = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_WIDE))
    return result if -(2**63) <= result < 2**63 else value


def rounded(value: float, places: int = 2) -> float:
    step = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP, context=_WIDE))


def qualitative(obs: Json, code: str) -> str | Problem:
    """``positive`` / ``negative`` from the coded value, an exact word, or the interpretation."""
    concept = obj(obs.get("valueCodeableConcept"))
    found = _signs([concept])
    word = (text(obs.get("valueString")) or text(concept.get("text")) or "").strip().lower()
    if not found and word in POSITIVE_WORDS:
        found.add("positive")
    if not found and word in NEGATIVE_WORDS:
        found.add("negative")
    flags = _signs(objs(obs.get("interpretation")))
    if not found and "valueQuantity" in obs:
        # A quantitative result is only positive against the lab's cut-off, i.e. its flag.
        found = flags
    elif found and flags and flags != found:
        found |= flags  # "not detected" flagged POS: contradictory, reported, not guessed
    if len(found) == 1:
        return found.pop()
    why = "contradictory" if found else "no recognised positive/negative value"
    return Problem(Reason.result_not_interpretable, f"{code}: {why}", "/value")


def _signs(concepts: list[Json]) -> set[str]:
    """ "positive" / "negative" for each coding of these concepts that says one."""
    signs: set[str] = set()
    for concept in concepts:
        for pair in codings(concept):
            if pair in POSITIVE_CODES:
                signs.add("positive")
            elif pair in NEGATIVE_CODES:
                signs.add("negative")
    return signs


def upper_limit(obs: Json, table: dict[str, Linear], value_unit: str) -> float | None:
    """ULN = referenceRange.high of the normal range, converted like the value.

    A range without a unit is in the result's unit (FHIR R4 Observation.referenceRange);
    ranges restricted to an age or population (``appliesTo``, ``age``) are not used.
    """
    for ref_range in objs(obs.get("referenceRange")):
        kinds = [c.get("code") for c in objs(obj(ref_range.get("type")).get("coding"))]
        if kinds and "normal" not in kinds:
            continue
        if "appliesTo" in ref_range or "age" in ref_range or "high" not in ref_range:
            continue
        high = quantity(ref_range["high"])
        if high.value is None:
            continue
        unit = high.unit if high.shown is not None else value_unit
        if unit is None:
            continue
        return convert(high.value, unit, table)
    return None
