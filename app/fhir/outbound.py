"""Plans as FHIR R4: CarePlan, RequestGroup, DetectedIssue(s) and Provenance in one Bundle.

Every resource carries the plan's privacy labels in ``meta.security`` (42 CFR Part 2). Ids are
derived from the plan id and revision (uuid5), so the same plan revision always gives the same
resources. Empty elements are never emitted (FHIR forbids them).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Final

from app.privacy import REDISCLOSURE_NOTICE, SECURITY_LABELS

Json = dict[str, Any]

BASE: Final = "https://kratom-cds.dev/fhir"
RECOMMENDATION_SYSTEM: Final = f"{BASE}/CodeSystem/recommendation"
RECOMMENDATION_STATUS_SYSTEM: Final = f"{BASE}/CodeSystem/recommendation-status"
ALERT_SYSTEM: Final = f"{BASE}/CodeSystem/alert"
PHASE_SYSTEM: Final = f"{BASE}/CodeSystem/treatment-phase"
RECOMMENDATION_STATUS_EXTENSION: Final = f"{BASE}/StructureDefinition/recommendation-status"
PHASE_EXTENSION: Final = f"{BASE}/StructureDefinition/treatment-phase"
LEVEL_OF_CARE_SYSTEM: Final = f"{BASE}/CodeSystem/level-of-care"
RULESET_SYSTEM: Final = "https://kratom-cds.dev/ruleset"
PATIENT_REF_SYSTEM: Final = "https://kratom-cds.dev/patient-ref"
RULE_URL: Final = "https://kratom-cds.dev/v1/rules/"
MAPPING_REASON_SYSTEM: Final = f"{BASE}/CodeSystem/mapping-reason"

# Plan status -> CarePlan.status / RequestGroup.status (both use request-status).
STATUS: Final = {
    "draft": "draft",
    "active": "active",
    "on_hold": "on-hold",
    "completed": "completed",
    "revoked": "revoked",
    "entered_in_error": "entered-in-error",
}
# Recommendation category -> CarePlan.activity.detail.kind (R4 CarePlanActivityKind).
KIND: Final = {
    "medication": "MedicationRequest",
    "lab": "ServiceRequest",
    "monitoring": "ServiceRequest",
    "therapy": "ServiceRequest",
    "referral": "ServiceRequest",
    "education": "CommunicationRequest",
    "nutrition": "NutritionOrder",
}
SEVERITY: Final = {"critical": "high", "warning": "moderate", "info": "low"}
PRIORITY: Final = {"critical": "stat", "warning": "urgent", "info": "routine"}
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_NS = uuid.UUID("6f1c9c4e-2f0a-4d8e-9a43-0c9b7d7e5a10")


def security_meta() -> Json:
    return {"security": [dict(label) for label in SECURITY_LABELS]}


def patient_reference(patient_ref: str) -> Json:
    """``Patient/{id}`` when the reference is a valid FHIR id; otherwise a logical reference."""
    if _FHIR_ID.match(patient_ref):
        return {"reference": f"Patient/{patient_ref}"}
    return {"identifier": {"system": PATIENT_REF_SYSTEM, "value": patient_ref}}


def resource_id(plan_id: Any, revision: int, kind: str, n: int = 0) -> str:
    return str(uuid.uuid5(_NS, f"{plan_id}:{revision}:{kind}:{n}"))


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _concept(system: str, code: str, display: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    concept: Json = {"coding": [coding]}
    if display:
        concept["text"] = display
    return concept


def _citations(evidence: list[Json]) -> list[Json]:
    out = []
    for item in evidence:
        artifact: Json = {"type": "citation", "citation": item["citation"]}
        if item.get("url"):
            artifact["url"] = item["url"]
        elif item.get("doi"):
            artifact["url"] = f"https://doi.org/{item['doi']}"
        out.append(artifact)
    return out


def _recommendations(evaluation: Json) -> list[tuple[str, Json]]:
    return [
        (phase["phase"], rec)
        for phase in evaluation.get("phases", [])
        for rec in phase.get("recommendations", [])
    ]


def _describe(rec: Json) -> str:
    return f"{rec['title']} ({rec['status']}). {rec['detail']}"


#: Plan status -> CarePlan.activity.detail.status (CarePlanActivityStatus) where the plan's
#: own status decides it; otherwise an activity is not started (or declined: cancelled).
_ACTIVITY_STATUS: Final = {
    "on_hold": "on-hold",
    "completed": "completed",
    "revoked": "cancelled",
    "entered_in_error": "entered-in-error",
}


def declined_codes(plan: Json) -> dict[str, str]:
    """The recommendations a clinician declined (their current decision), with the reason."""
    return {
        d["recommendation_code"]: d["reason_code"]
        for d in plan.get("decisions") or ()
        if d.get("decision") == "declined"
    }


def care_plan(plan: Json, *, rg_ref: str | None = None, issue_refs: tuple[str, ...] = ()) -> Json:
    """The plan as a CarePlan: one activity per recommendation, in phase order.

    ``plan`` is the JSON view of a plan (``app.services.plans.plan_view``) or an unsaved one
    with the same keys (``id`` may be None for a suggestion the EHR will store itself).
    """
    evaluation = plan["evaluation"]
    status = STATUS.get(plan.get("status") or "draft", "draft")
    level = evaluation.get("level_of_care") or {}
    description = level.get("rationale") or "Kratom use disorder treatment plan."
    resource: Json = {
        "resourceType": "CarePlan",
        "meta": security_meta(),
        "status": status,
        "intent": "proposal" if status == "draft" else "plan",
        "category": [_concept(f"{BASE}/CodeSystem/care-plan-category", "kratom-use-disorder",
                              "Kratom use disorder treatment")],
        "title": "Kratom use disorder treatment plan",
        "description": description,
        "subject": patient_reference(plan["patient_ref"]),
        "created": _iso(plan.get("created_at") or evaluation["evaluated_at"]),
        "note": [{"text": f"{evaluation.get('disclaimer', '')} {REDISCLOSURE_NOTICE}".strip()}],
    }  # fmt: skip
    if plan.get("id") is not None:
        resource["id"] = str(plan["id"])
        resource["identifier"] = [{"system": f"{BASE}/plan", "value": str(plan["id"])}]
    activities = []
    declined = declined_codes(plan)
    for phase, rec in _recommendations(evaluation):
        not_advised = rec["status"] in ("avoid", "contraindicated")
        detail: Json = {
            # One concept (codings of a CodeableConcept are synonyms): the recommendation. Its
            # status and treatment phase are separate facts, carried as extensions.
            "extension": [
                {"url": RECOMMENDATION_STATUS_EXTENSION, "valueCode": rec["status"]},
                {"url": PHASE_EXTENSION, "valueCode": phase},
            ],
            "code": _concept(RECOMMENDATION_SYSTEM, rec["code"], rec["title"]),
            "status": _ACTIVITY_STATUS.get(plan.get("status") or "draft", "not-started"),
            "description": _describe(rec),
        }
        reason = declined.get(rec["code"])
        if reason is not None and detail["status"] != "entered-in-error":
            detail["status"] = "cancelled"
            detail["statusReason"] = {"text": f"Declined by the clinician ({reason})."}
        if rec["category"] in KIND:
            detail["kind"] = KIND[rec["category"]]
        if not_advised:
            detail["doNotPerform"] = True
        activities.append({"detail": detail})
    if activities:
        resource["activity"] = activities
    supporting = [ref for ref in (rg_ref, *issue_refs) if ref]
    if supporting:
        resource["supportingInfo"] = [{"reference": ref} for ref in supporting]
    return resource


def _proposed_request(rec: Json, request_id: str, plan: Json, status: str) -> Json:
    """The request a leaf action proposes (RequestGroup rqg-1: an action has a resource or
    sub-actions): a MedicationRequest for a medication, else a ServiceRequest; what is
    advised against is a request not to do it (doNotPerform). Contained, so without meta
    (dom-4, dom-5)."""
    concept = _concept(RECOMMENDATION_SYSTEM, rec["code"], rec["title"])
    request: Json = {
        "id": request_id,
        "status": status,
        "intent": "proposal",
        "subject": patient_reference(plan["patient_ref"]),
    }
    if rec["category"] == "medication":
        # medicationrequest-status has no "revoked": its word for that is "cancelled".
        request = {"resourceType": "MedicationRequest", **request}
        request["status"] = "cancelled" if status == "revoked" else status
        request["medicationCodeableConcept"] = concept
    else:
        request = {"resourceType": "ServiceRequest", **request, "code": concept}
    if rec["status"] in ("avoid", "contraindicated"):
        request["doNotPerform"] = True
    return request


def request_group(plan: Json, rg_id: str) -> Json:
    evaluation = plan["evaluation"]
    status = STATUS.get(plan["status"], "draft")
    phases = []
    contained: list[Json] = []
    declined = declined_codes(plan)
    for phase in evaluation.get("phases", []):
        actions = []
        for rec in phase.get("recommendations", []):
            request_id = f"rec-{len(contained) + 1}"
            # A declined recommendation is no longer proposed (the action stays on record).
            own = "revoked" if rec["code"] in declined and status != "entered-in-error" else status
            contained.append(_proposed_request(rec, request_id, plan, own))
            action: Json = {
                "title": rec["title"],
                "description": _describe(rec),
                "code": [
                    _concept(RECOMMENDATION_SYSTEM, rec["code"], rec["title"]),
                    _concept(RECOMMENDATION_STATUS_SYSTEM, rec["status"]),
                ],
                "resource": {"reference": f"#{request_id}"},
            }
            if rec.get("rationale"):
                action["textEquivalent"] = rec["rationale"]
            documentation = _citations(rec.get("evidence", []))
            if documentation:
                action["documentation"] = documentation
            actions.append(action)
        if not actions:
            continue  # rqg-1: a group needs actions (the CarePlan still names every phase)
        phases.append(
            {
                "title": phase.get("title") or phase["phase"],
                "code": [_concept(PHASE_SYSTEM, phase["phase"])],
                "action": actions,
            }
        )
    resource: Json = {
        "resourceType": "RequestGroup",
        "id": rg_id,
        "meta": security_meta(),
        "status": status,
        "intent": "proposal" if status == "draft" else "plan",
        "subject": patient_reference(plan["patient_ref"]),
        "authoredOn": _iso(evaluation["evaluated_at"]),
    }
    if contained:
        resource["contained"] = contained
    if phases:
        resource["action"] = phases
    return resource


#: DetectedIssue.status (observation-status) by plan status: a draft's findings are
#: preliminary, a revoked plan's are cancelled, an erroneous plan's are entered-in-error.
_ISSUE_STATUS = {
    "draft": "preliminary",
    "revoked": "cancelled",
    "entered_in_error": "entered-in-error",
}


def detected_issue(plan: Json, alert: Json, issue_id: str) -> Json:
    evaluation = plan["evaluation"]
    resource: Json = {
        "resourceType": "DetectedIssue",
        "id": issue_id,
        "meta": security_meta(),
        "status": _ISSUE_STATUS.get(plan["status"], "final"),
        "code": _concept(ALERT_SYSTEM, alert["code"], alert["title"]),
        "severity": SEVERITY[alert["severity"]],
        "patient": patient_reference(plan["patient_ref"]),
        "identifiedDateTime": _iso(evaluation["evaluated_at"]),
        "detail": alert["detail"],
        "reference": RULE_URL + alert["rule_id"],
    }
    return resource


def provenance(plan: Json, targets: list[str], provenance_id: str) -> Json:
    ruleset = plan["ruleset"]
    return {
        "resourceType": "Provenance",
        "id": provenance_id,
        "meta": security_meta(),
        "target": [{"reference": ref} for ref in targets],
        "recorded": _iso(plan.get("updated_at") or plan["evaluation"]["evaluated_at"]),
        "policy": [f"{RULESET_SYSTEM}/{ruleset['version']}"],
        # Revision 1 created the plan; each reassessment since then updated it.
        "activity": _concept(
            "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            *(("CREATE", "create") if plan.get("revision", 1) == 1 else ("UPDATE", "revise")),
        ),
        "agent": [
            {
                "type": _concept(
                    "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "assembler",
                    "Assembler",
                ),
                "who": {
                    "identifier": {"system": RULESET_SYSTEM, "value": ruleset["version"]},
                    "display": f"kratom-cds ruleset {ruleset['version']} "
                    f"(sha256 {ruleset['hash'][:16]})",
                },
            }
        ],
    }


def plan_bundle(plan: Json) -> Json:
    """A ``collection`` Bundle: CarePlan, RequestGroup, one DetectedIssue per alert, Provenance."""
    plan_id, revision = plan["id"], plan["revision"]
    rg_id = resource_id(plan_id, revision, "RequestGroup")
    alerts = plan["evaluation"].get("alerts", [])
    issues = [
        detected_issue(plan, alert, resource_id(plan_id, revision, "DetectedIssue", n))
        for n, alert in enumerate(alerts)
    ]
    rg_ref = f"RequestGroup/{rg_id}"
    issue_refs = tuple(f"DetectedIssue/{i['id']}" for i in issues)
    plan_resource = care_plan(plan, rg_ref=rg_ref, issue_refs=issue_refs)
    resources = [plan_resource, request_group(plan, rg_id), *issues]
    targets = [f"{r['resourceType']}/{r['id']}" for r in resources]
    prov = provenance(plan, targets, resource_id(plan_id, revision, "Provenance"))
    resources.append(prov)
    return {
        "resourceType": "Bundle",
        "id": resource_id(plan_id, revision, "Bundle"),
        "meta": security_meta(),
        "type": "collection",
        "timestamp": _iso(plan.get("updated_at") or plan["evaluation"]["evaluated_at"]),
        "entry": [
            {"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def mapping_outcome(mapping: Json, outcome_id: str) -> Json:
    """The inbound mapping report as an OperationOutcome, so that a FHIR-only client also
    learns what was not used: data that could not be mapped without guessing is a `warning`
    (`not-supported`), data understood and deliberately not used is `information`. The report
    names resources, codes and units, never patient values."""

    def issue(item: Json, severity: str, code: str) -> Json:
        where = item["ref"] + (f" {item['pointer']}" if item.get("pointer") else "")
        return {
            "severity": severity,
            "code": code,
            "details": {
                "coding": [{"system": MAPPING_REASON_SYSTEM, "code": item["reason"]}],
                "text": item["detail"],
            },
            "diagnostics": where,
        }

    issues = [issue(i, "warning", "not-supported") for i in mapping["unsupported"]]
    issues += [issue(i, "information", "informational") for i in mapping["ignored"]]
    if not issues:  # OperationOutcome needs at least one issue
        issues = [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": "Every resource in the Bundle was mapped.",
            }
        ]
    return {
        "resourceType": "OperationOutcome",
        "id": outcome_id,
        "meta": security_meta(),
        "issue": issues,
    }


def with_mapping_outcome(bundle: Json, mapping: Json, plan_id: Any, revision: int) -> Json:
    """``bundle`` with the mapping report appended as an OperationOutcome entry."""
    outcome = mapping_outcome(mapping, resource_id(plan_id, revision, "OperationOutcome"))
    entry = {"fullUrl": f"{BASE}/OperationOutcome/{outcome['id']}", "resource": outcome}
    return bundle | {"entry": [*bundle["entry"], entry]}
