"""CDS Hooks 2.0 endpoints end to end: discovery, cards, 412, replay, JWT, feedback, analytics."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fhir.resources.R4B import get_fhir_model_class

from app.cdshooks import fetch
from app.cdshooks.config import CdsSettings
from app.cdshooks.runtime import CdsRuntime, host_allowed
from app.cdshooks.services import FETCH_EXTRAS, PREFETCH
from app.config import Settings
from app.fhir.bundle import MAX_RESOURCES
from app.main import create_app
from app.privacy import REDISCLOSURE_NOTICE
from app.security import Scope
from tests.cdshooks.support import (
    BASE,
    LOINC,
    OS,
    PT,
    PV,
    RSA_KEY,
    RXNORM,
    Ehr,
    check_cards_response,
    draft_orders,
    empties,
    full_prefetch,
    hook_request,
    public_jwk,
    register,
    searchset,
)
from tests.conftest import KeyMaker

DATA = Path(__file__).parents[1] / "fhir" / "data"
PV_PATH = f"/cds-services/{PV}"
OS_PATH = f"/cds-services/{OS}"


async def post(
    client: httpx.AsyncClient, ehr: Ehr, path: str, body: dict[str, Any], **claims: Any
) -> httpx.Response:
    return await client.post(path, json=body, headers=ehr.headers(path, **claims))


@pytest.fixture
async def ehr(app: FastAPI) -> Ehr:
    return await register(app)


class FhirServer:
    """A fake EHR FHIR server (httpx.MockTransport) that records requests."""

    def __init__(self, prefetch: dict[str, Any], status: int = 200) -> None:
        self.prefetch = prefetch
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.split("/fhir/", 1)[1]
        key = "patient" if path.startswith("Patient/") else None
        if key is None:
            query = request.url.query.decode()
            key = next(
                k
                for k, t in PREFETCH.items()
                if t.split("?", 1)[0] == path and _same(t + FETCH_EXTRAS.get(k, ""), query)
            )
        body = self.prefetch.get(key) or {"resourceType": "Bundle", "type": "searchset"}
        return httpx.Response(self.status, json=body)


def _same(template: str, query: str) -> bool:
    wanted = template.split("?", 1)[1].replace("{{context.patientId}}", PT)
    return httpx.QueryParams(wanted) == httpx.QueryParams(query)


@pytest.fixture
def fhir_server(app: FastAPI) -> Iterator[FhirServer]:
    server = FhirServer(full_prefetch())
    saved = app.state.cds
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    app.state.cds = CdsRuntime.create(
        CdsSettings(fhir_allowed_urls=["http://ehr.test/fhir"]), http=http
    )
    yield server
    app.state.cds = saved


# ---------------------------------------------------------------------------- discovery


async def test_discovery_lists_both_services_without_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/cds-services")
    assert response.status_code == 200
    body = response.json()
    assert empties(body) == []
    services = {s["id"]: s for s in body["services"]}
    assert {s["hook"] for s in services.values()} == {"patient-view", "order-sign"}
    for service in services.values():
        assert service["title"]
        assert service["description"]
        prefetch = service["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        assert "category=vital-signs" in prefetch["vitals"]
        for key in ("labs", "drugScreen", "pregnancy", "instrumentScores", "conditions"):
            assert "{{context.patientId}}" in prefetch[key]
        assert "http://loinc.org|1742-6" in prefetch["labs"]  # ALT
        assert "http://loinc.org|8636-3" in prefetch["labs"]  # QTc
        assert "http://loinc.org|75649-4" in prefetch["drugScreen"]  # mitragynine screen
        assert "http://loinc.org|44261-6" in prefetch["instrumentScores"]  # PHQ-9 total
        assert prefetch["questionnaireResponses"].startswith("QuestionnaireResponse?")
        assert prefetch["medicationStatements"].startswith("MedicationStatement?")
        assert prefetch["medicationRequests"].startswith("MedicationRequest?")
        # CDS Hooks 2.0's recommended prefetch query subset has no _include (an EHR may
        # leave such a key out); the service asks for it only when it queries fhirServer.
        assert all("_include" not in template for template in prefetch.values())
        assert "clinical-status=active,recurrence,relapse" in prefetch["conditions"]


async def test_discovery_verifies_a_jwt_when_one_is_sent(
    client: httpx.AsyncClient, ehr: Ehr, app: FastAPI
) -> None:
    """The spec has clients send the JWT on every call, discovery included (aud = the
    discovery URL); a bad one is a bare 401 even though discovery needs none."""
    ok = await client.get("/cds-services", headers=ehr.headers("/cds-services"))
    assert ok.status_code == 200
    assert ok.json()["services"]
    for headers in (
        ehr.headers(PV_PATH),  # aud of another endpoint
        ehr.headers("/cds-services", exp=int(time.time()) - 120, iat=int(time.time()) - 600),
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic abc"},
    ):
        refused = await client.get("/cds-services", headers=headers)
        assert refused.status_code == 401
        assert refused.content == b""
        assert refused.headers["www-authenticate"].startswith("Bearer")
    saved = app.state.cds
    app.state.cds = CdsRuntime.create(CdsSettings(discovery_requires_jwt=True))
    try:
        bare = await client.get("/cds-services")
        assert bare.status_code == 401
        assert bare.content == b""
        ok = await client.get("/cds-services", headers=ehr.headers("/cds-services"))
        assert ok.status_code == 200
    finally:
        await app.state.cds.close()
        app.state.cds = saved


# ---------------------------------------------------------------------------- patient-view


async def test_patient_view_cards(client: httpx.AsyncClient, ehr: Ehr, make_key: KeyMaker) -> None:
    body = hook_request()
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    cards = response.json()["cards"]
    check_cards_response(response.json())
    plan_card = next(c for c in cards if "suggestions" in c and any(
        a.get("resource", {}).get("resourceType") == "CarePlan"
        for s in c["suggestions"] for a in s["actions"]))  # fmt: skip
    care_plan = plan_card["suggestions"][0]["actions"][0]["resource"]
    assert care_plan["status"] == "draft"
    assert care_plan["intent"] == "proposal"
    assert care_plan["subject"] == {"reference": f"Patient/{PT}"}
    assert {s["code"] for s in care_plan["meta"]["security"]} >= {"R", "42CFRPart2"}
    for card in cards:  # every suggested resource is valid FHIR (R4B models)
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                if "resource" in action:
                    resource = action["resource"]
                    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    plan_link = next(link for link in plan_card["links"] if "/v1/plans/" in link["url"])
    assert plan_link["url"].startswith(BASE + "/v1/plans/")
    topics: dict[str, str] = {}
    for card in cards:
        assert card["source"]["url"].startswith(BASE + "/kb/rules/")
        topic = card["source"]["topic"]
        assert topic["code"]
        # One topic code, one meaning: an EHR remembers overrides by topic.
        assert topics.setdefault(topic["code"], topic["display"]) == topic["display"]
        explanation = card["extension"]["kratom-cds.explanation"]
        assert explanation["rulesetVersion"]
        assert explanation["ruleId"]
        assert "**Basis:**" in card["detail"]
    # Card links open in the clinician's browser, without our API key: the rule pages and
    # every rule link answer without one.
    rule_links = {
        link["url"] for card in cards for link in card.get("links", []) if "/kb/" in link["url"]
    } | {card["source"]["url"] for card in cards}
    for url in rule_links:
        page = await client.get(url.removeprefix(BASE))
        assert page.status_code == 200, url
        assert page.headers["content-type"].startswith("text/html")
    # The stored plan is readable with an API key of the same organisation.
    key = await make_key(tenant=ehr.tenant)
    plan = await client.get(plan_link["url"].removeprefix(BASE), headers=key)
    assert plan.status_code == 200
    assert plan.json()["status"] == "draft"
    assert plan.json()["patient_ref"] == PT


async def test_inputs_used_name_their_fhir_source(client: httpx.AsyncClient, ehr: Ehr) -> None:
    body = hook_request(prefetch=full_prefetch(heart_rate=38))
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 200
    sources = [
        item
        for card in response.json()["cards"]
        for item in card["extension"]["kratom-cds.explanation"].get("inputs", [])
        if item["pointer"] == "/vitals/heart_rate_bpm"
    ]
    assert sources, "a heart rate of 38 must drive at least one card"
    assert sources[0]["value"] == 38
    assert sources[0]["from"] == "Observation/hr-1"
    assert sources[0]["code"] == "8867-4"
    assert any(c["indicator"] in ("warning", "critical") for c in response.json()["cards"])


async def test_unit_conversion_reaches_the_rules(client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await post(client, ehr, PV_PATH, hook_request())
    plan_url = next(
        link["url"] for c in response.json()["cards"] for link in c.get("links", [])
        if "/v1/plans/" in link["url"]
    )  # fmt: skip
    assert plan_url  # the mapping (99.5 degF -> 37.5 Cel) is covered by tests/fhir


async def test_anchor_vector_with_partial_prefetch_and_no_token_is_412(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """anchors.md (d): prefetch partly filled, fhirServer without fhirAuthorization."""
    vector = {
        "hook": "patient-view",
        "hookInstance": "0f7c7a3e-2b8e-4a55-9b7e-3d2f6f0c9a11",
        "fhirServer": "https://ehr.example.org/fhir",
        "context": {"userId": "Practitioner/pr-1", "patientId": "pt-42"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "pt-42", "birthDate": "1990-04-02"},
            "vitals": full_prefetch()["vitals"],
            "conditions": None,
        },
    }
    response = await post(client, ehr, PV_PATH, vector)
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 412
    assert problem["type"].endswith("/data-unavailable")
    assert "labs" in problem["detail"]
    assert "pt-42" not in problem["detail"]


async def test_no_prefetch_and_no_fhir_server_is_412(client: httpx.AsyncClient, ehr: Ehr) -> None:
    body = hook_request()
    del body["prefetch"]
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 412


#: A fhirServer with its token, for calls whose prefetch is incomplete.
FHIR_SERVER: dict[str, Any] = {
    "fhirServer": "http://ehr.test/fhir",
    "fhirAuthorization": {
        "access_token": "secret-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "kratom-cds",
    },
}
OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "query timed out"}],
}


async def test_an_operation_outcome_in_place_of_a_prefetch_is_no_data(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer
) -> None:
    # CDS Hooks 2.0: an OperationOutcome in place of a prefetch result reports an error.
    # Without a fhirServer it is a 412 (not cards built as if no vitals existed) ...
    prefetch = full_prefetch() | {"vitals": OUTCOME}
    refused = await post(client, ehr, PV_PATH, hook_request(prefetch=prefetch))
    assert refused.status_code == 412, refused.text
    assert "vitals" in refused.json()["detail"]
    # ... and with one, that key (only) is fetched.
    body = hook_request(
        prefetch=prefetch,
        **FHIR_SERVER,
    )
    answered = await post(client, ehr, PV_PATH, body)
    assert answered.status_code == 200, answered.text
    assert len(fhir_server.requests) == 1
    assert "Observation" in str(fhir_server.requests[0].url)


async def test_missing_prefetch_is_fetched_from_fhir_server(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer
) -> None:
    body = hook_request(
        prefetch={"patient": full_prefetch()["patient"]},
        **FHIR_SERVER,
    )
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 200, response.text
    check_cards_response(response.json())
    assert len(fhir_server.requests) == len(PREFETCH) - 1  # all but the patient
    for request in fhir_server.requests:
        assert request.headers["authorization"] == "Bearer secret-token"
        assert request.url.params.get("patient") == PT
    searched = {r.url.path.rsplit("/", 1)[1]: r.url.params for r in fhir_server.requests}
    includes = {k: p.get("_include") for k, p in searched.items() if k.startswith("Medication")}
    assert includes == {
        "MedicationRequest": "MedicationRequest:medication",
        "MedicationStatement": "MedicationStatement:medication",
    }


async def test_fhir_server_must_be_https_or_allow_listed(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer
) -> None:
    auth = {"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "s",
            "subject": "kratom-cds"}  # fmt: skip
    body = hook_request(prefetch={}, fhirServer="http://169.254.169.254/fhir",
                        fhirAuthorization=auth)  # fmt: skip
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 412
    assert fhir_server.requests == []


@pytest.mark.parametrize(
    "server",
    ["https://169.254.169.254/latest", "https://127.0.0.1/fhir", "https://localhost:5432/fhir",
     "https://10.0.0.5/fhir", "https://[::1]/fhir", "https://[::ffff:169.254.169.254]/fhir",
     "https://metadata.attacker.example/fhir"],
)  # fmt: skip
async def test_fhir_server_at_an_internal_address_gets_no_request(
    client: httpx.AsyncClient,
    ehr: Ehr,
    fhir_server: FhirServer,
    monkeypatch: pytest.MonkeyPatch,
    server: str,
) -> None:
    """OWASP API7 (reliability.md section 5): an https fhirServer whose host is, or resolves
    to, an internal address gets no request (so never the EHR's token): 412 as not allowed."""
    real = fetch.resolve

    async def resolve(host: str, port: int) -> list[str]:
        if host == "metadata.attacker.example":
            return ["93.184.215.14", "169.254.169.254"]
        return await real(host, port)

    monkeypatch.setattr(fetch, "resolve", resolve)
    body = hook_request(prefetch={"patient": full_prefetch()["patient"]}, fhirServer=server,
                        fhirAuthorization=FHIR_SERVER["fhirAuthorization"])  # fmt: skip
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 412, response.text
    assert response.json()["type"].endswith("/data-unavailable")
    assert "internal address" in response.json()["detail"]
    assert fhir_server.requests == []


async def test_fhir_server_requests_are_pinned_to_the_checked_address(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public https fhirServer is queried at the address that was checked (no second DNS
    lookup a rebinding attacker could answer differently), Host and TLS name unchanged."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["93.184.215.14"]

    monkeypatch.setattr(fetch, "resolve", resolve)
    body = hook_request(prefetch={"patient": full_prefetch()["patient"]},
                        fhirServer="https://ehr.example.org/fhir",
                        fhirAuthorization=FHIR_SERVER["fhirAuthorization"])  # fmt: skip
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 200, response.text
    assert asked == ["ehr.example.org"]
    assert len(fhir_server.requests) == len(PREFETCH) - 1
    for request in fhir_server.requests:
        assert request.url.host == "93.184.215.14"
        assert request.headers["host"] == "ehr.example.org"
        assert request.extensions["sni_hostname"] == "ehr.example.org"


async def test_fhir_server_failure_is_412(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer
) -> None:
    fhir_server.status = 503
    auth = {"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "s",
            "subject": "kratom-cds"}  # fmt: skip
    body = hook_request(prefetch={}, fhirServer="http://ehr.test/fhir", fhirAuthorization=auth)
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 412
    assert response.json()["type"].endswith("/data-unavailable")


async def test_more_resources_from_fhir_server_than_can_be_evaluated_is_412(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer
) -> None:
    """Over the resource cap in what fhirServer returned: the data is unavailable (CDS Hooks
    412), not a 422 blaming the request's /prefetch. The same count sent as prefetch is
    still the request's fault (422)."""
    many = [{"resourceType": "Observation"}] * (MAX_RESOURCES + 1)  # no id: none deduplicated
    fhir_server.prefetch = full_prefetch() | {"vitals": searchset(*many)}
    body = hook_request(prefetch={"patient": full_prefetch()["patient"]}, **FHIR_SERVER)
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 412, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/fetched-data-unusable")
    assert problem["title"] == "Data fetched from fhirServer unusable"
    assert "fhirServer" in problem["detail"]
    assert "errors" not in problem

    sent = hook_request(prefetch=full_prefetch() | {"vitals": searchset(*many)})
    refused = await post(client, ehr, PV_PATH, sent)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["pointer"] == "/prefetch"


async def test_repeated_hook_instance_replays_without_a_new_plan(
    client: httpx.AsyncClient, ehr: Ehr, make_key: KeyMaker
) -> None:
    key = await make_key(tenant=ehr.tenant)
    body = hook_request()
    first = await post(client, ehr, PV_PATH, body)
    assert first.status_code == 200
    plans = (await client.get("/v1/plans", headers=key)).json()["items"]
    second = await post(client, ehr, PV_PATH, body)  # new JWT (new jti), same hookInstance
    assert second.status_code == 200
    assert second.content == first.content
    assert (await client.get("/v1/plans", headers=key)).json()["items"] == plans
    assert len(plans) == 1


def _other_patient(body: dict[str, Any], patient: str = "pt-other-7") -> dict[str, Any]:
    """The same hook firing's body rewritten for another patient (context and prefetch)."""
    other = copy.deepcopy(body)
    other["context"]["patientId"] = patient
    prefetch = other["prefetch"]
    prefetch["patient"]["id"] = patient
    for value in prefetch.values():
        for entry in (value or {}).get("entry", []) if isinstance(value, dict) else []:
            entry["resource"]["subject"] = {"reference": f"Patient/{patient}"}
    return dict(other)


async def test_hook_instance_reused_for_another_patient_is_409_without_cards(
    client: httpx.AsyncClient, ehr: Ehr, make_key: KeyMaker
) -> None:
    """A repeated hookInstance replays the first answer only for the same request: naming
    another patient (or sending other data) under it is a 409 with nothing of either patient,
    nothing stored, and no success audited for the second patient."""
    key = await make_key(tenant=ehr.tenant)
    auditor = await make_key(tenant=ehr.tenant, scopes=(Scope.audit_read,))
    body = hook_request()
    first = await post(client, ehr, PV_PATH, body)
    assert first.status_code == 200, first.text
    plans = (await client.get("/v1/plans", headers=key)).json()["items"]

    other = _other_patient(body)
    reused = await post(client, ehr, PV_PATH, other)
    assert reused.status_code == 409, reused.text
    assert reused.headers["content-type"] == "application/problem+json"
    problem = reused.json()
    assert problem["type"].endswith("/hook-instance-reused")
    assert "cards" not in problem
    assert PT not in reused.text
    assert "pt-other-7" not in reused.text
    assert (await client.get("/v1/plans", headers=key)).json()["items"] == plans  # none stored

    different_data = copy.deepcopy(body)
    different_data["prefetch"] = full_prefetch(heart_rate=150)
    assert (await post(client, ehr, PV_PATH, different_data)).status_code == 409

    # The same request again (re-serialised, with a fresh JWT) still replays.
    again = await client.post(
        PV_PATH,
        content=json.dumps(body, sort_keys=True, indent=1),
        headers=ehr.headers(PV_PATH) | {"content-type": "application/json"},
    )
    assert again.status_code == 200
    assert again.content == first.content

    events = (
        await client.get("/v1/audit-events", params={"patient_ref": "pt-other-7"}, headers=auditor)
    ).json()["items"]
    assert [e["outcome"] for e in events] == ["rejected"]


async def test_hook_instance_reused_before_a_fetch_is_409_and_fetches_nothing(
    client: httpx.AsyncClient, ehr: Ehr, fhir_server: FhirServer
) -> None:
    """When the prefetch is incomplete the stored answer is looked up before fhirServer is
    queried: a repeat for another patient is refused there, with no request to the EHR."""
    body = hook_request(prefetch={"patient": full_prefetch()["patient"]}, **FHIR_SERVER)
    first = await post(client, ehr, PV_PATH, body)
    assert first.status_code == 200, first.text
    asked = len(fhir_server.requests)
    retry = copy.deepcopy(body)
    retry["fhirAuthorization"]["access_token"] = "a-fresh-token"  # a retry may refresh it
    assert (await post(client, ehr, PV_PATH, retry)).content == first.content
    other = copy.deepcopy(body)
    other["context"]["patientId"] = "pt-other-7"
    other["prefetch"]["patient"]["id"] = "pt-other-7"
    reused = await post(client, ehr, PV_PATH, other)
    assert reused.status_code == 409, reused.text
    assert reused.json()["type"].endswith("/hook-instance-reused")
    assert "pt-other-7" not in reused.text
    assert len(fhir_server.requests) == asked


def _plan_state(response: httpx.Response) -> dict[str, Any]:
    """The plan card's record of the linked plan (id, status, revision, outcome)."""
    states = [
        card["extension"]["kratom-cds.explanation"]["plan"]
        for card in response.json()["cards"]
        if "plan" in card["extension"]["kratom-cds.explanation"]
    ]
    assert len(states) == 1
    return dict(states[0])


async def test_patient_view_reuses_or_revises_one_draft_per_patient(
    client: httpx.AsyncClient, ehr: Ehr, make_key: KeyMaker
) -> None:
    key = await make_key(tenant=ehr.tenant)
    first = await post(client, ehr, PV_PATH, hook_request())
    check_cards_response(first.json())
    created = _plan_state(first)
    assert created["outcome"] == "created"
    assert created["status"] == "draft"

    # Chart opened again (new hookInstance), same EHR data: the same plan, nothing stored.
    again = await post(client, ehr, PV_PATH, hook_request())
    check_cards_response(again.json())
    assert _plan_state(again) == {**created, "outcome": "unchanged"}
    assert any("plan on file, unchanged" in c["summary"] for c in again.json()["cards"])
    plans = (await client.get("/v1/plans", headers=key)).json()["items"]
    assert [p["id"] for p in plans] == [created["id"]]
    assert plans[0]["revision"] == 1

    # New data (bradycardia): the same draft gets revision 2, with its diff.
    changed = await post(client, ehr, PV_PATH, hook_request(prefetch=full_prefetch(heart_rate=38)))
    check_cards_response(changed.json())
    revised = _plan_state(changed)
    assert revised == {**created, "revision": 2, "outcome": "revised"}
    listed = await client.get(f"/v1/plans/{created['id']}/revisions", headers=key)
    revisions = listed.json()["items"]
    assert [r["number"] for r in revisions] == [1, 2]
    assert revisions[1]["diff"]["previous_revision"] == 1
    assert len((await client.get("/v1/plans", headers=key)).json()["items"]) == 1


async def test_patient_view_never_changes_an_active_plan(
    client: httpx.AsyncClient, ehr: Ehr, make_key: KeyMaker
) -> None:
    key = await make_key(tenant=ehr.tenant)
    first = _plan_state(await post(client, ehr, PV_PATH, hook_request()))
    plan_url = f"/v1/plans/{first['id']}"
    etag = (await client.get(plan_url, headers=key)).headers["etag"]
    activated = await client.patch(
        plan_url, json={"status": "active"}, headers={**key, "If-Match": etag}
    )
    assert activated.status_code == 200, activated.text

    # Same data: the active plan is shown as it is.
    same = await post(client, ehr, PV_PATH, hook_request())
    assert _plan_state(same) == {**first, "status": "active", "outcome": "unchanged"}
    care_plans = [
        a["resource"]
        for c in same.json()["cards"]
        for s in c.get("suggestions", [])
        for a in s["actions"]
        if a.get("resource", {}).get("resourceType") == "CarePlan"
    ]
    assert care_plans[0]["status"] == "active"

    # Different data: a new draft next to the active plan, which stays at revision 1.
    body = hook_request(prefetch=full_prefetch(heart_rate=38))
    proposal = _plan_state(await post(client, ehr, PV_PATH, body))
    assert proposal["outcome"] == "created"
    assert proposal["id"] != first["id"]
    assert (await client.get(plan_url, headers=key)).json()["revision"] == 1
    # ... and that draft is what the next view with the same data shows.
    body = hook_request(prefetch=full_prefetch(heart_rate=38))
    assert _plan_state(await post(client, ehr, PV_PATH, body)) == {
        **proposal,
        "outcome": "unchanged",
    }
    assert len((await client.get("/v1/plans", headers=key)).json()["items"]) == 2


async def test_same_hook_instance_from_another_issuer_is_a_new_call(
    client: httpx.AsyncClient, ehr: Ehr, app: FastAPI
) -> None:
    body = hook_request()
    first = await post(client, ehr, PV_PATH, body)
    other = await register(app)
    second = await post(client, other, PV_PATH, body)
    assert second.status_code == 200
    assert first.json()["cards"][0]["uuid"] != second.json()["cards"][0]["uuid"]


async def test_invalid_requests_are_problems(client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await post(client, ehr, PV_PATH, hook_request(hook="order-sign"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/hook"
    body = hook_request()
    body["context"]["patientId"] = "not a fhir id!"
    response = await post(client, ehr, PV_PATH, body)
    assert response.status_code == 422
    assert "not a fhir id" not in response.text
    response = await post(client, ehr, PV_PATH, {"hook": "patient-view"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    response = await post(client, ehr, "/cds-services/nope", hook_request())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# ---------------------------------------------------------------------------- order-sign


async def order_sign_cards(
    client: httpx.AsyncClient, ehr: Ehr, body: dict[str, Any]
) -> list[dict[str, Any]]:
    """The cards of an order-sign call, checked against the CDS Hooks card rules."""
    response = await post(client, ehr, OS_PATH, body)
    assert response.status_code == 200, response.text
    check_cards_response(response.json())
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


async def test_order_sign_lofexidine_with_bradycardia_and_long_qtc_is_critical(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    body = hook_request(hook="order-sign", prefetch=full_prefetch(heart_rate=48, qtc=520))
    body["context"]["draftOrders"] = draft_orders(("mr-1", None, "Lofexidine 0.18 MG Oral Tablet"))
    cards = await order_sign_cards(client, ehr, body)
    assert cards, "lofexidine with HR 48 and QTc 520 must be flagged"
    card = cards[0]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Lofexidine")
    action = card["suggestions"][0]["actions"][0]
    assert action == {
        "type": "delete",
        "description": "Remove the draft lofexidine order.",
        "resourceId": "MedicationRequest/mr-1",
    }


async def test_one_hook_instance_sent_to_two_services_gets_each_services_cards(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    # hookInstance names the hook firing; a replay is per service, so order-sign's safety
    # check is not answered with patient-view's cards.
    prefetch = full_prefetch(heart_rate=48, qtc=520)
    view = hook_request(prefetch=prefetch)
    viewed = await post(client, ehr, PV_PATH, view)
    assert viewed.status_code == 200, viewed.text
    body = hook_request(hook="order-sign", prefetch=prefetch)
    body["hookInstance"] = view["hookInstance"]
    body["context"]["draftOrders"] = draft_orders(("mr-1", None, "Lofexidine 0.18 MG Oral Tablet"))
    ordered = await post(client, ehr, OS_PATH, body)
    assert ordered.status_code == 200, ordered.text
    assert ordered.content != viewed.content
    assert ordered.json()["cards"][0]["summary"].startswith("Lofexidine")
    again = await post(client, ehr, OS_PATH, body)
    assert again.content == ordered.content  # and each still replays


async def test_two_draft_orders_of_one_drug_are_both_removable(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    body = hook_request(hook="order-sign", prefetch=full_prefetch(heart_rate=48, qtc=520))
    body["context"]["draftOrders"] = draft_orders(
        ("mr-1", None, "Lofexidine 0.18 MG Oral Tablet"), ("mr-2", None, "Lucemyra")
    )
    (card,) = await order_sign_cards(client, ehr, body)
    actions = card["suggestions"][0]["actions"]
    assert [a["resourceId"] for a in actions] == [
        "MedicationRequest/mr-1",
        "MedicationRequest/mr-2",
    ]


async def test_order_sign_by_rxnorm_ingredient(client: httpx.AsyncClient, ehr: Ehr) -> None:
    body = hook_request(hook="order-sign", prefetch=full_prefetch(heart_rate=44))
    body["context"]["draftOrders"] = draft_orders(("mr-2", "2599", "clonidine"))
    cards = await order_sign_cards(client, ehr, body)
    assert cards
    assert cards[0]["summary"].startswith("Clonidine")
    assert cards[0]["indicator"] in ("warning", "critical")


@pytest.mark.parametrize(
    ("code", "name"),
    [("7804", "oxycodone"), ("1049621", "oxycodone hydrochloride 5 MG Oral Tablet")],
)
async def test_order_sign_naltrexone_on_a_product_coded_opioid_is_critical(
    client: httpx.AsyncClient, ehr: Ehr, code: str, name: str
) -> None:
    # EHRs code prescriptions at product level (SCD): the ingredient is known by name.
    prefetch = full_prefetch(heart_rate=80)
    active = draft_orders(("rx-1", code, name))["entry"][0]["resource"] | {"status": "active"}
    prefetch["medicationRequests"] = searchset(active)
    body = hook_request(hook="order-sign", prefetch=prefetch)
    body["context"]["draftOrders"] = draft_orders(("mr-9", "7243", "naltrexone"))
    response = await post(client, ehr, OS_PATH, body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards, "naltrexone for a patient on oxycodone must be flagged"
    assert cards[0]["indicator"] == "critical"


@pytest.mark.parametrize(
    "search",
    [
        # Only the reference's display (R4: valid text for the medication).
        [{"resource": {"medicationReference": {"reference": "Medication/abc",
                       "display": "oxycodone hydrochloride 5 MG Oral Tablet"}}}],
        # The Medication brought by _include=MedicationRequest:medication.
        [{"fullUrl": "https://ehr.example.org/fhir/MedicationRequest/rx-1",
          "resource": {"medicationReference": {"reference": "Medication/abc"}}},
         {"fullUrl": "https://ehr.example.org/fhir/Medication/abc", "search": {"mode": "include"},
          "resource": {"resourceType": "Medication", "id": "abc",
                       "code": {"coding": [{"system": RXNORM, "code": "7804",
                                            "display": "oxycodone"}]}}}],
    ],
    ids=["display", "included-medication"],
)  # fmt: skip
async def test_order_sign_naltrexone_on_a_referenced_opioid_is_critical(
    client: httpx.AsyncClient, ehr: Ehr, search: list[dict[str, Any]]
) -> None:
    """medication[x] as a Reference: the opioid was 'not identified', so no card at all."""
    active = {
        "resourceType": "MedicationRequest",
        "id": "rx-1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{PT}"},
    }
    entries = copy.deepcopy(search)
    entries[0]["resource"] = active | entries[0]["resource"]
    prefetch = full_prefetch(heart_rate=80)
    prefetch["medicationRequests"] = {"resourceType": "Bundle", "type": "searchset",
                                      "entry": entries}  # fmt: skip
    body = hook_request(hook="order-sign", prefetch=prefetch)
    body["context"]["draftOrders"] = draft_orders(("mr-9", "7243", "naltrexone"))
    cards = await order_sign_cards(client, ehr, body)
    assert cards, "naltrexone for a patient on oxycodone must be flagged"
    assert cards[0]["indicator"] == "critical"
    assert "Naltrexone now could precipitate withdrawal" in cards[0]["summary"]


async def test_order_sign_draft_naming_a_medication_entry_of_draft_orders_is_checked(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """A draft whose medicationReference names a Medication entry of draftOrders was never
    identified, so lofexidine with HR 48 and QTc 520 went unchecked."""
    orders = draft_orders(("mr-1", None, "unused"))
    draft = orders["entry"][0]["resource"]
    del draft["medicationCodeableConcept"]
    draft["medicationReference"] = {"reference": "Medication/lofex"}
    orders["entry"].append(
        {
            "fullUrl": "Medication/lofex",
            "resource": {
                "resourceType": "Medication",
                "id": "lofex",
                "code": {"text": "Lofexidine 0.18 MG Oral Tablet"},
            },
        }
    )
    body = hook_request(hook="order-sign", prefetch=full_prefetch(heart_rate=48, qtc=520))
    body["context"]["draftOrders"] = orders
    cards = await order_sign_cards(client, ehr, body)
    assert cards, "lofexidine with HR 48 and QTc 520 must be flagged"
    assert cards[0]["indicator"] == "critical"
    assert cards[0]["summary"].startswith("Lofexidine")
    assert cards[0]["suggestions"][0]["actions"][0]["resourceId"] == "MedicationRequest/mr-1"


async def test_order_sign_published_example_has_no_checked_drug(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    example = json.loads((DATA / "cds-hooks-order-sign-context-r4.json").read_text())
    body = hook_request(hook="order-sign")
    body["context"] = {**example["context"], "patientId": PT}
    response = await post(client, ehr, OS_PATH, body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


async def test_order_sign_needs_draft_orders(client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await post(client, ehr, OS_PATH, hook_request(hook="order-sign"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/context/draftOrders"


# ---------------------------------------------------------------------------- JWT


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _claims(ehr: Ehr, path: str) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ehr.issuer, "aud": BASE + path, "iat": now, "exp": now + 300,
            "jti": str(uuid.uuid4())}  # fmt: skip


async def _refused(client: httpx.AsyncClient, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(path, json=hook_request(), headers=headers)
    assert response.status_code == 401, response.text
    assert response.content == b""  # anchors.md (d): a bare 401, no detail
    assert "content-type" not in response.headers
    assert response.headers["www-authenticate"].startswith("Bearer")
    return response


async def test_jwt_failures_are_401_without_saying_why(client: httpx.AsyncClient, ehr: Ehr) -> None:
    now = int(time.time())
    public_pem = RSA_KEY.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    cases = {
        "missing": None,
        "expired": ehr.token(PV_PATH, iat=now - 600, exp=now - 120),
        "future iat": ehr.token(PV_PATH, iat=now + 300, exp=now + 600),
        "wrong aud": ehr.token(PV_PATH, aud=BASE + OS_PATH),
        "aud of another host": ehr.token(PV_PATH, aud="https://evil.example" + PV_PATH),
        "unknown issuer": ehr.token(PV_PATH, iss="https://unknown.example.org"),
        "alg none": _forged({"alg": "none", "typ": "JWT", "kid": "k1"}, _claims(ehr, PV_PATH),
                            None),
        "HS256 with the public key": _forged(
            {"alg": "HS256", "typ": "JWT", "kid": "k1"}, _claims(ehr, PV_PATH), public_pem
        ),
        "garbage": "not.a.jwt",
    }  # fmt: skip
    answers = set()
    for token in cases.values():
        response = await _refused(client, PV_PATH, token)
        answers.add((response.content, tuple(sorted(response.headers.items()))))
    assert len({a[0] for a in answers}) == 1  # the same (empty) answer whatever failed


async def test_claims_the_database_cannot_hold_are_401_not_500(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """An unsigned token whose iss is a lone surrogate (JSON "\\ud800") or holds NUL, and a
    signed one whose jti, tenant or sub does, never reach the database (they were a 500:
    UnicodeEncodeError on SQLite, DBAPIError on PostgreSQL)."""
    header = {"alg": "RS384", "kid": "k1", "typ": "JWT"}
    unsigned = [
        _b64(json.dumps(header).encode()) + "." + _b64(b'{"iss":"\\ud800"}') + ".c2ln",
        _b64(json.dumps(header).encode())
        + "."
        + _b64(json.dumps({"iss": "x\u0000y"}).encode())
        + ".c2ln",
    ]
    signed = [ehr.token(PV_PATH, jti="a\u0000b"), ehr.token(PV_PATH, tenant="a\u0000b"),
              ehr.token(PV_PATH, sub="a\u0000b")]  # fmt: skip
    for token in unsigned + signed:
        await _refused(client, PV_PATH, token)
        assert (await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
                ).status_code == 401  # fmt: skip


async def test_numeric_string_exp_or_iat_is_401_not_500(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """A validly signed token whose exp/iat are numeric strings passed PyJWT (int() reads
    them) and then failed on exp - iat: a 500. It is a bare 401 like any bad token."""
    now = int(time.time())
    for claims in ({"exp": str(now + 300)}, {"iat": str(now)},
                   {"exp": str(now + 300), "iat": str(now)}):  # fmt: skip
        await _refused(client, PV_PATH, ehr.token(PV_PATH, **claims))


async def test_a_token_living_longer_than_five_minutes_is_401(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    now = int(time.time())
    await _refused(client, PV_PATH, ehr.token(PV_PATH, iat=now, exp=now + 301))
    response = await post(client, ehr, PV_PATH, hook_request(), iat=now, exp=now + 300)
    assert response.status_code == 200, response.text


async def test_unknown_kid_is_401(client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = pyjwt.encode(_claims(ehr, PV_PATH), RSA_KEY, algorithm="RS384",
                         headers={"kid": "other", "typ": "JWT"})  # fmt: skip
    await _refused(client, PV_PATH, token)


async def test_unregistered_jku_makes_no_outbound_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    requests: list[httpx.Request] = []
    saved = app.state.cds
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: requests.append(r) or httpx.Response(500))
    )
    app.state.cds = CdsRuntime.create(CdsSettings(), http=http)
    try:
        ehr = await register(app, jwks=None, jwks_url="https://ehr.example.org/jwks.json")
        token = pyjwt.encode(
            _claims(ehr, PV_PATH),
            RSA_KEY,
            algorithm="RS384",
            headers={"kid": "k1", "typ": "JWT", "jku": "https://attacker.example/jwks.json"},
        )
        await _refused(client, PV_PATH, token)
        assert requests == []
    finally:
        app.state.cds = saved


async def test_jwks_url_is_fetched_and_cached(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[httpx.Request] = []

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]  # a public address (the JWKS guard resolves the name)

    monkeypatch.setattr(fetch, "resolve", resolve)

    def serve(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"keys": [public_jwk()]})

    saved = app.state.cds
    app.state.cds = CdsRuntime.create(
        CdsSettings(), http=httpx.AsyncClient(transport=httpx.MockTransport(serve))
    )
    try:
        ehr = await register(app, jwks=None, jwks_url="https://ehr.example.org/jwks.json")
        for _ in range(2):
            response = await post(client, ehr, PV_PATH, hook_request())
            assert response.status_code == 200
        assert len(requests) == 1
    finally:
        app.state.cds = saved


async def test_replayed_jti_is_refused_across_two_app_instances(
    client: httpx.AsyncClient, ehr: Ehr, settings: Settings
) -> None:
    token = ehr.token(PV_PATH)
    headers = {"Authorization": f"Bearer {token}"}
    other_app = create_app(settings)
    async with other_app.router.lifespan_context(other_app):
        transport = httpx.ASGITransport(app=other_app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as other:
            first = await client.post(PV_PATH, json=hook_request(), headers=headers)
            assert first.status_code == 200
            second = await other.post(PV_PATH, json=hook_request(), headers=headers)
            assert second.status_code == 401
            fresh = await post(other, ehr, PV_PATH, hook_request())
            assert fresh.status_code == 200


async def test_jti_is_burned_even_when_the_call_fails_later(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """The jti is stored in its own (on PostgreSQL: autocommit) statement before the body is
    read, so a call refused afterwards still spends its token."""
    headers = {"Authorization": f"Bearer {ehr.token(PV_PATH)}"}
    refused = await client.post(
        PV_PATH, json=hook_request() | {"hook": "order-sign"}, headers=headers
    )
    assert refused.status_code == 422
    again = await client.post(PV_PATH, json=hook_request(), headers=headers)
    assert again.status_code == 401


async def test_public_base_url_sets_the_audience(
    client: httpx.AsyncClient, ehr: Ehr, app: FastAPI
) -> None:
    saved = app.state.cds
    app.state.cds = CdsRuntime.create(CdsSettings(public_base_url="https://cds.example.org"))
    try:
        ok = await client.post(
            PV_PATH,
            json=hook_request(),
            headers=ehr.headers(PV_PATH, aud="https://cds.example.org" + PV_PATH),
        )
        assert ok.status_code == 200
        assert "https://cds.example.org/v1/plans/" in ok.text
        await _refused(client, PV_PATH, ehr.token(PV_PATH))  # aud = http://testserver/...
    finally:
        await app.state.cds.close()
        app.state.cds = saved


async def test_a_token_for_another_host_sent_with_its_host_header_is_401(
    client: httpx.AsyncClient, ehr: Ehr, app: FastAPI
) -> None:
    """Without public_base_url our URL comes from the Host header: a token minted for another
    deployment (same path) replayed with that deployment's Host must not pass the aud check."""
    other = "http://other-cds.example.net"
    spoofed = {"Host": "other-cds.example.net"}
    token = ehr.token(PV_PATH, aud=other + PV_PATH)
    response = await client.post(
        PV_PATH, json=hook_request(), headers={"Authorization": f"Bearer {token}"} | spoofed
    )
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"].startswith("Bearer")
    discovery = await client.get(  # discovery verifies a JWT that is sent the same way
        "/cds-services",
        headers={
            "Authorization": f"Bearer {ehr.token('/cds-services', aud=other + '/cds-services')}"
        }
        | spoofed,
    )
    assert discovery.status_code == 401
    # The normal flow (Host: testserver, a default allowed host) still answers ...
    assert (await post(client, ehr, PV_PATH, hook_request())).status_code == 200
    # ... and an operator can allow that host, whose card links then use it.
    saved = app.state.cds
    app.state.cds = CdsRuntime.create(CdsSettings(allowed_hosts=["other-cds.example.net"]))
    try:
        token = ehr.token(PV_PATH, aud=other + PV_PATH)
        ok = await client.post(
            PV_PATH, json=hook_request(), headers={"Authorization": f"Bearer {token}"} | spoofed
        )
        assert ok.status_code == 200, ok.text
        assert other + "/v1/plans/" in ok.text
        await _refused(client, PV_PATH, ehr.token(PV_PATH))  # testserver is no longer allowed
    finally:
        await app.state.cds.close()
        app.state.cds = saved


def test_allowed_hosts_match_name_and_optional_port() -> None:
    allowed = ["localhost", "::1", "cds.example.org:8443", "[fd00::5]:9000", "bad entry:x"]
    assert host_allowed("localhost", None, allowed)
    assert host_allowed("LocalHost", 8000, allowed)
    assert host_allowed("::1", 8000, allowed)
    assert host_allowed("0:0::1", None, allowed)
    assert host_allowed("cds.example.org", 8443, allowed)
    assert not host_allowed("cds.example.org", None, allowed)
    assert not host_allowed("cds.example.org", 443, allowed)
    assert host_allowed("fd00::5", 9000, allowed)
    assert not host_allowed("fd00::5", 9001, allowed)
    assert not host_allowed("other-cds.example.net", None, allowed)
    assert not host_allowed("localhost.other.example", None, allowed)
    assert not host_allowed(None, None, allowed)
    assert host_allowed("testserver", None, CdsSettings().allowed_hosts)


# ---------------------------------------------------------------------------- feedback


async def test_feedback_and_analytics(
    client: httpx.AsyncClient, ehr: Ehr, make_key: KeyMaker
) -> None:
    response = await post(client, ehr, PV_PATH, hook_request(prefetch=full_prefetch(heart_rate=38)))
    cards = response.json()["cards"]
    plan_card = next(c for c in cards if "suggestions" in c)
    alert_card = next(c for c in cards if c["indicator"] != "info")
    path = f"{PV_PATH}/feedback"
    feedback = {
        "feedback": [
            {
                "card": plan_card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": plan_card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-01-10T09:05:00Z",
            },
            {
                "card": alert_card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": copy.deepcopy(alert_card["overrideReasons"][0]),
                    "userComment": "Rechecked at 09:10",
                },
                "outcomeTimestamp": "2026-01-10T09:06:00Z",
            },
        ]
    }
    stored = await client.post(path, json=feedback, headers=ehr.headers(path))
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"stored": 2, "duplicates": 0}
    again = await client.post(path, json=feedback, headers=ehr.headers(path))  # EHR retry
    assert again.status_code == 200
    assert again.json() == {"stored": 0, "duplicates": 2}  # nothing new was stored
    later = copy.deepcopy(feedback["feedback"][0]) | {"outcomeTimestamp": "2026-01-10T09:07:00Z"}
    mixed = {"feedback": [feedback["feedback"][0], later, later]}
    partly = await client.post(path, json=mixed, headers=ehr.headers(path))
    assert partly.json() == {"stored": 1, "duplicates": 2}

    key = await make_key(tenant=ehr.tenant, scopes=(Scope.knowledge_read,))
    report = await client.get("/v1/analytics/feedback", headers=key)
    assert report.status_code == 200
    items = {i["rule_id"]: i for i in report.json()["items"]}
    alert_rule = alert_card["extension"]["kratom-cds.explanation"]["ruleId"]
    plan_rule = plan_card["extension"]["kratom-cds.explanation"]["ruleId"]
    overridden = items[alert_rule]
    assert overridden["overridden"] == 1
    assert overridden["override_rate"] == 1.0
    assert overridden["override_reasons"][0]["code"] == alert_card["overrideReasons"][0]["code"]
    assert overridden["override_reasons"][0]["count"] == 1
    assert (
        overridden["ruleset_version"]
        == alert_card["extension"]["kratom-cds.explanation"]["rulesetVersion"]
    )
    assert items[plan_rule]["accepted"] >= 1
    assert items[plan_rule]["acceptance_rate"] > 0
    assert all(i["cards_shown"] >= 1 for i in items.values())
    assert "Rechecked" not in report.text  # comments are kept, not reported

    other = await make_key(scopes=(Scope.knowledge_read,))
    assert (await client.get("/v1/analytics/feedback", headers=other)).json()["items"] == []
    no_scope = await make_key(tenant=ehr.tenant, scopes=(Scope.plans_read,))
    assert (await client.get("/v1/analytics/feedback", headers=no_scope)).status_code == 403


async def test_feedback_for_unknown_cards_is_422(client: httpx.AsyncClient, ehr: Ehr) -> None:
    path = f"{PV_PATH}/feedback"
    body = {"feedback": [{"card": str(uuid.uuid4()), "outcome": "overridden",
                          "outcomeTimestamp": "2026-01-10T09:05:00Z"}]}  # fmt: skip
    response = await client.post(path, json=body, headers=ehr.headers(path))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/feedback/0/card"
    accepted = {"feedback": [{"card": str(uuid.uuid4()), "outcome": "accepted",
                              "outcomeTimestamp": "2026-01-10T09:05:00Z"}]}  # fmt: skip
    response = await client.post(path, json=accepted, headers=ehr.headers(path))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/feedback/0/acceptedSuggestions"


async def test_feedback_must_match_the_card(client: httpx.AsyncClient, ehr: Ehr) -> None:
    # Suggestions and override reasons are the card's own (CDS Hooks 2.0 feedback); made-up
    # ones would skew the acceptance and override figures.
    response = await post(client, ehr, PV_PATH, hook_request(prefetch=full_prefetch(heart_rate=38)))
    cards = response.json()["cards"]
    plan_card = next(c for c in cards if "suggestions" in c)
    alert_card = next(c for c in cards if c["indicator"] != "info")
    path = f"{PV_PATH}/feedback"
    when = "2026-01-10T09:05:00Z"
    body = {
        "feedback": [
            {"card": plan_card["uuid"], "outcome": "accepted",
             "acceptedSuggestions": [{"id": "not-a-suggestion"}], "outcomeTimestamp": when},
            {"card": alert_card["uuid"], "outcome": "overridden",
             "overrideReason": {"reason": {"system": "x", "code": "made-up"}},
             "outcomeTimestamp": when},
        ]
    }  # fmt: skip
    refused = await client.post(path, json=body, headers=ehr.headers(path))
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.json()["errors"]] == [
        "/feedback/0/acceptedSuggestions/0/id",
    ]
    # CDS Hooks 2.0, overrideReasons: "A CDS Client MAY augment the override reasons presented
    # to the user with its own reasons": one the card did not offer is stored as sent.
    own_reason = {"feedback": [body["feedback"][1]]}
    stored_own = await client.post(path, json=own_reason, headers=ehr.headers(path))
    assert stored_own.status_code == 200, stored_own.text
    comment_only = {"feedback": [{"card": alert_card["uuid"], "outcome": "overridden",
                                  "overrideReason": {"userComment": "rechecked"},
                                  "outcomeTimestamp": when}]}  # fmt: skip
    stored = await client.post(path, json=comment_only, headers=ehr.headers(path))
    assert stored.status_code == 200, stored.text


async def test_feedback_is_tenant_scoped(client: httpx.AsyncClient, ehr: Ehr, app: FastAPI) -> None:
    response = await post(client, ehr, PV_PATH, hook_request())
    card = response.json()["cards"][0]
    other = await register(app)
    path = f"{PV_PATH}/feedback"
    body = {"feedback": [{"card": card["uuid"], "outcome": "overridden",
                          "outcomeTimestamp": "2026-01-10T09:05:00Z"}]}  # fmt: skip
    response = await client.post(path, json=body, headers=other.headers(path))
    assert response.status_code == 422


async def test_feedback_needs_a_jwt(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{PV_PATH}/feedback", json={"feedback": []})
    assert response.status_code == 401
    assert response.content == b""


async def test_every_card_carries_the_part_2_notice_and_labels(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    # Cards carry plan content about a patient: 42 CFR 2.32's notice and the labels go with
    # each card, on both services (reliability.md section 2).
    order = hook_request(hook="order-sign", prefetch=full_prefetch(heart_rate=48, qtc=520))
    order["context"]["draftOrders"] = draft_orders(("mr-1", None, "Lofexidine 0.18 MG Oral Tablet"))
    cards = [
        *(await post(client, ehr, PV_PATH, hook_request())).json()["cards"],
        *(await post(client, ehr, OS_PATH, order)).json()["cards"],
    ]
    assert len(cards) >= 2
    for card in cards:
        assert card["detail"].rstrip().endswith(f"_{REDISCLOSURE_NOTICE}_")
        extension = next(iter(card["extension"].values()))
        assert extension["redisclosureNotice"] == REDISCLOSURE_NOTICE
        assert {x["code"] for x in extension["securityLabels"]} == {
            "R",
            "SUD",
            "42CFRPart2",
            "NORDSCLCD",
        }


def _cssrs_response(*, intent: bool) -> dict[str, Any]:
    """A C-SSRS screener as the HL7 US Behavioral Health Profiles example records it: linkIds
    "/<LOINC item>" and LOINC Yes/No answers (questions 3-5 asked after a yes to question 2)."""
    yes = {"valueCoding": {"system": LOINC, "code": "LA33-6", "display": "Yes"}}
    no = {"valueCoding": {"system": LOINC, "code": "LA32-8", "display": "No"}}
    answers = {
        "93246-7": yes, "93247-5": yes, "93248-3": no,
        "93249-1": yes if intent else no, "93250-9": no, "93267-3": no,
    }  # fmt: skip
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "cssrs-1",
        "questionnaire": "http://loinc.org/q/93373-9",
        "status": "completed",
        "subject": {"reference": f"Patient/{PT}"},
        "authored": datetime.now(UTC).isoformat(),
        "item": [{"linkId": f"/{code}", "answer": [a]} for code, a in answers.items()],
    }


async def test_a_cssrs_screener_in_the_chart_reaches_the_cards(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """Without it the setting stays provisional on 'suicide risk not screened'; with it, a
    yes to question 4 is a critical MH-01 card and a screen of low risk closes that question."""

    async def cards(prefetch: dict[str, Any]) -> list[dict[str, Any]]:
        response = await post(client, ehr, PV_PATH, hook_request(prefetch=prefetch))
        assert response.status_code == 200, response.text
        return list(response.json()["cards"])

    def rule_ids(found: list[dict[str, Any]]) -> set[str]:
        return {c["extension"]["kratom-cds.explanation"]["ruleId"] for c in found}

    unscreened = await cards(full_prefetch())
    assert any("suicide risk not screened" in c["detail"] for c in unscreened)
    assert "MH-01" not in rule_ids(unscreened)

    prefetch = full_prefetch()
    prefetch["questionnaireResponses"] = searchset(_cssrs_response(intent=True))
    high_risk = await cards(prefetch)
    mh01 = next(
        c for c in high_risk if c["extension"]["kratom-cds.explanation"]["ruleId"] == "MH-01"
    )
    assert mh01["indicator"] == "critical"

    prefetch["questionnaireResponses"] = searchset(_cssrs_response(intent=False))
    low_risk = await cards(prefetch)
    assert "MH-01" not in rule_ids(low_risk)
    assert not any("suicide risk not screened" in c["detail"] for c in low_risk)


async def test_the_published_feedback_with_the_ehrs_own_override_reason_is_stored(
    client: httpx.AsyncClient, ehr: Ehr
) -> None:
    """The CDS Hooks 2.0 example feedback (an override reason from the EHR's own system) is
    accepted once its card uuid names a card this service returned."""
    response = await post(client, ehr, PV_PATH, hook_request())
    card = response.json()["cards"][0]
    published = json.loads((DATA / "cds-hooks-feedback-overridden-with-reason.json").read_text())
    published["feedback"][0]["card"] = card["uuid"]
    path = f"{PV_PATH}/feedback"
    stored = await client.post(path, json=published, headers=ehr.headers(path))
    assert stored.status_code == 200, stored.text
