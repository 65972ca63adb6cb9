"""InsertBatch (app/services/inserts.py): rows for several tables in one write, parents and
children together, a missing parent still refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import make_engine
from app.services import inserts
from app.services.inserts import InsertBatch

metadata = MetaData()
suffix = uuid.uuid4().hex[:8]
parents = Table(f"t_batch_parent_{suffix}", metadata, Column("id", Integer, primary_key=True))
children = Table(
    f"t_batch_child_{suffix}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", ForeignKey(parents.c.id), nullable=False),
    Column("label", String(16)),
)


@pytest.fixture
async def session(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


async def counts(session: AsyncSession) -> tuple[int, int]:
    parent_count = (await session.execute(select(func.count()).select_from(parents))).scalar()
    child_count = (await session.execute(select(func.count()).select_from(children))).scalar()
    return int(parent_count or 0), int(child_count or 0)


def family(parent: int, label: str) -> InsertBatch:
    """A parent and two children (one with a NULL label), in one batch."""
    batch = InsertBatch()
    batch.add(parents, {"id": parent})
    children_rows = [{"id": parent * 10 + n, "parent_id": parent, "label": None} for n in (0, 1)]
    children_rows[0]["label"] = label
    batch.add(children, *children_rows)
    return batch


async def test_parents_and_children_in_one_batch(session: AsyncSession) -> None:
    await family(1, "a").execute(session)
    await session.commit()
    assert await counts(session) == (1, 2)
    labels = (await session.execute(select(children.c.label).order_by(children.c.id))).all()
    assert [row.label for row in labels] == ["a", None]
    # The same shape again reuses the statement built the first time.
    built = len(inserts._STATEMENTS)
    await family(2, "b").execute(session)
    await session.commit()
    assert await counts(session) == (2, 4)
    assert len(inserts._STATEMENTS) == built


def test_rows_must_name_the_columns_that_have_a_default() -> None:
    """Left to SQLAlchemy, a default is bound under the column's own name: two such rows in
    one statement clash (a CompileError at execute); refused when added instead."""
    stamped = Table(
        f"t_batch_stamped_{suffix}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("label", String(16), default="x"),
    )
    with pytest.raises(ValueError, match="must name label"):
        InsertBatch().add(stamped, {"id": 1}, {"id": 2})
    InsertBatch().add(stamped, {"id": 1, "label": "a"}, {"id": 2, "label": None})


def test_rows_of_one_table_must_name_the_same_columns() -> None:
    with pytest.raises(ValueError, match="different columns"):
        InsertBatch().add(children, {"id": 1, "parent_id": 1}, {"id": 2})


async def test_missing_parent_is_refused_and_nothing_is_written(session: AsyncSession) -> None:
    batch = InsertBatch()
    batch.add(parents, {"id": 3})
    batch.add(children, {"id": 30, "parent_id": 999})
    with pytest.raises(IntegrityError):
        await batch.execute(session)
    await session.rollback()
    assert await counts(session) == (0, 0)


def test_the_batch_statement_is_cacheable_by_sqlalchemy() -> None:
    """A multi-row VALUES insert has no cache key, so SQLAlchemy compiled it again on every
    call (a fifth of a CDS Hooks call's CPU); the batch must have one."""
    batch = family(4, "c")
    statement = inserts._statement(batch._parts)
    assert statement._generate_cache_key() is not None
