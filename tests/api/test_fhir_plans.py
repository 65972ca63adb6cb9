"""POST /v1/fhir/plans: a FHIR Bundle stored as an assessment and a plan, with the published
HL7 R4 examples (tests/fhir/data, copied from the shared interop examples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from app.config import Settings
from app.main import create_app
from app.security import Scope
from tests.conftest import KeyMaker

DATA = Path(__file__).parents[1] / "fhir" / "data"
URL = "/v1/fhir/plans"
SYNTHEA_PATIENT = "da2c7b0a-791a-4b8f-9a30-dc3d8cf1ec75"
VITALS = [
    "fhir-r4-observation-heart-rate.json",
    "fhir-r4-observation-blood-pressure.json",
    "fhir-r4-observation-respiratory-rate.json",
    "fhir-r4-observation-body-temperature.json",
    "fhir-r4-observation-oxygen-saturation.json",
    "fhir-r4-observation-body-weight.json",
]


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def hl7_bundle() -> dict[str, Any]:
    """HL7's R4 examples for Patient/example: vital signs, a Condition, a GCS questionnaire
    (not one of ours) and a creatinine with a local code only (cannot be mapped)."""
    creatinine = load("fhir-r4-observation-lab-creatinine-local-code.json")
    creatinine["subject"] = {"reference": "Patient/example"}  # published for Patient/f201
    resources = [
        {"resourceType": "Patient", "id": "example", "birthDate": "1974-12-25"},
        *(load(f) for f in VITALS),
        load("fhir-r4-condition.json"),
        load("fhir-r4-questionnaireresponse-glasgow-coma-score.json"),
        creatinine,
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


async def test_bundle_becomes_a_stored_plan(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        URL, json=hl7_bundle(), headers=auth, params={"assessed_at": "2026-01-10T12:00:00Z"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    plan = response.json()
    assert response.headers["location"] == f"/v1/plans/{plan['id']}"
    assert plan["patient_ref"] == "example"
    assert plan["patient_ref_source"] == "bundle"
    assert plan["assessed_at_source"] == "query"
    assert plan["status"] == "draft"
    assert plan["revision"] == 1
    unsupported = {(i["ref"], i["reason"]) for i in plan["mapping"]["unsupported"]}
    assert ("Observation/f204", "unrecognised_code") in unsupported  # local code: not guessed
    assert ("QuestionnaireResponse/gcs", "unrecognised_code") in unsupported
    assert "Observation/heart-rate" in plan["mapping"]["used"]
    assert plan["evaluation"]["missing_inputs"]  # what the rules still lack is named

    # Stored exactly like POST /v1/plans: readable, same ETag, with its assessment.
    read = await client.get(response.headers["location"], headers=auth)
    assert read.status_code == 200
    assert read.headers["etag"] == response.headers["etag"]
    assert read.json()["evaluation"] == plan["evaluation"]
    assessment = await client.get(f"/v1/assessments/{plan['assessment_id']}", headers=auth)
    assert assessment.status_code == 200
    document = assessment.json()["assessment"]
    assert document["assessed_at"].startswith("2026-01-10T12:00:00")
    assert document["vitals"]["heart_rate_bpm"] == 44
    assert document["vitals"]["temperature_c"] == 36.5
    assert document["co_occurring_conditions"]["coded"][0]["code"] == "39065001"
    assert "creatinine" not in json.dumps(document.get("labs", {}))


@pytest.mark.parametrize(
    ("accept", "fhir"),
    [
        ("application/fhir+json", True),
        ("application/fhir+json;q=1.0, application/json+fhir;q=0.9", True),  # HAPI's default
        ("application/json+fhir", True),
        ("application/fhir+json, application/json;q=0.1", True),
        ("application/json, application/fhir+json;q=0.5", False),
        ("application/json, application/fhir+json", False),  # a tie: the API's default
        ("*/*", False),
        ("application/fhir+json;q=0", False),
    ],
)
async def test_accept_is_negotiated_by_weight(
    client: httpx.AsyncClient, auth: dict[str, str], accept: str, fhir: bool
) -> None:
    """The Accept check was a substring test: 'application/json+fhir' read as plain JSON,
    and q-values were ignored."""
    response = await client.post(URL, json=hl7_bundle(), headers=auth | {"Accept": accept})
    assert response.status_code == 201, response.text
    expected = "application/fhir+json" if fhir else "application/json"
    assert response.headers["content-type"] == expected


async def test_fhir_response_format(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    by_query = await client.post(
        URL, json=hl7_bundle(), headers=auth, params={"format": "fhir", "status": "active"}
    )
    by_accept = await client.post(
        URL, json=hl7_bundle(), headers=auth | {"Accept": "application/fhir+json"}
    )
    for response in (by_query, by_accept):
        assert response.status_code == 201, response.text
        assert response.headers["content-type"] == "application/fhir+json"
        bundle = response.json()
        get_fhir_model_class("Bundle").model_validate(bundle)
        care_plan = bundle["entry"][0]["resource"]
        get_fhir_model_class("CarePlan").model_validate(care_plan)
        assert response.headers["location"] == f"/v1/plans/{care_plan['id']}"
        assert care_plan["subject"] == {"reference": "Patient/example"}
    assert by_query.json()["entry"][0]["resource"]["status"] == "active"
    assert by_accept.json()["entry"][0]["resource"]["status"] == "draft"
    # The stored plan reads back as the same FHIR Bundle, without the creation's mapping report.
    created = by_query.json()
    again = await client.get(by_query.headers["location"] + "/fhir", headers=auth)
    assert again.json() == created | {"entry": created["entry"][:-1]}


async def test_fhir_response_reports_what_was_not_mapped(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A FHIR-only client learns what was not used, as it would from the JSON `mapping`: the
    local-code creatinine and the GCS questionnaire cannot be mapped without guessing."""
    when = {"assessed_at": "2026-01-10T12:00:00Z"}
    response = await client.post(
        URL, json=hl7_bundle(), headers=auth, params=when | {"format": "fhir"}
    )
    assert response.status_code == 201, response.text
    outcome = response.json()["entry"][-1]["resource"]
    get_fhir_model_class("OperationOutcome").model_validate(outcome)
    assert outcome["meta"]["security"]  # 42 CFR Part 2 labels, like every resource
    warnings = {
        (i["diagnostics"], i["details"]["coding"][0]["code"])
        for i in outcome["issue"]
        if i["severity"] == "warning"
    }
    refs = {(where.split(" ")[0], reason) for where, reason in warnings}
    assert ("Observation/f204", "unrecognised_code") in refs
    assert ("QuestionnaireResponse/gcs", "unrecognised_code") in refs
    assert all(i["code"] == "not-supported" for i in outcome["issue"] if i["severity"] == "warning")
    # The same issues as the JSON form's mapping report, no more and no fewer.
    as_json = await client.post(URL, json=hl7_bundle(), headers=auth, params=when)
    report = as_json.json()["mapping"]
    assert warnings == {
        (i["ref"] + (f" {i['pointer']}" if "pointer" in i else ""), i["reason"])
        for i in report["unsupported"]
    }
    assert len(outcome["issue"]) == len(report["unsupported"]) + len(report["ignored"])


