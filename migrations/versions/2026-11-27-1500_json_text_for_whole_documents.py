"""PostgreSQL json (text) instead of jsonb for documents stored and read whole

Assessments (document, scores) and evaluations (plans, plan_revisions) are written once and
read whole; no query looks inside them. ``jsonb`` parsed each one into its binary form on
insert and printed it back on read: for a 75 KB evaluation, 0.8 ms of PostgreSQL CPU per
insert and 0.2 ms per read, twice per new plan (plan and first revision). ``json`` keeps the
exact text written (keys in our order, nothing re-encoded). The lz4 compression set by
c1a0d17e0004 is set again in the same statement as the type change (the rewrite keeps every
row in lz4). SQLite stores JSON as text already.

On PostgreSQL the type change rewrites the four columns' tables under an exclusive lock:
on a large installation, run this upgrade in a maintenance window.

Revision ID: c1a0d17e0007
Revises: c1a0d17e0006
Create Date: 2026-11-27 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "c1a0d17e0007"
down_revision: str | None = "c1a0d17e0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "plans": ("evaluation",),
    "plan_revisions": ("evaluation",),
    "assessments": ("document", "scores"),
}


def _retype(type_: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    lz4 = bind.execute(
        text(
            "SELECT 1 FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
    ).first()
    for table, columns in COLUMNS.items():
        # One statement per table: the table is rewritten once, and a type change resets the
        # column's compression, so lz4 is set in the same statement for the rewrite to use
        # it (set afterwards, only new rows would get it).
        actions = []
        for column in columns:
            actions.append(f"ALTER COLUMN {column} TYPE {type_} USING {column}::{type_}")
            if lz4 is not None:
                actions.append(f"ALTER COLUMN {column} SET COMPRESSION lz4")
        op.execute(f"ALTER TABLE {table} {', '.join(actions)}")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    # jsonb refuses a NUL (\u0000) that json keeps: the API refuses NUL in every request, so
    # none is stored through it; a row written around the API could stop this downgrade.
    _retype("jsonb")
