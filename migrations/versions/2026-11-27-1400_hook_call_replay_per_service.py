"""cds_hook_calls: a hookInstance is replayed per service, not across services

An EHR may send the same hookInstance to more than one service (CDS Hooks 2.0: the id of the
hook firing, not of the service call); keyed on (issuer, hook_instance) alone, the second
service would have answered with the first one's cards.

Revision ID: c1a0d17e0006
Revises: c1a0d17e0005
Create Date: 2026-11-27 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c1a0d17e0006"
down_revision: str | None = "c1a0d17e0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cds_hook_calls") as batch:
        batch.drop_constraint("uq_cds_hook_calls_issuer_instance", type_="unique")
        batch.create_unique_constraint(
            "uq_cds_hook_calls_issuer_instance_service",
            ["issuer", "hook_instance", "service_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("cds_hook_calls") as batch:
        batch.drop_constraint("uq_cds_hook_calls_issuer_instance_service", type_="unique")
        batch.create_unique_constraint(
            "uq_cds_hook_calls_issuer_instance", ["issuer", "hook_instance"]
        )
