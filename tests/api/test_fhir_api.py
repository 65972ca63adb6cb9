"""FHIR in (POST /v1/fhir/evaluate) and out (GET /v1/plans/{id}/fhir), validated with R4B."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from app.config import Settings
from app.main import create_app
from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.security import Scope
from tests.cdshooks.support import PT, UCUM, full_prefetch, obs
from tests.conftest import KeyMaker

DATA = Path(__file__).parents[1] / "fhir" / "data"
LABELS = {"R", "SUD", "42CFRPart2", "NORDSCLCD"}
SYNTHEA_PATIENT = "da2c7b0a-791a-4b8f-9a30-dc3d8cf1ec75"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def prefetch_resources() -> list[dict[str, Any]]:
    out = []
    for value in full_prefetch().values():
        if value is None:
            continue
        if value["resourceType"] == "Bundle":
            out += [e["resource"] for e in value["entry"]]
        else:
            out.append(value)
    return out


# ---------------------------------------------------------------------------- FHIR in


async def test_evaluate_bundle_with_patient(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(*prefetch_resources()),
        headers=auth,
        params={"assessed_at": "2026-01-10T12:00:00Z"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient_ref"] == PT
    assert body["patient_ref_source"] == "bundle"
    assert body["assessed_at_source"] == "query"
    assert body["assessed_at"].startswith("2026-01-10T12:00:00")
    assert body["assessment"]["vitals"]["heart_rate_bpm"] == 112
    assert body["assessment"]["vitals"]["temperature_c"] == 37.5  # 99.5 [degF]
    assert "Observation/hr-1" in body["mapping"]["used"]
    assert body["privacy"]["redisclosure_notice"].startswith("42 CFR part 2")
    assert {x["code"] for x in body["privacy"]["security_labels"]} >= {"42CFRPart2", "SUD"}
    evaluation = body["evaluation"]
    assert [p["phase"] for p in evaluation["phases"]] == [
        "stabilization",
        "behavioral_therapy",
        "aftercare",
    ]
    assert evaluation["ruleset"]["version"]


async def test_evaluate_hl7_vital_sign_examples(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    files = [
        "fhir-r4-observation-heart-rate.json",
        "fhir-r4-observation-blood-pressure.json",
        "fhir-r4-observation-respiratory-rate.json",
        "fhir-r4-observation-body-temperature.json",
        "fhir-r4-observation-oxygen-saturation.json",
        "fhir-r4-observation-body-weight.json",
    ]
    creatinine = load("fhir-r4-observation-lab-creatinine-local-code.json")
    creatinine["subject"] = {"reference": "Patient/example"}  # published for Patient/f201
    resources = [*(load(f) for f in files), creatinine]
    response = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(*resources),
        headers=auth,
        params={"patient_ref": "example"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient_ref_source"] == "query"
    assert body["assessed_at_source"] == "server_time"
    vitals = body["assessment"]["vitals"]
    assert vitals["heart_rate_bpm"] == 44
    assert vitals["systolic_bp_mmhg"] == 107
    assert vitals["diastolic_bp_mmhg"] == 60
    assert vitals["respiratory_rate_per_min"] == 26
    assert vitals["temperature_c"] == 36.5
    assert vitals["spo2_percent"] == 95
    assert body["assessment"]["patient"]["weight_kg"] == pytest.approx(83.9, abs=0.1)
    # The local-code creatinine is reported, not guessed.
    assert any("f204" in i["ref"] for i in body["mapping"]["unsupported"])
    strict = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(*resources),
        headers=auth,
        params={"patient_ref": "example", "strict": "true"},
    )
    assert strict.status_code == 422
    assert strict.json()["errors"][0]["type"] == "unrecognised_code"
    assert strict.json()["errors"][0]["detail"] == "The code is not one this service maps."


async def test_hl7_vital_sign_examples_dated_1999_are_not_current(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """The published examples are dated "1999-07-02" (no time). The mapper dropped that date,
    so VS-06 took them as current ("taken to be as of the assessment") and never warned."""
    files = [
        "fhir-r4-observation-heart-rate.json",
        "fhir-r4-observation-blood-pressure.json",
        "fhir-r4-observation-respiratory-rate.json",
        "fhir-r4-observation-body-temperature.json",
        "fhir-r4-observation-oxygen-saturation.json",
    ]
    response = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(*(load(f) for f in files)),
        headers=auth,
        params={"patient_ref": "example", "assessed_at": "2026-01-10T12:00:00Z"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["assessment"]["vitals"]["measured_at"] == "1999-07-03T12:00:00Z"
    evaluation = body["evaluation"]
    alerts = {a["code"]: a for a in evaluation["alerts"]}
    stale = alerts["vital_signs_not_current"]
    assert (stale["severity"], stale["rule_id"]) == ("warning", "VS-06")
    assert stale["title"] == "Vital signs are 27 years old"
    reasons = [m["reason"] for m in evaluation["missing_inputs"]]
    assert not [r for r in reasons if "no measurement time" in r]
    assert not [r for r in reasons if "after the assessment" in r]


async def evaluate_bundle(
    client: httpx.AsyncClient, auth: dict[str, str], *resources: dict[str, Any]
) -> httpx.Response:
    """POST /v1/fhir/evaluate of these resources, assessed at 2026-01-10T12:00Z."""
    return await client.post(
        "/v1/fhir/evaluate",
        json=bundle(*resources),
        headers=auth,
        params={"assessed_at": "2026-01-10T12:00:00Z"},
    )


async def test_vital_signs_dated_today_or_year_1_without_a_time(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    heart_rate = obs("hr-x", "8867-4", 80, "/min", category="vital-signs", when="2026-01-10")
    patient = {"resourceType": "Patient", "id": PT}
    response = await evaluate_bundle(client, auth, patient, heart_rate)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["assessment"]["vitals"]["measured_at"] == "2026-01-10T12:00:00Z"
    evaluation = body["evaluation"]
    assert "vital_signs_not_current" not in {a["code"] for a in evaluation["alerts"]}
    vitals_missing = [m["reason"] for m in evaluation["missing_inputs"]
                      if m["input"] in ("/vitals", "/vitals/measured_at")]  # fmt: skip
    assert vitals_missing == []
    # Year 1 (its start at UTC+14 is before year 1): ancient, and said so, not a 500.
    heart_rate["effectiveDateTime"] = "0001-01-01"
    response = await evaluate_bundle(client, auth, patient, heart_rate)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["assessment"]["vitals"]["measured_at"] == "0001-01-02T12:00:00Z"
    assert "vital_signs_not_current" in {a["code"] for a in body["evaluation"]["alerts"]}


def heart_rate_in(rid: str, unit: str) -> dict[str, Any]:
    """A heart rate of patient p1 in a UCUM unit this service does not accept for it."""
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-27T08:00:00Z",
        "valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": unit},
    }


async def test_a_strict_422_does_not_echo_submitted_values(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    odd = heart_rate_in("o2", "JANE-DOE")
    lenient = await client.post(
        "/v1/fhir/evaluate", json=bundle(odd), headers=auth, params={"patient_ref": "p1"}
    )
    assert "JANE-DOE" in lenient.text  # the caller's own report says which unit
    strict = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(odd),
        headers=auth,
        params={"patient_ref": "p1", "strict": "true"},
    )
    assert strict.status_code == 422
    assert strict.json()["errors"][0]["type"] == "unit_not_supported"
    assert "JANE-DOE" not in strict.text


async def test_strict_422_pointers_are_json_pointers_without_resource_ids(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """RFC 6901 pointers into the body (entry index), never the resource id (an EHR's ids can
    embed an MRN), each problem once."""
    odd = heart_rate_in("hr-MRN-0042", "furlong")
    condition = {
        "resourceType": "Condition",
        "id": "c-MRN-0042",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                           "condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "ZZZ.9"},
                            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "ZZZ.8"}]},
        "subject": {"reference": "Patient/p1"},
    }  # fmt: skip
    strict = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(odd, condition),
        headers=auth,
        params={"patient_ref": "p1", "strict": "true"},
    )
    assert strict.status_code == 422
    errors = strict.json()["errors"]
    pointers = [e["pointer"] for e in errors]
    assert pointers[0] == "/entry/0/resource/valueQuantity"
    assert all(p.startswith(("/entry/0/resource", "/entry/1/resource")) for p in pointers)
    assert len({(e["pointer"], e["type"]) for e in errors}) == len(errors)
    assert "MRN" not in strict.text


async def test_evaluate_synthea_bundle(settings: Settings, make_key: KeyMaker) -> None:
    big = create_app(settings.model_copy(update={"max_body_bytes": 2_000_000}))
    async with big.router.lifespan_context(big):
        transport = httpx.ASGITransport(app=big)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.post(
                "/v1/fhir/evaluate",
                content=(DATA / "synthea-r4-patient-bundle-tom-goodwin.json").read_bytes(),
                headers=await make_key() | {"Content-Type": "application/fhir+json"},
            )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient_ref"] == SYNTHEA_PATIENT
    assert body["patient_ref_source"] == "bundle"
    assert body["assessment"]["vitals"]["systolic_bp_mmhg"] == 127  # 55284-4 panel
    assert body["assessment"]["patient"]["sex_at_birth"] == "male"
    assert body["mapping"]["ignored"]  # encounters, claims... are reported, not silently dropped
    # Synthea sends no reference ranges: a bilirubin of 0.12 mg/dL is normal in every published
    # range, so Hy's law is excluded without them (LIV-02, V33) and only the ULNs are missing.
    assert body["assessment"]["labs"]["total_bilirubin_mg_per_dl"] < 1
    assert "Hy's-law" not in body["evaluation"]["level_of_care"]["rationale"]
    missing = {m["input"] for m in body["evaluation"]["missing_inputs"]}
    assert "/labs/total_bilirubin_uln_mg_per_dl" in missing


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"effectiveDateTime": "0001-01-01T00:00:00+14:00"}, "effective_time_imprecise"),
        ({"effectiveDateTime": "9999-12-31T23:59:59-12:00"}, "effective_time_imprecise"),
        # Dates without a time: their end at UTC-12 is past year 9999 (not a 500).
        ({"effectiveDateTime": "9999"}, "after_assessment"),
        ({"effectiveDateTime": "9999-12-31"}, "after_assessment"),
        ({"valueQuantity": {"value": 1e308, "unit": "/min", "system": UCUM, "code": "/min"}},
         "implausible_value"),
        ({"valueQuantity": {"value": 10**30, "unit": "/min", "system": UCUM, "code": "/min"}},
         "implausible_value"),
    ],
)  # fmt: skip
async def test_extreme_fhir_times_and_values_are_reported_not_500(
    client: httpx.AsyncClient, auth: dict[str, str], change: dict[str, Any], reason: str
) -> None:
    """An effective time outside years 1-9999 once in UTC, or a value beyond the 28 digits of
    Python's default decimal context, was a 500 (OverflowError, InvalidOperation)."""
    heart_rate = obs("hr-x", "8867-4", 80, "/min", category="vital-signs") | change
    patient = {"resourceType": "Patient", "id": PT}
    response = await evaluate_bundle(client, auth, patient, heart_rate)
    assert response.status_code == 200, response.text
    body = response.json()
    reported = {i["reason"] for i in body["mapping"]["unsupported"] + body["mapping"]["ignored"]
                if "hr-x" in i["ref"]}  # fmt: skip
    assert reason in reported, body["mapping"]
    vitals = body["assessment"].get("vitals") or {}
    if reason == "implausible_value":
        assert vitals.get("heart_rate_bpm") is None
    else:
        assert vitals.get("measured_at") is None


