"""Deleting stored data past its retention period, in the background of each worker.

Two stores hold patient data only to answer a retry, so they are not kept for ever:
- Idempotency-Key records hold the response they replay; kept at least 24 hours
  (design.md section 3), deleted after ``idempotency_retention_hours``.
- Stored CDS Hooks responses (the cards, with the patient's findings) replay a repeated
  hookInstance; cleared after ``hook_response_retention_hours``. Their rows stay (cards,
  feedback and analytics refer to them; a card keeps its suggestion ids for feedback).
Every worker runs the purge (it is idempotent, and a worker that stops does not stop the
others); ``kratom-cds purge`` runs it once, for deployments that prefer a scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, Update, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database, utc_now
from app.models import CdsHookCall, IdempotencyRecord
from app.tenancy import bypass_row_security

log = logging.getLogger("kratom_cds.retention")

FIRST_RUN_MAX_DELAY_S = 60.0  # soon after start, but not while it is warming up
MIN_RETENTION = timedelta(hours=24)  # design.md section 3; hookInstance retries come sooner
PURGE_BATCH = 1000  # rows per statement: a short write each, so requests are not held up


@dataclass(frozen=True, slots=True)
class Purged:
    idempotency_records: int
    hook_responses: int


async def purge_once(db: Database, settings: Settings) -> Purged:
    async with db.session(write=True) as session:
        return Purged(
            idempotency_records=await purge_idempotency_records(
                session, older_than=timedelta(hours=settings.idempotency_retention_hours)
            ),
            hook_responses=await clear_hook_responses(
                session, older_than=timedelta(hours=settings.hook_response_retention_hours)
            ),
        )


async def purge_idempotency_records(session: AsyncSession, *, older_than: timedelta) -> int:
    """Delete Idempotency-Key records older than the retention period. Returns how many."""
    batch = select(IdempotencyRecord.id).where(IdempotencyRecord.created_at < _cutoff(older_than))
    statement = delete(IdempotencyRecord).where(
        IdempotencyRecord.id.in_(batch.limit(PURGE_BATCH).scalar_subquery())
    )
    return await _in_batches(session, statement)


async def clear_hook_responses(session: AsyncSession, *, older_than: timedelta) -> int:
    """Clear stored CDS Hooks responses older than the retention period. Returns how many."""
    batch = select(CdsHookCall.id).where(
        CdsHookCall.created_at < _cutoff(older_than), CdsHookCall.response.is_not(None)
    )
    statement = (
        update(CdsHookCall)
        .where(CdsHookCall.id.in_(batch.limit(PURGE_BATCH).scalar_subquery()))
        .values(response=None)
    )
    return await _in_batches(session, statement)


def _cutoff(older_than: timedelta) -> datetime:
    if older_than < MIN_RETENTION:
        raise ValueError("Stored replays are kept at least 24 hours.")
    return utc_now() - older_than


async def _in_batches(session: AsyncSession, statement: Delete | Update) -> int:
    """Run the statement (it touches at most ``PURGE_BATCH`` rows, each batch its own
    transaction) until a batch touches fewer. Reads across tenants: row-level security is
    bypassed for these transactions only."""
    total = 0
    while True:
        await bypass_row_security(session)
        result = await session.execute(statement)
        await session.commit()
        touched = int(getattr(result, "rowcount", 0) or 0)
        total += touched
        if touched < PURGE_BATCH:
            return total


async def _purge_forever(db: Database, settings: Settings) -> None:
    interval = float(settings.purge_interval_seconds)
    # Spread the workers' runs, so they rarely delete at the same moment.
    delay = random.uniform(0.1, 1.0) * min(interval, FIRST_RUN_MAX_DELAY_S)  # noqa: S311 (timing)
    while True:
        await asyncio.sleep(delay)
        try:
            purged = await purge_once(db, settings)
        except Exception as exc:  # a failed purge is retried next time; the service goes on
            log.warning("retention purge failed (%s)", type(exc).__name__)
        else:
            if purged.idempotency_records or purged.hook_responses:
                log.info(
                    "purged: %d idempotency record(s), %d hook response(s)",
                    purged.idempotency_records,
                    purged.hook_responses,
                )
        delay = random.uniform(0.9, 1.1) * interval  # noqa: S311 (timing, not security)


def start(db: Database, settings: Settings) -> asyncio.Task[None] | None:
    """The worker's purge task, or None when ``purge_interval_seconds`` is 0."""
    if settings.purge_interval_seconds == 0:
        return None
    return asyncio.create_task(_purge_forever(db, settings), name="kratom-cds-purge")


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
