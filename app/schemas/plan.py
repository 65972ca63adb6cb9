"""Request and response bodies for treatment plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from app.schemas.assessment import AssessmentIn
from app.schemas.base import ApiModel, ReadModel, field_error
from app.schemas.evaluation import Evaluation
from app.schemas.plan_vocab import Decision, DecisionReason, Phase, PlanStatus

ClinicianId = Field(
    min_length=1,
    max_length=128,
    pattern=r"^[A-Za-z0-9._:@/-]+$",
    description="The deciding clinician's identifier in the EHR (e.g. NPI or user id).",
    examples=["npi:1234567893"],
)


class PlanCreate(ApiModel):
    """Create a plan from a stored assessment (`assessment_id`) or an inline `assessment`."""

    assessment_id: uuid.UUID | None = Field(
        default=None,
        description="A stored assessment of your organisation.",
        examples=["7d0e3f1c-8a5e-4f0b-9d2a-6a1f2b3c4d5e"],
    )
    assessment: AssessmentIn | None = Field(
        default=None, description="An assessment to store and evaluate in the same transaction."
    )
    status: Literal["draft", "active"] = Field(
        default="draft", description="Initial status.", examples=["draft"]
    )

    @model_validator(mode="after")
    def _exactly_one_source(self) -> PlanCreate:
        if (self.assessment_id is None) == (self.assessment is None):
            raise field_error(("assessment_id",), "give exactly one of assessment_id or assessment")
        return self


class PlanUpdate(ApiModel):
    """Change status and/or current phase; only along allowed transitions."""

    status: PlanStatus | None = Field(default=None, description="New status.", examples=["active"])
    current_phase: Phase | None = Field(
        default=None, description="New current phase.", examples=["behavioral_therapy"]
    )
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="Why (kept in the plan's history; with nothing to change, kept as a "
        "'noted' event and the plan and its ETag stay as they are).",
        examples=["Withdrawal resolved; vitals stable for 72 h."],
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> PlanUpdate:
        if self.status is None and self.current_phase is None:
            raise field_error(("status",), "give status and/or current_phase")
        return self


class ReassessmentIn(ApiModel):
    """A new assessment of the same patient; re-evaluated into a new plan revision."""

    assessment: AssessmentIn = Field(description="The new assessment.")


class DecisionIn(ApiModel):
    """A clinician's decision on one recommendation of the current revision."""

    decision: Decision = Field(description="What the clinician decided.", examples=["accepted"])
    reason_code: DecisionReason = Field(
        description="Why, from the published list (see DecisionReason).",
        examples=["agree_with_recommendation"],
    )
    text: str | None = Field(
        default=None,
        max_length=2000,
        description="Free-text detail.",
        examples=["Start 4 mg SL after COWS re-check at 14:00."],
    )
    clinician_id: str = ClinicianId


class SupportContact(ApiModel):
    name: str = Field(min_length=1, max_length=200, description="Who.", examples=["Sam (brother)"])
    relationship: str | None = Field(
        default=None,
        max_length=100,
        description="Relationship to the patient.",
        examples=["sibling"],
    )
    phone: str | None = Field(
        default=None,
        max_length=40,
        pattern=r"^[0-9+() .-]{3,40}$",
        description="Phone number.",
        examples=["+1 555 0100"],
    )


#: One free-text item of a relapse-prevention list (bounded in the schema, not only in code).
_Item = Annotated[str, Field(min_length=1, max_length=500)]


class RelapsePreventionIn(ApiModel):
    """The patient's relapse-prevention plan, written with the clinician."""

    triggers: list[_Item] = Field(
        default_factory=list,
        max_length=50,
        description="Known triggers (max 500 chars each).",
        examples=[["work stress", "back pain flare"]],
    )
    coping_strategies: list[_Item] = Field(
        default_factory=list,
        max_length=50,
        description="Coping strategies that work.",
        examples=[["call sponsor", "walk 20 minutes"]],
    )
    warning_signs: list[_Item] = Field(
        default_factory=list,
        max_length=50,
        description="Early warning signs of relapse.",
        examples=[["skipping meetings"]],
    )
    high_risk_situations: list[_Item] = Field(
        default_factory=list,
        max_length=50,
        description="High-risk situations and plans.",
        examples=[["visiting the smoke shop that sells kratom"]],
    )
    support_contacts: list[SupportContact] = Field(
        default_factory=list, max_length=20, description="People to call."
    )


# ----------------------------------------------------------------------------- responses


class RulesetRef(ReadModel):
    version: str = Field(max_length=32, description="Ruleset version (semver).")
    hash: str = Field(max_length=80, description="Content hash of the rule table.")


class SecurityLabel(ReadModel):
    system: str = Field(max_length=200)
    code: str = Field(max_length=40)
    display: str = Field(max_length=200)


class Privacy(ReadModel):
    security_labels: list[SecurityLabel] = Field(
        max_length=10,
        description="Confidentiality R, sensitivity SUD, policy 42CFRPart2, refrain NORDSCLCD.",
    )
    redisclosure_notice: str = Field(max_length=2000, description="42 CFR 2.32 notice.")


class EvaluationResult(Evaluation):
    """An evaluation as `POST /v1/evaluate` returns it: plan content about a patient, so it
    carries the same privacy labels and notice as a stored plan."""

    privacy: Privacy


class PhaseSuggestion(ReadModel):
    from_phase: Phase = Field(description="The plan's phase when the rules suggested the move.")
    to_phase: Phase = Field(description="The suggested phase; a clinician confirms with PATCH.")
    rule_id: str = Field(max_length=32, description="The rule that suggested it.")
    rationale: str = Field(max_length=2000, description="Why, in plain language.")
    revision: int = Field(ge=1, description="The revision whose evaluation suggested it.")


class DecisionRead(ReadModel):
    recommendation_code: str = Field(max_length=64)
    recommendation_status: str = Field(
        max_length=24, description="The recommendation's status when the decision was made."
    )
    decision: Decision
    reason_code: DecisionReason
    text: str | None = Field(default=None, max_length=2000)
    clinician_id: str = Field(max_length=128)
    made_at_revision: int = Field(ge=1)
    decided_at: datetime


class DecisionRecorded(DecisionRead):
    """The answer to recording a decision: the decision, with the plan's privacy labels."""

    privacy: Privacy


class FollowUpItem(ReadModel):
    kind: Literal["visit", "lab", "reassessment"] = Field(description="What is due.")
    code: str = Field(max_length=64, description="Stable code of the item.")
    title: str = Field(max_length=200, description="What to do.")
    due_date: date = Field(description="When it is due (UTC date).")
    recommendation_code: str = Field(max_length=64, description="The recommendation behind it.")
    rule_ids: list[str] = Field(max_length=20, description="Rules behind the recommendation.")


class RelapsePreventionRead(ReadModel):
    triggers: list[str] = Field(max_length=50)
    coping_strategies: list[str] = Field(max_length=50)
    warning_signs: list[str] = Field(max_length=50)
    high_risk_situations: list[str] = Field(max_length=50)
    support_contacts: list[dict[str, Any]] = Field(max_length=20)
    updated_at: datetime | None = Field(default=None, description="Last edit, if any.")


class PlanRead(ReadModel):
    """A treatment plan: the current revision's evaluation plus its lifecycle state."""

    id: uuid.UUID
    patient_ref: str = Field(max_length=64)
    status: PlanStatus
    current_phase: Phase
    revision: int = Field(ge=1, description="Current revision number.")
    assessment_id: uuid.UUID = Field(description="The assessment behind the current revision.")
    ruleset: RulesetRef
    evaluation: Evaluation = Field(description="As evaluated then; never re-evaluated on read.")
    suggested_phase_transition: PhaseSuggestion | None = None
    decisions: list[DecisionRead] = Field(
        max_length=500, description="Decisions that apply to the current revision."
    )
    follow_up: list[FollowUpItem] = Field(max_length=200, description="Aftercare schedule.")
    relapse_prevention: RelapsePreventionRead
    privacy: Privacy
    created_at: datetime
    updated_at: datetime


class PlanSummary(ReadModel):
    id: uuid.UUID
    patient_ref: str = Field(max_length=64)
    status: PlanStatus
    current_phase: Phase
    revision: int = Field(ge=1)
    level_of_care: str | None = Field(default=None, max_length=48)
    critical_alerts: int = Field(ge=0, description="Critical alerts in the current revision.")
    ruleset_version: str = Field(max_length=32)
    privacy: Privacy
    created_at: datetime
    updated_at: datetime


class PlanPage(ReadModel):
    items: list[PlanSummary] = Field(max_length=100)
    next_cursor: str | None = Field(default=None, max_length=200)


class ChangeList(ReadModel):
    added: list[dict[str, Any]] = Field(max_length=500)
    removed: list[dict[str, Any]] = Field(max_length=500)
    changed: list[dict[str, Any]] = Field(max_length=500)


class RevisionDiff(ReadModel):
    """What changed against the previous revision."""

    previous_revision: int = Field(ge=1)
    recommendations: ChangeList
    alerts: ChangeList
    level_of_care: dict[str, Any] | None = Field(
        default=None, description="{from, to} when the level of care changed."
    )
    scores: list[dict[str, Any]] = Field(
        max_length=100, description="Score changes: name, from, to, delta (e.g. COWS trend)."
    )
    ruleset_changed: bool = Field(description="True when the revisions used different rulesets.")


class RevisionRead(ReadModel):
    number: int = Field(ge=1)
    assessment_id: uuid.UUID
    ruleset: RulesetRef
    evaluation: Evaluation
    diff: RevisionDiff | None = Field(default=None, description="Null for revision 1.")
    suggested_phase_transition: PhaseSuggestion | None = None
    created_at: datetime
    privacy: Privacy


class RevisionPage(ReadModel):
    items: list[RevisionRead] = Field(max_length=100)
    next_cursor: str | None = Field(
        default=None, max_length=200, description="Null on the last page."
    )


class HistoryEvent(ReadModel):
    kind: str = Field(max_length=32)
    changes: dict[str, Any]
    note: str | None = Field(default=None, max_length=2000)
    client_id: uuid.UUID
    user_id: str | None = Field(default=None, max_length=128)
    created_at: datetime


class HistoryPage(ReadModel):
    items: list[HistoryEvent] = Field(max_length=100)
    next_cursor: str | None = Field(
        default=None, max_length=200, description="Null on the last page."
    )
    privacy: Privacy
