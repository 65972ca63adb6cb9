"""Idempotency-Key handling for creating POSTs (design.md section 3).

The same key with the same request replays the stored response (status, Location, ETag,
body) without creating anything; the same key with a different request is 422; a duplicate
that arrives while the first is still running is 409. Keys are scoped per API client.

A key is claimed in its own committed transaction before the work starts, so a concurrent
duplicate sees the claim at once instead of waiting on the database; the response is stored in
the same transaction as the rows it describes, so a stored response always matches stored data.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlencode

import orjson
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from app.auditing import commit_audited, note
from app.db import utc_now
from app.errors import DomainError, RequestInvalid
from app.models import IdempotencyRecord
from app.security import Principal

REPLAYED_HEADERS = ("location", "etag", "content-type")
# A claim with no response after this long belongs to a request that died; it may be retaken.
ABANDONED_AFTER = timedelta(minutes=2)
KEY_PATTERN = r"^[A-Za-z0-9._:-]{8,128}$"


class IdempotencyInProgress(DomainError):
    status, slug, title = 409, "idempotency-in-progress", "Request already in progress"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """The same request means the same JSON, not the same bytes: a retry that re-serialises
    the body (other whitespace or key order) is still the same request."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body  # refused by validation anyway
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), canonical])).hexdigest()


def request_target(request: Request) -> str:
    """The path and the query as parsed: percent-decoded and sorted by name, so that a retry
    that orders or encodes its query differently (``a=1&b=2`` and ``b=2&a=1``; ``12:00`` and
    ``12%3A00``) is the same request. The sort is stable: repeated values of one name keep
    their order (the last one is the one a single-valued parameter takes). A request without
    a query is its path alone (as before the query was read)."""
    items = request.query_params.multi_items()
    if not items:
        return request.url.path
    return f"{request.url.path}?{urlencode(sorted(items, key=lambda item: item[0]))}"


def _patient_of(body: bytes | None) -> str | None:
    """The patient a stored answer is about (a plan, an assessment, a disclosure), so that
    a replay, which loads nothing, is still audited as a disclosure of that patient's data."""
    try:
        document = orjson.loads(body or b"")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    for holder in (document, document.get("disclosure")):
        if isinstance(holder, dict) and isinstance(holder.get("patient_ref"), str):
            return str(holder["patient_ref"])
    return None


def _replay(record: IdempotencyRecord) -> Response:
    note(patient_ref=_patient_of(record.body))
    headers = dict(record.headers or {})
    media_type = headers.pop("content-type", "application/json")
    headers["Idempotent-Replayed"] = "true"
    return Response(
        record.body or b"",
        status_code=record.status_code or 200,
        headers=headers,
        media_type=media_type,
    )


async def _claim(
    session: AsyncSession, principal: Principal, key: str, fingerprint: str
) -> Response | None:
    """Claim the key (committed), or answer from an earlier request with it."""
    record = None
    for _attempt in range(3):
        try:
            await session.execute(
                insert(IdempotencyRecord).values(
                    id=uuid.uuid4(),
                    client_id=principal.client_id,
                    key=key,
                    request_hash=fingerprint,
                    created_at=utc_now(),
                )
            )
            await session.commit()
            return None
        except IntegrityError:
            await session.rollback()
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.client_id == principal.client_id,
                    IdempotencyRecord.key == key,
                )
            )
        ).scalar_one_or_none()
        if record is not None:
            break
        # The holder failed and released the key between our insert and our read: claim again.
    if record is None:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still in progress.")
    if record.request_hash != fingerprint:
        raise RequestInvalid(
            [
                {
                    "pointer": "header:Idempotency-Key",
                    "detail": "This key was already used with a different request.",
                    "type": "idempotency_key_reused",
                }
            ]
        )
    if record.status_code is not None:
        return _replay(record)
    if utc_now() - record.created_at < ABANDONED_AFTER:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still in progress.")
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record.id)
        .values(created_at=utc_now())
    )
    await session.commit()
    return None


async def run_idempotent(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    request: Request,
    create: Callable[[], Awaitable[Response]],
    *,
    target: str | None = None,
    recheck: Callable[[], Awaitable[None]] | None = None,
) -> Response:
    """Run ``create`` (which must not commit) at most once per key; commit its work.

    ``target``: what identifies the request besides its body (default: its path and parsed
    query, ``request_target``); the fingerprint is only computed when there is a key, keeping
    keyless creates cheap.
    ``recheck``: run before a replay; it raises when what allowed the first answer no longer
    does (a disclosure whose consent was revoked since), and then nothing is replayed."""
    if key is None:
        response = await create()
        await commit_audited(session)  # the audit event commits with the work, or neither
        return response
    fingerprint = request_fingerprint(
        request.method, target or request_target(request), await request.body()
    )
    replay = await _claim(session, principal, key, fingerprint)
    if replay is not None:
        if recheck is not None:
            await recheck()
        return replay
    try:
        response = await create()
        headers = {k: v for k, v in response.headers.items() if k in REPLAYED_HEADERS}
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.client_id == principal.client_id, IdempotencyRecord.key == key)
            .values(status_code=response.status_code, headers=headers, body=bytes(response.body))
        )
        await commit_audited(session)
        return response
    except BaseException:
        await session.rollback()
        # Release the claim so a corrected retry with the same key is possible.
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.client_id == principal.client_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.status_code.is_(None),
            )
        )
        await session.commit()
        raise
