"""Property-based API testing from our own OpenAPI document: no 5xx, no schema violations,
every response documented."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.schemas.base import CROSS_FIELD
from app.services.clients import create_client

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(settings: Settings) -> schemathesis.BaseSchema:
    # A separate app instance: schemathesis runs its lifespan on its own event-loop thread.
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))


@pytest.fixture(scope="module")
def st_headers(settings: Settings) -> dict[str, str]:
    async def make() -> str:
        db = Database(settings)
        try:
            async with db.session(write=True) as session:
                issued = await create_client(
                    session,
                    tenant_name="schemathesis",
                    name="fuzz",
                    scopes=["assessments:read", "assessments:write"],
                )
                await session.commit()
        finally:
            await db.dispose()
        return issued.key

    return {"Authorization": f"Bearer {asyncio.run(make())}"}


# nul_character: JSON Schema has no way to forbid NUL in every string (PostgreSQL cannot
# store it; tests/api/test_edge_inputs.py covers it).
STATEFUL_OR_CROSS_FIELD = {CROSS_FIELD, "idempotency_key_reused", "nul_character"}


def positive_data_accepted_except_cross_field(ctx: Any, response: Any, case: Any) -> Any:
    """Schema-valid data must be accepted, unless the only errors are cross-field rules that
    JSON Schema cannot state (diastolic below systolic, a total equal to its items, a birth
    date not after the assessment, an assessment before 9999, no NUL in text), a cursor
    this service did not issue (cursors are opaque tokens), or an Idempotency-Key the fuzzer
    reuses with another body (state JSON Schema cannot see). Each of those has explicit tests
    in tests/api/.
    """
    if response.status_code == 400 and response.json()["type"].endswith("/invalid-cursor"):
        return None
    if response.status_code == 422:
        errors = response.json().get("errors", [])
        if errors and all(error["type"] in STATEFUL_OR_CROSS_FIELD for error in errors):
            return None
    return positive_data_acceptance(ctx, response, case)


def negative_data_rejected_or_too_large(ctx: Any, response: Any, case: Any) -> Any:
    """Invalid data must be rejected; a body over the size limit is rejected with 413 before
    it is parsed (the fuzzer can generate megabytes for array-heavy bodies such as Bundles)."""
    if response.status_code == 413 and response.json()["type"].endswith("/body-too-large"):
        return None
    return negative_data_rejection(ctx, response, case)


@schema.parametrize()
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, st_headers: dict[str, str]) -> None:
    case.call_and_validate(
        headers=st_headers,
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
        additional_checks=[
            positive_data_accepted_except_cross_field,
            negative_data_rejected_or_too_large,
        ],
    )
