"""The audit trail in the database: append to a hash chain, verify it, query it.

``hash = sha256(canonical JSON of the row, prev_hash included)``; ``prev_hash`` of the first
event of a chain is 64 zeros. Appending takes the chain head's row lock (an UPDATE ...
RETURNING, held to commit) so concurrent writers on PostgreSQL append one after another; on
SQLite the app's writer lock already serialises writers. Three small statements per chain
and transaction, however many events it appends: bump the head, insert the events, store the
new head hash.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Integer, Select, Table, bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import insert_ignoring_duplicates, utc_now
from app.models import ApiClient, AuditChainHead, AuditEvent, PlanDisclosure
from app.models.audit import SYSTEM_CHAIN
from app.tenancy import set_row_tenant

GENESIS_HASH = "0" * 64

# The fields the hash covers, in this order (the JSON keys are sorted anyway).
HASHED_FIELDS = (
    "id",
    "chain",
    "seq",
    "tenant_id",
    "occurred_at",
    "request_id",
    "client_id",
    "user_id",
    "patient_ref",
    "resource_type",
    "resource_id",
    "action",
    "outcome",
    "method",
    "route",
    "http_status",
    "prev_hash",
)

# Actions whose success hands patient data to the caller: the accounting of disclosures.
DISCLOSING_ACTIONS = ("read", "list", "evaluate", "create", "update", "disclose", "break_glass")
# Audit-of-the-audit rows (reading the trail) are not disclosures of patient data.
AUDIT_RESOURCES = ("audit_event", "disclosure")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What the request recorder knows; the chain fields are added on append."""

    tenant_id: uuid.UUID | None
    request_id: str
    client_id: uuid.UUID | None
    user_id: str | None
    patient_ref: str | None
    resource_type: str
    resource_id: str | None
    action: str
    outcome: str
    method: str
    route: str
    http_status: int


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if value is None or isinstance(value, str | int):
        return value
    return str(value)  # UUIDs (uuid.UUID or asyncpg's own class)


