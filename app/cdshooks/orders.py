"""Draft orders of the order-sign hook: which of the drugs our rules check they are.

A MedicationRequest is matched by RxNorm *ingredient* code (app.fhir.codes) or, failing that,
by generic or brand name in its coding displays or text. Lofexidine has no RxCUI in our
confirmed table yet, so it is matched by name only; an unmatched order is simply not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from app.fhir import codes as c
from app.fhir.access import codings, concept_words, obj, objs, text

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
    for entry in objs(obj(draft_orders).get("entry")):
        resource = obj(entry.get("resource"))
        if resource.get("resourceType") != "MedicationRequest":
            continue
        concept = _concept(resource)
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


def _concept(resource: dict[str, Any]) -> Any:
    if "medicationCodeableConcept" in resource:
        return resource["medicationCodeableConcept"]
    reference = text(obj(resource.get("medicationReference")).get("reference")) or ""
    if reference.startswith("#"):
        for contained in objs(resource.get("contained")):
            if contained.get("id") == reference[1:]:
                return contained.get("code")
    return {"text": text(obj(resource.get("medicationReference")).get("display"))}


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
