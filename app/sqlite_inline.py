"""SQLite for the async engine without a thread hop per call: ``sqlite+inline://``.

aiosqlite runs every cursor call on a helper thread and waits for it on the event loop; with
SQLite's calls taking microseconds, the hand-offs cost far more than the work (an API-key
lookup: about 2,200 CPU-µs through aiosqlite, 565 inline). This dialect runs the stdlib
``sqlite3`` calls inline on the event loop instead.

Running inline changes one thing that matters: a connection that waits for SQLite's write lock
waits *on the event loop*, so it would stall every coroutine, including the one holding the
lock (a stall until ``busy_timeout``, then "database is locked"). The dialect therefore
serialises transactions on the engine: a transaction begins only when no other task has one
open, so in-process connections never wait for each other inside SQLite, whichever session
writes (idempotency claims, jti records, audit rows) and however it was opened. With inline
execution the CPU work is serial anyway, so nothing is lost; only an ``await`` that really
suspends *inside* a transaction (network I/O) holds others up, and the app keeps those outside
transactions. The lock is re-entrant per task, so a task that opens a second session while its
first transaction is open does not deadlock on itself. Other *processes* (the CLI, a second
worker) are still handled by SQLite's ``busy_timeout``.

One call does leave the loop: the COMMIT of a transaction that wrote, which waits for fsync
(``synchronous=FULL``: 0.2 to several ms, far more than the statements). It runs on one helper
thread while the loop serves other requests' HTTP and validation work; the transaction keeps
its turn until the commit has finished, and a cancelled request still waits for its commit.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.engine.interfaces import (
    ConnectArgsType,
    DBAPIConnection,
    DBAPICursor,
    ExecutionContext,
)
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "inline"


def _raw(connection: Any) -> Any:
    """The sqlite3 connection behind a pool proxy (or the connection itself)."""
    return getattr(connection, "dbapi_connection", None) or connection


async def _nothing() -> None:
    return None


def _switch() -> None:
    """Pass through the greenlet boundary without touching the event loop.

    ``AsyncConnection.execute`` refuses drivers that never await (``AwaitRequired``); awaiting
    a coroutine that returns at once satisfies it for about a microsecond and no loop turn.
    """
    if in_greenlet():
        await_(_nothing())


def _start(cursor: Any) -> None:
    cursor.connection.statement_started = time.monotonic()


async def _deliver_due_cancellation() -> None:
    """Let a cancellation that fell due while inline statements held the loop reach this task.

    A request over its time budget is cancelled by a timer; while sqlite3 calls run inline the
    loop cannot fire it. Two loop turns are needed: the first moves the overdue timer into the
    ready queue behind this task's wake-up, the second runs it while the task still waits."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """``AsyncConnection.execute`` calls this on async drivers' cursors; nothing to do."""


class InlineConnection(sqlite3.Connection):
    #: When the statement now running started (the statement time budget counts from it).
    statement_started = 0.0

    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)

    def limit_statement_time(self, budget_ms: int) -> None:
        """SQLite's counterpart of PostgreSQL's statement_timeout: a statement running longer
        than the budget is interrupted (``OperationalError: interrupted``), which matters more
        here than on PostgreSQL because an inline statement holds the event loop."""
        budget_s = budget_ms / 1000

        def over_budget() -> bool:
            return time.monotonic() - self.statement_started > budget_s

        self.set_progress_handler(over_budget, 10_000)  # checked every 10,000 VM steps


class TransactionLock:
    """One open SQLite transaction per engine at a time; FIFO, re-entrant per asyncio task."""

    def __init__(self) -> None:
        self._owner: asyncio.Task[Any] | None = None
        self._holders: set[int] = set()  # ids of the sqlite3 connections holding one level
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._handed: asyncio.Future[None] | None = None  # woken waiter that now owns it

    @property
    def locked(self) -> bool:
        return bool(self._holders) or self._handed is not None

    def acquire(self, connection: Any) -> None:
        key = id(connection)
        if key in self._holders:
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no event loop: plain synchronous use, nothing to serialise
            task = None
        if not self.locked or (task is not None and task is self._owner and self._holders):
            self._owner = task
            self._holders.add(key)
            return
        if task is None or not in_greenlet():
            raise RuntimeError("the SQLite transaction lock is held and this caller cannot wait")
        waiter: asyncio.Future[None] = task.get_loop().create_future()
        self._waiters.append(waiter)
        try:
            await_(waiter)
        except BaseException:
            if self._handed is waiter:  # handed over as this task was cancelled: pass it on
                self._handed = None
                self._wake_next()
            else:
                waiter.cancel()
            raise
        self._handed = None
        self._owner = task
        self._holders.add(key)

    def release(self, connection: Any) -> None:
        key = id(connection)
        if key not in self._holders:
            return
        self._holders.discard(key)
        if not self._holders:
            self._owner = None
            self._wake_next()

    def _wake_next(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                # Hand over directly (FIFO, no barging): the woken task owns the lock.
                self._handed = waiter
                waiter.set_result(None)
                return


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """The pysqlite dialect, usable by ``create_async_engine``; see the module docstring."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transaction_lock = TransactionLock()
        self._changes_at_begin: dict[int, int] = {}
        self._committer: ThreadPoolExecutor | None = None

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        args, kwargs = super().create_connect_args(url)
        # SQLAlchemy, not the sqlite3 module, emits BEGIN (do_begin), so transactions cover
        # reads as well as writes and savepoints work.
        kwargs["isolation_level"] = None
        kwargs["check_same_thread"] = False
        kwargs["factory"] = InlineConnection
        return args, kwargs

    def do_begin(self, dbapi_connection: Any) -> None:
        raw = _raw(dbapi_connection)
        self.transaction_lock.acquire(raw)
        try:
            raw.execute("BEGIN")
            self._changes_at_begin[id(raw)] = raw.total_changes
        except BaseException:
            self.transaction_lock.release(raw)
            raise

    def do_commit(self, dbapi_connection: Any) -> None:
        raw = _raw(dbapi_connection)
        try:
            wrote = self._changes_at_begin.pop(id(raw), None) != raw.total_changes
            if wrote and in_greenlet():
                try:
                    # Past the commit nothing can be undone: a request already over its
                    # budget must be cancelled (and rolled back) before, not after.
                    await_(_deliver_due_cancellation())
                except BaseException:
                    raw.rollback()
                    raise
                await_(self._commit_off_loop(raw))
            else:
                raw.commit()  # nothing written: no fsync, nothing to wait for
        finally:
            self.transaction_lock.release(raw)

    async def _commit_off_loop(self, raw: Any) -> None:
        if self._committer is None:
            self._committer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")
        done = asyncio.get_running_loop().run_in_executor(self._committer, raw.commit)
        cancelled = False
        while True:
            try:
                await asyncio.shield(done)
                break
            except asyncio.CancelledError:
                # The commit cannot be called back, and the connection must not be touched
                # (or the next transaction begun) while it runs: wait, then be cancelled.
                if done.done():
                    raise
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    def do_rollback(self, dbapi_connection: Any) -> None:
        raw = _raw(dbapi_connection)
        self._changes_at_begin.pop(id(raw), None)
        try:
            raw.rollback()
        finally:
            self.transaction_lock.release(raw)

    def do_close(self, dbapi_connection: DBAPIConnection) -> None:
        raw = _raw(dbapi_connection)
        self._changes_at_begin.pop(id(raw), None)
        try:
            raw.close()
        finally:
            self.transaction_lock.release(raw)

    def do_execute(
        self,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None = None,  # noqa: ARG002 (SQLAlchemy's signature)
    ) -> None:
        _start(cursor)
        cursor.execute(statement, parameters)
        _switch()

    def do_execute_no_params(
        self,
        cursor: DBAPICursor,
        statement: str,
        context: ExecutionContext | None = None,  # noqa: ARG002 (SQLAlchemy's signature)
    ) -> None:
        _start(cursor)
        cursor.execute(statement)
        _switch()

    def do_executemany(
        self,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None = None,  # noqa: ARG002 (SQLAlchemy's signature)
    ) -> None:
        _start(cursor)
        cursor.executemany(statement, parameters)
        _switch()


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")
