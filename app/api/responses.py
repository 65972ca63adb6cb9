"""Fast JSON responses: handlers build plain dicts, orjson serialises them once."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> str:
    # asyncpg returns its own UUID class (not a uuid.UUID subclass) for uuid columns.
    if type(value).__name__ == "UUID":
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(
    content: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content, default=_default, option=_OPTIONS),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
