"""Framework errors are problem+json too, and a crash reveals nothing."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app

PROBLEM = "application/problem+json"


async def test_unknown_route_is_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["instance"] == ""  # no route: the raw path is never echoed


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/assessments")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM


async def test_bad_path_uuid_is_422_naming_the_parameter(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/assessments/not-a-uuid", headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "path:assessment_id"


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_unexpected_error_is_500_without_internals(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail: patient Jane Doe")

    # raise_app_exceptions=True (the default): nothing may escape the app to the server,
    # which would log the message and traceback and drop the connection.
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.DEBUG):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "Jane" not in response.text
    assert "Traceback" not in response.text
    assert "Jane" not in caplog.text
    assert "unhandled RuntimeError on GET /boom" in caplog.text


async def test_unknown_query_parameter_is_422(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/patients/p/assessments?limt=5", headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"pointer": "query:limt", "detail": "Unknown query parameter.", "type": "extra_forbidden"}
    ]


async def test_unknown_query_parameter_waits_for_authentication(
    client: httpx.AsyncClient, make_key: Any
) -> None:
    """A caller without a valid key learns nothing about a route's parameters: 401 first, as
    for a known parameter with a bad value; a caller without the scope gets 403."""
    for headers in ({}, {"Authorization": "Bearer kcds_not-a-key"}):
        response = await client.get("/v1/plans?limt=5", headers=headers)
        assert response.status_code == 401, response.text
        assert "limt" not in response.text
    reader = await make_key(scopes=("assessments:read",))
    forbidden = await client.get("/v1/plans?limt=5", headers=reader)
    assert forbidden.status_code == 403
    allowed = await make_key(scopes=("plans:read",))
    refused = await client.get("/v1/plans?limt=5", headers=allowed)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "query:limt"
    # A route without an API key (health) still checks before anything else.
    assert (await client.get("/healthz?verbose=1")).status_code == 422


async def test_405_lists_every_method_at_the_path(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/plans")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


async def test_client_disconnect_mid_body_is_not_a_server_error(
    app: FastAPI, auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A client that hangs up before its body ends gets no 500 and no error log."""
    sent: list[dict[str, Any]] = []
    messages = iter(
        [
            {"type": "http.request", "body": b'{"patient": ', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/evaluate",
        "raw_path": b"/v1/evaluate",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", auth["Authorization"].encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    with caplog.at_level(logging.ERROR):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_422_is_bounded_whatever_the_body(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Thousands of unknown keys, or a key thousands of characters long, used to give a 422
    that broke its own schema (errors maxItems 1000, pointer maxLength 512)."""
    many = {f"k{i}": 1 for i in range(5000)}
    response = await client.post("/v1/evaluate", json=many, headers=auth)
    assert response.status_code == 422
    body = response.json()
    assert len(body["errors"]) == 100
    assert body["detail"].endswith("the first 100 are listed.")
    long_key = {"K" * 5000: 1}
    response = await client.post("/v1/evaluate", json=long_key, headers=auth)
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointers
    assert all(len(p) <= 512 for p in pointers)
    query = "&".join(f"q{i}=1" for i in range(1500))
    listed = await client.get(f"/v1/plans?{query}&{'Q' * 3000}=1", headers=auth)
    assert listed.status_code == 422
    errors = listed.json()["errors"]
    assert len(errors) == 100
    assert all(len(e["pointer"]) <= 512 for e in errors)
