"""Tenant isolation, property-based: random plans and assessments for three tenants; every
list route under random filters and page sizes shows a tenant only its own rows, and every
id-bearing route answers another tenant's id with the same 404 as a missing id, changing
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.security import Scope
from tests.conftest import KeyMaker
from tests.factories import assessment_data
from tests.security.routes import WRITE_METHODS, fill, path_params, scoped_routes
from tests.security.test_mass_assignment import _valid_bodies

ALL_BUT_ADMIN = tuple(s for s in Scope if s is not Scope.admin)
PATIENTS = ("pt-shared-a", "pt-shared-b", "pt-shared-c")  # the same refs in every tenant
ID_PARAMS = {"plan_id", "assessment_id"}


class Tenant:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.plans: dict[str, str] = {}  # id -> patient_ref
        self.assessments: dict[str, str] = {}  # id -> patient_ref
        self.etags: dict[str, str] = {}

    def ids(self) -> set[str]:
        return set(self.plans) | set(self.assessments)


async def _walk(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        query = params | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=query, headers=headers)
        assert response.status_code == 200, (url, query, response.text)
        page = response.json()
        assert len(page["items"]) <= params.get("limit", 100)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
    raise AssertionError("pagination did not end")


async def _populate(client: httpx.AsyncClient, tenant: Tenant, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(0, 3), label="plans")):
        ref = data.draw(st.sampled_from(PATIENTS))
        status = data.draw(st.sampled_from(["draft", "active"]))
        doc = assessment_data(patient={"patient_ref": ref})
        response = await client.post(
            "/v1/plans", json={"assessment": doc, "status": status}, headers=tenant.headers
        )
        assert response.status_code == 201, response.text
        plan = response.json()
        tenant.plans[plan["id"]] = ref
        tenant.assessments[plan["assessment_id"]] = ref
        tenant.etags[plan["id"]] = response.headers["etag"]
    for _ in range(data.draw(st.integers(0, 2), label="assessments")):
        ref = data.draw(st.sampled_from(PATIENTS))
        doc = assessment_data(patient={"patient_ref": ref})
        response = await client.post("/v1/assessments", json=doc, headers=tenant.headers)
        assert response.status_code == 201, response.text
        tenant.assessments[response.json()["id"]] = ref


@settings(
    max_examples=5,
    deadline=None,
    # Each example makes three tenants over HTTP: shrinking would take minutes; the drawn
    # values are printed on failure instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_row_of_another_tenant_ever_appears(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, data: st.DataObject
) -> None:
    tenants = [Tenant(await make_key(scopes=ALL_BUT_ADMIN)) for _ in range(3)]
    for tenant in tenants:
        await _populate(client, tenant, data)
    everyone = set().union(*(t.ids() for t in tenants))
    routes = scoped_routes(app)
    for tenant in tenants:
        foreign = everyone - tenant.ids()
        # Plans: random filters and page sizes; the unfiltered walk is exactly our plans.
        params: dict[str, Any] = {"limit": data.draw(st.integers(1, 5), label="limit")}
        if data.draw(st.booleans(), label="filter patient"):
            params["patient_ref"] = data.draw(st.sampled_from(PATIENTS))
        if data.draw(st.booleans(), label="filter status"):
            params["status"] = data.draw(st.sampled_from(["draft", "active"]))
        if data.draw(st.booleans(), label="filter phase"):
            params["phase"] = "stabilization"
        listed = {p["id"] for p in await _walk(client, "/v1/plans", params, tenant.headers)}
        assert listed <= set(tenant.plans)
        everything = await _walk(client, "/v1/plans", {"limit": 100}, tenant.headers)
        assert {p["id"] for p in everything} == set(tenant.plans)
        # A patient's assessments: the same patient refs exist in every tenant.
        for ref in PATIENTS:
            limit = data.draw(st.integers(1, 4), label="assessment limit")
            rows = await _walk(
                client, f"/v1/patients/{ref}/assessments", {"limit": limit}, tenant.headers
            )
            assert {a["id"] for a in rows} == {i for i, r in tenant.assessments.items() if r == ref}
        # Every other list-like GET route (no id in the path): no foreign id anywhere in it.
        for r in routes:
            if r.method != "GET" or set(path_params(r.route)) & ID_PARAMS:
                continue
            if r.path in ("/v1/plans", "/v1/patients/{patient_ref}/assessments", "/metrics"):
                continue
            url = fill(r.path, {"patient_ref": data.draw(st.sampled_from(PATIENTS))})
            response = await client.get(url, headers=tenant.headers)
            assert response.status_code in (200, 404), (r.id, response.text)
            assert not any(i in response.text for i in foreign), r.id

    # Id-bearing routes: an attacker tenant replays a victim's real ids.
    attacker, victim = data.draw(st.permutations(tenants), label="pair")[:2]
    if not victim.plans:
        return
    plan_id = data.draw(st.sampled_from(sorted(victim.plans)), label="victim plan")
    assessment_id = data.draw(
        st.sampled_from(sorted(victim.assessments)), label="victim assessment"
    )
    bodies = _valid_bodies(victim.plans[plan_id])
    for r in routes:
        if not set(path_params(r.route)) & ID_PARAMS:
            continue
        body = bodies.get(r.id, {}) if r.method in WRITE_METHODS else None
        headers = attacker.headers | {"If-Match": victim.etags[plan_id]}
        real = fill(r.path, {"plan_id": plan_id, "assessment_id": assessment_id})
        missing = fill(r.path, {"plan_id": str(uuid.uuid4()), "assessment_id": str(uuid.uuid4())})
        answers = [
            await client.request(r.method, url, json=body, headers=headers)
            for url in (real, missing)
        ]
        statuses = [a.status_code for a in answers]
        if body is None or r.id in bodies:
            assert statuses == [404, 404], (r.id, answers[0].text)
        else:  # a write route we have no valid body for: refused the same way either way
            assert statuses[0] == statuses[1] in (404, 422), (r.id, answers[0].text)
        strip = ("request_id", "instance")
        same = [{k: v for k, v in a.json().items() if k not in strip} for a in answers]
        assert same[0] == same[1], r.id  # indistinguishable from a missing id
    after = await client.get(f"/v1/plans/{plan_id}", headers=victim.headers)
    assert after.headers["etag"] == victim.etags[plan_id]
