"""FHIR R4 inbound mapping: resources, Bundles and CDS Hooks prefetch into an assessment."""

from app.fhir.bundle import reference_aliases, resources_from_bundle, resources_from_prefetch
from app.fhir.inbound import assessment_from_fhir
from app.fhir.result import FhirMapping, MappingIssue, Reason, UsedInput
from app.fhir.validation import warm_up

__all__ = [
    "FhirMapping",
    "MappingIssue",
    "Reason",
    "UsedInput",
    "assessment_from_fhir",
    "reference_aliases",
    "resources_from_bundle",
    "resources_from_prefetch",
    "warm_up",
]
