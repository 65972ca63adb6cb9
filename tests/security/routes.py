"""The app's routes for the security tests: which are public, which need an API-key scope,
how to fill their path parameters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.deps import required_scope
from app.openapi import api_routes
from app.security import Scope

#: Routes without an API key, each with its reason.
PUBLIC = {
    "/healthz": "liveness probe, no data",
    "/readyz": "readiness probe, no data",
    "/docs": "API documentation (docs_enabled)",
    "/docs/oauth2-redirect": "API documentation (docs_enabled)",
    "/redoc": "API documentation (docs_enabled)",
    "/kb/rules/{rule_id}": "a rule of the published knowledge base as a page, no patient data",
}
#: CDS Hooks: authenticated by the EHR's signed JWT (tests/cdshooks), not by API-key scopes.
JWT_PREFIX = "/cds-services"

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class ScopedRoute:
    method: str
    path: str
    scope: Scope
    route: APIRoute

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def scoped_routes(app: FastAPI) -> list[ScopedRoute]:
    out = []
    for path, methods, route in api_routes(app):
        scope = required_scope(route)
        if scope is None:
            continue
        out.extend(ScopedRoute(m, path, scope, route) for m in sorted(methods))
    return out


def unscoped_paths(app: FastAPI) -> set[str]:
    return {path for path, _, route in api_routes(app) if required_scope(route) is None}


def path_params(route: APIRoute) -> list[str]:
    return [param.name for param in route.dependant.path_params]


def fill(path: str, values: dict[str, str] | None = None) -> str:
    """The path with every ``{param}`` replaced: from ``values``, else a harmless default."""
    values = values or {}
    defaults = {"number": "1", "code": "buprenorphine", "patient_ref": "no-such-patient"}
    out = path
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1 : end].split(":")[0]
        value = values.get(name) or defaults.get(name)
        if value is None:
            value = "NOPE-01" if name == "rule_id" else str(uuid.uuid4())
        out = out[:start] + value + out[end + 1 :]
    return out
