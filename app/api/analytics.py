"""Analytics for clinical owners: how clinicians answer each rule's CDS Hooks cards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import RequestContext, context
from app.api.responses import json_response
from app.errors import problem_responses
from app.schemas.base import UtcInstantQuery
from app.security import Scope
from app.services import feedback

router = APIRouter(tags=["analytics"])


class ReasonCount(BaseModel):
    system: str | None = Field(description="Override reason code system (null: none given).")
    code: str | None = Field(description="Override reason code (null: none given).")
    display: str | None = Field(description="Display, as the EHR sent it.")
    count: int = Field(description="Overrides with this reason.")


class RuleFeedback(BaseModel):
    rule_id: str = Field(description="Rule behind the cards (or `plan-summary`).")
    ruleset_version: str = Field(description="Ruleset version that produced the cards.")
    cards_shown: int = Field(description="Cards returned.")
    feedback_count: int = Field(description="Cards with an outcome (ignored cards have none).")
    accepted: int = Field(description="Accepted outcomes.")
    overridden: int = Field(description="Overridden outcomes.")
    acceptance_rate: float | None = Field(description="accepted / feedback_count.")
    override_rate: float | None = Field(description="overridden / feedback_count.")
    override_reasons: list[ReasonCount] = Field(description="Most frequent first.")


class FeedbackReport(BaseModel):
    since: datetime | None = Field(description="Lower bound applied, if any.")
    items: list[RuleFeedback] = Field(description="One per rule and ruleset version.")


@router.get(
    "/v1/analytics/feedback",
    summary="CDS card feedback by rule",
    response_model=FeedbackReport,
    responses=problem_responses(401, 403, 422, 500),
)
async def get_feedback_analytics(
    ctx: Annotated[RequestContext, context(Scope.knowledge_read)],
    since: Annotated[
        UtcInstantQuery | None, Query(description="Only cards and outcomes at or after this.")
    ] = None,
) -> Response:
    """Acceptance and override rates of CDS Hooks cards per rule and ruleset version, with
    override reasons, for your organisation, so clinical owners can retune rules."""
    return json_response(await feedback.feedback_report(ctx.session, ctx.principal, since=since))
