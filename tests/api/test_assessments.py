"""Storing, reading and listing assessments through the real app."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx

from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.security import Scope
from tests.conftest import KeyMaker

PROBLEM = "application/problem+json"


def example(**patient: Any) -> dict[str, Any]:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"].update(patient)
    return body


async def test_create_then_read_back(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await client.post("/v1/assessments", json=example(), headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/v1/assessments/{body['id']}"
    assert body["patient_ref"] == "ehr-patient-4711"
    assert body["assessed_at"] == "2026-11-26T14:10:00Z"
    assert body["assessment"]["vitals"]["heart_rate_bpm"] == 96
    # The COWS total is computed from the items (1+1+1+1+2+1+2+1+1+2+0 = 13), never taken.
    assert body["scores"]["cows"]["value"] == 13

    read = await client.get(created.headers["location"], headers=auth)
    assert read.status_code == 200
    assert read.json() == body


async def test_datetimes_are_normalised_to_utc(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = example()
    body["assessed_at"] = "2026-11-26T09:10:00-05:00"
    created = await client.post("/v1/assessments", json=body, headers=auth)
    assert created.status_code == 201
    assert created.json()["assessed_at"] == "2026-11-26T14:10:00Z"
    assert created.json()["assessment"]["assessed_at"] == "2026-11-26T14:10:00Z"


async def test_unknown_id_is_404_problem(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"/v1/assessments/{uuid.uuid4()}", headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


async def test_tenant_isolation(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    tenant_a, tenant_b = await make_key(), await make_key()
    created = await client.post("/v1/assessments", json=example(), headers=tenant_a)
    assert created.status_code == 201
    location = created.headers["location"]

    # Tenant B cannot read A's assessment: the same 404 as for an id that never existed.
    other = await client.get(location, headers=tenant_b)
    missing = await client.get(f"/v1/assessments/{uuid.uuid4()}", headers=tenant_b)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]
    # ...nor list it under the same patient reference.
    listed = await client.get("/v1/patients/ehr-patient-4711/assessments", headers=tenant_b)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "next_cursor": None}
    # Tenant A still can.
    assert (await client.get(location, headers=tenant_a)).status_code == 200


async def test_list_is_newest_first_with_keyset_pages(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = []
    for _ in range(5):
        response = await client.post(
            "/v1/assessments", json=example(patient_ref="p-list"), headers=auth
        )
        ids.append(response.json()["id"])
    await client.post("/v1/assessments", json=example(patient_ref="p-other"), headers=auth)

    seen: list[str] = []
    url = "/v1/patients/p-list/assessments?limit=2"
    pages = 0
    while url:
        page = (await client.get(url, headers=auth)).json()
        pages += 1
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        url = f"/v1/patients/p-list/assessments?limit=2&cursor={cursor}" if cursor else ""
    assert pages == 3
    assert seen == list(reversed(ids))


async def test_page_does_not_shift_when_new_rows_arrive(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for _ in range(3):
        await client.post("/v1/assessments", json=example(patient_ref="p-stable"), headers=auth)
    first = (await client.get("/v1/patients/p-stable/assessments?limit=2", headers=auth)).json()
    await client.post("/v1/assessments", json=example(patient_ref="p-stable"), headers=auth)
    second = (
        await client.get(
            f"/v1/patients/p-stable/assessments?limit=2&cursor={first['next_cursor']}",
            headers=auth,
        )
    ).json()
    assert len(second["items"]) == 1
    assert second["items"][0]["id"] not in {i["id"] for i in first["items"]}


async def test_limit_above_100_is_rejected(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/v1/patients/p/assessments?limit=101", headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["pointer"] == "query:limit"


async def test_forged_cursor_is_400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/v1/patients/p/assessments?cursor=bm90LWEtY3Vyc29y", headers=auth)
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-cursor")


async def test_missing_and_wrong_keys_are_401(client: httpx.AsyncClient) -> None:
    no_key = await client.post("/v1/assessments", json=example())
    wrong = await client.get(
        f"/v1/assessments/{uuid.uuid4()}", headers={"Authorization": "Bearer kcds_not-a-real-key"}
    )
    for response in (no_key, wrong):
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_missing_scope_is_403_and_stores_nothing(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    reader = await make_key(tenant, scopes=(Scope.assessments_read,))
    writer = await make_key(tenant, scopes=(Scope.assessments_write,))
    refused = await client.post(
        "/v1/assessments", json=example(patient_ref="p-403"), headers=reader
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    listed = await client.get("/v1/patients/p-403/assessments", headers=reader)
    assert listed.json()["items"] == []
    # A write-only key cannot read.
    assert (await client.get("/v1/patients/p-403/assessments", headers=writer)).status_code == 403
