"""The OpenAPI document frontend teams build from: committed, complete, readable."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from app.cli import openapi_document
from app.migrations_state import PROJECT_ROOT

CAMEL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def test_committed_openapi_is_current() -> None:
    committed = (PROJECT_ROOT / "openapi.json").read_bytes()
    assert committed == openapi_document(), "openapi.json is stale: run `kratom-cds openapi`"


def test_operations_are_documented(app: FastAPI) -> None:
    schema = app.openapi()
    assert schema["info"]["title"] == "kratom-cds"
    assert schema["info"]["description"]
    ids = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            assert set(op["operationId"]) <= set(CAMEL), op["operationId"]
            assert op["operationId"][0].islower()
            for key in ("summary", "description", "tags"):
                assert op.get(key), (path, method, key)
            for status, response in op["responses"].items():
                if path.startswith("/cds-services") and status == "401":
                    assert "content" not in response, (path, status)  # a bare 401
                elif status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (path, status)
            if path.startswith("/v1/"):
                assert {"401", "422", "500"} <= op["responses"].keys(), (path, method)
    assert len(ids) == len(set(ids))
    assert {"createAssessment", "getAssessment", "listPatientAssessments"} <= set(ids)


def test_every_assessment_field_is_described(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assessment_groups = [
        "AssessmentIn",
        "Patient",
        "Vitals",
        "UrineDrugScreen",
        "Labs",
        "MedicalHistory",
        "Withdrawal",
        "CowsItems",
        "UseHistory",
        "Screening",
        "Social",
    ]
    for name in assessment_groups:
        for field, prop in schemas[name]["properties"].items():
            assert prop.get("description"), f"{name}.{field} has no description"
    assert schemas["AssessmentIn"]["examples"], "the assessment needs a whole-model example"
    assert schemas["AssessmentIn"]["additionalProperties"] is False


async def test_docs_render_from_local_assets(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        assert "cdn.jsdelivr.net" not in html
        assert "fonts.googleapis" not in html
    docs = (await client.get("/docs")).text
    assert "/static-offline-docs/swagger-ui-bundle.js" in docs
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = await client.get(f"/static-offline-docs/{asset}")
        assert response.status_code == 200
        assert len(response.content) > 10_000


def test_openapi_file_is_at_repo_root() -> None:
    assert Path(PROJECT_ROOT / "openapi.json").is_file()


def test_decision_reason_codes_are_published_with_their_meaning(app: FastAPI) -> None:
    """Issue 4: the reason codes are a published list, each with what it means."""
    from app.schemas.plan_vocab import DECISION_REASON_DESCRIPTIONS, DecisionReason

    reason = app.openapi()["components"]["schemas"]["DecisionReason"]
    assert reason["enum"] == [code.value for code in DecisionReason]
    assert reason["x-enumDescriptions"] == [DECISION_REASON_DESCRIPTIONS[c] for c in DecisionReason]
    for code, meaning in DECISION_REASON_DESCRIPTIONS.items():
        assert f"- `{code.value}`: {meaning}" in reason["description"]
