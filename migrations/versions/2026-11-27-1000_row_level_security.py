"""row-level security on the patient-data tables (PostgreSQL only)

Revision ID: c1a0d17e0002
Revises: c1a0d17e0001
Create Date: 2026-11-27 10:00:00.000000

A second wall between tenants (app/tenancy.py): each patient-data table shows and accepts only
rows of the tenant named by the transaction-local setting `kratom_cds.tenant_id`, which the
service sets once a request is authenticated. FORCE makes the policy apply to the tables' owner
too (the service usually runs as the role that owns them); superusers always bypass it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c1a0d17e0002"
down_revision: str | None = "c1a0d17e0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "assessments",
    "plans",
    "plan_revisions",
    "plan_events",
    "plan_decisions",
    "cds_hook_calls",
    "cds_cards",
    "cds_feedback",
)
_CURRENT = "NULLIF(current_setting('kratom_cds.tenant_id', true), '')::uuid"
_BYPASS = "current_setting('kratom_cds.rls_bypass', true) = 'on'"


def _policy(table: str, match: str) -> tuple[str, ...]:
    condition = f"({_BYPASS} OR {match})"
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING {condition} WITH CHECK {condition}",
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for statement in _policy(table, f"tenant_id = {_CURRENT}"):
            op.execute(statement)
    # Refused requests (401) have no tenant: an unbound session sees only those rows.
    for statement in _policy("audit_events", f"tenant_id IS NOT DISTINCT FROM {_CURRENT}"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*TABLES, "audit_events"):
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