async def test_a_transaction_bundle_resolves_references_through_full_urls(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    patient_url = "urn:uuid:2f0c6b52-9f1f-4a4e-8f57-3c4ed8d3b0a1"
    heart = obs("hr-t", "8867-4", 130, "/min", category="vital-signs")
    heart["subject"] = {"reference": patient_url}
    document = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": patient_url, "resource": {"resourceType": "Patient", "id": "pt-1"},
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:9a1b", "resource": heart,
             "request": {"method": "POST", "url": "Observation"}},
        ],
    }  # fmt: skip
    response = await client.post(
        "/v1/fhir/evaluate",
        json=document,
        headers=auth,
        params={"assessed_at": "2026-01-10T12:00:00Z"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient_ref"] == "pt-1"
    assert body["assessment"]["vitals"]["heart_rate_bpm"] == 130
    assert "Observation/hr-t" in body["mapping"]["used"]


ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


def condition(cid: str, code: str, system: str = ICD10CM, **extra: Any) -> dict[str, Any]:
    """An active problem-list Condition of the prefetch patient."""
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{PT}"},
        **extra,
    }  # fmt: skip


async def evaluate_with(
    client: httpx.AsyncClient, auth: dict[str, str], *conditions: dict[str, Any]
) -> dict[str, Any]:
    """``POST /v1/fhir/evaluate`` of the prefetch resources plus these Conditions."""
    response = await client.post(
        "/v1/fhir/evaluate",
        json=bundle(*prefetch_resources(), *conditions),
        headers=auth,
        params={"assessed_at": "2026-01-10T12:00:00Z"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_coded_alcohol_use_disorder_from_the_ehr_raises_the_level_of_care(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """EHR Conditions arrive coded: an ICD-10-CM F10.20 now answers the alcohol-use-disorder
    question (LOC-03), where before only the boolean flag did."""
    body = await evaluate_with(client, auth, condition("aud-1", "F10.20"))
    level = body["evaluation"]["level_of_care"]
    assert "LOC-03" in level["rule_ids"]
    assert level["minimum_setting"] == "inpatient_medically_monitored"


async def test_a_seizure_this_morning_in_the_ehr_is_an_emergency(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A seizure Condition (R56.9) with an onset 3 hours before the assessment answers "a
    seizure in the last 24 hours" (SZ-01: emergency), which no FHIR input answered before."""
    seizure = condition("sz-1", "R56.9", onsetDateTime="2026-01-10T09:00:00Z")
    body = await evaluate_with(client, auth, seizure)
    level = body["evaluation"]["level_of_care"]
    assert "SZ-01" in level["rule_ids"]
    assert level["minimum_setting"] == "emergency_department"
    assert "Condition/sz-1" in body["mapping"]["used"]


async def test_a_synthea_style_snomed_problem_list_reaches_the_medication_checks(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Synthea's concepts for a prior drug overdose, CKD stage 3 and chronic congestive heart
    failure answer the history questions: naloxone for the overdose (NAL-01), lofexidine
    avoided for chronic renal failure (LOF-05), with no question about them left open."""
    body = await evaluate_with(
        client,
        auth,
        condition("od", "55680006", SNOMED),
        condition("ckd", "433144002", SNOMED),
        condition("chf", "88805009", SNOMED),
    )
    evaluation = body["evaluation"]
    recommendations = {
        r["code"]: r for phase in evaluation["phases"] for r in phase["recommendations"]
    }
    assert recommendations["naloxone"]["status"] == "recommended"
    assert "prior overdose" in recommendations["naloxone"]["detail"]
    assert recommendations["lofexidine"]["status"] == "avoid"
    assert "LOF-05" in recommendations["lofexidine"]["rule_ids"]
    missing = {m["input"] for m in evaluation["missing_inputs"]}
    assert (
        not {
            "/medical_history/prior_overdose",
            "/medical_history/chronic_kidney_disease",
            "/medical_history/heart_failure",
        }
        & missing
    )


@pytest.mark.parametrize(
    ("system", "depression", "pain"),
    [
        (ICD10CM, "F33.1", "G89.4"),
        # As Synthea writes them: SNOMED CT major depressive disorder, chronic pain (finding)
        (SNOMED, "370143000", "82423001"),
    ],
)
async def test_coded_depression_and_chronic_pain_from_the_ehr_are_treated(
    client: httpx.AsyncClient, auth: dict[str, str], system: str, depression: str, pain: str
) -> None:
    """A problem list coded in ICD-10-CM (F33.1 recurrent major depression, G89.4 chronic pain
    syndrome) or in SNOMED CT adds their treatment, where before only the boolean flags did."""
    body = await evaluate_with(
        client, auth, condition("mdd", depression, system), condition("cp", pain, system)
    )
    recommendations = {
        r["code"]: r for phase in body["evaluation"]["phases"] for r in phase["recommendations"]
    }
    assert recommendations["depression_treatment"]["status"] == "recommended"
    assert "MH-04" in recommendations["depression_treatment"]["rule_ids"]
    assert recommendations["pain_management"]["status"] == "recommended"
    assert "chronic pain" in recommendations["ongoing_condition_care"]["detail"]


async def test_evaluate_errors(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    url = "/v1/fhir/evaluate"
    hr = load("fhir-r4-observation-heart-rate.json")
    no_patient = await client.post(url, json=bundle(hr), headers=auth)
    assert no_patient.status_code == 422
    assert no_patient.json()["errors"][0]["pointer"] == "query:patient_ref"
    two = bundle({"resourceType": "Patient", "id": "a"}, {"resourceType": "Patient", "id": "b"})
    assert (await client.post(url, json=two, headers=auth)).status_code == 422
    mismatch = await client.post(
        url,
        json=bundle({"resourceType": "Patient", "id": "a"}),
        headers=auth,
        params={"patient_ref": "b"},
    )
    assert mismatch.status_code == 422
    not_bundle = await client.post(url, json={"resourceType": "Patient"}, headers=auth)
    assert not_bundle.status_code == 422
    naive = await client.post(
        url, json=bundle(hr), headers=auth, params={"patient_ref": "x", "assessed_at": "2026-01-01"}
    )
    assert naive.status_code == 422
    for response in (no_patient, mismatch, not_bundle, naive):
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.post(url, json=bundle(hr))).status_code == 401


async def test_evaluate_needs_plans_read(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    key = await make_key(scopes=(Scope.knowledge_read,))
    response = await client.post(
        "/v1/fhir/evaluate", json=bundle(), headers=key, params={"patient_ref": "x"}
    )
    assert response.status_code == 403


# ---------------------------------------------------------------------------- FHIR out


def validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


async def create_plan(
    client: httpx.AsyncClient, auth: dict[str, str], status: str = "active"
) -> dict[str, Any]:
    assessment = copy.deepcopy(ASSESSMENT_EXAMPLE)
    response = await client.post(
        "/v1/plans", json={"assessment": assessment, "status": status}, headers=auth
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_plan_as_fhir_bundle(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    plan = await create_plan(client, auth)
    response = await client.get(f"/v1/plans/{plan['id']}/fhir", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    fhir_bundle = response.json()
    validate(fhir_bundle)
    resources = [e["resource"] for e in fhir_bundle["entry"]]
    for resource in resources:
        validate(resource)
        assert {s["code"] for s in resource["meta"]["security"]} == LABELS
    assert {s["code"] for s in fhir_bundle["meta"]["security"]} == LABELS
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    care_plan = by_type["CarePlan"][0]
    assert care_plan["id"] == plan["id"]
    assert care_plan["status"] == "active"
    assert care_plan["intent"] == "plan"
    recommendations = [r for p in plan["evaluation"]["phases"] for r in p["recommendations"]]
    assert len(care_plan["activity"]) == len(recommendations)
    phase_of = {r["code"]: p["phase"] for p in plan["evaluation"]["phases"]
                for r in p["recommendations"]}  # fmt: skip
    for activity, rec in zip(care_plan["activity"], recommendations, strict=True):
        # one concept per code (codings are synonyms); status and phase as extensions
        assert [c["code"] for c in activity["detail"]["code"]["coding"]] == [rec["code"]]
        extensions = {e["url"].rsplit("/", 1)[1]: e["valueCode"]
                      for e in activity["detail"]["extension"]}  # fmt: skip
        assert extensions == {
            "recommendation-status": rec["status"],
            "treatment-phase": phase_of[rec["code"]],
        }
        assert activity["detail"].get("doNotPerform", False) == (
            rec["status"] in ("avoid", "contraindicated")
        )
    group = by_type["RequestGroup"][0]
    assert [a["code"][0]["coding"][0]["code"] for a in group["action"]] == [
        "stabilization",
        "behavioral_therapy",
        "aftercare",
    ]
    assert sum(len(a.get("action", [])) for a in group["action"]) == len(recommendations)
    # rqg-1 (R4 RequestGroup.action): "Must have resource or action but not both", which the
    # R4B models do not evaluate; each leaf proposes a contained request (dom-3: referenced).
    contained = {f"#{r['id']}": r for r in group["contained"]}
    leaves = [leaf for phase in group["action"] for leaf in phase["action"]]
    for node in [*group["action"], *leaves]:
        assert ("resource" in node) != ("action" in node), node.get("title")
    assert sorted(leaf["resource"]["reference"] for leaf in leaves) == sorted(contained)
    for leaf, rec in zip(leaves, recommendations, strict=True):
        request = contained[leaf["resource"]["reference"]]
        kind = "MedicationRequest" if rec["category"] == "medication" else "ServiceRequest"
        assert request["resourceType"] == kind
        assert "meta" not in request  # dom-4, dom-5
        assert request.get("doNotPerform", False) == (rec["status"] in ("avoid", "contraindicated"))
    alerts = plan["evaluation"]["alerts"]
    assert len(by_type.get("DetectedIssue", [])) == len(alerts)
    provenance = by_type["Provenance"][0]
    version = plan["ruleset"]["version"]
    assert provenance["activity"]["coding"][0]["code"] == "CREATE"  # revision 1
    assert {i["status"] for i in by_type.get("DetectedIssue", [])} <= {"final"}
    assert provenance["agent"][0]["who"]["identifier"]["value"] == version
    assert version in provenance["agent"][0]["who"]["display"]
    targets = {t["reference"] for t in provenance["target"]}
    assert f"CarePlan/{plan['id']}" in targets
    assert len(targets) == len(resources) - 1
    for entry in fhir_bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"{resource['resourceType']}/{resource['id']}")
    # The same revision always gives the same resources.
    again = await client.get(f"/v1/plans/{plan['id']}/fhir", headers=auth)
    assert again.json() == fhir_bundle


async def test_revised_and_erroneous_plans_say_so_in_fhir(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create_plan(client, auth)
    body = {
        "assessment": {
            **ASSESSMENT_EXAMPLE,
            "patient": {**ASSESSMENT_EXAMPLE["patient"], "patient_ref": plan["patient_ref"]},
        }
    }
    revised = await client.post(f"/v1/plans/{plan['id']}/reassessments", json=body, headers=auth)
    assert revised.status_code in (200, 201), revised.text

    def of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]

    after = (await client.get(f"/v1/plans/{plan['id']}/fhir", headers=auth)).json()
    provenance = of_type(after, "Provenance")[0]
    validate(provenance)
    assert provenance["activity"]["coding"][0]["code"] == "UPDATE"  # revision 2
    current = await client.get(f"/v1/plans/{plan['id']}", headers=auth)
    marked = await client.patch(
        f"/v1/plans/{plan['id']}",
        json={"status": "entered_in_error"},
        headers=auth | {"If-Match": current.headers["etag"]},
    )
    assert marked.status_code == 200, marked.text
    erroneous = (await client.get(f"/v1/plans/{plan['id']}/fhir", headers=auth)).json()
    issues = of_type(erroneous, "DetectedIssue")
    assert issues, "the example raises at least one alert"
    for issue in issues:
        validate(issue)
        assert issue["status"] == "entered-in-error"


@pytest.mark.parametrize("ended", ["revoked", "completed"])
async def test_declined_recommendations_and_revoked_plans_are_not_proposed_in_fhir(
    client: httpx.AsyncClient, auth: dict[str, str], ended: str
) -> None:
    """An EHR reading the Bundle must not see a recommendation the clinician declined, or any
    of a revoked plan's, as still proposed (a declined buprenorphine stayed a proposed
    MedicationRequest and a not-started activity)."""
    plan = await create_plan(client, auth)
    decided = await client.put(
        f"/v1/plans/{plan['id']}/recommendations/buprenorphine/decision",
        json={"decision": "declined", "reason_code": "patient_declined",
              "clinician_id": "npi:1234567893"},
        headers=auth,
    )  # fmt: skip
    assert decided.status_code in (200, 201), decided.text

    def parts(bundle: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        resources = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
        activities = {a["detail"]["code"]["coding"][0]["code"]: a["detail"]
                      for a in resources["CarePlan"]["activity"]}  # fmt: skip
        group = resources["RequestGroup"]
        contained = {f"#{r['id']}": r for r in group["contained"]}
        requests = {leaf["code"][0]["coding"][0]["code"]: contained[leaf["resource"]["reference"]]
                    for phase in group["action"] for leaf in phase["action"]}  # fmt: skip
        for resource in resources.values():
            validate(resource)
        return activities, requests

    activities, requests = parts((await client.get(f"/v1/plans/{plan['id']}/fhir",
                                                   headers=auth)).json())  # fmt: skip
    assert activities["buprenorphine"]["status"] == "cancelled"
    assert "patient_declined" in activities["buprenorphine"]["statusReason"]["text"]
    assert requests["buprenorphine"]["status"] == "cancelled"  # MedicationRequest's "revoked"
    others = [code for code in activities if code != "buprenorphine"]
    assert {activities[c]["status"] for c in others} == {"not-started"}
    assert {requests[c]["status"] for c in others} == {"active"}

    current = await client.get(f"/v1/plans/{plan['id']}", headers=auth)
    closed = await client.patch(
        f"/v1/plans/{plan['id']}",
        json={"status": ended},
        headers=auth | {"If-Match": current.headers["etag"]},
    )
    assert closed.status_code == 200, closed.text
    activities, requests = parts((await client.get(f"/v1/plans/{plan['id']}/fhir",
                                                   headers=auth)).json())  # fmt: skip
    # The declined one stays declined; the others end as the plan did, in both resources.
    assert activities["buprenorphine"]["status"] == "cancelled"
    assert requests["buprenorphine"]["status"] == "cancelled"
    expected = {"revoked": ("cancelled", {"revoked", "cancelled"}),
                "completed": ("completed", {"completed"})}[ended]  # fmt: skip
    assert {activities[c]["status"] for c in others} == {expected[0]}
    assert {requests[c]["status"] for c in others} <= expected[1]


async def test_draft_plan_is_a_proposal(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    plan = await create_plan(client, auth, status="draft")
    fhir_bundle = (await client.get(f"/v1/plans/{plan['id']}/fhir", headers=auth)).json()
    care_plan = fhir_bundle["entry"][0]["resource"]
    assert care_plan["status"] == "draft"
    assert care_plan["intent"] == "proposal"
    for entry in fhir_bundle["entry"]:
        validate(entry["resource"])


async def test_plan_fhir_is_tenant_scoped(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: KeyMaker
) -> None:
    plan = await create_plan(client, auth)
    other = await make_key()
    response = await client.get(f"/v1/plans/{plan['id']}/fhir", headers=other)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert plan["patient_ref"] not in response.text
    no_scope = await make_key(scopes=(Scope.knowledge_read,))
    assert (await client.get(f"/v1/plans/{plan['id']}/fhir", headers=no_scope)).status_code == 403
    assert (await client.get(f"/v1/plans/{plan['id']}/fhir")).status_code == 401
