"""PostgreSQL row-level security: the second wall between tenants (app/tenancy.py).

They run in both test runs (on a SQLite run, against the local PostgreSQL). The suite connects
as a superuser, which bypasses row-level security, so these tests switch to ordinary roles: a
probe role that queries the tables directly, and an app instance that serves real requests as
a login role, proving every request path binds its tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app import retention
from app.config import Settings
from app.main import create_app
from tests.cdshooks.support import PV, full_prefetch, hook_request, register
from tests.conftest import KeyMaker
from tests.factories import assessment_data

PROBE_ROLE = "kratom_cds_rls_probe"
APP_ROLE = "kratom_cds_rls_app"
PATIENT_TABLES = (
    "assessments",
    "plans",
    "plan_revisions",
    "plan_events",
    "plan_decisions",
    "plan_consents",
    "plan_disclosures",
    "idempotency_records",
)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _grant_roles(url: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        for role, login in ((PROBE_ROLE, "NOLOGIN"), (APP_ROLE, "LOGIN")):
            await conn.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                f"THEN CREATE ROLE {role} {login} NOSUPERUSER NOBYPASSRLS; END IF; END $$"
            )
            await conn.execute(
                f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            # The service deletes released claims and expired records (app/retention.py).
            await conn.execute(f"GRANT DELETE ON idempotency_records, cds_jtis TO {role}")
    finally:
        await conn.close()


async def _create_plan(client: httpx.AsyncClient, headers: dict[str, str], patient: str) -> str:
    body = {"assessment": assessment_data(patient={"patient_ref": patient}), "status": "active"}
    # With a key: the stored replay (patient data too) is one of the rows the policies guard.
    key = {"Idempotency-Key": f"rls-{patient}-{uuid.uuid4().hex}"}
    response = await client.post("/v1/plans", json=body, headers=headers | key)
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    return plan_id


@pytest.fixture(scope="module")
async def app(postgres_url: str) -> AsyncIterator[FastAPI]:
    """Row-level security exists on PostgreSQL only: on a SQLite run these tests use an app on
    the local PostgreSQL (``postgres_url``); the suite's ``client`` and ``make_key`` follow."""
    application = create_app(Settings(database_url=postgres_url, bootstrap_dev_key=False))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def restricted_app(postgres_url: str) -> AsyncIterator[FastAPI]:
    """The service connected as an ordinary login role (row-level security applies)."""
    await _grant_roles(postgres_url)
    url = make_url(postgres_url).set(username=APP_ROLE).render_as_string(hide_password=False)
    application = create_app(Settings(database_url=url, bootstrap_dev_key=False, db_pool_size=2))
    async with application.router.lifespan_context(application):
        yield application


async def test_an_unbound_or_other_tenant_session_sees_no_rows(
    client: httpx.AsyncClient, make_key: KeyMaker, postgres_url: str
) -> None:
    a, b = await make_key(), await make_key()
    await _create_plan(client, a, "rls-patient-a")
    await _create_plan(client, b, "rls-patient-b")
    tenant_a = (await client.get("/v1/plans", headers=a)).json()["items"][0]["id"]
    await _grant_roles(postgres_url)
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        tenant_of_a = await conn.fetchval("SELECT tenant_id FROM plans WHERE id = $1", tenant_a)
        async with conn.transaction():
            await conn.execute(f"SET LOCAL ROLE {PROBE_ROLE}")
            for table in PATIENT_TABLES:
                count = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
                assert count == 0, table
            await conn.execute(
                "SELECT set_config('kratom_cds.tenant_id', $1, true)", str(tenant_of_a)
            )
            tenants = await conn.fetch("SELECT DISTINCT tenant_id FROM plans")
            assert [r["tenant_id"] for r in tenants] == [tenant_of_a]
            refs = {r["patient_ref"] for r in await conn.fetch("SELECT patient_ref FROM plans")}
            assert refs == {"rls-patient-a"}
            replays = await conn.fetch("SELECT body FROM idempotency_records")
            assert replays, "tenant a's stored replay is visible to tenant a"
            assert all(b"rls-patient-b" not in bytes(r["body"]) for r in replays)
        async with conn.transaction():
            await conn.execute(f"SET LOCAL ROLE {PROBE_ROLE}")
            await conn.execute(
                "SELECT set_config('kratom_cds.tenant_id', $1, true)", str(tenant_of_a)
            )
            # Moving a visible row to another tenant violates the policy's WITH CHECK.
            move = "UPDATE plans SET tenant_id = (SELECT id FROM tenants WHERE id <> $1 LIMIT 1)"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(move + " WHERE id = $2", tenant_of_a, tenant_a)
        async with conn.transaction():
            await conn.execute(f"SET LOCAL ROLE {PROBE_ROLE}")
            await conn.execute("SELECT set_config('kratom_cds.rls_bypass', 'on', true)")
            assert await conn.fetchval("SELECT count(DISTINCT tenant_id) FROM plans") >= 2
    finally:
        await conn.close()


