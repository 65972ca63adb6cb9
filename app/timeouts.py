"""Time budgets: the whole request (``request_timeout_s``) and each SQL statement
(``db_statement_timeout_ms``, PostgreSQL's ``statement_timeout``).

Either one over budget is a 503 problem with ``Retry-After``. Nothing is half-stored: the
timeout cancels the handler, the cancellation unwinds through the request's session, which
rolls the transaction back (``Database.session``); a cancelled statement aborts its
transaction on the server, which the same rollback ends.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from fastapi import FastAPI, Request
from sqlalchemy.exc import DBAPIError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response, send_problem

logger = logging.getLogger(__name__)

#: PostgreSQL's query_canceled: statement_timeout (or a cancel request) hit the statement.
QUERY_CANCELED = "57014"
RETRY_AFTER_S = "1"


class RequestTimeoutMiddleware:
    """Cancels a request that runs over its budget and answers 503 (if nothing was sent yet)."""

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_s) as budget:
                await self.app(scope, receive, send_tracking)
        except TimeoutError:
            if not budget.expired():
                raise
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            logger.warning("request timed out after %.1f s on %s", self.timeout_s, route)
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        await send_problem(
            scope,
            send,
            status=503,
            slug="request-timeout",
            title="Request timed out",
            detail=f"The request did not finish within {self.timeout_s:g} s and was "
            "cancelled. Nothing was stored; retry later.",
            headers=[(b"retry-after", RETRY_AFTER_S.encode())],
        )


def is_statement_timeout(exc: BaseException) -> bool:
    """The statement ran over its budget: PostgreSQL's statement_timeout cancelled it, or the
    SQLite progress handler interrupted it (app/sqlite_inline.py)."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and str(exc.orig) == "interrupted"


def is_database_busy(exc: BaseException) -> bool:
    """SQLite gave up waiting for another process's write lock (busy_timeout)."""
    return isinstance(exc, DBAPIError) and "database is locked" in str(exc.orig)


async def _database_timeout(request: Request, exc: Exception) -> Response:
    if not (is_statement_timeout(exc) or is_database_busy(exc)):
        raise exc  # any other database error: the generic 500 handler
    route = getattr(request.scope.get("route"), "path", None) or "unmatched"
    logger.warning("database timeout (%s) on %s", type(exc.orig).__name__, route)  # type: ignore[attr-defined]
    return problem_response(
        request,
        status=503,
        slug="database-timeout",
        title="Database timed out",
        detail="A database statement ran over its time budget and was cancelled. Nothing was "
        "stored; retry later.",
        headers={"Retry-After": RETRY_AFTER_S},
    )


def install_timeouts(app: FastAPI, *, request_timeout_s: float) -> None:
    app.add_exception_handler(DBAPIError, _database_timeout)
    app.add_middleware(RequestTimeoutMiddleware, timeout_s=request_timeout_s)
