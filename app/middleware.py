"""ASGI middleware: request ids and the request body size limit (checked before parsing)."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import send_problem

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` or makes one, and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        made = uuid.uuid4().hex
        request_id = incoming if _REQUEST_ID.match(incoming) else made
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        # The audit trail's id for this request must be unique (disclosures are joined to
        # their audit events by it), and a client may send one X-Request-ID twice: the
        # client's id, suffixed with a server part, still correlates with the logs.
        state["audit_request_id"] = made if request_id == made else f"{request_id[:55]}.{made[:8]}"

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """413 for bodies over the limit, by Content-Length or while streaming (chunked)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._reject(scope, send)
            return
        # Read the whole body (up to the limit) before the app sees anything: the app opens the
        # request's database transaction before it parses the body, and on SQLite transactions
        # take turns, so a slow upload must not hold one open.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._reject(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        # Answered before routing: the instance is "", never the raw path (which can carry a
        # patient reference).
        await send_problem(
            scope,
            send,
            status=413,
            slug="body-too-large",
            title="Request body too large",
            detail=f"The body exceeds the limit of {self.max_bytes} bytes.",
            headers=[(b"connection", b"close")],
        )
