"""The OpenAPI document: stable camelCase operationIds, problem schemas, body models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api.body import BODY_MODELS
from app.api.deps import rate_limited, required_scope
from app.errors import PROBLEM_MEDIA_TYPE, Problem, TransitionProblem, ValidationProblem
from app.ratelimit import LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER

DESCRIPTION = """\
Clinical decision support for **kratom use disorder**. Send a structured assessment (vital
signs, urine drug screen, labs, withdrawal scales, DSM-5 criteria, co-occurring conditions,
use history, social context, preferences); get validated scores, safety alerts and a cited
three-phase treatment plan (evaluate it statelessly, or keep it as a plan with revisions,
clinician decisions and an audit trail; CDS Hooks and FHIR R4 for EHRs).

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
        "name": "consents",
        "description": "42 CFR Part 2: consents on a plan, disclosures checked against them "
        "(or the medical-emergency exception), and the accounting of disclosures.",
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
    {
        "name": "audit",
        "description": "The hash-chained audit trail and each patient's accounting of "
        "disclosures (scope `audit:read`).",
    },
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
    _declare_scopes_and_limits(app, schema)
    _bound_scalars(schema)
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


#: Rate-limit response headers (IETF draft-ietf-httpapi-ratelimit-headers), see app.ratelimit.
RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    LIMIT_HEADER: {
        "description": "Requests this client may send at once (its bucket size). Sent on "
        "every authenticated response while the rate limit is on.",
        "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 1_000_000_000},
    },
    REMAINING_HEADER: {
        "description": "Requests left in the bucket now.",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 1_000_000_000},
    },
    RESET_HEADER: {
        "description": "Seconds until the bucket is full again.",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 1_000_000_000},
    },
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 86_400},
}
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], APIRoute]]:
    """Every API route the app serves, as (path template, methods, route), through included
    routers."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format:
            yield context.path_format, set(context.methods or ()), route


def _declare_scopes_and_limits(app: FastAPI, schema: dict[str, Any]) -> None:
    """For every API-key operation: the scope it needs (``x-required-scope``; an HTTP bearer
    scheme cannot list scopes); for it and every CDS Hooks call (limited per issuer):
    rate-limit headers on 2xx/4xx, and its 429 and 503 (time budget) answers."""
    components = schema.setdefault("components", {})
    headers = components.setdefault("headers", {})
    headers.update(RATE_LIMIT_HEADERS)
    headers["Retry-After"] = _RETRY_AFTER
    limit_refs = {name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS}
    retry_ref = {"$ref": "#/components/headers/Retry-After"}
    for path, methods, route in api_routes(app):
        scope = required_scope(route)
        if not route.include_in_schema or not rate_limited(route):
            continue
        item = schema["paths"].get(path, {})
        for method in methods:
            operation = item.get(method.lower())
            if operation is None:
                continue
            if scope is not None:
                operation["x-required-scope"] = scope.value
            responses = operation["responses"]
            responses["429"] = {
                "description": "This client (API key, or CDS Hooks issuer) sent too many "
                "requests; retry after `Retry-After` seconds.",
                "headers": {"Retry-After": retry_ref},
                "content": _PROBLEM_CONTENT,
            }
            responses["503"] = {
                "description": "Over the time budget (request or SQL statement), the database "
                "is unavailable, or (on patient-data routes) the audit trail could not record "
                "the request; nothing was stored and no patient data is returned. Retry after "
                "`Retry-After` seconds.",
                "headers": {"Retry-After": retry_ref},
                "content": _PROBLEM_CONTENT,
            }
            for status, response in responses.items():
                if status.startswith(("2", "4")) and "$ref" not in response:
                    response["headers"] = {**response.get("headers", {}), **limit_refs}


_FORMAT_MAX_LENGTH = {"uuid": 36, "date": 10, "date-time": 64, "time": 32, "duration": 64}
_INT32 = (-(2**31), 2**31 - 1)


def _bound_scalars(node: Any) -> None:
    """State the bounds the types already imply: the length of formatted strings (a UUID is
    36 characters), an integer enum's range, and each integer's width (int32 or int64)."""
    if isinstance(node, list):
        for item in node:
            _bound_scalars(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "string" and "maxLength" not in node and node.get("format") in _FORMAT_MAX_LENGTH:
        node["maxLength"] = _FORMAT_MAX_LENGTH[node["format"]]
    if kind == "integer":
        values = node.get("enum")
        if values and all(isinstance(v, int) for v in values):
            node.setdefault("minimum", min(values))
            node.setdefault("maximum", max(values))
        if "format" not in node:
            low = node.get("minimum", node.get("exclusiveMinimum"))
            high = node.get("maximum", node.get("exclusiveMaximum"))
            fits = low is not None and high is not None and _INT32[0] <= low and high <= _INT32[1]
            node["format"] = "int32" if fits else "int64"
    for value in node.values():
        _bound_scalars(value)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
