"""PostgreSQL json (text) for the plan parts shown under a strong ETag

A plan's follow-up schedule, relapse-prevention plan and suggested phase, and a revision's
diff and suggested phase, were jsonb: PostgreSQL stored them parsed and printed them back
with its own key order, so the body of GET /v1/plans/{id} differed byte for byte from the
201 of its creation under the same strong ETag (RFC 9110 8.8.1: a strong validator changes
with the bytes). ``json`` keeps the text as written, as for the evaluations (c1a0d17e0007);
nothing queries inside these columns. SQLite stores JSON as text already.

Revision ID: c1a0d17e0011
Revises: c1a0d17e0010
Create Date: 2026-11-27 19:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c1a0d17e0011"
down_revision: str | None = "c1a0d17e0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "plans": ("suggested_phase", "follow_up", "relapse_prevention"),
    "plan_revisions": ("diff", "suggested_phase"),
}


def _retype(type_: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        actions = ", ".join(f"ALTER COLUMN {c} TYPE {type_} USING {c}::{type_}" for c in columns)
        op.execute(f"ALTER TABLE {table} {actions}")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
