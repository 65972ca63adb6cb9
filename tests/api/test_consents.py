"""Consents and disclosures (42 CFR Part 2; reliability.md goals 34-35)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from app.observability import JsonFormatter
from app.privacy import REDISCLOSURE_NOTICE
from app.security import DEFAULT_CLIENT_SCOPES, Scope
from tests.conftest import KeyMaker
from tests.factories import assessment_data

RECIPIENT = "org:riverside-community-clinic"


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def _plan(client: httpx.AsyncClient, headers: dict[str, str], patient: str) -> str:
    body = {"assessment": assessment_data(patient={"patient_ref": patient}), "status": "active"}
    response = await client.post("/v1/plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    return plan_id


async def _consent(
    client: httpx.AsyncClient, headers: dict[str, str], plan_id: str, **fields: Any
) -> httpx.Response:
    body = {
        "consent_ref": "Consent/part2-1",
        "scope": "tpo",
        "effective_from": _iso(timedelta(days=-1)),
        **fields,
    }
    return await client.post(f"/v1/plans/{plan_id}/consents", json=body, headers=headers)


async def _disclose(
    client: httpx.AsyncClient, headers: dict[str, str], plan_id: str, **fields: Any
) -> httpx.Response:
    body = {"recipient": RECIPIENT, "purpose": "treatment", **fields}
    return await client.post(f"/v1/plans/{plan_id}/disclosures", json=body, headers=headers)


@pytest.fixture
async def keys(make_key: KeyMaker) -> dict[str, dict[str, str]]:
    tenant = f"consent-{datetime.now(UTC).timestamp()}"
    return {
        "clinical": await make_key(tenant),
        "auditor": await make_key(tenant, scopes=(Scope.audit_read,)),
        "emergency": await make_key(tenant, scopes=(*DEFAULT_CLIENT_SCOPES, Scope.break_glass)),
        "admin": await make_key(tenant, scopes=(Scope.admin,)),
        "reader": await make_key(tenant, scopes=(Scope.plans_read,)),
    }


async def _disclosures(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> Any:
    response = await client.get("/v1/disclosures", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_tpo_consent_permits_a_labelled_disclosure_that_is_accounted_for(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p1")
    recorded = await _consent(client, keys["clinical"], plan_id)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["status"] == "active"
    response = await _disclose(client, keys["clinical"], plan_id, user_id=None)
    assert response.status_code == 422  # unknown field: user ids come in X-User-Id
    response = await client.post(
        f"/v1/plans/{plan_id}/disclosures",
        json={"recipient": RECIPIENT, "purpose": "treatment"},
        headers={**keys["clinical"], "X-User-Id": "dr.lee"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["disclosure"]["basis"] == "consent"
    assert body["consent"]["id"] == recorded.json()["id"]
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert "Consent/part2-1" in body["consent_scope"]
    assert body["bundle"]["resourceType"] == "Bundle"
    for entry in body["bundle"]["entry"]:
        codes = {c["code"] for c in entry["resource"]["meta"]["security"]}
        assert {"R", "42CFRPart2", "NORDSCLCD"} <= codes
    listed = await _disclosures(client, keys["auditor"], patient_ref="consent-p1")
    assert len(listed) == 1
    assert listed[0]["recipient"] == RECIPIENT
    assert listed[0]["purpose"] == "treatment"
    assert listed[0]["consent_id"] == recorded.json()["id"]
    assert listed[0]["user_id"] == "dr.lee"


@pytest.mark.parametrize(
    ("consent", "disclosure", "status"),
    [
        (None, {}, "No consent"),
        (
            {"expires_at": _iso(timedelta(hours=-1)), "effective_from": _iso(timedelta(days=-9))},
            {},
            "expired",
        ),
        ({"effective_from": _iso(timedelta(days=2))}, {}, "pending"),
        ({}, {"purpose": "research"}, "No consent"),
        ({"recipient": "org:other"}, {}, "No consent"),
        (
            {"scope": "specific", "recipient": RECIPIENT, "purpose": "payment"},
            {"purpose": "treatment"},
            "No consent",
        ),
    ],
)  # fmt: skip
async def test_disclosure_without_an_active_covering_consent_is_refused(
    client: httpx.AsyncClient,
    keys: dict[str, dict[str, str]],
    consent: dict[str, Any] | None,
    disclosure: dict[str, Any],
    status: str,
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p2")
    if consent is not None:
        assert (await _consent(client, keys["clinical"], plan_id, **consent)).status_code == 201
    response = await _disclose(client, keys["clinical"], plan_id, **disclosure)
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"].endswith("/consent-required")
    assert status in problem["detail"]
    assert "bundle" not in problem
    assert await _disclosures(client, keys["auditor"], patient_ref="consent-p2") == []


async def test_a_consent_revoked_a_moment_ago_permits_nothing(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p3")
    consent = (await _consent(client, keys["clinical"], plan_id)).json()
    assert (await _disclose(client, keys["clinical"], plan_id)).status_code == 200
    revoked = await client.post(
        f"/v1/plans/{plan_id}/consents/{consent['id']}/revocation", headers=keys["clinical"]
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    again = await client.post(
        f"/v1/plans/{plan_id}/consents/{consent['id']}/revocation", headers=keys["clinical"]
    )
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    refused = await _disclose(client, keys["clinical"], plan_id)
    assert refused.status_code == 403
    assert "revoked" in refused.json()["detail"]
    listed = await client.get(f"/v1/plans/{plan_id}/consents", headers=keys["clinical"])
    assert [c["status"] for c in listed.json()["items"]] == ["revoked"]
    assert len(await _disclosures(client, keys["auditor"], patient_ref="consent-p3")) == 1
    # The audit trail names the consent revoked, not only its plan.
    trail = await client.get(
        "/v1/audit-events",
        params={"action": "update", "patient_ref": "consent-p3"},
        headers=keys["auditor"],
    )
    revocations = [e for e in trail.json()["items"] if e["resource_type"] == "plan_consent"]
    assert {e["resource_id"] for e in revocations} == {consent["id"]}


async def test_specific_consent_covers_only_its_recipient_and_purpose(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p4")
    specific = {"scope": "specific", "recipient": RECIPIENT, "purpose": "research"}
    assert (await _consent(client, keys["clinical"], plan_id, **specific)).status_code == 201
    assert (
        await _disclose(client, keys["clinical"], plan_id, purpose="research")
    ).status_code == 200
    other = await _disclose(
        client, keys["clinical"], plan_id, recipient="org:x", purpose="research"
    )
    assert other.status_code == 403


async def test_break_glass_needs_its_scope_and_a_reason_and_is_flagged(
    client: httpx.AsyncClient,
    keys: dict[str, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p5")
    reason = "Unresponsive on arrival at the ED; treating team needs the plan."
    no_reason = await _disclose(client, keys["emergency"], plan_id, emergency={})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["pointer"] == "/emergency/reason"
    for role in ("clinical", "admin"):
        refused = await _disclose(client, keys[role], plan_id, emergency={"reason": reason})
        assert refused.status_code == 403, role
    with caplog.at_level(logging.WARNING):
        allowed = await _disclose(client, keys["emergency"], plan_id, emergency={"reason": reason})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["disclosure"]["basis"] == "medical_emergency"
    assert allowed.json()["consent"] is None
    assert "42 CFR 2.51" in allowed.json()["consent_scope"]
    alerts = [r for r in caplog.records if r.getMessage() == "break-glass disclosure"]
    assert len(alerts) == 1
    # The JSON log line carries the disclosure's id (what reviewers follow up), nothing else.
    line = orjson.loads(JsonFormatter().format(alerts[0]))
    assert line["disclosure_id"] == allowed.json()["disclosure"]["id"]
    assert reason not in caplog.text
    assert "consent-p5" not in JsonFormatter().format(alerts[0])
    review = await _disclosures(client, keys["auditor"], basis="medical_emergency")
    assert [d["patient_ref"] for d in review] == ["consent-p5"]
    assert review[0]["emergency_reason"] == reason  # reviewers see why
    # Every use and attempt is in the audit trail under its own action (the 422 had no
    # authority question to answer, so it is an ordinary rejected disclosure).
    events = await client.get(
        "/v1/audit-events", params={"action": "break_glass"}, headers=keys["auditor"]
    )
    assert events.status_code == 200, events.text
    outcomes = sorted(e["outcome"] for e in events.json()["items"])
    assert outcomes == ["forbidden", "forbidden", "success"]


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"scope": "specific", "purpose": "treatment"}, "/recipient"),
        ({"scope": "specific", "recipient": RECIPIENT}, "/purpose"),
        ({"purpose": "treatment"}, "/purpose"),
        (
            {"expires_at": "2020-01-01T00:00:00Z", "effective_from": "2021-01-01T00:00:00Z"},
            "/expires_at",
        ),
        ({"status": "active"}, "/status"),
        ({"revoked_at": None}, "/revoked_at"),
        ({"id": "4b0f0f0e-0000-4000-8000-000000000000"}, "/id"),
    ],
)  # fmt: skip
async def test_consent_validation_names_the_field(
    client: httpx.AsyncClient,
    keys: dict[str, dict[str, str]],
    fields: dict[str, Any],
    pointer: str,
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p6")
    response = await _consent(client, keys["clinical"], plan_id, **fields)
    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.json()["errors"]]


async def test_consents_and_disclosures_are_tenant_scoped(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]], make_key: KeyMaker
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-p7")
    recorded = await _consent(client, keys["clinical"], plan_id)
    assert recorded.status_code == 201
    assert (await _disclose(client, keys["clinical"], plan_id)).status_code == 200
    other = await make_key(scopes=(*DEFAULT_CLIENT_SCOPES, Scope.audit_read, Scope.break_glass))
    assert (await _consent(client, other, plan_id)).status_code == 404
    assert (await client.get(f"/v1/plans/{plan_id}/consents", headers=other)).status_code == 404
    one = recorded.headers["location"]
    assert (await client.get(one, headers=other)).status_code == 404
    emergency = {"reason": "Unresponsive on arrival; needs current plan."}
    assert (await _disclose(client, other, plan_id, emergency=emergency)).status_code == 404
    assert await _disclosures(client, other) == []


async def test_disclosures_need_the_audit_scope(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/v1/disclosures", headers=keys["clinical"])
    assert response.status_code == 403


async def test_a_read_only_key_cannot_disclose(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    # Sending a plan outside the organisation creates an accounting-of-disclosures entry:
    # it needs plans:write, a plans:read key is refused and nothing is recorded.
    plan_id = await _plan(client, keys["clinical"], "consent-readonly")
    assert (await _consent(client, keys["clinical"], plan_id)).status_code == 201
    assert (await client.get(f"/v1/plans/{plan_id}", headers=keys["reader"])).status_code == 200
    refused = await _disclose(client, keys["reader"], plan_id)
    assert refused.status_code == 403, refused.text
    assert "plans:write" in refused.json()["detail"]
    assert await _disclosures(client, keys["auditor"], patient_ref="consent-readonly") == []


async def test_consent_and_disclosure_posts_are_idempotent(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-idem")
    key = {"Idempotency-Key": f"consent-{uuid.uuid4().hex}"}
    since = _iso(timedelta(days=-1))  # the same body twice
    first = await _consent(client, keys["clinical"] | key, plan_id, effective_from=since)
    again = await _consent(client, keys["clinical"] | key, plan_id, effective_from=since)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get(f"/v1/plans/{plan_id}/consents", headers=keys["clinical"])
    assert len(listed.json()["items"]) == 1
    other_body = await client.post(
        f"/v1/plans/{plan_id}/consents",
        json={"consent_ref": "Consent/other", "scope": "tpo", "effective_from": _iso(timedelta())},
        headers=keys["clinical"] | key,
    )
    assert other_body.status_code == 422

    key = {"Idempotency-Key": f"disclose-{uuid.uuid4().hex}"}
    sent = await _disclose(client, keys["clinical"] | key, plan_id)
    resent = await _disclose(client, keys["clinical"] | key, plan_id)
    assert (sent.status_code, resent.status_code) == (200, 200)
    assert resent.content == sent.content
    accounted = await _disclosures(client, keys["auditor"], patient_ref="consent-idem")
    assert len(accounted) == 1  # one disclosure, not two
    # ... but the replay handed the patient's data over again: audited with the patient.
    trail = await client.get(
        "/v1/audit-events",
        params={"action": "disclose", "patient_ref": "consent-idem"},
        headers=keys["auditor"],
    )
    assert len(trail.json()["items"]) == 2


async def test_a_recorded_consent_is_readable_at_its_location(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    plan_id = await _plan(client, keys["clinical"], "consent-loc")
    recorded = await _consent(client, keys["clinical"], plan_id)
    assert recorded.status_code == 201
    location = recorded.headers["location"]
    assert location == f"/v1/plans/{plan_id}/consents/{recorded.json()['id']}"
    read = await client.get(location, headers=keys["reader"])
    assert read.status_code == 200
    assert read.json() == recorded.json()
    missing = await client.get(
        f"/v1/plans/{plan_id}/consents/{uuid.uuid4()}", headers=keys["reader"]
    )
    assert missing.status_code == 404


async def test_break_glass_is_for_treating_the_emergency_with_a_stated_reason(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    # 42 CFR 2.51: without consent only to treat a bona fide medical emergency.
    plan_id = await _plan(client, keys["clinical"], "consent-bg")
    reason = {"reason": "Unresponsive on arrival; needs current plan."}
    for purpose in ("research", "payment", "health_care_operations", "other"):
        refused = await _disclose(
            client, keys["emergency"], plan_id, purpose=purpose, emergency=reason
        )
        assert refused.status_code == 422, purpose
        assert refused.json()["errors"][0]["pointer"] == "/purpose"
    blank = await _disclose(client, keys["emergency"], plan_id, emergency={"reason": " " * 12})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["pointer"] == "/emergency/reason"
    assert await _disclosures(client, keys["auditor"], patient_ref="consent-bg") == []


async def test_a_reused_x_request_id_does_not_mix_up_the_accounting(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    # Disclosures are joined to their audit events by the request's audit id, which stays
    # unique when a client sends the same X-Request-ID twice.
    plan_id = await _plan(client, keys["clinical"], "consent-rid")
    assert (await _consent(client, keys["clinical"], plan_id)).status_code == 201
    same = {"X-Request-ID": "corr-123"}
    for recipient in ("org:one", "org:two"):
        sent = await client.post(
            f"/v1/plans/{plan_id}/disclosures",
            json={"recipient": recipient, "purpose": "treatment"},
            headers=keys["clinical"] | same,
        )
        assert sent.status_code == 200, sent.text
        assert sent.headers["x-request-id"] == "corr-123"  # still echoed as sent
    accounting = await client.get("/v1/patients/consent-rid/disclosures", headers=keys["auditor"])
    disclosed = [i for i in accounting.json()["items"] if i["action"] == "disclose"]
    assert sorted(i["recipient"] for i in disclosed) == ["org:one", "org:two"]


async def test_no_disclosure_lands_under_a_consent_revoked_before_it(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    """Disclosures racing a revocation: each is refused or recorded at or before the
    revocation time. On PostgreSQL a disclosure that had read the consents before the
    revocation committed was recorded under it, after its revocation time."""
    for attempt in range(3):
        patient = f"consent-race-{attempt}-{uuid.uuid4().hex[:6]}"
        plan_id = await _plan(client, keys["clinical"], patient)
        consent = (await _consent(client, keys["clinical"], plan_id)).json()
        revoke = client.post(
            f"/v1/plans/{plan_id}/consents/{consent['id']}/revocation", headers=keys["clinical"]
        )
        answers = await asyncio.gather(
            *(_disclose(client, keys["clinical"], plan_id) for _ in range(3)),
            revoke,
            *(_disclose(client, keys["clinical"], plan_id) for _ in range(3)),
        )
        revoked = answers[3]
        assert revoked.status_code == 200, revoked.text
        revoked_at = datetime.fromisoformat(revoked.json()["revoked_at"])
        for answer in answers[:3] + answers[4:]:
            assert answer.status_code in (200, 403), answer.text
            if answer.status_code == 200:
                disclosed_at = datetime.fromisoformat(answer.json()["disclosure"]["disclosed_at"])
                assert disclosed_at <= revoked_at
        recorded = await _disclosures(client, keys["auditor"], patient_ref=patient)
        assert len(recorded) == sum(a.status_code == 200 for a in answers[:3] + answers[4:])


async def test_a_retried_disclosure_is_not_replayed_once_its_consent_is_revoked(
    client: httpx.AsyncClient, keys: dict[str, dict[str, str]]
) -> None:
    # 42 CFR 2.31: a revoked consent permits no disclosure, a replay of an earlier one included
    # (the replay would hand the labelled records out again).
    plan_id = await _plan(client, keys["clinical"], "consent-replay")
    consent = (await _consent(client, keys["clinical"], plan_id)).json()
    key = {"Idempotency-Key": f"disclose-{uuid.uuid4().hex}"}
    sent = await _disclose(client, keys["clinical"] | key, plan_id)
    assert sent.status_code == 200
    revoked = await client.post(
        f"/v1/plans/{plan_id}/consents/{consent['id']}/revocation", headers=keys["clinical"]
    )
    assert revoked.json()["status"] == "revoked"
    replay = await _disclose(client, keys["clinical"] | key, plan_id)
    assert replay.status_code == 403
    assert replay.headers["content-type"] == "application/problem+json"
    assert "idempotent-replayed" not in replay.headers
    assert "bundle" not in replay.text
    assert len(await _disclosures(client, keys["auditor"], patient_ref="consent-replay")) == 1
