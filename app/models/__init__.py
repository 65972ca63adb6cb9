"""Every ORM model, imported here so ``Base.metadata`` is complete for Alembic."""

from app.models.assessment import Assessment
from app.models.audit import AuditChainHead, AuditEvent
from app.models.consent import PlanConsent, PlanDisclosure
from app.models.ehr import CdsCard, CdsFeedback, CdsHookCall, CdsJti, EhrIssuer  # EHR integration
from app.models.plan import IdempotencyRecord, Plan, PlanDecision, PlanEvent, PlanRevision
from app.models.tenant import ApiClient, Tenant

__all__ = [
    "ApiClient",
    "Assessment",
    "AuditChainHead",
    "AuditEvent",
    "CdsCard",
    "CdsFeedback",
    "CdsHookCall",
    "CdsJti",
    "EhrIssuer",
    "IdempotencyRecord",
    "Plan",
    "PlanConsent",
    "PlanDecision",
    "PlanDisclosure",
    "PlanEvent",
    "PlanRevision",
    "Tenant",
]
