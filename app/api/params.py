"""Request parameters and response headers that several routers declare the same way."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query

from app.auditing import USER_ID_PATTERN

UserId = Annotated[
    str | None,
    Header(
        alias="X-User-Id",
        max_length=128,
        pattern=USER_ID_PATTERN,
        description="The end user acting through this client, for the plan's history.",
    ),
]
PageLimit = Annotated[int, Query(ge=1, le=100, description="Page size (at most 100).")]
PageCursor = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` from the previous page.",
    ),
]
PLAN_LOCATION_ETAG_HEADERS: dict[str, Any] = {
    "Location": {"description": "URL of the plan.", "schema": {"type": "string", "maxLength": 200}},
    "ETag": {
        "description": "Strong ETag of the plan.",
        "schema": {"type": "string", "maxLength": 64},
    },
}
