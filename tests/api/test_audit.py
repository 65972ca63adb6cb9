"""The audit trail: one event per audited request (a 1,000-request mixed workload), the hash
chain and ``kratom-cds audit verify`` (tampered and deleted events), fail-closed behaviour,
``GET /v1/audit-events`` (filters, pagination, tenant isolation) and disclosures."""

from __future__ import annotations

import asyncio
import copy
import os
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import func, or_, select, text

from app.cli import main
from app.config import Settings, get_settings
from app.db import Database
from app.migrations_state import alembic_config
from app.models import Assessment, AuditEvent
from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.security import DEFAULT_CLIENT_SCOPES, Scope
from app.services.audit import AuditEntry, append_event, chain_of, verify_chain
from app.services.clients import IssuedKey, create_client
from tests.cdshooks.support import PT, PV, hook_request, register
from tests.conftest import TEST_DATABASE_ENV
from tests.dbutil import fresh_database

PROBLEM = "application/problem+json"


def assessment(patient_ref: str) -> dict[str, Any]:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"]["patient_ref"] = patient_ref
    return body


async def issue(
    app: FastAPI, tenant: str, scopes: tuple[Scope | str, ...] = DEFAULT_CLIENT_SCOPES
) -> tuple[dict[str, str], IssuedKey]:
    async with app.state.db.session(write=True) as session:
        issued = await create_client(session, tenant_name=tenant, name="audit-test", scopes=scopes)
        await session.commit()
    return {"Authorization": f"Bearer {issued.key}"}, issued


async def events(app: FastAPI, **where: Any) -> list[AuditEvent]:
    """Audit events matching ``where``. ``request_id`` is the client's X-Request-ID: the
    trail stores it with a server suffix (``ID.xxxxxxxx``, unique per request), which is
    stripped from the events returned here."""
    async with app.state.db.session(write=False) as session:
        query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
        for name, value in where.items():
            column = getattr(AuditEvent, name)
            if name == "request_id":
                wanted = value if isinstance(value, list) else [value]
                query = query.where(or_(*(column.like(f"{v}.%") for v in wanted)))
                continue
            query = query.where(column.in_(value) if isinstance(value, list) else column == value)
        found = list((await session.execute(query)).scalars())
    if "request_id" in where:
        for event in found:
            event.request_id = event.request_id.rsplit(".", 1)[0]
    return found


def rid() -> str:
    return f"audit-{uuid.uuid4().hex}"


