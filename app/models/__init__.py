"""Every ORM model, imported here so ``Base.metadata`` is complete for Alembic."""

from app.models.assessment import Assessment
from app.models.tenant import ApiClient, Tenant

__all__ = ["ApiClient", "Assessment", "Tenant"]
