"""Deleting stored data past its retention period, in the background of each worker.

Idempotency-Key records hold the response they replay (patient data); they must be kept at
least 24 hours (design.md section 3) and are deleted after ``idempotency_retention_hours``.
Every worker runs the purge (deleting is idempotent, and a worker that stops does not stop
the others); ``kratom-cds purge`` runs it once, for deployments that prefer a scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta

from app.config import Settings
from app.db import Database
from app.services.idempotency import purge_expired

log = logging.getLogger("kratom_cds.retention")

FIRST_RUN_MAX_DELAY_S = 60.0  # soon after start, but not while it is warming up


async def purge_once(db: Database, settings: Settings) -> int:
    async with db.session(write=True) as session:
        return await purge_expired(
            session, older_than=timedelta(hours=settings.idempotency_retention_hours)
        )


async def _purge_forever(db: Database, settings: Settings) -> None:
    interval = float(settings.purge_interval_seconds)
    # Spread the workers' runs, so they rarely delete at the same moment.
    delay = random.uniform(0.1, 1.0) * min(interval, FIRST_RUN_MAX_DELAY_S)  # noqa: S311 (timing)
    while True:
        await asyncio.sleep(delay)
        try:
            deleted = await purge_once(db, settings)
        except Exception as exc:  # a failed purge is retried next time; the service goes on
            log.warning("idempotency purge failed (%s)", type(exc).__name__)
        else:
            if deleted:
                log.info("idempotency records purged: %d", deleted)
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
