"""Stateless evaluation and the knowledge base: rules, citations, HTI-1 source attributes."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from app import auditing as audit
from app import rules
from app.api.body import json_body, request_body_openapi
from app.api.deps import RequestContext, context
from app.api.responses import json_response
from app.errors import NotFound, problem_responses
from app.privacy import privacy_block
from app.rules.build import make
from app.rules.knowledge import expanded_inputs
from app.rules.sources import SOURCES
from app.schemas.assessment import AssessmentIn
from app.schemas.jsonout import dump_json
from app.schemas.knowledge import Knowledge, RuleList, RuleRead
from app.schemas.plan import EvaluationResult, Privacy
from app.security import Scope
from app.services.evaluation import evaluate

PRIVACY = Privacy.model_validate(privacy_block())
router = APIRouter(tags=["knowledge"])

_KNOWLEDGE = Annotated[RequestContext, context(Scope.knowledge_read)]
RULE_ID_PATTERN = r"^[A-Z]{2,5}-[0-9]{2,3}$"
#: A rule id in a path (the JSON rule and its public page).
RuleId = Annotated[
    str,
    Path(
        pattern=RULE_ID_PATTERN,
        max_length=9,
        description="Rule id (family prefix + number).",
        examples=["LOF-01"],
    ),
]


@router.post(
    "/v1/evaluate",
    summary="Evaluate an assessment (nothing stored)",
    response_model=EvaluationResult,
    responses=problem_responses(400, 401, 403, 413, 415, 422, 500),
    openapi_extra=request_body_openapi(AssessmentIn, description="The assessment to evaluate."),
    tags=["evaluation"],
)
async def evaluate_assessment(
    ctx: Annotated[RequestContext, context(Scope.plans_read)],
    payload: AssessmentIn = json_body(AssessmentIn),
) -> Response:
    """Runs the current ruleset on the assessment as of its `assessed_at` and returns the whole
    evaluation: scores, level of care, alerts, three phases of recommendations (each with its
    rules, rationale, inputs used, citations and limitations), missing inputs and the trace of
    every rule. Nothing is stored; to keep the result, create a plan."""
    del ctx  # authentication and scope only
    audit.note(patient_ref=payload.patient.patient_ref)
    evaluation = evaluate(payload, as_of=payload.assessed_at)
    result = make(EvaluationResult, {**evaluation.__dict__, "privacy": PRIVACY})
    return Response(dump_json(result), media_type="application/json")


def _identity() -> dict[str, str]:
    return {
        "ruleset_version": rules.RULESET_VERSION,
        "ruleset_hash": rules.RULESET_HASH,
        "release_date": rules.RULESET_RELEASE_DATE.isoformat(),
    }


def rule_detail(rule: rules.Rule) -> dict[str, Any]:
    """A rule as a clinical owner reviews it: its metadata, each citation with its source, and
    the assessment fields behind the inputs it reads."""
    meta = rules.rule_metadata(rule)
    for citation in meta["citations"]:
        source = SOURCES[citation["key"]]
        citation["source"] = {
            "key": source.key,
            "citation": source.citation,
            "year": source.year,
            "url": source.url,
            "doi": source.doi,
            "design": source.design,
            "verification": source.verification,
        }
    meta["assessment_inputs"] = expanded_inputs(rule)
    return meta


# The rule table is immutable for the life of the process: build each document once.
@cache
def _rule_list() -> bytes:
    items = [
        {"id": r.id, "revision": r.revision, "family": r.family.value, "title": r.title,
         "summary": r.summary}
        for r in rules.RULES
    ]  # fmt: skip
    return _json_bytes({**_identity(), "items": items})


@cache
def _rule_document(rule_id: str) -> bytes | None:
    rule = rules.get_rule(rule_id)
    if rule is None:
        return None
    return _json_bytes({**_identity(), "rule": rule_detail(rule)})


@cache
def _knowledge() -> bytes:
    return _json_bytes(rules.knowledge_sources())


def _json_bytes(content: Any) -> bytes:
    return bytes(json_response(content).body)


def _cached_json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.get(
    "/v1/rules",
    summary="List the rules",
    response_model=RuleList,
    responses=problem_responses(401, 403, 422, 500),
)
async def list_rules(ctx: _KNOWLEDGE) -> Response:
    """Every rule of the current ruleset, in evaluation order, with the ruleset's version,
    content hash and release date."""
    del ctx
    return _cached_json(_rule_list())


@router.get(
    "/v1/rules/{rule_id}",
    summary="Read a rule",
    response_model=RuleRead,
    responses=problem_responses(401, 403, 404, 422, 500),
)
async def get_rule(ctx: _KNOWLEDGE, rule_id: RuleId) -> Response:
    """A rule with its rationale, the inputs it reads (and the assessment fields behind them),
    its citations with their sources and grades, thresholds and limitations."""
    del ctx
    body = _rule_document(rule_id)
    if body is None:
        raise NotFound("No rule with this id in the current ruleset.")
    return _cached_json(body)


@router.get(
    "/v1/knowledge",
    summary="Knowledge base and HTI-1 source attributes",
    response_model=Knowledge,
    responses=problem_responses(401, 403, 422, 500),
)
async def get_knowledge(ctx: _KNOWLEDGE) -> Response:
    """The ruleset's version, hash and release date, and for each intervention (rule) the
    ONC HTI-1 source attributes: citations, developer, funding source, release and revision
    dates, and whether it uses race, ethnicity, language, sexual orientation, gender identity,
    sex, date of birth, social determinants of health or health status assessments, computed
    from the inputs the rule declares."""
    del ctx
    return _cached_json(_knowledge())
