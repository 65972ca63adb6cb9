"""Rows for several tables written together: on PostgreSQL as one statement, one round trip.

Creating a plan inserts an assessment, the plan, its first revision and a history event; a
CDS Hooks answer inserts the hook call and its cards. Sent one by one, each INSERT is a round
trip to PostgreSQL. ``InsertBatch`` sends them as one statement of data-modifying CTEs
(``WITH a AS (INSERT ...), b AS (INSERT ...) INSERT ...``): PostgreSQL runs every part exactly
once, and checks foreign keys at the end of the statement, so parents and children may share
it (a missing parent is still refused). SQLite has no DML in WITH, and no round trips to save:
there the rows go in table by table, in the order added.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

Row = dict[str, Any]
_Shape = tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]

# Statements by shape (tables, and the columns of each row): built and compiled once, reused.
_STATEMENTS: dict[_Shape, Insert] = {}
_MAX_STATEMENTS = 256


class InsertBatch:
    """Collect rows with ``add``, write them with ``execute`` in the session's transaction."""

    def __init__(self) -> None:
        self._parts: list[tuple[Table, list[Row]]] = []

    def add(self, table: Table, *rows: Row) -> None:
        """Rows for ``table``, each naming the same columns (as one executemany would) and
        every column that has a default: in one statement SQLAlchemy would bind a default
        under the column's own name, so two rows relying on it would clash."""
        if any(row.keys() != rows[0].keys() for row in rows[1:]):
            raise ValueError(f"rows for {table.name} name different columns")
        if rows:
            unnamed = _defaulted(table) - rows[0].keys()
            if unnamed:
                raise ValueError(f"rows for {table.name} must name {', '.join(sorted(unnamed))}")
        if rows:
            self._parts.append((table, list(rows)))

    async def execute(self, session: AsyncSession) -> None:
        parts, self._parts = self._parts, []
        connection = await session.connection()
        if connection.dialect.name != "postgresql" or len(parts) < 2:
            for table, rows in parts:
                await connection.execute(insert(table), rows if len(rows) > 1 else rows[0])
            return
        await connection.execute(_statement(parts), _params(parts))


_DEFAULTED: dict[str, frozenset[str]] = {}


def _defaulted(table: Table) -> frozenset[str]:
    """The columns of ``table`` that SQLAlchemy fills in itself when a row leaves them out."""
    names = _DEFAULTED.get(table.name)
    if names is None:
        names = _DEFAULTED[table.name] = frozenset(
            c.name for c in table.columns if c.default is not None
        )
    return names


def _key(part: int, row: int, column: str) -> str:
    # Never a bare column name: those are reserved for the VALUES clause of the statement.
    return f"p{part}r{row}_{column}"


def _params(parts: list[tuple[Table, list[Row]]]) -> Row:
    return {
        _key(p, r, column): value
        for p, (_table, rows) in enumerate(parts)
        for r, row in enumerate(rows)
        for column, value in row.items()
    }


def _statement(parts: list[tuple[Table, list[Row]]]) -> Insert:
    shape: _Shape = tuple((table.name, tuple(tuple(row) for row in rows)) for table, rows in parts)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        # One single-row INSERT per row: SQLAlchemy cannot cache the compiled form of a
        # multi-row VALUES insert (it recompiled the whole statement on every call, a fifth
        # of a CDS Hooks call's CPU); single-row ones it compiles once per shape.
        inserts = [
            insert(table).values({c: bindparam(_key(p, r, c), type_=table.c[c].type) for c in row})
            for p, (table, rows) in enumerate(parts)
            for r, row in enumerate(rows)
        ]
        *first, last = inserts
        statement = last.add_cte(*(part.cte(f"inserted_{n}") for n, part in enumerate(first)))
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        _STATEMENTS[shape] = statement
    return statement
