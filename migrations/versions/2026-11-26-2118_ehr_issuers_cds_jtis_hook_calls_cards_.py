"""ehr issuers, cds jtis, hook calls, cards, feedback

Revision ID: a783bd4267a1
Revises: f2f52131266d
Create Date: 2026-11-26 21:18:52.993878
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a783bd4267a1"
down_revision: str | None = "f2f52131266d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cds_jtis",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_jtis")),
        sa.UniqueConstraint("issuer", "jti", name="uq_cds_jtis_issuer_jti"),
    )
    with op.batch_alter_table("cds_jtis", schema=None) as batch_op:
        batch_op.create_index("ix_cds_jtis_expires", ["expires_at"], unique=False)

    op.create_table(
        "ehr_issuers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "jwks",
            JSON_DOCUMENT,
            nullable=True,
        ),
        sa.Column("jwks_url", sa.String(length=2000), nullable=True),
        sa.Column(
            "allowed_algs",
            JSON_DOCUMENT,
            nullable=False,
        ),
        sa.Column(
            "ehr_tenants",
            JSON_DOCUMENT,
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_clients.id"], name=op.f("fk_ehr_issuers_client_id_api_clients")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ehr_issuers_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehr_issuers")),
        sa.UniqueConstraint("issuer", name=op.f("uq_ehr_issuers_issuer")),
    )
    with op.batch_alter_table("ehr_issuers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ehr_issuers_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cds_hook_calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("hook_instance", sa.String(length=128), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("hook", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_cds_hook_calls_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cds_hook_calls_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_hook_calls")),
        sa.UniqueConstraint("issuer", "hook_instance", name="uq_cds_hook_calls_issuer_instance"),
    )
    with op.batch_alter_table("cds_hook_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cds_hook_calls_tenant_created", ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "cds_cards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("hook_call_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("indicator", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hook_call_id"],
            ["cds_hook_calls.id"],
            name=op.f("fk_cds_cards_hook_call_id_cds_hook_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cds_cards_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_cards")),
    )
    with op.batch_alter_table("cds_cards", schema=None) as batch_op:
        batch_op.create_index("ix_cds_cards_tenant_rule", ["tenant_id", "rule_id"], unique=False)

    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column(
            "accepted_suggestions",
            JSON_DOCUMENT,
            nullable=True,
        ),
        sa.Column("override_system", sa.String(length=255), nullable=True),
        sa.Column("override_code", sa.String(length=64), nullable=True),
        sa.Column("override_display", sa.String(length=255), nullable=True),
        sa.Column("user_comment", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cds_cards.id"], name=op.f("fk_cds_feedback_card_id_cds_cards")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cds_feedback_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_feedback")),
        sa.UniqueConstraint(
            "card_id", "outcome", "outcome_at", name="uq_cds_feedback_card_outcome"
        ),
    )
    with op.batch_alter_table("cds_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cds_feedback_tenant_rule", ["tenant_id", "rule_id", "ruleset_version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cds_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_feedback_tenant_rule")

    op.drop_table("cds_feedback")
    with op.batch_alter_table("cds_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_cards_tenant_rule")

    op.drop_table("cds_cards")
    with op.batch_alter_table("cds_hook_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_hook_calls_tenant_created")

    op.drop_table("cds_hook_calls")
    with op.batch_alter_table("ehr_issuers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ehr_issuers_tenant_id"))

    op.drop_table("ehr_issuers")
    with op.batch_alter_table("cds_jtis", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_jtis_expires")

    op.drop_table("cds_jtis")