async def test_every_plan_path_works_under_row_level_security(
    restricted_app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    a, b = await make_key(), await make_key()
    other = await _create_plan(client, b, "rls-other")
    transport = httpx.ASGITransport(app=restricted_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as rc:
        plan_id = await _create_plan(rc, a, "rls-patient")
        read = await rc.get(f"/v1/plans/{plan_id}", headers=a)
        assert read.status_code == 200
        etag = read.headers["etag"]
        listed = await rc.get("/v1/plans", headers=a)
        assert [p["id"] for p in listed.json()["items"]] == [plan_id]
        patch = await rc.patch(
            f"/v1/plans/{plan_id}",
            json={"status": "on_hold", "note": "waiting"},
            headers={**a, "If-Match": etag},
        )
        assert patch.status_code == 200, patch.text
        reassess = await rc.post(
            f"/v1/plans/{plan_id}/reassessments",
            json={"assessment": assessment_data(patient={"patient_ref": "rls-patient"})},
            headers=a,
        )
        assert reassess.status_code == 201, reassess.text
        for path in ("revisions", "history", "fhir"):
            assert (await rc.get(f"/v1/plans/{plan_id}/{path}", headers=a)).status_code == 200
        assessments = await rc.get("/v1/patients/rls-patient/assessments", headers=a)
        assert len(assessments.json()["items"]) == 2
        assert (await rc.get(f"/v1/plans/{other}", headers=a)).status_code == 404
        assert (await rc.post("/v1/evaluate", json=assessment_data(), headers=a)).status_code == 200


async def test_cds_hooks_paths_work_under_row_level_security(
    restricted_app: FastAPI, make_key: KeyMaker
) -> None:
    ehr = await register(restricted_app)
    path = f"/cds-services/{PV}"
    transport = httpx.ASGITransport(app=restricted_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as rc:
        body = hook_request(prefetch=full_prefetch(heart_rate=38))
        response = await rc.post(path, json=body, headers=ehr.headers(path))
        assert response.status_code == 200, response.text
        replay = await rc.post(path, json=body, headers=ehr.headers(path))
        assert replay.json() == response.json()
        card = next(c for c in response.json()["cards"] if c["indicator"] != "info")
        feedback = {
            "feedback": [
                {
                    "card": card["uuid"],
                    "outcome": "overridden",
                    "overrideReason": {"reason": card["overrideReasons"][0]},
                    "outcomeTimestamp": "2026-01-10T09:06:00Z",
                }
            ]
        }
        stored = await rc.post(
            f"{path}/feedback", json=feedback, headers=ehr.headers(f"{path}/feedback")
        )
        assert stored.status_code == 200, stored.text
        key = await make_key(tenant=ehr.tenant)
        report = await rc.get("/v1/analytics/feedback", headers=key)
        assert sum(i["overridden"] for i in report.json()["items"]) == 1
        plans = await rc.get("/v1/plans", headers=key)
        assert len(plans.json()["items"]) == 1


async def test_the_purge_reaches_every_tenant_under_row_level_security(
    restricted_app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, postgres_url: str
) -> None:
    """The purge is not bound to a tenant: it bypasses the policy for its own transactions,
    or an ordinary role would delete nothing and stored replays would be kept for ever."""
    a, b = await make_key(), await make_key()
    await _create_plan(client, a, "rls-purge-a")
    await _create_plan(client, b, "rls-purge-b")
    instances = []
    path = f"/cds-services/{PV}"
    transport = httpx.ASGITransport(app=restricted_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as rc:
        for _ in range(2):  # two EHRs, two tenants
            ehr, body = await register(restricted_app), hook_request(prefetch=full_prefetch())
            response = await rc.post(path, json=body, headers=ehr.headers(path))
            assert response.status_code == 200, response.text
            instances.append(body["hookInstance"])
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        await conn.execute(
            "UPDATE idempotency_records SET created_at = now() - interval '1000 hours' "
            "WHERE key LIKE 'rls-rls-purge-%'"
        )
        await conn.execute(
            "UPDATE cds_hook_calls SET created_at = now() - interval '1000 hours' "
            "WHERE hook_instance = ANY($1::text[])",
            instances,
        )
        settings = restricted_app.state.settings
        purged = await retention.purge_once(restricted_app.state.db, settings)
        assert purged.idempotency_records >= 2
        assert purged.hook_responses >= 2
        left = await conn.fetchval(
            "SELECT count(*) FROM idempotency_records WHERE key LIKE 'rls-rls-purge-%'"
        )
        assert left == 0
        kept = await conn.fetchval(
            "SELECT count(*) FROM cds_hook_calls "
            "WHERE hook_instance = ANY($1::text[]) AND response IS NOT NULL",
            instances,
        )
        assert kept == 0
    finally:
        await conn.close()
