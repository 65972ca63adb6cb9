"""Response bodies for stored assessments."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.schemas.assessment import AssessmentIn
from app.schemas.base import ReadModel
from app.schemas.evaluation import Scores


class AssessmentRead(ReadModel):
    """A stored assessment with the scores derived from it when it was stored."""

    id: uuid.UUID = Field(description="Opaque id of the stored assessment.")
    patient_ref: str = Field(
        max_length=64, description="The EHR patient id.", examples=["ehr-patient-4711"]
    )
    assessed_at: datetime = Field(description="When the assessment was completed (UTC).")
    created_at: datetime = Field(description="When it was stored (UTC).")
    ruleset_version: str = Field(
        max_length=32, description="Ruleset that computed the scores.", examples=["1.0.0"]
    )
    scores: Scores = Field(description="Validated scores derived from the assessment.")
    assessment: AssessmentIn = Field(description="The assessment as stored (UTC-normalised).")


class AssessmentPage(ReadModel):
    """One page of a patient's assessments, newest first."""

    items: list[AssessmentRead] = Field(max_length=100, description="This page's assessments.")
    next_cursor: str | None = Field(
        default=None,
        max_length=200,
        description="Pass as `cursor` to get the next page; null on the last page.",
    )
