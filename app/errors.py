"""RFC 9457 problem details: the one shape of every error this service returns."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://kratom-cds.dev/problems/"


class FieldError(BaseModel):
    pointer: str = Field(
        max_length=512,
        description="JSON pointer (RFC 6901) into the request body; for a parameter, "
        "`path:NAME`, `query:NAME` or `header:NAME`.",
        examples=["/vitals/heart_rate_bpm"],
    )
    detail: str = Field(
        max_length=500,
        description="What is wrong with it.",
        examples=["Input should be less than or equal to 300"],
    )
    type: str = Field(
        max_length=64,
        description="Stable machine-readable error type.",
        examples=["less_than_equal"],
    )


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(
        max_length=200,
        description="URI identifying the problem type.",
        examples=[PROBLEM_BASE + "not-found"],
    )
    title: str = Field(
        max_length=200,
        description="Short, human-readable summary of the type.",
        examples=["Resource not found"],
    )
    status: int = Field(ge=400, le=599, description="HTTP status code.", examples=[404])
    detail: str = Field(
        max_length=2000,
        description="Explanation specific to this occurrence.",
        examples=["No assessment with this id exists for your organisation."],
    )
    instance: str = Field(
        max_length=2000,
        description="The route template of the request (no identifiers), or empty.",
        examples=["/v1/assessments/{assessment_id}"],
    )
    request_id: str | None = Field(
        default=None, max_length=64, description="Correlates with server logs."
    )


class TransitionProblem(Problem):
    allowed: list[str] = Field(
        default_factory=list, max_length=10, description="Transitions allowed from here."
    )


class ValidationProblem(Problem):
    errors: list[FieldError] = Field(
        max_length=1000, description="Every invalid field, each by JSON pointer."
    )


class DomainError(Exception):
    """Base of the errors handlers raise; each subclass fixes status, type and title."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # True: answer with the status and headers only, no body (CDS Hooks' bare 401).
    empty_body: ClassVar[bool] = False

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}

    def extensions(self) -> dict[str, Any] | None:
        """Extra members of the problem body (RFC 9457 extensions)."""
        return None


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Resource not found"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="kratom-cds"'})


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not permitted"


class MalformedBody(DomainError):
    status, slug, title = 400, "malformed-body", "Malformed request body"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class BodyTooLarge(DomainError):
    status, slug, title = 413, "body-too-large", "Request body too large"


class InvalidCursor(DomainError):
    status, slug, title = 400, "invalid-cursor", "Invalid pagination cursor"


class RequestInvalid(DomainError):
    """422 with every bad field named by JSON pointer."""

    status, slug, title = 422, "validation-error", "The request is not valid"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(invalid_fields_detail(errors))
        self.errors = bounded_errors(errors)

    def extensions(self) -> dict[str, Any] | None:
        return {"errors": self.errors}


_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not permitted"),
    404: ("not-found", "Resource not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def json_pointer(loc: Sequence[int | str]) -> str:
    """RFC 6901 pointer for a Pydantic error location."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "/" + "/".join(parts) if parts else ""


#: The first errors listed in a 422 (the schema's maxItems is 1000): a body with thousands of
#: unknown keys gets a bounded answer.
MAX_LISTED_ERRORS = 100
_MAX_POINTER = 512  # FieldError.pointer maxLength


def bounded_errors(errors: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """At most ``MAX_LISTED_ERRORS``, each pointer cut to the schema's 512 characters (an
    unknown key is named in its pointer, and a key can be any length)."""
    out = []
    for err in errors[:MAX_LISTED_ERRORS]:
        pointer = err["pointer"]
        if len(pointer) > _MAX_POINTER:
            pointer = pointer[: _MAX_POINTER - 1] + "…"
        out.append({**err, "pointer": pointer, "type": err["type"][:64]})
    return out


def invalid_fields_detail(errors: Sequence[object]) -> str:
    if len(errors) > MAX_LISTED_ERRORS:
        return f"{len(errors)} invalid field(s); the first {MAX_LISTED_ERRORS} are listed."
    return f"{len(errors)} invalid field(s); see errors."


def field_errors(errors: Sequence[ErrorDetails], *, skip_prefix: int = 0) -> list[dict[str, str]]:
    """Pydantic errors as pointer/detail/type, never echoing the submitted value."""
    out = []
    for err in errors:
        loc = tuple(err["loc"])[skip_prefix:]
        out.append({"pointer": json_pointer(loc), "detail": err["msg"][:500], "type": err["type"]})
    return out


def instance_of(scope: Any) -> str:
    """The problem's ``instance``: the route template (``/v1/patients/{patient_ref}/...``),
    never the raw path, which can carry a patient reference; "" when no route matched."""
    route = scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", None) or "")


def _problem_body(scope: Any, status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    """RFC 9457 fields; the instance is the route template (or "" before routing), never the
    raw path, which can carry a patient reference."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance_of(scope),
    }
    request_id = scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    return body


