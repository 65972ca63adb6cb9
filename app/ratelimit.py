"""Per-client rate limit: a token bucket per API client or CDS Hooks issuer, kept in this
worker's memory.

Keyed by the caller's client id only (an API client, or the registration of an EHR issuer
whose JWT was verified; never by anything from the request body or path). Each
worker process has its own buckets, so with N workers a client can reach N times the
configured rate; the README states this and the plan for a shared store. A bucket per
request in the database would cost a write per request (about half of SQLite's throughput).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import DomainError

#: Response headers (IETF draft-ietf-httpapi-ratelimit-headers), set on authenticated responses.
LIMIT_HEADER = "RateLimit-Limit"
REMAINING_HEADER = "RateLimit-Remaining"
RESET_HEADER = "RateLimit-Reset"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int  # seconds until one request is allowed (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (LIMIT_HEADER.lower().encode(), str(self.limit).encode()),
            (REMAINING_HEADER.lower().encode(), str(self.remaining).encode()),
            (RESET_HEADER.lower().encode(), str(self.reset_s).encode()),
        ]


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, decision: Decision) -> None:
        super().__init__(
            f"This client's rate limit is {decision.limit} requests at once, refilled "
            f"continuously; retry after {decision.retry_after_s} s.",
            headers={
                "Retry-After": str(decision.retry_after_s),
                **{k.decode(): v.decode() for k, v in decision.headers()},
            },
        )


class RateLimiter:
    """Token buckets: ``burst`` requests at once, refilled at ``per_minute / 60`` per second."""

    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = per_minute > 0
        self.capacity = float(burst)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[uuid.UUID, tuple[float, float]] = {}

    def take(self, client_id: uuid.UUID) -> Decision:
        """Spend one token of the client's bucket if it has one."""
        now = self.clock()
        tokens, last = self._buckets.get(client_id, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[client_id] = (tokens, now)
        return Decision(
            allowed=allowed,
            limit=int(self.capacity),
            remaining=int(tokens),
            reset_s=math.ceil((self.capacity - tokens) / self.rate),
            retry_after_s=0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate)),
        )


def enforce(request: Request, client_id: uuid.UUID) -> None:
    """Spend one of the authenticated caller's tokens (429 when it has none). Called only
    after the caller is authenticated, so a forged request cannot drain another's bucket.
    The decision is left in the request state for the RateLimit-* response headers."""
    limiter: RateLimiter = request.app.state.rate_limiter
    if not limiter.enabled:
        return
    decision = limiter.take(client_id)
    request.state.rate_limit = decision
    if not decision.allowed:
        raise RateLimited(decision)


class RateLimitHeadersMiddleware:
    """Adds the RateLimit-* headers the authenticating dependency left in the request state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = scope.get("state", {}).get("rate_limit")
                if isinstance(decision, Decision):
                    existing = {k.lower() for k, _ in message.get("headers", [])}
                    message["headers"] = [
                        *message.get("headers", []),
                        *[(k, v) for k, v in decision.headers() if k not in existing],
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
