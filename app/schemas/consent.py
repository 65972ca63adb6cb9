"""Consents (42 CFR 2.31) recorded against a plan, and disclosures made under them or under
the medical-emergency exception (42 CFR 2.51, "break-glass")."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from app.schemas.base import ApiModel, ReadModel, UtcDateTime, field_error

REF_PATTERN = r"^[A-Za-z0-9._:/-]+$"


class ConsentScope(StrEnum):
    """`tpo`: one consent for all future uses for treatment, payment and health care
    operations (42 CFR 2.33(a)(2), 2024 rule); `specific`: a named recipient and purpose."""

    tpo = "tpo"
    specific = "specific"


class Purpose(StrEnum):
    treatment = "treatment"
    payment = "payment"
    health_care_operations = "health_care_operations"
    research = "research"
    public_health = "public_health"
    other = "other"


TPO_PURPOSES = frozenset({Purpose.treatment, Purpose.payment, Purpose.health_care_operations})


class DisclosureBasis(StrEnum):
    consent = "consent"
    medical_emergency = "medical_emergency"


Recipient = Field(
    min_length=1,
    max_length=128,
    pattern=REF_PATTERN,
    description="Who receives the records: an organisation or system identifier (no names "
    "of people).",
    examples=["org:riverside-community-clinic"],
)


class ConsentIn(ApiModel):
    """A reference to the patient's signed consent (the document lives in the EHR)."""

    consent_ref: str = Field(
        min_length=1,
        max_length=64,
        pattern=REF_PATTERN,
        description="Id of the consent in the EHR (e.g. a FHIR Consent id).",
        examples=["Consent/part2-7781"],
    )
    scope: ConsentScope = Field(description="TPO consent or a specific disclosure.")
    recipient: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=REF_PATTERN,
        description="Required for `specific`; for `tpo`, optionally limits the consent to one "
        "recipient (absent: any recipient for TPO purposes).",
        examples=["org:riverside-community-clinic"],
    )
    purpose: Purpose | None = Field(
        default=None,
        description="Required for `specific`; must be absent for `tpo` (it covers treatment, "
        "payment and health care operations).",
        examples=["treatment"],
    )
    effective_from: UtcDateTime = Field(
        description="When the consent takes effect.", examples=["2026-11-26T09:00:00Z"]
    )
    expires_at: UtcDateTime | None = Field(
        default=None,
        description="When it expires (absent: until revoked).",
        examples=["2027-11-26T09:00:00Z"],
    )

    @model_validator(mode="after")
    def _coherent(self) -> ConsentIn:
        if self.scope is ConsentScope.specific:
            if self.recipient is None:
                raise field_error(("recipient",), "a specific consent names its recipient")
            if self.purpose is None:
                raise field_error(("purpose",), "a specific consent names its purpose")
        elif self.purpose is not None:
            raise field_error(("purpose",), "a TPO consent covers the TPO purposes; omit it")
        if self.expires_at is not None and self.expires_at <= self.effective_from:
            raise field_error(("expires_at",), "must be after effective_from")
        return self


class ConsentRead(ReadModel):
    id: uuid.UUID = Field(description="Id of this consent record.")
    consent_ref: str = Field(max_length=64, description="Id of the consent in the EHR.")
    scope: ConsentScope = Field(description="TPO or specific.")
    recipient: str | None = Field(max_length=128, description="Recipient it is limited to.")
    purpose: Purpose | None = Field(description="Purpose (specific consents).")
    effective_from: datetime = Field(description="When it takes effect.")
    expires_at: datetime | None = Field(description="When it expires.")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was.")
    recorded_at: datetime = Field(description="When it was recorded here.")
    status: str = Field(
        max_length=16,
        description="`active`, `pending` (not yet effective), `expired` or `revoked`, now.",
    )


class ConsentList(ReadModel):
    items: list[ConsentRead] = Field(max_length=1000, description="Newest first.")


class Emergency(ApiModel):
    """The medical-emergency exception (42 CFR 2.51): needs the `break_glass` scope."""

    reason: str = Field(
        min_length=10,
        max_length=1000,
        description="The emergency, stated for the record and the post-hoc review.",
        examples=["Unresponsive on arrival at ED; treating team needs current medications."],
    )


class DisclosureIn(ApiModel):
    recipient: str = Recipient
    purpose: Purpose = Field(description="Why the records are disclosed.", examples=["treatment"])
    emergency: Emergency | None = Field(
        default=None,
        description="Break-glass: disclose without consent under the medical-emergency "
        "exception. The reason is mandatory; the disclosure is flagged for review.",
    )


class DisclosureRead(ReadModel):
    id: uuid.UUID = Field(description="Id of the disclosure record.")
    plan_id: uuid.UUID = Field(description="The plan disclosed.")
    patient_ref: str = Field(max_length=64, description="The patient.")
    recipient: str = Field(max_length=128, description="Who received it.")
    purpose: Purpose = Field(description="Why.")
    basis: DisclosureBasis = Field(description="Consent, or the medical-emergency exception.")
    consent_id: uuid.UUID | None = Field(description="The consent used, if any.")
    client_id: uuid.UUID = Field(description="API client that made the disclosure.")
    user_id: str | None = Field(max_length=128, description="End user, when given.")
    emergency_reason: str | None = Field(
        max_length=1000,
        description="The stated emergency, for a break-glass disclosure (post-hoc review).",
    )
    disclosed_at: datetime = Field(description="When.")


class DisclosureResult(ReadModel):
    disclosure: DisclosureRead = Field(description="The record of this disclosure.")
    consent: ConsentRead | None = Field(description="The consent that permitted it.")
    redisclosure_notice: str = Field(
        max_length=500, description="The 42 CFR 2.32 notice that must accompany the records."
    )
    consent_scope: str = Field(
        max_length=300, description="What the recipient may do with the records, in words."
    )
    bundle: dict[str, Any] = Field(
        description="The plan as a FHIR R4 Bundle (CarePlan, RequestGroup, DetectedIssue, "
        "Provenance), every resource labelled in `meta.security`."
    )


class DisclosureList(ReadModel):
    items: list[DisclosureRead] = Field(max_length=100, description="Newest first.")
    next_cursor: str | None = Field(max_length=200, description="Cursor of the next page.")
