"""plan consents and disclosures (42 CFR Part 2), with row-level security on PostgreSQL

Revision ID: c1a0d17e0003
Revises: c1a0d17e0002
Create Date: 2026-11-27 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a0d17e0003"
down_revision: str | None = "c1a0d17e0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONDITION = (
    "(current_setting('kratom_cds.rls_bypass', true) = 'on' OR "
    "tenant_id = NULLIF(current_setting('kratom_cds.tenant_id', true), '')::uuid)"
)


def upgrade() -> None:
    op.create_table(
        "plan_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("consent_ref", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_client_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_consents_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_client_id"],
            ["api_clients.id"],
            name=op.f("fk_plan_consents_recorded_by_client_id_api_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_plan_consents_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_consents")),
    )
    op.create_index(
        "ix_plan_consents_tenant_plan", "plan_consents", ["tenant_id", "plan_id"], unique=False
    )
    op.create_table(
        "plan_disclosures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_ref", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=True),
        sa.Column("emergency_reason", sa.Text(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.id"],
            name=op.f("fk_plan_disclosures_client_id_api_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["plan_consents.id"],
            name=op.f("fk_plan_disclosures_consent_id_plan_consents"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_disclosures_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_plan_disclosures_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_disclosures")),
    )
    op.create_index(
        "ix_plan_disclosures_tenant_patient",
        "plan_disclosures",
        ["tenant_id", "patient_ref", "disclosed_at"],
        unique=False,
    )
    op.create_index(
        "ix_plan_disclosures_tenant_disclosed",
        "plan_disclosures",
        ["tenant_id", "disclosed_at", "id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("plan_consents", "plan_disclosures"):
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} "
                f"USING {_CONDITION} WITH CHECK {_CONDITION}"
            )


def downgrade() -> None:
    op.drop_index("ix_plan_disclosures_tenant_disclosed", table_name="plan_disclosures")
    op.drop_index("ix_plan_disclosures_tenant_patient", table_name="plan_disclosures")
    op.drop_table("plan_disclosures")
    op.drop_index("ix_plan_consents_tenant_plan", table_name="plan_consents")
    op.drop_table("plan_consents")
