"""No patient data in logs, error bodies or metrics: a canary value planted in every
free-text and identifier input (valid and invalid requests alike) never comes back out.

Field and parameter *names* may be echoed in 422 pointers (they are the API's vocabulary);
submitted *values* never are."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.observability import JsonFormatter
from app.security import Scope
from tests.conftest import KeyMaker
from tests.factories import assessment_data

CANARY = "cnry7f3a9q"


def _planted(suffix: str) -> dict[str, object]:
    value = f"{CANARY}{suffix}"
    return assessment_data(encounter_ref=f"{value}-enc", patient={"patient_ref": f"{value}-pt"})


async def test_canary_never_leaks(
    client: httpx.AsyncClient, make_key: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = await make_key()
    admin = await make_key(scopes=(Scope.admin,))
    user = {"X-User-Id": f"{CANARY}-user"}
    responses: list[httpx.Response] = []

    async def send(method: str, url: str, **kwargs: object) -> httpx.Response:
        response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        responses.append(response)
        return response

    # Valid traffic carrying the canary.
    plan = await send(
        "POST",
        "/v1/plans",
        json={"assessment": _planted("1"), "status": "draft"},
        headers=auth | user | {"Idempotency-Key": f"{CANARY}-idem-1"},
    )
    assert plan.status_code == 201
    plan_id, etag = plan.json()["id"], plan.headers["etag"]
    await send("POST", "/v1/assessments", json=_planted("2"), headers=auth | user)
    await send("POST", "/v1/evaluate", json=_planted("3"), headers=auth)
    await send("GET", f"/v1/patients/{CANARY}1-pt/assessments", headers=auth)
    await send("GET", "/v1/plans", params={"patient_ref": f"{CANARY}1-pt"}, headers=auth)
    relapse = {
        "triggers": [f"{CANARY} trigger"],
        "coping_strategies": [f"{CANARY} coping"],
        "warning_signs": [f"{CANARY} sign"],
        "high_risk_situations": [f"{CANARY} situation"],
        "support_contacts": [{"name": f"{CANARY} Sam", "relationship": f"{CANARY} sib"}],
    }
    updated = await send(
        "PUT",
        f"/v1/plans/{plan_id}/relapse-prevention",
        json=relapse,
        headers=auth | user | {"If-Match": etag},
    )
    assert updated.status_code == 200
    code = plan.json()["evaluation"]["phases"][0]["recommendations"][0]["code"]
    await send(
        "PUT",
        f"/v1/plans/{plan_id}/recommendations/{code}/decision",
        json={
            "decision": "modified",
            "reason_code": "agree_with_recommendation",
            "text": f"{CANARY} free text",
            "clinician_id": f"{CANARY}-dr",
        },
        headers=auth | user,
    )

    # Invalid traffic carrying the canary, in values, paths, queries and headers.
    bad_vitals = _planted("4") | {"vitals": {"heart_rate_bpm": CANARY}}
    bad_enum = assessment_data(patient={"patient_ref": f"{CANARY}5", "sex_at_birth": CANARY})
    invalid = [
        ("POST", "/v1/assessments", {"json": bad_vitals}),
        ("POST", "/v1/assessments", {"json": bad_enum}),
        ("POST", "/v1/assessments", {"json": _planted("6") | {"unknown": CANARY}}),
        ("POST", "/v1/plans", {"json": {"assessment_id": CANARY}}),
        ("POST", "/v1/assessments", {"content": f'{{"x": "{CANARY}'.encode()}),
        ("GET", f"/v1/patients/{CANARY}7/assessments", {"params": {"limit": CANARY}}),
        ("GET", f"/v1/patients/{CANARY}8/assessments", {"params": {"cursor": CANARY}}),
        ("GET", f"/v1/patients/{CANARY}9/assessments", {"params": {"limt": CANARY}}),
        ("GET", f"/v1/patients/{CANARY}/no-such-route", {}),
        ("GET", f"/v1/plans/{CANARY}", {}),
        ("PATCH", f"/v1/plans/{plan_id}", {"json": {"status": CANARY}}),
        ("PUT", f"/v1/plans/{plan_id}/relapse-prevention", {"json": relapse}),  # no If-Match
        (
            "POST",
            "/v1/plans",
            {
                "json": {"assessment": _planted("10")},
                "headers": user | {"Idempotency-Key": f"{CANARY}-idem-1"},
            },
        ),  # the same Idempotency-Key with another body
    ]
    for method, url, kwargs in invalid:
        headers = auth | dict(kwargs.pop("headers", {}))  # type: ignore[call-overload]
        if "content" in kwargs:
            headers["Content-Type"] = "application/json"
        response = await send(method, url, headers=headers, **kwargs)
        assert response.status_code >= 400, (method, url)
    # Unauthenticated and forbidden attempts.
    await send("GET", f"/v1/patients/{CANARY}/assessments", headers={"Authorization": CANARY})
    await send("GET", f"/v1/patients/{CANARY}/assessments", headers=admin | {"X-User-Id": "x"})

    errors = [r for r in responses if r.status_code >= 400]
    assert len(errors) >= len(invalid) + 1
    for response in errors:
        assert CANARY not in response.text, (response.request.url.path, response.text)
        assert all(CANARY not in v for v in response.headers.values())

    metrics = await client.get("/metrics", headers=admin)
    assert metrics.status_code == 200
    assert "kcds_http_requests_total" in metrics.text
    assert CANARY not in metrics.text

    formatter = JsonFormatter()
    assert caplog.records
    for record in caplog.records:
        assert CANARY not in record.getMessage(), record.name
        assert CANARY not in formatter.format(record), record.name
        assert CANARY not in repr(record.__dict__), record.name
