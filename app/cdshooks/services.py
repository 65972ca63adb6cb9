"""Our CDS Hooks services and their prefetch templates (what the rules read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from app.fhir import codes as c
from app.fhir import instruments as inst

_PT = "{{context.patientId}}"


def _codes(*groups: Any) -> str:
    flat: list[str] = []
    for group in groups:
        for code in [group] if isinstance(group, str) else group:
            if code not in flat:
                flat.append(code)
    return ",".join(f"{c.LOINC}|{code}" for code in flat)


_LAB_CODES = _codes(tuple(c.LAB_CODES), c.PREGNANCY_TEST)
_UDS_CODES = _codes(tuple(c.UDS_CODES))
_INSTRUMENT_CODES = _codes(
    tuple(inst.BY_PANEL), tuple(inst.BY_TOTAL), inst.PHQ9_ITEM9, sorted(inst.ITEM_CODES)
)

# Each key is one FHIR search the EHR runs for us (or we run against fhirServer when it is
# missing). Counts are bounded; the mapper uses the most recent result per code.
PREFETCH: Final[dict[str, str]] = {
    "patient": f"Patient/{_PT}",
    "vitals": f"Observation?patient={_PT}&category=vital-signs&_sort=-date&_count=50",
    "labs": f"Observation?patient={_PT}&code={_LAB_CODES}&_sort=-date&_count=50",
    "drugScreen": f"Observation?patient={_PT}&code={_UDS_CODES}&_sort=-date&_count=30",
    "pregnancy": f"Observation?patient={_PT}&code={c.LOINC}|{c.PREGNANCY_STATUS}"
    "&_sort=-date&_count=1",
    "instrumentScores": f"Observation?patient={_PT}&code={_INSTRUMENT_CODES}&_sort=-date&_count=60",
    "questionnaireResponses": f"QuestionnaireResponse?patient={_PT}&status=completed"
    "&_sort=-authored&_count=20",
    "conditions": f"Condition?patient={_PT}&clinical-status=active,recurrence,relapse",
    "medicationStatements": f"MedicationStatement?patient={_PT}&status=active",
    "medicationRequests": f"MedicationRequest?patient={_PT}&status=active&intent=order",
}
#: The templates keep to the query subset CDS Hooks 2.0 recommends for prefetch (no
#: _include: an EHR may leave out a key it cannot run, and without fhirServer access that
#: would be a 412 on every call). When this service queries fhirServer itself it also asks
#: for the Medication a medicationReference names (the mapper otherwise falls back to the
#: reference's display).
FETCH_EXTRAS: Final[dict[str, str]] = {
    "medicationStatements": "&_include=MedicationStatement:medication",
    "medicationRequests": "&_include=MedicationRequest:medication",
}


@dataclass(frozen=True, slots=True)
class CdsService:
    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str]

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(self.prefetch),
        }


SERVICES: Final[dict[str, CdsService]] = {
    service.id: service
    for service in (
        CdsService(
            id="kratom-cds-patient-view",
            hook="patient-view",
            title="Kratom use disorder: treatment plan and safety alerts",
            description="When the chart opens, evaluates recent vital signs, drug screens, "
            "liver and ECG results, withdrawal and mental-health scales, conditions and "
            "medications against the kratom use disorder rules; returns safety alerts and a "
            "draft three-phase treatment plan (stored; linked from the cards).",
            prefetch=PREFETCH,
        ),
        CdsService(
            id="kratom-cds-order-sign",
            hook="order-sign",
            title="Kratom use disorder: withdrawal medication safety check",
            description="When an order for buprenorphine, lofexidine, clonidine or naltrexone "
            "is signed, checks it against the safety rules (e.g. lofexidine with bradycardia "
            "or a long QTc, naltrexone with opioids on board) and warns before signing.",
            prefetch=PREFETCH,
        ),
    )
}
