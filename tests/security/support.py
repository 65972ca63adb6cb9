"""Helpers for the security tests: an app with its own settings over the session's database."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.security import DEFAULT_CLIENT_SCOPES, Scope
from app.services.clients import create_client

PROBLEM = "application/problem+json"


@asynccontextmanager
async def custom_app(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    """A second app (like another worker) on the same database, with some settings changed."""
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Like a real server: an unhandled error is the 500 problem, not an exception in the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def key_for(
    app: FastAPI,
    tenant: str | None = None,
    scopes: tuple[Scope | str, ...] = DEFAULT_CLIENT_SCOPES,
) -> dict[str, str]:
    async with app.state.db.session(write=True) as session:
        issued = await create_client(
            session, tenant_name=tenant or f"s-{uuid.uuid4().hex[:12]}", name="test", scopes=scopes
        )
        await session.commit()
    return {"Authorization": f"Bearer {issued.key}"}


def assessment(patient_ref: str = "ehr-patient-4711") -> dict[str, Any]:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"]["patient_ref"] = patient_ref
    return body
