"""Fast JSON responses: handlers build plain dicts, orjson serialises them once."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def json_response(
    content: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content, option=_OPTIONS),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
