"""cds_hook_calls.request_hash: a repeated hookInstance replays only the same request

A stored answer was replayed for any request that repeated its (issuer, hookInstance,
service): a second request naming another patient (or other prefetch data) under the same
hookInstance got the first patient's cards, and was audited as a disclosure for the second.
The hash of the request (hook, context, prefetch, fhirServer) is now stored with the answer;
a repeat whose hash differs is refused (409). Rows stored before have no hash: a repeat of
one of those is refused too (its request cannot be compared), and they expire with their
response within the retention period.

Revision ID: c1a0d17e0012
Revises: c1a0d17e0011
Create Date: 2026-11-28 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a0d17e0012"
down_revision: str | None = "c1a0d17e0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cds_hook_calls") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cds_hook_calls") as batch:
        batch.drop_column("request_hash")
