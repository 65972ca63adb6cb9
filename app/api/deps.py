"""Dependencies: the request's database session and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auditing import AuditRecorder, audit_recorder, recording, valid_user_id
from app.db import Database
from app.errors import Forbidden, RequestInvalid, Unauthorized
from app.ratelimit import enforce as rate_limit
from app.security import Principal, Scope
from app.services.clients import forget_use, principal_for_key, record_use
from app.services.idempotency import KEY_PATTERN
from app.tenancy import bind_tenant

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        pattern=KEY_PATTERN,
        description="Retry-safe creation: the same key and body replay the first response "
        "(with `Idempotent-Replayed: true`); the same key with another body is 422; a "
        "duplicate still in progress is 409. Keys are per API client, kept at least 24 h.",
    ),
]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `kratom-cds create-client`, sent as `Authorization: Bearer KEY`.",
)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a handler works with: one session (it commits) and the caller."""

    session: AsyncSession
    principal: Principal


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def context(scope: Scope, *, write: bool = False) -> Any:
    """Open the request's session, authenticate the API key and check its scope."""

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(bearer),
        recorder: AuditRecorder = Depends(audit_recorder, scope="function"),
    ) -> AsyncIterator[RequestContext]:
        if credentials is None or not credentials.credentials:
            raise Unauthorized("Send an API key as 'Authorization: Bearer KEY'.")
        async with database(request).session(write=write) as session:
            principal = await principal_for_key(session, credentials.credentials)
            if principal is None:
                raise Unauthorized("The API key is not valid or has been revoked.")
            recorder.principal = principal
            used = await record_use(session, principal.client_id)
            await bind_tenant(session, principal.tenant_id)
            rate_limit(request, principal.client_id)
            if not principal.has(scope):
                raise Forbidden(f"This operation needs the '{scope.value}' scope.")
            refusal = _unknown_query_refusal(request) or _bad_user_id(request)
            if refusal is not None:
                raise refusal
            request.state.principal = principal
            try:
                yield RequestContext(session=session, principal=principal)
                # Audited routes: record the read (a write was recorded by its commit).
                await recorder.finish(session, database(request), locked=write)
                if used and session.in_transaction():
                    await session.commit()  # a route that commits nothing: keep last_used_at
            except BaseException:
                if used:
                    forget_use(principal.client_id)  # rolled back with the request
                raise

    # Read by the OpenAPI document (`x-required-scope`) and the route x scope matrix test.
    dependency.required_scope = scope  # type: ignore[attr-defined]
    # Function scope: the session ends (and the audit event is stored) before the response
    # is sent, so a failed audit write can still turn the response into a 503.
    return Depends(dependency, scope="function")


def _bad_user_id(request: Request) -> RequestInvalid | None:
    """A malformed X-User-Id is refused on every route, reads included: recorded as nobody,
    a read of Part 2 data would have no end user in its audit row."""
    value = request.headers.get("x-user-id")
    if value is None or valid_user_id(value):
        return None
    return RequestInvalid(
        [
            {
                "pointer": "header:X-User-Id",
                "detail": "Up to 128 characters: letters, digits and . _ : @ / -",
                "type": "string_pattern_mismatch",
            }
        ]
    )


def required_scope(route: APIRoute) -> Scope | None:
    """The scope a route's ``context`` dependency demands, or None for a route without one."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        scope = getattr(dependant.call, "required_scope", None)
        if isinstance(scope, Scope):
            return scope
        pending.extend(dependant.dependencies)
    return None


def rate_limited(route: APIRoute) -> bool:
    """Whether a route's caller is rate-limited: an API-key route (``context``) or a route
    whose authenticating dependency says so (CDS Hooks calls, per issuer)."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        call = dependant.call
        if getattr(call, "rate_limited", False) or hasattr(call, "required_scope"):
            return True
        pending.extend(dependant.dependencies)
    return False


_ALLOWED_QUERY: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared_query_params(route: APIRoute) -> frozenset[str]:
    allowed = _ALLOWED_QUERY.get(id(route))
    if allowed is None:
        allowed = frozenset(_query_names(route.dependant))
        _ALLOWED_QUERY[id(route)] = allowed
    return allowed


def _unknown_query_refusal(request: Request) -> RequestInvalid | None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return None
    allowed = _declared_query_params(route)
    unknown = sorted({key for key in request.query_params if key not in allowed})
    if not unknown:
        return None
    return RequestInvalid(
        [
            {
                "pointer": f"query:{name}",
                "detail": "Unknown query parameter.",
                "type": "extra_forbidden",
            }
            for name in unknown
        ]
    )


_KEY_GUARDED: dict[int, bool] = {}


def _checked_after_authentication(route: APIRoute) -> bool:
    guarded = _KEY_GUARDED.get(id(route))
    if guarded is None:
        guarded = _KEY_GUARDED[id(route)] = required_scope(route) is not None
    return guarded


async def reject_unknown_query_params(request: Request) -> None:
    """Unknown query parameters are 422, like unknown body fields: a typo ('limt=5') must not
    silently fall back to a default. On a route that needs an API key the check waits for
    authentication (``context``): a caller without a valid key learns nothing about the
    route's parameters, it gets the same 401 as for any other request."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and _checked_after_authentication(route):
        return
    refusal = _unknown_query_refusal(request)
    if refusal is not None:
        # Refused before authentication, but on an audited route still recorded (as a 401
        # is: no tenant yet, the system chain).
        async with recording(request):
            raise refusal
