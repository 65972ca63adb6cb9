"""Security headers, metrics without patient data, and access logs without input values."""

from __future__ import annotations

import copy
import logging

import httpx
import orjson
import pytest

from app import rules
from app.observability import JsonFormatter
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn
from app.security import Scope
from tests.conftest import KeyMaker


async def test_security_headers(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/v1/patients/p/assessments", headers=auth)
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    docs = await client.get("/docs")
    assert docs.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in docs.headers  # Swagger UI needs its inline script


async def test_metrics_need_admin_and_use_route_templates(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    user = await make_key()
    admin = await make_key(scopes=(Scope.admin,))
    await client.get("/v1/patients/secret-patient-42/assessments", headers=user)
    assert (await client.get("/metrics", headers=user)).status_code == 403
    response = await client.get("/metrics", headers=admin)
    assert response.status_code == 200
    assert 'route="/v1/patients/{patient_ref}/assessments"' in response.text
    assert "secret-patient-42" not in response.text


async def test_metrics_count_unknown_methods_as_other(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    """Anyone can send any method: only the standard ones get their own label series."""
    admin = await make_key(scopes=(Scope.admin,))
    for method in ("FOOBAR", "PROPFIND", "get", "X-RANDOM-1", "X-RANDOM-2"):
        await client.request(method, "/v1/plans")
    await client.request("PATCH", "/v1/plans")
    text = (await client.get("/metrics", headers=admin)).text
    methods = {
        line.split('method="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("kcds_http_request") and 'method="' in line
    }
    assert "OTHER" in methods
    assert "PATCH" in methods
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}


async def test_access_log_has_no_input_values(
    client: httpx.AsyncClient, auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    canary = "CANARY-patient-3f9c"
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"]["patient_ref"] = canary
    body["encounter_ref"] = canary + "-enc"
    with caplog.at_level(logging.INFO, logger="kratom_cds.access"):
        created = await client.post("/v1/assessments", json=body, headers=auth)
        await client.get(f"/v1/patients/{canary}/assessments", headers=auth)
        body["vitals"]["heart_rate_bpm"] = (
            987654  # long enough not to occur by chance in an id or a latency
        )
        await client.post("/v1/assessments", json=body, headers=auth)
    records = [r for r in caplog.records if r.name == "kratom_cds.access"]
    assert len(records) == 3
    assert records[0].route == "/v1/assessments"  # type: ignore[attr-defined]
    assert records[0].status == 201  # type: ignore[attr-defined]
    assert records[0].request_id == created.headers["x-request-id"]  # type: ignore[attr-defined]
    text = "\n".join(JsonFormatter().format(r) for r in records)
    assert canary not in text
    assert "987654" not in text


def _fired_count(metrics_text: str, rule_id: str) -> float:
    prefix = f'kcds_rules_fired_total{{rule_id="{rule_id}"}} '
    lines = [line for line in metrics_text.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


async def test_metrics_count_the_rules_that_fired(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    assessment = AssessmentIn.model_validate_json(orjson.dumps(ASSESSMENT_EXAMPLE))
    trace = rules.evaluate(assessment, as_of=assessment.assessed_at).trace
    fired = [e["rule_id"] for e in trace if e["fired"]]
    silent = [e["rule_id"] for e in trace if not e["fired"]]
    assert fired
    assert silent
    admin = await make_key(scopes=(Scope.admin,))
    before = (await client.get("/metrics", headers=admin)).text
    for _ in range(2):
        response = await client.post("/v1/evaluate", json=ASSESSMENT_EXAMPLE, headers=admin)
        assert response.status_code == 200
    after = (await client.get("/metrics", headers=admin)).text
    for rule_id in fired:
        assert _fired_count(after, rule_id) - _fired_count(before, rule_id) == 2, rule_id
    for rule_id in silent:
        assert _fired_count(after, rule_id) == _fired_count(before, rule_id), rule_id
