"""Route x scope matrix: every route declares the scope it needs; with any other scope (admin
aside) it is 403 problem+json and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.db import Base
from app.security import Scope
from tests.conftest import KeyMaker
from tests.security.routes import (
    JWT_PREFIX,
    PUBLIC,
    WRITE_METHODS,
    fill,
    scoped_routes,
    unscoped_paths,
)

PROBLEM = "application/problem+json"


async def _row_counts(app: FastAPI) -> dict[str, int]:
    """Rows per table, audit tables aside (refused attempts are meant to be audited)."""
    counts = {}
    async with app.state.db.session(write=False) as session:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith("audit"):
                continue
            counts[table.name] = (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


def test_every_route_is_scoped_or_explicitly_public(app: FastAPI) -> None:
    unscoped = {p for p in unscoped_paths(app) if not p.startswith(JWT_PREFIX)}
    assert unscoped <= PUBLIC.keys(), f"routes without a scope: {unscoped - PUBLIC.keys()}"
    routes = scoped_routes(app)
    assert len(routes) >= 20
    # The OpenAPI document states each operation's scope.
    paths = app.openapi()["paths"]
    for r in routes:
        assert paths[r.path][r.method.lower()]["x-required-scope"] == r.scope.value, r.id


async def _call(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str]) -> Any:
    if method in WRITE_METHODS:
        return await client.request(method, url, json={}, headers=headers)
    return await client.request(method, url, headers=headers)


async def test_every_disallowed_scope_is_403_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    keys = {scope: await make_key(scopes=(scope,)) for scope in Scope}
    routes = scoped_routes(app)
    before = await _row_counts(app)
    checked = 0
    for r in routes:
        url = fill(r.path)
        for scope, headers in keys.items():
            if scope in (r.scope, Scope.admin):
                continue
            response = await _call(client, r.method, url, headers)
            assert response.status_code == 403, (r.id, scope.value, response.text)
            assert response.headers["content-type"] == PROBLEM
            assert r.scope.value in response.json()["detail"]
            checked += 1
    assert await _row_counts(app) == before
    assert checked >= len(routes) * (len(Scope) - 2)


@pytest.mark.parametrize("which", ["required", "admin"])
async def test_the_required_scope_and_admin_pass_the_scope_check(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, which: str
) -> None:
    keys = {scope: await make_key(scopes=(scope,)) for scope in Scope}
    for r in scoped_routes(app):
        headers = keys[Scope.admin if which == "admin" else r.scope]
        response = await _call(client, r.method, fill(r.path), headers)
        assert response.status_code not in (401, 403), (r.id, which, response.text)
