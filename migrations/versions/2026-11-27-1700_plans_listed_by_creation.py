"""plans are listed newest created first

The plan list paged on (updated_at, id): a plan edited while a client paged moved to the front
and was skipped. Paging on the immutable (created_at, id) keeps every walk complete; the
updated_at indexes stay for the updated_since filter.

Revision ID: c1a0d17e0009
Revises: c1a0d17e0008
Create Date: 2026-11-27 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c1a0d17e0009"
down_revision: str | None = "c1a0d17e0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_plans_tenant_created", "plans", ["tenant_id", "created_at", "id"])
    op.create_index(
        "ix_plans_tenant_patient_created", "plans", ["tenant_id", "patient_ref", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_plans_tenant_patient_created", table_name="plans")
    op.drop_index("ix_plans_tenant_created", table_name="plans")