async def create_plan(
    client: httpx.AsyncClient, headers: dict[str, str], patient: str, **extra: str
) -> dict[str, Any]:
    response = await client.post(
        "/v1/plans", json={"assessment": assessment(patient)}, headers=headers | extra
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# ------------------------------------------------------------------------------ recording
async def test_read_write_and_refusals_each_record_one_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    headers, issued = await issue(app, tenant)
    reader, _ = await issue(app, tenant, (Scope.knowledge_read,))
    create_id, read_id, missing_id, denied_id, forbidden_id = (rid() for _ in range(5))
    plan = await create_plan(
        client, headers, "pt-audit-1", **{"X-Request-ID": create_id, "X-User-Id": "dr.who@ehr"}
    )
    read = await client.get(f"/v1/plans/{plan['id']}", headers=headers | {"X-Request-ID": read_id})
    assert read.status_code == 200
    missing = await client.get(
        f"/v1/plans/{uuid.uuid4()}", headers=headers | {"X-Request-ID": missing_id}
    )
    assert missing.status_code == 404
    denied = await client.get(f"/v1/plans/{plan['id']}", headers={"X-Request-ID": denied_id})
    assert denied.status_code == 401
    forbidden = await client.get(
        f"/v1/plans/{plan['id']}", headers=reader | {"X-Request-ID": forbidden_id}
    )
    assert forbidden.status_code == 403

    rows = {e.request_id: e for e in await events(app, request_id=[create_id, read_id,
            missing_id, denied_id, forbidden_id])}  # fmt: skip
    assert len(rows) == 5
    created = rows[create_id]
    assert (created.action, created.outcome, created.http_status) == ("create", "success", 201)
    assert (created.resource_type, created.resource_id) == ("plan", plan["id"])
    assert created.patient_ref == "pt-audit-1"
    assert created.user_id == "dr.who@ehr"
    assert created.client_id == issued.client_id
    assert created.tenant_id == issued.tenant_id
    assert created.route == "/v1/plans"
    assert created.method == "POST"
    assert created.occurred_at.tzinfo is not None
    assert (rows[read_id].action, rows[read_id].outcome) == ("read", "success")
    assert rows[read_id].patient_ref == "pt-audit-1"
    assert rows[read_id].route == "/v1/plans/{plan_id}"
    assert (rows[missing_id].outcome, rows[missing_id].http_status) == ("not_found", 404)
    assert rows[missing_id].patient_ref is None
    assert (rows[denied_id].outcome, rows[denied_id].http_status) == ("denied", 401)
    assert rows[denied_id].tenant_id is None
    assert rows[denied_id].chain == "system"
    assert rows[denied_id].client_id is None
    assert (rows[forbidden_id].outcome, rows[forbidden_id].http_status) == ("forbidden", 403)
    assert rows[forbidden_id].tenant_id == issued.tenant_id
    async with app.state.db.session(write=False) as session:
        report = await verify_chain(session, chain_of(issued.tenant_id))
    assert report.broken is None
    assert report.events == 4


async def test_unknown_query_parameter_is_recorded_in_the_callers_chain(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Refused once the key is checked (a typo must not fall back to a default), and the
    attempt on a patient route is recorded with the caller's tenant, in its chain."""
    headers, issued = await issue(app, f"t-{uuid.uuid4().hex[:12]}")
    request_id = rid()
    response = await client.get(
        "/v1/patients/pt-typo-1/assessments",
        params={"limt": "5"},
        headers=headers | {"X-Request-ID": request_id},
    )
    assert response.status_code == 422
    [event] = await events(app, request_id=[request_id])
    assert (event.action, event.outcome, event.http_status) == ("list", "rejected", 422)
    assert (event.chain, event.tenant_id) == (chain_of(issued.tenant_id), issued.tenant_id)
    assert event.client_id == issued.client_id
    assert event.patient_ref == "pt-typo-1"
    assert event.route == "/v1/patients/{patient_ref}/assessments"


async def test_mixed_workload_of_1000_requests_yields_one_event_each(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant_a, tenant_b = (f"t-{uuid.uuid4().hex[:12]}" for _ in range(2))
    a, issued_a = await issue(app, tenant_a)
    a_knowledge, _ = await issue(app, tenant_a, (Scope.knowledge_read,))
    a_read_only, _ = await issue(app, tenant_a, (Scope.plans_read,))
    b, _ = await issue(app, tenant_b)
    patients = [f"pt-wl-{n}" for n in range(5)]
    own = [(await create_plan(client, a, p))["id"] for p in patients]
    other = (await create_plan(client, b, "pt-wl-b"))["id"]
    stored = await client.post("/v1/assessments", json=assessment(patients[0]), headers=a)
    assessment_id = stored.json()["id"]
    rng = random.Random(6)  # noqa: S311 (test data)

    def plan_id() -> str:
        return rng.choice(own)

    # kind -> (method, url, headers, json, expected status, audited outcome or None)
    Request = tuple[str, str, dict[str, str], Any, int, str | None]
    kinds: dict[str, Callable[[], Request]] = {
        "create": lambda: ("POST", "/v1/plans",
                           a | {"X-User-Id": "dr-a"},
                           {"assessment": assessment(rng.choice(patients))}, 201, "success"),
        "read": lambda: ("GET", f"/v1/plans/{plan_id()}", a, None, 200, "success"),
        "list": lambda: ("GET", f"/v1/plans?patient_ref={rng.choice(patients)}", a, None, 200,
                         "success"),
        "history": lambda: ("GET", f"/v1/plans/{plan_id()}/history", a, None, 200, "success"),
        "revisions": lambda: ("GET", f"/v1/plans/{plan_id()}/revisions", a, None, 200,
                              "success"),
        "fhir": lambda: ("GET", f"/v1/plans/{plan_id()}/fhir", a, None, 200, "success"),
        "store_assessment": lambda: ("POST", "/v1/assessments", a,
                                     assessment(rng.choice(patients)), 201, "success"),
        "read_assessment": lambda: ("GET", f"/v1/assessments/{assessment_id}", a, None, 200,
                                    "success"),
        "evaluate": lambda: ("POST", "/v1/evaluate", a, assessment(rng.choice(patients)), 200,
                             "success"),
        "cross_tenant": lambda: ("GET", f"/v1/plans/{other}", a, None, 404, "not_found"),
        "missing": lambda: ("GET", f"/v1/plans/{uuid.uuid4()}/history", a, None, 404,
                            "not_found"),
        "no_key": lambda: ("GET", f"/v1/plans/{plan_id()}", {}, None, 401, "denied"),
        "bad_key": lambda: ("GET", "/v1/plans", {"Authorization": "Bearer kcds_nope"}, None,
                            401, "denied"),
        "forbidden_read": lambda: ("GET", f"/v1/plans/{plan_id()}", a_knowledge, None, 403,
                                   "forbidden"),
        "forbidden_write": lambda: ("POST", "/v1/plans", a_read_only,
                                    {"assessment": assessment(patients[0])}, 403, "forbidden"),
        "no_if_match": lambda: ("PATCH", f"/v1/plans/{plan_id()}", a, {"status": "active"},
                                428, "rejected"),
        "invalid": lambda: ("POST", "/v1/plans", a, {"assessment": {}}, 422, "rejected"),
        "rules": lambda: ("GET", "/v1/rules", a, None, 200, None),  # no patient data
        "healthz": lambda: ("GET", "/healthz", {}, None, 200, None),
    }  # fmt: skip
    names = sorted(kinds)
    plan: list[tuple[str, Request]] = []
    for n in range(1000):
        name = names[n] if n < len(names) else rng.choice(names)
        plan.append((rid(), kinds[name]()))

    async def send(request_id: str, request: Request) -> None:
        method, url, headers, body, expected, _ = request
        response = await client.request(
            method, url, json=body, headers=headers | {"X-Request-ID": request_id}
        )
        assert response.status_code == expected, (url, response.status_code, response.text)

    for start in range(0, len(plan), 20):  # 20 concurrent requests at a time
        await asyncio.gather(*(send(i, r) for i, r in plan[start : start + 20]))

    request_ids = [i for i, _ in plan]
    recorded: dict[str, list[AuditEvent]] = {}
    for start in range(0, len(request_ids), 500):
        for event in await events(app, request_id=request_ids[start : start + 500]):
            recorded.setdefault(event.request_id, []).append(event)
    audited = [(i, r) for i, r in plan if r[5] is not None]
    assert len(audited) > 850
    for request_id, (method, url, _, _, status, outcome) in plan:
        rows = recorded.get(request_id, [])
        if outcome is None:
            assert rows == [], url
            continue
        assert len(rows) == 1, (url, len(rows))
        assert (rows[0].outcome, rows[0].http_status, rows[0].method) == (outcome, status, method)
        if outcome != "denied":
            assert rows[0].tenant_id == issued_a.tenant_id
            assert rows[0].client_id is not None
    assert sum(len(v) for v in recorded.values()) == len(audited)
    async with app.state.db.session(write=False) as session:
        report = await verify_chain(session, chain_of(issued_a.tenant_id))
    assert report.broken is None  # concurrent appends kept the chain linear


async def test_cds_hooks_call_records_patient_and_user(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ehr = await register(app)
    path = f"/cds-services/{PV}"
    request_id, refused_id = rid(), rid()
    response = await client.post(
        path, json=hook_request(), headers=ehr.headers(path) | {"X-Request-ID": request_id}
    )
    assert response.status_code == 200, response.text
    refused = await client.post(
        path,
        json=hook_request(),
        headers={"Authorization": "Bearer not-a-jwt", "X-Request-ID": refused_id},
    )
    assert refused.status_code == 401
    rows = {e.request_id: e for e in await events(app, request_id=[request_id, refused_id])}
    call = rows[request_id]
    assert (call.action, call.outcome, call.resource_type) == ("evaluate", "success", "cds_service")
    assert (call.patient_ref, call.user_id, call.tenant_id) == (
        PT,
        "Practitioner/pr-1",
        ehr.tenant_id,
    )
    assert call.resource_id == PV
    assert (rows[refused_id].outcome, rows[refused_id].chain) == ("denied", "system")

    # Card feedback is a write by the EHR: recorded when stored and when refused.
    feedback_path = f"{path}/feedback"
    card = response.json()["cards"][0]["uuid"]
    stored_id, unknown_id = rid(), rid()
    outcome = {"outcome": "overridden", "outcomeTimestamp": "2026-01-10T09:05:00Z"}
    stored = await client.post(
        feedback_path,
        json={"feedback": [{"card": card, **outcome}]},
        headers=ehr.headers(feedback_path) | {"X-Request-ID": stored_id},
    )
    assert stored.status_code == 200, stored.text
    unknown = await client.post(
        feedback_path,
        json={"feedback": [{"card": str(uuid.uuid4()), **outcome}]},
        headers=ehr.headers(feedback_path) | {"X-Request-ID": unknown_id},
    )
    assert unknown.status_code == 422
    rows = {e.request_id: e for e in await events(app, request_id=[stored_id, unknown_id])}
    assert (rows[stored_id].action, rows[stored_id].outcome) == ("create", "success")
    assert (rows[stored_id].resource_type, rows[stored_id].resource_id) == ("cds_feedback", PV)
    assert rows[stored_id].tenant_id == ehr.tenant_id
    assert rows[unknown_id].outcome == "rejected"


# ------------------------------------------------------------------------------ fail closed
async def test_audit_failure_fails_closed(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    headers, issued = await issue(app, tenant)
    plan = await create_plan(client, headers, "pt-closed-0")

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("audit store down")

    monkeypatch.setattr("app.auditing.append_event", broken)  # with a write
    monkeypatch.setattr("app.auditing.append_events", broken)  # group commit: reads, refusals
    write = await client.post(
        "/v1/plans", json={"assessment": assessment("pt-closed-1")}, headers=headers
    )
    keyed = await client.post(
        "/v1/plans",
        json={"assessment": assessment("pt-closed-2")},
        headers=headers | {"Idempotency-Key": "audit-closed-0001"},
    )
    read = await client.get(f"/v1/plans/{plan['id']}", headers=headers)
    fhir = await client.get(f"/v1/plans/{plan['id']}/fhir", headers=headers)
    refused = await client.get(f"/v1/plans/{uuid.uuid4()}", headers=headers)
    unauthenticated = await client.get(f"/v1/plans/{plan['id']}")
    for response in (write, keyed, read, fhir, refused, unauthenticated):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/audit-unavailable")
        assert "pt-closed" not in response.text
        assert "location" not in response.headers
        assert "etag" not in response.headers
    monkeypatch.undo()

    listing = await client.get("/v1/plans", headers=headers)
    patients = {item["patient_ref"] for item in listing.json()["items"]}
    assert patients == {"pt-closed-0"}  # both writes were rolled back
    async with app.state.db.session(write=False) as session:
        stored = await session.execute(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.tenant_id == issued.tenant_id)
        )
        assert stored.scalar_one() == 1
    retry = await client.post(
        "/v1/plans",
        json={"assessment": assessment("pt-closed-2")},
        headers=headers | {"Idempotency-Key": "audit-closed-0001"},
    )
    assert retry.status_code == 201  # the key was released with the rollback
    async with app.state.db.session(write=False) as session:
        report = await verify_chain(session, chain_of(issued.tenant_id))
    assert report.broken is None
    assert report.events == 3  # the first create, the listing and the retry


# ------------------------------------------------------------------------------ the trail API
async def test_audit_events_filters_pagination_and_isolation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant_a, tenant_b = (f"t-{uuid.uuid4().hex[:12]}" for _ in range(2))
    a, issued_a = await issue(app, tenant_a)
    a_audit, issued_audit = await issue(app, tenant_a, (Scope.audit_read,))
    a_admin, _ = await issue(app, tenant_a, (Scope.admin,))
    b, _ = await issue(app, tenant_b)
    b_audit, _ = await issue(app, tenant_b, (Scope.audit_read,))
    before = datetime.now(UTC)
    plan = await create_plan(client, a, "pt-trail-1")
    await create_plan(client, a, "pt-trail-2")
    for _ in range(3):
        await client.get(f"/v1/plans/{plan['id']}", headers=a)
    await client.get(f"/v1/plans/{uuid.uuid4()}", headers=a)
    await create_plan(client, b, "pt-trail-1")
    await client.get("/v1/plans", headers=b)

    # Scope: plans keys cannot read the trail; audit:read and admin can.
    assert (await client.get("/v1/audit-events", headers=a)).status_code == 403
    assert (await client.get("/v1/audit-events", headers=a_admin)).status_code == 200

    async def page_all(query: dict[str, Any], headers: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = query | {"limit": 2} | ({"cursor": cursor} if cursor else {})
            response = await client.get("/v1/audit-events", params=params, headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["items"]) <= 2
            items += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                return items

    window = {"since": before.isoformat(), "client_id": str(issued_a.client_id)}
    everything = await page_all(window, a_audit)
    assert len(everything) == 7  # 2 creates, 3 reads, one 404, one 403 on the trail
    assert len({e["id"] for e in everything}) == 7
    stamps = [(e["occurred_at"], e["id"]) for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    reads = await page_all(window | {"action": "read", "outcome": "success"}, a_audit)
    assert len(reads) == 3
    assert {e["patient_ref"] for e in reads} == {"pt-trail-1"}
    missing = await page_all(window | {"outcome": "not_found"}, a_audit)
    assert len(missing) == 1
    assert missing[0]["http_status"] == 404
    by_patient = await page_all(window | {"patient_ref": "pt-trail-1"}, a_audit)
    assert len(by_patient) == 4
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await page_all(window | {"since": future}, a_audit) == []
    assert len(await page_all(window | {"until": future}, a_audit)) == 7
    # The trail is audited too: the reads above are events of the audit client.
    trail_reads = await page_all(
        {"client_id": str(issued_audit.client_id), "since": before.isoformat()}, a_audit
    )
    assert trail_reads
    assert {e["resource_type"] for e in trail_reads} == {"audit_event"}

    # Tenant isolation: B's auditor sees none of A's events, even filtering by A's client.
    assert await page_all(window, b_audit) == []
    b_events = await page_all({"since": before.isoformat()}, b_audit)
    assert b_events
    assert all(e["client_id"] != str(issued_a.client_id) for e in b_events)

    bad = await client.get("/v1/audit-events", params={"cursor": "bm9wZQ"}, headers=a_audit)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == PROBLEM
    bad_filter = await client.get(
        "/v1/audit-events", params={"patient_ref": "no spaces allowed"}, headers=a_audit
    )
    assert bad_filter.status_code == 422
    assert "no spaces allowed" not in bad_filter.text


async def test_accounting_of_disclosures(app: FastAPI, client: httpx.AsyncClient) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    writer, issued_writer = await issue(app, tenant)
    reader, issued_reader = await issue(app, tenant, (Scope.plans_read,))
    knowledge, _ = await issue(app, tenant, (Scope.knowledge_read,))
    auditor, _ = await issue(app, tenant, (Scope.audit_read,))
    other, _ = await issue(app, f"t-{uuid.uuid4().hex[:12]}", (Scope.audit_read,))
    plan = await create_plan(client, writer, "pt-disc-1")
    await create_plan(client, writer, "pt-disc-2")
    await client.get(f"/v1/plans/{plan['id']}", headers=reader | {"X-User-Id": "nurse-7"})
    await client.get(f"/v1/plans/{plan['id']}/fhir", headers=reader)
    await client.post("/v1/evaluate", json=assessment("pt-disc-1"), headers=reader)
    assert (await client.get(f"/v1/plans/{plan['id']}", headers=knowledge)).status_code == 403

    response = await client.get("/v1/patients/pt-disc-1/disclosures", headers=auditor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient_ref"] == "pt-disc-1"
    got = [(d["client_id"], d["action"], d["route"], d["user_id"]) for d in body["items"]]
    assert got == [
        (str(issued_reader.client_id), "evaluate", "/v1/evaluate", None),
        (str(issued_reader.client_id), "read", "/v1/plans/{plan_id}/fhir", None),
        (str(issued_reader.client_id), "read", "/v1/plans/{plan_id}", "nurse-7"),
        (str(issued_writer.client_id), "create", "/v1/plans", None),
    ]
    assert {d["client_name"] for d in body["items"]} == {"audit-test"}
    first = await client.get(
        "/v1/patients/pt-disc-1/disclosures", params={"limit": 3}, headers=auditor
    )
    second = await client.get(
        "/v1/patients/pt-disc-1/disclosures",
        params={"limit": 3, "cursor": first.json()["next_cursor"]},
        headers=auditor,
    )
    paged = first.json()["items"] + second.json()["items"]
    assert [d["event_id"] for d in paged] == [d["event_id"] for d in body["items"]]
    assert second.json()["next_cursor"] is None
    # A disclosure outside the organisation (under consent) names its recipient and basis.
    consent = await client.post(
        f"/v1/plans/{plan['id']}/consents",
        json={
            "consent_ref": "Consent/part2-1",
            "scope": "tpo",
            "effective_from": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        },
        headers=writer,
    )
    assert consent.status_code == 201, consent.text
    external = await client.post(
        f"/v1/plans/{plan['id']}/disclosures",
        json={"recipient": "org:riverside", "purpose": "treatment"},
        headers=writer,  # disclosing needs plans:write
    )
    assert external.status_code == 200, external.text
    latest = (await client.get("/v1/patients/pt-disc-1/disclosures", headers=auditor)).json()
    newest = latest["items"][0]
    assert (newest["action"], newest["recipient"], newest["purpose"], newest["basis"]) == (
        "disclose", "org:riverside", "treatment", "consent"
    )  # fmt: skip
    assert latest["items"][1]["action"] == "create"  # recording the consent
    assert latest["items"][1]["recipient"] is None
    elsewhere = await client.get("/v1/patients/pt-disc-1/disclosures", headers=other)
    assert elsewhere.json()["items"] == []
    denied = await client.get("/v1/patients/pt-disc-1/disclosures", headers=reader)
    assert denied.status_code == 403


async def test_an_empty_search_is_recorded_but_is_not_a_disclosure(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Another organisation searching a patient it holds nothing about hands no data over: the
    attempt is in its trail as a 'search', not in that patient's accounting of disclosures."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    reader, _ = await issue(app, tenant, (Scope.plans_read, Scope.assessments_read))
    auditor, _ = await issue(app, tenant, (Scope.audit_read,))
    for path in ("/v1/plans?patient_ref=pt-nowhere", "/v1/patients/pt-nowhere/assessments"):
        found = await client.get(path, headers=reader)
        assert found.status_code == 200
        assert found.json()["items"] == []
    accounting = await client.get("/v1/patients/pt-nowhere/disclosures", headers=auditor)
    assert accounting.json()["items"] == []
    trail = await client.get(
        "/v1/audit-events", params={"patient_ref": "pt-nowhere"}, headers=auditor
    )
    searches = {e["route"]: e["action"] for e in trail.json()["items"]}
    assert searches["/v1/plans"] == searches["/v1/patients/{patient_ref}/assessments"] == "search"


async def test_a_malformed_user_id_is_refused_on_reads_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Recorded as nobody, a read of Part 2 data would have no end user in its audit row."""
    reader, _ = await issue(app, f"t-{uuid.uuid4().hex[:12]}", (Scope.plans_read,))
    response = await client.get("/v1/plans", headers=reader | {"X-User-Id": "dr alice smith"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "header:X-User-Id"
    assert "alice" not in response.text
    ok = await client.get("/v1/plans", headers=reader | {"X-User-Id": "dr.alice@clinic"})
    assert ok.status_code == 200


# ------------------------------------------------------------------------------ verify
async def _seed(settings: Settings) -> tuple[uuid.UUID, list[uuid.UUID]]:
    db = Database(settings)
    tenant = uuid.uuid4()
    ids: list[uuid.UUID] = []
    try:
        async with db.session(write=True) as session:
            for n in range(6):
                for tenant_id in (tenant, None):
                    row = await append_event(
                        session,
                        AuditEntry(
                            tenant_id=tenant_id, request_id=f"seed-{n}", client_id=None,
                            user_id=None, patient_ref="pt-v", resource_type="plan",
                            resource_id=None, action="read", outcome="success", method="GET",
                            route="/v1/plans/{plan_id}", http_status=200,
                        ),
                    )  # fmt: skip
                    if tenant_id is not None:
                        ids.append(row["id"])
            await session.commit()
    finally:
        await db.dispose()
    return tenant, ids


async def _tamper(settings: Settings, statement: str, **params: Any) -> None:
    """Change the table as a database superuser would: past the append-only triggers."""
    db = Database(settings)
    try:
        async with db.session(write=True) as session:
            if db.is_sqlite:
                await session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
                await session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            else:
                await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(text(statement), params)
            await session.commit()
    finally:
        await db.dispose()


def _id(value: uuid.UUID, settings: Settings) -> str:
    return value.hex if settings.is_sqlite else str(value)


def test_verify_finds_tampered_and_deleted_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        command.upgrade(alembic_config(url), "head")
        settings = Settings(database_url=url, bootstrap_dev_key=False)
        tenant, ids = asyncio.run(_seed(settings))
        monkeypatch.setenv("KRATOM_CDS_DATABASE_URL", url)
        get_settings.cache_clear()

        def verify() -> tuple[int, str]:
            code = main(["audit", "verify"])
            return code, capsys.readouterr().out

        try:
            code, out = verify()
            assert code == 0, out
            assert out.count("ok ") == 2
            assert "6 events" in out

            # The database refuses changes to the trail outright.
            with pytest.raises(Exception, match="append-only"):
                asyncio.run(_check_append_only(settings, ids[0]))

            # A superuser edits one event: verify names exactly that event.
            asyncio.run(_tamper(settings, "UPDATE audit_events SET patient_ref = 'pt-x' "
                                "WHERE id = :id", id=_id(ids[2], settings)))  # fmt: skip
            code, out = verify()
            assert code == 1
            assert f"BROKEN  {tenant}: event {ids[2]} (position 3)" in out
            assert "altered" in out
            assert "ok      system" in out  # the other chain is intact
            asyncio.run(_tamper(settings, "UPDATE audit_events SET patient_ref = 'pt-v' "
                                "WHERE id = :id", id=_id(ids[2], settings)))  # fmt: skip
            assert verify()[0] == 0

            # Deleting the newest event is caught by the chain head.
            asyncio.run(_tamper(settings, "DELETE FROM audit_events WHERE id = :id",
                                id=_id(ids[5], settings)))  # fmt: skip
            code, out = verify()
            assert code == 1
            assert f"BROKEN  {tenant}: chain head (after position 5)" in out

            # Deleting an event in the middle breaks the link of the next one.
            asyncio.run(_tamper(settings, "DELETE FROM audit_events WHERE id = :id",
                                id=_id(ids[3], settings)))  # fmt: skip
            code, out = verify()
            assert code == 1
            assert f"event {ids[4]} (position 5)" in out
            assert "missing" in out
            assert main(["audit", "verify", "--tenant", "system"]) == 0
        finally:
            get_settings.cache_clear()


async def _check_append_only(settings: Settings, event_id: uuid.UUID) -> None:
    db = Database(settings)
    try:
        async with db.session(write=True) as session:
            await session.execute(
                text("UPDATE audit_events SET outcome = 'error' WHERE id = :id"),
                {"id": _id(event_id, settings)},
            )
            await session.commit()
    finally:
        await db.dispose()


async def test_event_count_matches_chain_positions(app: FastAPI) -> None:
    """Every chain is gap-free: its length equals its newest position."""
    async with app.state.db.session(write=False) as session:
        rows = (
            await session.execute(
                select(AuditEvent.chain, func.count(), func.max(AuditEvent.seq)).group_by(
                    AuditEvent.chain
                )
            )
        ).all()
    assert rows
    for _chain, count, newest in rows:
        assert count == newest