def event_hash(row: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the hashed fields (prev_hash included)."""
    canonical = {name: _canonical_value(row[name]) for name in HASHED_FIELDS}
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


def chain_of(tenant_id: uuid.UUID | None) -> str:
    return str(tenant_id) if tenant_id is not None else SYSTEM_CHAIN


# Built once, run as Core statements on the session's connection: every audited request
# appends, and building ORM-enabled statements per call (values(), cache keys, the ORM bulk
# path) cost more than executing them.
_HEADS = cast(Table, AuditChainHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_BUMP_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("head_chain"))
    .values(seq=_HEADS.c.seq + bindparam("head_count", type_=Integer))
    .returning(_HEADS.c.seq, _HEADS.c.hash)
)
_STORE_HEAD_HASH = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("head_chain"))
    .values(hash=bindparam("head_hash"))
)
_INSERT_EVENT = insert(_EVENTS)
# PostgreSQL: the event insert rides along with the head update as a data-modifying CTE (run
# exactly once, to completion), one round trip instead of two. SQLite has no DML in WITH and
# no round trips to save.
_INSERT_EVENT_AND_STORE_HEAD = _STORE_HEAD_HASH.add_cte(
    insert(_EVENTS)
    .values({c.name: bindparam(f"event_{c.name}", type_=c.type) for c in _EVENTS.c})
    .cte("stored_event")
)
_NEW_HEAD = {
    dialect: statement.values(chain=bindparam("head_chain"), seq=0, hash=GENESIS_HASH)
    for dialect, statement in insert_ignoring_duplicates(_HEADS, ["chain"]).items()
}


async def _bump_head(connection: AsyncConnection, chain: str, count: int) -> tuple[int, str]:
    """Lock the chain head and advance it by ``count``: (the last new seq, the previous hash)."""
    params = {"head_chain": chain, "head_count": count}
    row = (await connection.execute(_BUMP_HEAD, params)).first()
    if row is None:
        await connection.execute(_NEW_HEAD[connection.dialect.name], params)
        row = (await connection.execute(_BUMP_HEAD, params)).one()
    return int(row.seq), str(row.hash)


def _event_row(entry: AuditEntry, chain: str, seq: int, prev_hash: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "chain": chain,
        "seq": seq,
        "tenant_id": entry.tenant_id,
        "occurred_at": utc_now(),
        "request_id": entry.request_id,
        "client_id": entry.client_id,
        "user_id": entry.user_id,
        "patient_ref": entry.patient_ref,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "action": entry.action,
        "outcome": entry.outcome,
        "method": entry.method,
        "route": entry.route,
        "http_status": entry.http_status,
        "prev_hash": prev_hash,
    }
    row["hash"] = event_hash(row)
    return row


async def append_event(session: AsyncSession, entry: AuditEntry) -> dict[str, Any]:
    """Append one event to its chain in the caller's transaction (the caller commits)."""
    return (await append_events(session, [entry]))[0]


async def append_events(
    session: AsyncSession, entries: Sequence[AuditEntry], *, set_tenant: bool = False
) -> list[dict[str, Any]]:
    """Append events, in order, to their chains in the caller's transaction (the caller
    commits): per chain, one head bump, one insert and one head update, however many events.

    ``set_tenant``: the session is not bound to one tenant (a batch of several tenants'
    events); on PostgreSQL each chain's rows are written under its own tenant setting, so
    row-level security admits them."""
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    by_chain: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_chain.setdefault(chain_of(entry.tenant_id), []).append(entry)
    rows: dict[int, dict[str, Any]] = {}
    for chain, group in by_chain.items():
        if set_tenant and postgres:
            await set_row_tenant(connection, group[0].tenant_id)
        last, prev_hash = await _bump_head(connection, chain, len(group))
        chain_rows = []
        for seq, entry in enumerate(group, start=last - len(group) + 1):
            row = _event_row(entry, chain, seq, prev_hash)
            prev_hash = row["hash"]
            chain_rows.append(row)
            rows[id(entry)] = row
        head = {"head_chain": chain, "head_hash": prev_hash}
        if postgres and len(chain_rows) == 1:
            event = {f"event_{name}": value for name, value in chain_rows[0].items()}
            await connection.execute(_INSERT_EVENT_AND_STORE_HEAD, event | head)
        else:
            await connection.execute(_INSERT_EVENT, chain_rows)
            await connection.execute(_STORE_HEAD_HASH, head)
    return [rows[id(entry)] for entry in entries]


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainBreak:
    chain: str
    event_id: uuid.UUID | None  # None: the head is wrong although every event checks out
    seq: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: str
    events: int
    broken: ChainBreak | None


_EVENT_COLUMNS = [getattr(AuditEvent, name) for name in (*HASHED_FIELDS, "hash")]


async def _chain_rows(
    session: AsyncSession, chain: str, *, batch: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        rows = (
            await session.execute(
                select(*_EVENT_COLUMNS)
                .where(AuditEvent.chain == chain, AuditEvent.seq > after)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        ).mappings()
        got = [dict(r) for r in rows]
        for row in got:
            yield row
        if len(got) < batch:
            return
        after = int(got[-1]["seq"])


async def verify_chain(session: AsyncSession, chain: str) -> ChainReport:
    """Walk one chain in order; the first event whose position, link or hash is wrong."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    async for row in _chain_rows(session, chain):
        count += 1
        reason = None
        if row["seq"] != expected_seq:
            reason = f"expected position {expected_seq}, found {row['seq']} (events missing)"
        elif row["prev_hash"] != prev_hash:
            reason = "prev_hash does not match the previous event (an event was removed)"
        elif event_hash(row) != row["hash"]:
            reason = "hash does not match the row's content (the row was altered)"
        if reason is not None:
            return ChainReport(chain, count, ChainBreak(chain, row["id"], row["seq"], reason))
        expected_seq, prev_hash = expected_seq + 1, row["hash"]
    head = (
        await session.execute(
            select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.chain == chain)
        )
    ).first()
    last_seq = expected_seq - 1
    if (head is None and last_seq > 0) or (
        head is not None and (head.seq != last_seq or head.hash != prev_hash)
    ):
        return ChainReport(
            chain,
            count,
            ChainBreak(
                chain, None, last_seq, "the chain head does not match the last event "
                "(the newest events were removed, or the head was altered)",
            ),
        )  # fmt: skip
    return ChainReport(chain, count, None)


async def chains(session: AsyncSession) -> list[str]:
    """Every chain that has a head or an event."""
    heads = (await session.execute(select(AuditChainHead.chain))).scalars().all()
    events = (await session.execute(select(AuditEvent.chain).distinct())).scalars().all()
    return sorted(set(heads) | set(events))


# --- queries ------------------------------------------------------------------------------------


def _page(query: Select[Any], after: tuple[datetime, uuid.UUID] | None, limit: int) -> Select[Any]:
    if after is not None:
        query = query.where(tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple_(*after))
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit + 1)


async def list_events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    patient_ref: str | None,
    action: str | None,
    outcome: str | None,
    client_id: uuid.UUID | None,
    user_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[dict[str, Any]], bool]:
    """The tenant's events, newest first; one page and whether another follows."""
    query = select(*_EVENT_COLUMNS).where(AuditEvent.tenant_id == tenant_id)
    filters = {
        AuditEvent.patient_ref: patient_ref,
        AuditEvent.action: action,
        AuditEvent.outcome: outcome,
        AuditEvent.client_id: client_id,
        AuditEvent.user_id: user_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    rows = [dict(r) for r in (await session.execute(_page(query, after, limit))).mappings()]
    return rows[:limit], len(rows) > limit


async def list_disclosures(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    patient_ref: str,
    *,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Who received this patient's data: successful disclosing events, newest first."""
    columns = (
        AuditEvent.id,
        AuditEvent.occurred_at,
        AuditEvent.client_id,
        ApiClient.name.label("client_name"),
        AuditEvent.user_id,
        AuditEvent.action,
        AuditEvent.resource_type,
        AuditEvent.resource_id,
        AuditEvent.method,
        AuditEvent.route,
        AuditEvent.request_id,
        PlanDisclosure.recipient,
        PlanDisclosure.purpose,
        PlanDisclosure.basis,
    )
    query = (
        select(*columns)
        .outerjoin(ApiClient, ApiClient.id == AuditEvent.client_id)
        .outerjoin(
            PlanDisclosure,
            AuditEvent.action.in_(("disclose", "break_glass"))
            & (PlanDisclosure.tenant_id == AuditEvent.tenant_id)
            & (PlanDisclosure.request_id == AuditEvent.request_id),
        )
        .where(
            AuditEvent.tenant_id == tenant_id,
            AuditEvent.patient_ref == patient_ref,
            AuditEvent.outcome == "success",
            AuditEvent.action.in_(DISCLOSING_ACTIONS),
            AuditEvent.resource_type.not_in(AUDIT_RESOURCES),
        )
    )
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    page = _page(cast("Select[Any]", query), after, limit)
    rows = [dict(r) for r in (await session.execute(page)).mappings()]
    return rows[:limit], len(rows) > limit
