"""Request bodies validated straight from the JSON bytes, in strict mode.

FastAPI's own body handling decodes JSON to Python objects first, where strict mode cannot be
used (it would refuse ISO dates and enum strings) and lax mode turns ``true`` into ``1``.
Validating the bytes is both stricter and faster. The model is registered for the OpenAPI
document by ``app.openapi``.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from app.db import utc_now
from app.errors import MalformedBody, RequestInvalid, UnsupportedMediaType, field_errors
from app.schemas.assessment import RECEIVED_AT

M = TypeVar("M", bound=BaseModel)

DEFAULT_MAX_DEPTH = 32
_STRUCTURE = re.compile(rb'[\[\]{}"]')  # the next bracket or string start
_STRING_STOP = re.compile(rb'["\\]')  # inside a string: its end or an escape
_OPENERS = frozenset(b"[{")
# A \u0000 escape that is not itself escaped (an even number of backslashes before it).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_depth(raw: bytes, *, limit: int) -> int:
    """How deeply the JSON text nests arrays and objects (strings skipped), or a number at
    most ``limit`` when it cannot exceed it. No parsing, and linear in the body: each byte is
    looked at once (a regex over whole strings went quadratic on an unterminated string of
    escaped quotes, and one 100 KB body held the event loop for 30 s)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return 0  # cannot nest deeper than its bracket count: the common case, no scan
    depth = deepest = 0
    position = 0
    while (found := _STRUCTURE.search(raw, position)) is not None:
        at = found.start()
        byte = raw[at]
        if byte == 0x22:  # a string: skip to its closing quote, past escapes
            position = at + 1
            while True:
                stop = _STRING_STOP.search(raw, position)
                if stop is None:
                    return deepest  # unterminated: not JSON; the parser refuses it
                position = stop.start() + (2 if raw[stop.start()] == 0x5C else 1)
                if raw[stop.start()] == 0x22:
                    break
            continue
        position = at + 1
        if byte in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest  # enough to refuse it
        else:
            depth -= 1
    return deepest


def _too_deep(limit: int) -> RequestInvalid:
    return RequestInvalid(
        [
            {
                "pointer": "",
                "detail": f"The JSON nests deeper than {limit} levels.",
                "type": "json_too_deep",
            }
        ]
    )


BODY_MODELS: dict[str, type[BaseModel]] = {}


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def json_body(model: type[M]) -> Any:
    """A dependency that returns the validated body as ``model``."""
    BODY_MODELS[model.__name__] = model

    async def parse(request: Request) -> M:
        if not _is_json(request.headers.get("content-type", "")):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The client went away mid-body (a load generator stopping, a cancelled call):
            # nothing to answer and nothing stored; not a server error.
            raise MalformedBody("The client closed the connection before the body ended.") from None
        settings = getattr(request.app.state, "settings", None)
        limit = getattr(settings, "max_json_depth", DEFAULT_MAX_DEPTH)
        if json_depth(raw, limit=limit) > limit:
            raise _too_deep(limit)
        if b"\\u0000" in raw and _NUL_ESCAPE.search(raw):
            # No clinical text holds NUL, and PostgreSQL text and jsonb refuse it.
            raise RequestInvalid(
                [
                    {
                        "pointer": "",
                        "detail": "Text must not contain the NUL character (\\u0000).",
                        "type": "nul_character",
                    }
                ]
            )
        try:
            return model.model_validate_json(raw, context={RECEIVED_AT: utc_now()})
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False, include_context=False)
            if any("recursion limit" in err["msg"] for err in errors):
                raise _too_deep(limit) from None  # the parser's own hard limit
            if any(err["type"] == "json_invalid" for err in errors):
                raise MalformedBody("The body is not valid JSON (UTF-8).") from None
            if len(errors) == 1 and errors[0]["type"] == "model_type" and not errors[0]["loc"]:
                raise RequestInvalid(
                    [
                        {
                            "pointer": "",
                            "detail": "The body must be a JSON object.",
                            "type": "model_type",
                        }
                    ]
                ) from None
            raise RequestInvalid(field_errors(errors)) from None

    return Depends(parse)


def request_body_openapi(model: type[BaseModel], *, description: str) -> dict[str, Any]:
    """``openapi_extra`` that documents a ``json_body`` parameter."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }
