"""Draft orders of the order-sign hook: which of the drugs our rules check they are.

A MedicationRequest is matched by RxNorm *ingredient* code (app.fhir.codes) or, failing that,
by generic or brand name in its coding displays or text. A ``medicationReference`` is read
through the Medication it names (contained, or an entry of draftOrders), else its display.
Lofexidine has no RxCUI in our confirmed table yet, so it is matched by name only; an
unmatched order is simply not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from app.fhir import codes as c
from app.fhir.access import Json, codings, concept_words, display, obj, objs, reference_target, text
from app.fhir.bundle import reference_aliases

CHECKED: Final = ("buprenorphine", "lofexidine", "clonidine", "naltrexone")
# Ingredient RxCUIs, taken from the reviewed class table in app.fhir.codes.
RXNORM: Final = {
    code: name for code, (name, _classes) in c.RXNORM_CLASSES.items() if name in CHECKED
}
NAMES: Final = {drug: c.DRUG_NAMES[drug] for drug in CHECKED}


@dataclass(frozen=True, slots=True)
class DraftDrug:
    drug: str  # one of CHECKED
    label: str  # how it was identified (RxNorm code or name); never patient data
    resource_ids: tuple[str, ...]  # MedicationRequest/{id} of each order, for a delete action


def draft_drugs(draft_orders: Any) -> list[DraftDrug]:
    """The checked drugs among the MedicationRequests of a draftOrders Bundle."""
    found: list[DraftDrug] = []
    entries = _entries(draft_orders)
    for entry in objs(obj(draft_orders).get("entry")):
        resource = obj(entry.get("resource"))
        if resource.get("resourceType") != "MedicationRequest":
            continue
        concept = _concept(resource, entries)
        rid = text(resource.get("id"))
        ref = (f"MedicationRequest/{rid}",) if rid else ()
        for drug, label in _identify(concept):
            same = next((i for i, d in enumerate(found) if d.drug == drug), None)
            if same is None:
                found.append(DraftDrug(drug, label, ref))
            elif ref and ref[0] not in found[same].resource_ids:
                # Two orders of one drug: one card, and removing the drug removes both.
                earlier = found[same]
                found[same] = DraftDrug(drug, earlier.label, (*earlier.resource_ids, *ref))
    return found


def _entries(draft_orders: Any) -> dict[str, Json]:
    """draftOrders' resources by the references that may name them: each entry's fullUrl
    (``reference_aliases``, as the inbound mapper resolves them), and ``Type/id`` for an entry
    whatever its fullUrl (or without one)."""
    by_url = reference_aliases([draft_orders])
    resources = [obj(e.get("resource")) for e in objs(obj(draft_orders).get("entry"))]
    by_id = {
        f"{kind}/{rid}": r
        for r in [*resources, *by_url.values()]
        if (kind := text(r.get("resourceType"))) and (rid := text(r.get("id")))
    }
    return by_id | by_url


def _concept(resource: Json, entries: dict[str, Json]) -> Any:
    """The medication ordered: medicationCodeableConcept, else the code of the Medication that
    medicationReference names, else (or when that code has no text) the reference's display."""
    if "medicationCodeableConcept" in resource:
        return resource["medicationCodeableConcept"]
    reference = obj(resource.get("medicationReference"))
    code = obj(_medication(resource, text(reference.get("reference")) or "", entries)).get("code")
    shown = text(reference.get("display"))
    if shown is not None and display(code) is None:
        return {**obj(code), "text": shown}
    return code


def _medication(resource: Json, reference: str, entries: dict[str, Json]) -> Json | None:
    """The Medication named: contained (``#id``), else a draftOrders entry (``_entries``); an
    absolute URL ending in ``Medication/<id>`` names that entry too."""
    if reference.startswith("#"):
        contained = (r for r in objs(resource.get("contained")) if r.get("id") == reference[1:])
        return next(contained, None)
    found = entries.get(reference)
    if found is None:
        kind, rid = reference_target(reference)
        found = entries.get(f"{kind}/{rid}") if kind else None
    return found if found is not None and found.get("resourceType") == "Medication" else None


def _identify(concept: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for system, code in codings(concept):
        if system == c.RXNORM and code in RXNORM:
            out.append((RXNORM[code], f"RxNorm {code}"))
    words = concept_words(concept)
    for drug, names in NAMES.items():
        hit = next((n for n in names if n in words), None)
        if hit and all(d != drug for d, _ in out):
            out.append((drug, f"name '{hit}'"))
    return out
