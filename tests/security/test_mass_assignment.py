"""Mass assignment (OWASP API3): server-owned fields in a create/update body are 422 naming
the field, on every write route, and nothing is stored or changed."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import assessment_data
from tests.security.routes import WRITE_METHODS, fill, scoped_routes

SERVER_OWNED: dict[str, Any] = {
    "id": "0b0c6a1e-9a53-4d7e-9b65-1f0c0a7d2b11",
    "tenant_id": "0b0c6a1e-9a53-4d7e-9b65-1f0c0a7d2b12",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
    "ruleset_version": "0.0.1",
    "ruleset_hash": "0" * 64,
    "labels": ["N"],
    "security_labels": [],
    "etag": '"x"',
    "version": 99,
    "revision": 99,
}

#: Routes whose bodies follow an external standard and may carry `id`-like members: a FHIR
#: Bundle's resources have FHIR ids (mapped field by field, never stored as ours); CDS Hooks
#: requests are EHR-authenticated and spec-defined (tests/cdshooks).
EXEMPT_PREFIXES = ("/v1/fhir/", "/cds-services")


def _valid_bodies(patient_ref: str) -> dict[str, dict[str, Any]]:
    """A valid body for each write route we know; others get {} (the extra-field error is
    reported alongside any other)."""
    doc = assessment_data(patient={"patient_ref": patient_ref})
    return {
        "POST /v1/assessments": doc,
        "POST /v1/evaluate": doc,
        "POST /v1/plans": {"assessment": doc, "status": "draft"},
        "PATCH /v1/plans/{plan_id}": {"status": "active"},
        "POST /v1/plans/{plan_id}/reassessments": {"assessment": doc},
        "PUT /v1/plans/{plan_id}/relapse-prevention": {"triggers": ["stress"]},
        "PUT /v1/plans/{plan_id}/recommendations/{code}/decision": {
            "decision": "accepted",
            "reason_code": "agree_with_recommendation",
            "clinician_id": "dr-1",
        },
    }


async def test_server_owned_fields_are_422_on_every_write_route(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ref = "mass-assign-patient"
    plan = await client.post(
        "/v1/plans",
        json={"assessment": assessment_data(patient={"patient_ref": ref})},
        headers=auth,
    )
    assert plan.status_code == 201
    plan_id, etag = plan.json()["id"], plan.headers["etag"]
    bodies = _valid_bodies(ref)
    with_body = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    }
    routes = [
        r
        for r in scoped_routes(app)
        if r.method in WRITE_METHODS
        and (r.method, r.path) in with_body
        and not r.path.startswith(EXEMPT_PREFIXES)
    ]
    assert {r.id for r in routes} >= set(bodies), "a known write route disappeared"
    for r in routes:
        url = fill(r.path, {"plan_id": plan_id})
        base = bodies.get(r.id, {})
        headers = auth | {"If-Match": etag}
        targets = [("", base)]
        if "assessment" in base:
            targets.append(("/assessment", base["assessment"]))
        elif "patient" in base:
            targets.append(("/patient", base["patient"]))
        for field, value in SERVER_OWNED.items():
            for prefix, node in targets:
                node[field] = value
                response = await client.request(r.method, url, json=base, headers=headers)
                del node[field]
                assert response.status_code == 422, (r.id, prefix, field, response.text)
                errors = response.json()["errors"]
                assert {"pointer": f"{prefix}/{field}", "type": "extra_forbidden"}.items() <= {
                    k: v
                    for e in errors
                    if e["pointer"] == f"{prefix}/{field}"
                    for k, v in e.items()
                }.items(), (r.id, field, errors)
    # Nothing stored, nothing changed.
    after = await client.get(f"/v1/plans/{plan_id}", headers=auth)
    assert after.headers["etag"] == etag
    assert after.json()["revision"] == 1
    stored = await client.get(f"/v1/patients/{ref}/assessments", headers=auth)
    assert len(stored.json()["items"]) == 1
    plans = await client.get("/v1/plans", params={"patient_ref": ref}, headers=auth)
    assert len(plans.json()["items"]) == 1
