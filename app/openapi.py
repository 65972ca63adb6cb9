"""The OpenAPI document: stable camelCase operationIds, problem schemas, body models."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api.body import BODY_MODELS
from app.errors import Problem, TransitionProblem, ValidationProblem

DESCRIPTION = """\
Clinical decision support for **kratom use disorder**. Send a structured assessment (vital
signs, urine drug screen, labs, withdrawal scales, DSM-5 criteria, co-occurring conditions,
use history, social context, preferences); get validated scores and, in later releases, a
cited three-phase treatment plan.

* Authentication: `Authorization: Bearer <API key>` (see the README for `kratom-cds create-client`).
* Every error is `application/problem+json` (RFC 9457); 422 names every bad field by JSON pointer.
* Units are in field names (`heart_rate_bpm`, `temperature_c`). Missing inputs are reported,
  never defaulted. Timestamps are UTC ISO 8601; ids are opaque UUIDs; lists are cursor-paginated.

This service supports clinicians' judgment; it never replaces it.
"""

TAGS = [
    {"name": "assessments", "description": "Store and read structured assessments."},
    {"name": "plans", "description": "Treatment plans: lifecycle, revisions, decisions."},
    {
        "name": "evaluation",
        "description": "Stateless evaluation: assessment in, evaluation out, nothing stored.",
    },
    {
        "name": "knowledge",
        "description": "The knowledge base: rules, citations, ruleset version and hash, HTI-1 "
        "source attributes.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "operations", "description": "Metrics for operators (admin scope)."},
    # EHR integration (issue 5)
    {
        "name": "cds-hooks",
        "description": "CDS Hooks 2.0 services (patient-view, order-sign) and feedback; "
        "authenticated with the EHR's signed client JWT.",
    },
    {"name": "fhir", "description": "FHIR R4 in (Bundle evaluation) and out (plan as FHIR)."},
    {"name": "analytics", "description": "How clinicians answer each rule's cards."},
]


def operation_id(route: APIRoute) -> str:
    """``create_assessment`` becomes ``createAssessment``."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
        separate_input_output_schemas=False,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body_models: list[type[BaseModel]] = [
        Problem,
        TransitionProblem,
        ValidationProblem,
        *BODY_MODELS.values(),
    ]
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [
        (m, "validation") for m in body_models
    ]
    _, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    for name, definition in defs.get("$defs", {}).items():
        components.setdefault(name, definition)
    # FastAPI's default validation schemas are unused: every 422 is a ValidationProblem.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    _drop_null_from_optional_parameters(schema)
    schema["info"]["contact"] = {"name": "kratom-cds maintainers", "url": "https://kratom-cds.dev"}
    return schema


def _drop_null_from_optional_parameters(schema: dict[str, Any]) -> None:
    """An optional parameter is absent, never the string "null": document it as its plain type.

    FastAPI renders ``str | None = Header(None)`` as ``anyOf: [string, null]``, which tells
    clients (and fuzzers) that a header or query value may be JSON null.
    """
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                param_schema = parameter.get("schema", {})
                options = param_schema.get("anyOf")
                if parameter.get("required") or not options:
                    continue
                non_null = [o for o in options if o.get("type") != "null"]
                if len(non_null) == 1 and len(non_null) < len(options):
                    extras = {k: v for k, v in param_schema.items() if k != "anyOf"}
                    parameter["schema"] = {**non_null[0], **extras}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
