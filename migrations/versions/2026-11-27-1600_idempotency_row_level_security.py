"""row-level security on idempotency records (PostgreSQL only)

Stored idempotent responses hold the patient data of the answer they replay (a plan, a
disclosure's labelled records), so they get the same second wall between tenants as the
patient-data tables (c1a0d17e0002). The table has no tenant column: a record is its API
client's, and a client belongs to one tenant, so the policy admits the records of the
clients of the bound tenant.

Revision ID: c1a0d17e0008
Revises: c1a0d17e0007
Create Date: 2026-11-27 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c1a0d17e0008"
down_revision: str | None = "c1a0d17e0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENT = "NULLIF(current_setting('kratom_cds.tenant_id', true), '')::uuid"
_BYPASS = "current_setting('kratom_cds.rls_bypass', true) = 'on'"
_OWN = f"client_id IN (SELECT id FROM api_clients WHERE tenant_id = {_CURRENT})"  # noqa: S608 - constants
_CONDITION = f"({_BYPASS} OR {_OWN})"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE idempotency_records ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE idempotency_records FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON idempotency_records "
        f"USING {_CONDITION} WITH CHECK {_CONDITION}"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY tenant_isolation ON idempotency_records")
    op.execute("ALTER TABLE idempotency_records NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE idempotency_records DISABLE ROW LEVEL SECURITY")
