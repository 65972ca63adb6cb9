"""Small, total accessors over FHIR JSON (dicts): never raise on an odd shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.fhir.codes import LOINC, UCUM

Json = dict[str, Any]

_EPOCH = datetime.min.replace(tzinfo=UTC)
# FHIR dateTime: YYYY, YYYY-MM, YYYY-MM-DD or a full time, which must carry an offset.
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# A date without a time names a local day, month or year of an unknown time zone. Civil offsets
# run from UTC-12 to UTC+14: the period began at the earliest at its start at UTC+14 and ended
# at the latest at its end at UTC-12.
_EAST_MOST = timedelta(hours=14)
_WEST_MOST = timedelta(hours=12)


def obj(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def objs(value: Any) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def number(value: Any) -> float | None:
    # bool is an int in Python; FHIR never encodes a number as true/false.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def codings(concept: Any) -> list[tuple[str, str]]:
    """(system, code) pairs of a CodeableConcept (or of a bare Coding)."""
    concept = obj(concept)
    items = objs(concept.get("coding")) if "coding" in concept else [concept]
    return [
        (c["system"], c["code"])
        for c in items
        if isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
    ]


def codes_in(concept: Any, system: str) -> list[str]:
    return [code for sys, code in codings(concept) if sys == system]


def loinc_codes(concept: Any) -> list[str]:
    return codes_in(concept, LOINC)


def display(concept: Any) -> str | None:
    concept = obj(concept)
    found = text(concept.get("text"))
    if found is None:
        found = next((text(c.get("display")) for c in objs(concept.get("coding"))), None)
    return found


_WORD = re.compile(r"[a-z0-9]+")


def concept_words(concept: Any) -> set[str]:
    """Lower-case words of a CodeableConcept's text and coding displays, for name matching
    ("Oxycodone Hydrochloride 5 MG Oral Tablet" -> {"oxycodone", "hydrochloride", ...})."""
    concept = obj(concept)
    parts = [text(concept.get("text"))] + [
        text(coding.get("display")) for coding in objs(concept.get("coding"))
    ]
    words: set[str] = set()
    for part in parts:
        words |= set(_WORD.findall((part or "").lower()))
    return words


def ref_of(resource: Json, index: int) -> str:
    kind = text(resource.get("resourceType")) or "Resource"
    rid = text(resource.get("id"))
    return f"{kind}/{rid}" if rid else f"{kind}/#{index}"


def reference_target(reference: str) -> tuple[str | None, str]:
    """(type, id) of a literal reference: ``Patient/1``, ``https://x/fhir/Patient/1/_history/2``
    or ``urn:uuid:1`` (type unknown)."""
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return None, reference.rsplit(":", 1)[1]
    parts = reference.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, reference


@dataclass(frozen=True, slots=True)
class When:
    """A FHIR time: ``sort`` orders results; ``exact`` only when it is a full timestamp.

    ``earliest`` and ``latest`` bound the instants it can denote: both ``exact`` for a full
    timestamp; for a date without a time, its period's start at UTC+14 and end at UTC-12;
    None when unknown (no usable time, or a bound outside years 1-9999).
    """

    sort: datetime
    exact: datetime | None
    text: str | None
    earliest: datetime | None = None
    latest: datetime | None = None


NEVER = When(_EPOCH, None, None)


def _period_end(start: datetime, month: str | None, day: str | None) -> datetime:
    """The (exclusive) end of the day, month or year that begins at ``start``."""
    if day is not None:
        return start + timedelta(days=1)
    if month is None:
        return start.replace(year=start.year + 1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def _partial_date(raw: str, year: str, month: str | None, day: str | None) -> When:
    try:
        start = datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
    except ValueError:
        return NEVER
    earliest: datetime | None
    latest: datetime | None
    try:
        earliest = start - _EAST_MOST
    except OverflowError:  # early in year 1
        earliest = None
    try:
        latest = _period_end(start, month, day) + _WEST_MOST
    except (ValueError, OverflowError):  # late in year 9999
        latest = None
    return When(start, None, raw, earliest, latest)


def parse_when(value: Any) -> When:
    raw = text(value)
    if raw is None:
        return NEVER
    partial = _PARTIAL.match(raw)
    if partial:
        return _partial_date(raw, *partial.groups())
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return NEVER
    if parsed.tzinfo is None:  # invalid FHIR; the offset cannot be assumed
        return When(parsed.replace(tzinfo=UTC), None, raw)
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC: no usable time
        return NEVER
    return When(utc, utc, raw, utc, utc)


def effective(resource: Json) -> When:
    """Clinically relevant time: Observation.effective[x], QuestionnaireResponse.authored."""
    for key in ("effectiveDateTime", "effectiveInstant", "authored"):
        if key in resource:
            return parse_when(resource[key])
    period = obj(resource.get("effectivePeriod"))
    return parse_when(period.get("end") or period.get("start"))


def began(resource: Json) -> When:
    """When the result or statement started to exist: the period's start (an ongoing
    medication's period may end in the future), else the effective time."""
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and period.get("start") is not None:
        return parse_when(period["start"])
    return effective(resource)


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float | None
    unit: str | None  # the UCUM code, only when system is UCUM
    shown: str | None  # unit or code as sent, for reports
    comparator: str | None = None  # "<", "<=", ">=", ">" or "ad": the value is only a bound


def quantity(value: Any) -> Quantity:
    q = obj(value)
    code = text(q.get("code"))
    ucum = code if q.get("system") == UCUM else None
    return Quantity(
        number(q.get("value")), ucum, code or text(q.get("unit")), text(q.get("comparator"))
    )


def extension_value(element: Json, url: str) -> Any:
    for ext in objs(element.get("extension")):
        if ext.get("url") == url:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None
