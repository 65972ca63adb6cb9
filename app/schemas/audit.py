"""Response bodies of the audit trail and the accounting of disclosures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.schemas.base import ReadModel

AuditAction = Literal[
    "read", "list", "search", "create", "update", "evaluate", "disclose", "break_glass"
]
AuditOutcome = Literal["success", "denied", "forbidden", "not_found", "rejected", "error"]

_CURSOR_DESCRIPTION = "Pass as `cursor` to get the next page; null on the last page."


class AuditEventRead(ReadModel):
    """One audited request: who, what, which patient, how it ended, and its chain link."""

    id: uuid.UUID = Field(description="Event id.")
    seq: int = Field(ge=1, description="Position in the tenant's hash chain (1, 2, 3...).")
    occurred_at: datetime = Field(description="When the event was recorded (UTC).")
    request_id: str = Field(max_length=64, description="The request's `X-Request-ID`.")
    client_id: uuid.UUID | None = Field(description="The API client (null when unknown).")
    user_id: str | None = Field(
        max_length=128,
        description="The end user: the `X-User-Id` header, or CDS Hooks `context.userId`.",
    )
    patient_ref: str | None = Field(
        max_length=64, description="The patient whose data was touched, where known."
    )
    resource_type: str = Field(
        max_length=32,
        description="`assessment`, `plan`, `plan_revision`, `plan_history`, `plan_decision`, "
        "`plan_fhir`, `fhir_bundle`, `cds_service`, `audit_event` or `disclosure`.",
        examples=["plan"],
    )
    resource_id: str | None = Field(max_length=64, description="The resource's id, when any.")
    action: AuditAction = Field(description="What was attempted.")
    outcome: AuditOutcome = Field(
        description="`success`; `denied` (401), `forbidden` (403), `not_found` (404), "
        "`rejected` (another 4xx), `error` (5xx)."
    )
    method: str = Field(max_length=8, description="HTTP method.", examples=["GET"])
    route: str = Field(
        max_length=128,
        description="Route template (never the raw path).",
        examples=["/v1/plans/{plan_id}"],
    )
    http_status: int = Field(ge=100, le=599, description="The response status.")
    prev_hash: str = Field(
        max_length=64, description="`hash` of the previous event in the chain (64 zeros first)."
    )
    hash: str = Field(
        max_length=64,
        description="sha256 over this event's canonical JSON, `prev_hash` included.",
    )


class AuditEventPage(ReadModel):
    """One page of audit events, newest first."""

    items: list[AuditEventRead] = Field(max_length=500, description="This page's events.")
    next_cursor: str | None = Field(default=None, max_length=200, description=_CURSOR_DESCRIPTION)


class DisclosureRead(ReadModel):
    """One disclosure: a successful request that handed the patient's data to a recipient."""

    event_id: uuid.UUID = Field(description="The audit event recording it.")
    occurred_at: datetime = Field(description="When (UTC).")
    client_id: uuid.UUID | None = Field(description="The API client that received the data.")
    client_name: str | None = Field(max_length=64, description="That client's label.")
    user_id: str | None = Field(max_length=128, description="The end user, when given.")
    action: AuditAction = Field(description="How the data was obtained.")
    resource_type: str = Field(max_length=32, description="What was disclosed.")
    resource_id: str | None = Field(max_length=64, description="Its id, when any.")
    method: str = Field(max_length=8, description="HTTP method.")
    route: str = Field(max_length=128, description="Through which route (template).")
    request_id: str = Field(max_length=64, description="The request's id.")
    recipient: str | None = Field(
        max_length=128,
        description="For `disclose` (outside the organisation): the recipient named.",
    )
    purpose: str | None = Field(max_length=32, description="For `disclose`: the purpose.")
    basis: str | None = Field(
        max_length=24, description="For `disclose`: `consent` or `medical_emergency`."
    )


class DisclosurePage(ReadModel):
    """One page of a patient's accounting of disclosures, newest first."""

    patient_ref: str = Field(max_length=64, description="The patient.")
    items: list[DisclosureRead] = Field(max_length=500, description="This page's disclosures.")
    next_cursor: str | None = Field(default=None, max_length=200, description=_CURSOR_DESCRIPTION)