async def send_problem(
    scope: Any,
    send: Any,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """A problem answered from ASGI middleware (before or around the app), where there is no
    Request or Response yet; the same body as ``problem_response``."""
    payload = orjson.dumps(_problem_body(scope, status, slug, title, detail))
    start_headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": payload})


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body = _problem_body(request.scope, status, slug, title, detail)
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


async def _domain_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, DomainError):  # pragma: no cover - registered for DomainError only
        raise exc
    if exc.empty_body:
        return Response(status_code=exc.status, headers=exc.headers)
    extra = exc.extensions()
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        extra=extra,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
        raise exc
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        detail = "No such resource."
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        request, status=exc.status_code, slug=slug, title=title, detail=detail, headers=headers
    )


def _allowed_methods(request: Request) -> str:
    """Every method any route serves at this path (Starlette names only the first route's)."""
    path = request.url.path
    methods: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        route_methods = getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    return ", ".join(sorted(methods))


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    # Included routers may be wrapped (FastAPI keeps the original router on the wrapper).
    for route in routes:
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes") and not hasattr(route, "path_regex"):
            yield from _leaf_routes(inner.routes)
        else:
            yield route


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover
        raise exc
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        where, rest = (loc[0], loc[1:]) if loc else ("body", ())
        pointer = json_pointer(rest) if where == "body" else f"{where}:{'.'.join(map(str, rest))}"
        errors.append(
            {
                "pointer": pointer,
                "detail": str(err.get("msg", ""))[:500],
                "type": str(err.get("type", "invalid")),
            }
        )
    return problem_response(
        request,
        status=422,
        slug=RequestInvalid.slug,
        title=RequestInvalid.title,
        detail=invalid_fields_detail(errors),
        extra={"errors": bounded_errors(errors)},
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Log the type and where, never the message: it may contain submitted values.
    logger.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        getattr(request.scope.get("route"), "path", "?"),
    )
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal server error",
        detail="The server could not complete the request. Nothing was stored.",
    )


class _AnsweredErrors:
    """Outermost ASGI wrapper: an unexpected error that was already answered (500 problem,
    its type logged by ``_unexpected_error``) ends here.

    Starlette's ServerErrorMiddleware re-raises after answering so that the server logs it;
    uvicorn would then print the exception's message and traceback (a database error's
    message carries the SQL and its bound parameters: patient data) and drop the keep-alive
    connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with contextlib.suppress(Exception):  # answered and logged (type only) already
            await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    build = app.build_middleware_stack

    def build_with_answered_errors() -> ASGIApp:
        return _AnsweredErrors(build())

    app.build_middleware_stack = build_with_answered_errors  # type: ignore[method-assign]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses, as problem+json."""
    descriptions = {
        400: "Malformed request (body is not JSON, or a bad cursor).",
        401: "Missing or invalid API key.",
        403: "The API key lacks the scope this operation needs.",
        404: "Not found (or belongs to another organisation).",
        409: "Conflict: a transition that is not allowed (`allowed` lists the legal ones), a "
        "plan marked entered-in-error (it cannot be changed or disclosed), a decision on a "
        "completed or revoked plan, or a request with the same Idempotency-Key still in "
        "progress.",
        412: "If-Match does not carry the plan's current strong ETag.",
        413: "Request body larger than the configured limit.",
        415: "Content-Type is not application/json.",
        422: "Validation failed; `errors` names every bad field by JSON pointer.",
        428: "If-Match is required for this change.",
        500: "Unexpected server error; nothing was stored.",
        503: "Not ready (database unreachable or migrations not at head).",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        schema = {422: "ValidationProblem", 409: "TransitionProblem"}.get(status, "Problem")
        out[status] = problem_entry(descriptions[status], schema)
    return out


def problem_entry(description: str, schema: str = "Problem") -> dict[str, Any]:
    """One OpenAPI ``responses`` entry: a problem+json body described for this route."""
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
