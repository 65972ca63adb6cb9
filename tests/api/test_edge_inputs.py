"""Inputs found by a robustness review: each was a 500 (or an unsafe answer) before."""

from __future__ import annotations

import base64
import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.security import Scope
from tests.conftest import KeyMaker

PROBLEM = "application/problem+json"
# Valid ISO 8601 instants whose UTC conversion falls outside years 1-9999.
OUT_OF_RANGE = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
async def test_an_instant_out_of_range_in_utc_is_422_not_500(
    client: httpx.AsyncClient, auth: dict[str, str], instant: str
) -> None:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE) | {"assessed_at": instant}
    evaluated = await client.post("/v1/evaluate", json=body, headers=auth)
    listed = await client.get("/v1/plans", params={"updated_since": instant}, headers=auth)
    for response, pointer in ((evaluated, "/assessed_at"), (listed, "query:updated_since")):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["pointer"] == pointer
        # Its own type: JSON Schema's date-time admits it (the fuzzer knows it is not a bug).
        assert response.json()["errors"][0]["type"] == "datetime_out_of_range"


@pytest.mark.parametrize("value", ["1", "0.5", "-3", "1e9"])
async def test_a_number_is_not_an_instant(
    client: httpx.AsyncClient, auth: dict[str, str], value: str
) -> None:
    response = await client.get("/v1/plans", params={"updated_since": value}, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "query:updated_since"


async def test_an_iso_instant_with_an_offset_still_filters(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(
        "/v1/plans", params={"updated_since": "2026-11-27T10:00:00+02:00"}, headers=auth
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        ["2026-01-01T00:00:00+00:00", {"a": 1}],
        [1, str(uuid.uuid4())],
        ["0001-01-01T00:00:00+14:00", str(uuid.uuid4())],
        ["2026-01-01T00:00:00+00:00", str(uuid.uuid4()), "extra"],
        {"created": "2026-01-01T00:00:00+00:00"},
    ],
)
async def test_a_tampered_cursor_is_400_on_every_paginated_route(
    client: httpx.AsyncClient, make_key: KeyMaker, value: object
) -> None:
    headers = await make_key(scopes=(Scope.plans_read, Scope.assessments_read, Scope.audit_read))
    cursor = _cursor(value)
    for path in (
        "/v1/plans",
        "/v1/patients/p1/assessments",
        "/v1/disclosures",
        "/v1/audit-events",
        "/v1/patients/p1/disclosures",
    ):
        response = await client.get(path, params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["type"].endswith("/invalid-cursor")


async def test_a_trailing_slash_is_404_not_a_redirect_to_the_host_header(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/plans/",
        json={"assessment": ASSESSMENT_EXAMPLE},
        headers=auth | {"Host": "evil.example"},
    )
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["content-type"] == PROBLEM


async def test_nul_in_any_text_is_422_on_every_backend(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """PostgreSQL text and jsonb refuse NUL: a note with one was a 500 there (and stored on
    SQLite). A literal backslash-u in text is not NUL and is kept."""
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"]["patient_ref"] = f"nul-{uuid.uuid4().hex[:8]}"
    body["co_occurring_conditions"] = {
        "coded": [{"system": "snomedct", "code": "35489007", "display": "x\u0000y"}]
    }
    refused = await client.post("/v1/assessments", json=body, headers=auth)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["errors"][0]["type"] == "nul_character"
    listed = await client.get(f"/v1/patients/{body['patient']['patient_ref']}/assessments",
                              headers=auth)  # fmt: skip
    assert listed.json()["items"] == []
    body["co_occurring_conditions"]["coded"][0]["display"] = "x\\u0000y"  # backslash, u, 0000
    kept = await client.post("/v1/assessments", json=body, headers=auth)
    assert kept.status_code == 201, kept.text
    assert kept.json()["assessment"]["co_occurring_conditions"]["coded"][0]["display"] == (
        "x\\u0000y"
    )


def _assessment_routes(body: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(path, request body, pointer to assessed_at) for each JSON route taking an assessment."""
    return [
        ("/v1/assessments", body, "/assessed_at"),
        ("/v1/evaluate", body, "/assessed_at"),
        ("/v1/plans", {"assessment": body, "status": "draft"}, "/assessment/assessed_at"),
    ]


async def test_an_assessment_in_year_9999_is_422_not_500(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A plan schedules follow-up a year ahead: from 9999 that date does not exist, and
    creating the plan was a 500 (OverflowError) although the assessment was accepted."""
    body = copy.deepcopy(ASSESSMENT_EXAMPLE) | {"assessed_at": "9999-06-01T00:00:00Z"}
    for path, payload, pointer in _assessment_routes(body):
        response = await client.post(path, json=payload, headers=auth)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["pointer"] == pointer
    empty = {"resourceType": "Bundle", "type": "collection", "entry": []}
    for path in ("/v1/fhir/evaluate", "/v1/fhir/plans"):
        response = await client.post(
            path,
            json=empty,
            headers=auth,
            params={"patient_ref": "p1", "assessed_at": "9999-12-31T23:59:59Z"},
        )
        assert response.status_code == 422, (path, response.text)


async def test_an_assessment_dated_in_the_future_is_422_on_every_route(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A mistyped year (2062 for 2026) made an evaluation 'as of' 2062 with 36-year-old vital
    signs, and a plan that refused every later reassessment as dated before it. A few
    minutes ahead is clock difference and is accepted."""
    now = datetime.now(UTC)
    ahead = (now + timedelta(minutes=10)).isoformat()
    body = copy.deepcopy(ASSESSMENT_EXAMPLE) | {"assessed_at": ahead}
    for path, payload, pointer in _assessment_routes(body):
        response = await client.post(path, json=payload, headers=auth)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0] == {
            "pointer": pointer,
            "detail": "assessed_at is in the future",
            "type": "in_the_future",
        }
    empty = {"resourceType": "Bundle", "type": "collection", "entry": []}
    for path in ("/v1/fhir/evaluate", "/v1/fhir/plans"):
        response = await client.post(
            path, json=empty, headers=auth, params={"patient_ref": "p1", "assessed_at": ahead}
        )
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["pointer"] == "query:assessed_at"
    current = copy.deepcopy(ASSESSMENT_EXAMPLE) | {"assessed_at": now.isoformat()}
    created = await client.post("/v1/plans", json={"assessment": current}, headers=auth)
    assert created.status_code == 201, created.text
    reassessment = {"assessment": current | {"assessed_at": ahead}}
    refused = await client.post(
        created.headers["location"] + "/reassessments",
        json=reassessment,
        headers=auth | {"If-Match": created.headers["etag"]},
    )
    assert refused.status_code == 422, refused.text
    slightly = (now + timedelta(minutes=2)).isoformat()
    accepted = await client.post(
        "/v1/evaluate",
        json=copy.deepcopy(ASSESSMENT_EXAMPLE) | {"assessed_at": slightly},
        headers=auth,
    )
    assert accepted.status_code == 200, accepted.text