async def test_idempotency_key(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    auth = await make_key()
    headers = auth | {"Idempotency-Key": "fhir-plan-0001"}
    first = await client.post(URL, json=hl7_bundle(), headers=headers)
    assert first.status_code == 201
    second = await client.post(URL, json=hl7_bundle(), headers=headers)
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    other_query = await client.post(
        URL, json=hl7_bundle(), headers=headers, params={"status": "active"}
    )
    assert other_query.status_code == 422
    assert other_query.json()["errors"][0]["type"] == "idempotency_key_reused"
    plans = (await client.get("/v1/plans", headers=auth)).json()["items"]
    assert len(plans) == 1


async def test_a_retry_with_its_query_reordered_or_re_encoded_is_the_same_request(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    auth = await make_key()
    headers = auth | {"Idempotency-Key": "fhir-plan-query-0001"}
    first = await client.post(
        f"{URL}?assessed_at=2026-01-10T12:00:00Z&status=active", json=hl7_bundle(), headers=headers
    )
    assert first.status_code == 201, first.text
    for query in (
        "status=active&assessed_at=2026-01-10T12:00:00Z",  # another order
        "assessed_at=2026-01-10T12%3A00%3A00Z&status=active",  # ':' percent-encoded
        "status=%61ctive&assessed_at=2026-01-10T12%3a00%3a00Z",  # lower-case escapes too
    ):
        retry = await client.post(f"{URL}?{query}", json=hl7_bundle(), headers=headers)
        assert retry.status_code == 201, (query, retry.text)
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.content == first.content
    # What the parameters say still counts: another value, or another last value of a
    # repeated parameter (the one the service reads), is another request.
    for query in (
        "assessed_at=2026-01-10T12:00:00Z&status=draft",
        "assessed_at=2026-01-10T12:00:00Z&status=active&status=draft",
    ):
        other = await client.post(f"{URL}?{query}", json=hl7_bundle(), headers=headers)
        assert other.status_code == 422, (query, other.text)
        assert other.json()["errors"][0]["type"] == "idempotency_key_reused"
    plans = (await client.get("/v1/plans", headers=auth)).json()["items"]
    assert len(plans) == 1


async def test_strict_refuses_what_cannot_be_mapped_and_stores_nothing(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    auth = await make_key()
    response = await client.post(URL, json=hl7_bundle(), headers=auth, params={"strict": "true"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert "unrecognised_code" in {e["type"] for e in errors}
    # Observation/f204 (entry 9) has a code this service does not map: pointed at by index
    assert any(e["pointer"].startswith("/entry/9/resource") for e in errors)
    assert all("f204" not in e["pointer"] for e in errors)
    assert (await client.get("/v1/plans", headers=auth)).json()["items"] == []


async def test_errors_and_scopes(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    auth = await make_key()
    hr = load("fhir-r4-observation-heart-rate.json")
    no_patient = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": hr}]}
    response = await client.post(URL, json=no_patient, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "query:patient_ref"
    response = await client.post(
        URL, json=hl7_bundle(), headers=auth, params={"patient_ref": "other"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "patient_mismatch"
    assert (await client.get("/v1/plans", headers=auth)).json()["items"] == []
    read_only = await make_key(scopes=(Scope.plans_read,))
    assert (await client.post(URL, json=hl7_bundle(), headers=read_only)).status_code == 403
    assert (await client.post(URL, json=hl7_bundle())).status_code == 401


async def test_synthea_bundle(settings: Settings, make_key: KeyMaker) -> None:
    big = create_app(settings.model_copy(update={"max_body_bytes": 2_000_000}))
    async with big.router.lifespan_context(big):
        transport = httpx.ASGITransport(app=big)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.post(
                URL,
                content=(DATA / "synthea-r4-patient-bundle-tom-goodwin.json").read_bytes(),
                headers=await make_key() | {"Content-Type": "application/fhir+json"},
            )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["patient_ref"] == SYNTHEA_PATIENT
    assert plan["mapping"]["ignored"]
