"""Hostile JSON: nesting depth and array length limits are 422 problems, fast, never 5xx."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

from app.api.body import json_depth
from tests.factories import assessment_data
from tests.security.support import PROBLEM

DEEP = 10_000


def _deep(depth: int) -> bytes:
    return b'{"x":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/assessments", _deep(DEEP)),
        ("/v1/plans", _deep(40)),  # over the default limit of 32, under the parser's own
        ("/v1/evaluate", _deep(DEEP)),
        (
            "/v1/fhir/evaluate",
            b'{"resourceType":"Bundle","type":"collection","entry":'
            + b"[" * 5000
            + b"]" * 5000
            + b"}",
        ),
    ],
)
async def test_deep_nesting_is_422(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: bytes
) -> None:
    started = time.perf_counter()
    response = await client.post(
        path, content=body, headers=auth | {"Content-Type": "application/json"}
    )
    assert time.perf_counter() - started < 2
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"] == [
        {"pointer": "", "detail": "The JSON nests deeper than 32 levels.", "type": "json_too_deep"}
    ]


async def test_ordinary_nesting_inside_strings_is_not_counted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = assessment_data()
    body["encounter_ref"] = "[" * 60  # brackets in a string are text, not nesting
    response = await client.post("/v1/evaluate", content=orjson.dumps(body), headers=auth)
    assert response.status_code != 422 or all(
        e["type"] != "json_too_deep" for e in response.json()["errors"]
    )


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/v1/assessments", "dsm5_criteria_met", ["craving"] * 100_000),
        ("/v1/assessments", "considering", ["buprenorphine"] * 10_000),
    ],
)
async def test_huge_arrays_are_422(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, field: str, value: list[Any]
) -> None:
    body = assessment_data(**{field: value})
    raw = orjson.dumps(body)
    started = time.perf_counter()
    response = await client.post(
        path, content=raw, headers=auth | {"Content-Type": "application/json"}
    )
    assert time.perf_counter() - started < 2
    # Over the body limit it is 413 before parsing; under it, the schema's maxItems: 422.
    assert response.status_code in (413, 422)
    assert response.headers["content-type"] == PROBLEM


async def test_array_limits_apply_under_the_body_limit(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = {"triggers": ["stress"] * 51}
    plan = await client.post(
        "/v1/plans", json={"assessment": assessment_data(), "status": "draft"}, headers=auth
    )
    response = await client.put(
        f"/v1/plans/{plan.json()['id']}/relapse-prevention",
        json=body,
        headers=auth | {"If-Match": plan.headers["etag"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/triggers"
    long_item = {"triggers": ["x" * 501]}
    response = await client.put(
        f"/v1/plans/{plan.json()['id']}/relapse-prevention",
        json=long_item,
        headers=auth | {"If-Match": plan.headers["etag"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/triggers/0"


def test_every_input_array_and_string_is_bounded() -> None:
    """Every request-body model declares maxItems on arrays and maxLength (or an enum or a
    format) on strings, so size limits are in the contract, not only in code."""
    from app.cli import openapi_document

    schema = orjson.loads(openapi_document())
    components = schema["components"]["schemas"]
    unbounded: list[str] = []

    def walk(node: Any, where: str, seen: set[str]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}/{i}", seen)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(components[name], name, seen)
            return
        if node.get("type") == "array" and "maxItems" not in node:
            unbounded.append(where)
        if node.get("type") == "string" and not {"maxLength", "enum", "const"} & node.keys():
            unbounded.append(where)
        for key, value in node.items():
            walk(value, f"{where}/{key}", seen)

    seen: set[str] = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            walk(operation.get("requestBody", {}), f"{method} {path} body", seen)
            walk(operation.get("parameters", []), f"{method} {path} params", seen)
    assert unbounded == []


def test_depth_scan() -> None:
    # 4 deep: the scan stops at 3, once past the limit
    assert json_depth(b'{"a":[[[1]]],"b":"[[[[[[[[[[[\\""}', limit=2) == 3
    assert json_depth(b"[" * 100 + b"]" * 100, limit=32) > 32
    assert json_depth(b"[" * 20 + b'"\\\\"' + b"]" * 20, limit=8) > 8  # an escaped backslash
    assert json_depth(b"[]" * 20 + b'["\\"[[[[[[[[["]', limit=8) == 1  # an escaped quote
    assert json_depth(b"[[]]", limit=32) == 0  # too few brackets to matter: not scanned


def test_depth_scan_is_linear_on_hostile_strings() -> None:
    """OWASP API4: an unterminated string of escaped quotes made the old regex quadratic (one
    100 KB body held the event loop 30 s; 256 KB about 200 s). A bound of seconds, not a
    performance target: the scan takes milliseconds."""
    hostile = b"[]" * 40 + b'"\\' * 128_000  # ~256 KB: '"\"\"\"...', never closed
    started = time.perf_counter()
    assert json_depth(hostile, limit=32) == 1
    assert time.perf_counter() - started < 2.0


async def test_a_long_number_like_instant_is_refused_quickly(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """The 'instant sent as a number' check was an ambiguous regex (quadratic on digits and a
    letter: 1.7 s for 8,000); now linear. A bound of seconds, not a performance target."""
    started = time.perf_counter()
    response = await client.get(
        "/v1/plans", params={"updated_since": "1" * 20_000 + "x"}, headers=auth
    )
    assert response.status_code == 422
    assert time.perf_counter() - started < 2.0
