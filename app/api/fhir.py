"""FHIR R4 in and out: evaluate a Bundle, or store it as an assessment and plan; read a plan as
CarePlan/RequestGroup/DetectedIssue/Provenance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from app import auditing as audit
from app.api.body import json_body, request_body_openapi
from app.api.deps import IdempotencyKey, RequestContext, context
from app.api.params import PLAN_LOCATION_ETAG_HEADERS, UserId
from app.api.responses import json_response
from app.db import utc_now
from app.errors import RequestInvalid, field_errors, problem_responses
from app.fhir import FhirMapping, assessment_from_fhir, reference_aliases, resources_from_bundle
from app.fhir.access import ref_of
from app.fhir.bundle import resource_pointers
from app.fhir.outbound import plan_bundle, with_mapping_outcome
from app.fhir.result import REASON_TEXT, MappingIssue, UsedInput
from app.privacy import privacy_block
from app.schemas.assessment import AssessmentIn, PatientRef, in_the_future
from app.schemas.base import IN_THE_FUTURE, UtcInstantQuery
from app.schemas.evaluation import Evaluation
from app.schemas.jsonout import dump_json
from app.schemas.plan import PlanCreate, PlanRead, Privacy
from app.security import Scope
from app.services import plans as plan_service
from app.services.evaluation import evaluate
from app.services.idempotency import request_target, run_idempotent

router = APIRouter(tags=["fhir"])
FHIR_JSON = "application/fhir+json"

_READ = Annotated[RequestContext, context(Scope.plans_read)]
_WRITE = Annotated[RequestContext, context(Scope.plans_write, write=True)]
_PATIENT_REF = Annotated[
    PatientRef | None,
    Query(description="The patient (FHIR Patient.id); default: the Bundle's Patient.id."),
]
_ASSESSED_AT = Annotated[
    UtcInstantQuery | None,
    Query(description="Assessment time (UTC offset required); default: now."),
]
_STRICT = Annotated[
    bool, Query(description="422 instead of a report when any data is unsupported.")
]


class BundleEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    resource: dict[str, Any] | None = Field(default=None, description="The resource.")


class FhirBundleIn(BaseModel):
    """A FHIR R4 Bundle (any type) of Patient, Observation, Condition, MedicationStatement,
    MedicationRequest, Medication and QuestionnaireResponse resources; others are ignored
    and reported."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Bundle"] = Field(description="Always `Bundle`.")
    type: str = Field(max_length=32, description="Bundle type.", examples=["collection"])
    entry: list[BundleEntry] = Field(
        default_factory=list, max_length=5000, description="The resources."
    )


class MappingReport(BaseModel):
    used: list[str] = Field(description="Resources that contributed at least one field.")
    inputs: list[UsedInput] = Field(description="Each assessment field and its source.")
    unsupported: list[MappingIssue] = Field(
        description="Relevant data that could not be mapped without guessing (code or unit "
        "not understood, incomplete instrument...): absent from the assessment, so the rules "
        "report what it would have changed in `evaluation.missing_inputs`."
    )
    ignored: list[MappingIssue] = Field(description="Understood and deliberately not used.")


class FhirEvaluation(BaseModel):
    patient_ref: str = Field(description="Patient the evaluation is about.")
    patient_ref_source: Literal["bundle", "query"] = Field(
        description="`bundle`: the Bundle's Patient.id; `query`: the `patient_ref` parameter."
    )
    assessed_at: datetime = Field(description="The assessment time used.")
    assessed_at_source: Literal["query", "server_time"] = Field(
        description="`query`: the `assessed_at` parameter; `server_time`: the time of the call."
    )
    assessment: AssessmentIn = Field(description="The assessment mapped from the Bundle.")
    mapping: MappingReport = Field(description="What was used, unsupported and ignored.")
    evaluation: Evaluation = Field(description="The evaluation (nothing is stored).")
    privacy: Privacy = Field(description="The labels and notice that travel with plan content.")


class FhirPlanRead(PlanRead):
    """The stored plan (as `POST /v1/plans` returns it) and how the Bundle was mapped."""

    patient_ref_source: Literal["bundle", "query"] = Field(
        description="`bundle`: the Bundle's Patient.id; `query`: the `patient_ref` parameter."
    )
    assessed_at_source: Literal["query", "server_time"] = Field(
        description="`query`: the `assessed_at` parameter; `server_time`: the time of the call."
    )
    mapping: MappingReport = Field(description="What was used, unsupported and ignored.")


@dataclass(frozen=True, slots=True)
class MappedBundle:
    mapping: FhirMapping
    patient_ref: str
    patient_ref_source: Literal["bundle", "query"]
    assessed_at: datetime
    assessed_at_source: Literal["query", "server_time"]

    def report(self) -> dict[str, Any]:
        mapping = self.mapping
        return {
            "used": mapping.used,
            "inputs": [i.model_dump(mode="json", exclude_none=True) for i in mapping.inputs],
            "unsupported": [
                i.model_dump(mode="json", exclude_none=True) for i in mapping.unsupported
            ],
            "ignored": [i.model_dump(mode="json", exclude_none=True) for i in mapping.ignored],
        }


def _entry_pointers(document: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, str]:
    """Each mapped resource's reference (as the mapping report names it) -> the JSON pointer
    of its entry in the request body (nested Bundles included)."""
    paths = resource_pointers(document)
    return {ref_of(r, k): paths.get(id(r), "/entry") for k, r in enumerate(resources)}


def map_bundle(
    bundle: FhirBundleIn, patient_ref: str | None, assessed_at: datetime | None, *, strict: bool
) -> MappedBundle:
    """The Bundle as an assessment; 422 for an unusable Bundle, an unclear patient, or (with
    ``strict``) any data that cannot be mapped without guessing."""
    document = bundle.model_dump(mode="json", exclude_unset=True)
    try:
        resources = resources_from_bundle(document)
    except ValueError as exc:
        raise RequestInvalid(
            [{"pointer": "/entry", "detail": f"Unusable Bundle: {exc}.", "type": "value_error"}]
        ) from None
    patient_ids = sorted(
        {
            str(r["id"])
            for r in resources
            if r.get("resourceType") == "Patient" and isinstance(r.get("id"), str)
        }
    )
    if len(patient_ids) > 1:
        raise RequestInvalid(
            [{"pointer": "/entry", "detail": "The Bundle holds more than one Patient.",
              "type": "multiple_patients"}]
        )  # fmt: skip
    ref_source: Literal["bundle", "query"]
    if patient_ref is not None:
        if patient_ids and patient_ids[0] != patient_ref:
            raise RequestInvalid(
                [{"pointer": "query:patient_ref",
                  "detail": "Differs from the id of the Patient in the Bundle.",
                  "type": "patient_mismatch"}]
            )  # fmt: skip
        ref, ref_source = patient_ref, "query"
    elif patient_ids:
        ref, ref_source = patient_ids[0], "bundle"
    else:
        raise RequestInvalid(
            [{"pointer": "query:patient_ref",
              "detail": "Give patient_ref, or include the Patient resource in the Bundle.",
              "type": "missing"}]
        )  # fmt: skip
    now = utc_now()
    if assessed_at is not None and in_the_future(assessed_at, now):
        raise RequestInvalid(
            [{"pointer": "query:assessed_at", "detail": "assessed_at is in the future.",
              "type": IN_THE_FUTURE}]
        )  # fmt: skip
    when = assessed_at or now
    try:
        mapping = assessment_from_fhir(
            resources, patient_ref=ref, assessed_at=when, aliases=reference_aliases([document])
        )
    except ValidationError as exc:
        errors = field_errors(exc.errors(include_url=False, include_input=False))
        for err in errors:
            err["pointer"] = "query:patient_ref" if ref_source == "query" else "/entry"
        raise RequestInvalid(errors) from None
    if strict and mapping.unsupported:
        # A JSON pointer to the entry (never the resource's id, which may embed an MRN; the
        # report of a 200 names it), each problem once.
        where = _entry_pointers(document, resources)
        problems: dict[tuple[str, str], dict[str, str]] = {}
        for issue in mapping.unsupported:
            pointer = (where.get(issue.ref, "/entry") + (issue.pointer or ""))[:512]
            problems.setdefault(
                (pointer, issue.reason.value),
                {
                    "pointer": pointer,
                    # The report (200) says which unit or answer; a 422 echoes nothing sent.
                    "detail": REASON_TEXT.get(issue.reason, "Cannot be mapped without guessing."),
                    "type": issue.reason.value,
                },
            )
        raise RequestInvalid(list(problems.values()))
    return MappedBundle(
        mapping, ref, ref_source, when, "query" if assessed_at is not None else "server_time"
    )


@router.post(
    "/v1/fhir/evaluate",
    summary="Evaluate a FHIR Bundle",
    response_model=FhirEvaluation,
    responses=problem_responses(400, 401, 403, 413, 415, 422, 500),
    openapi_extra=request_body_openapi(FhirBundleIn, description="A FHIR R4 Bundle."),
)
async def evaluate_fhir_bundle(
    ctx: _READ,
    patient_ref: _PATIENT_REF = None,
    assessed_at: _ASSESSED_AT = None,
    strict: _STRICT = False,
    bundle: FhirBundleIn = json_body(FhirBundleIn),
) -> Response:
    """Maps the Bundle (LOINC vital signs, labs and drug screens with UCUM units, SNOMED/ICD-10
    conditions, RxNorm medications, PHQ-9/GAD-7/PCL-5/AUDIT-C/C-SSRS/COWS, each screen only
    within its recall period) into an assessment and evaluates it. Nothing is guessed: what
    cannot be mapped is listed under `mapping.unsupported` (or is a 422 with `strict=true`).
    The response says where `patient_ref` and `assessed_at` came from. Nothing is stored."""
    del ctx  # authentication and scope only
    mapped = map_bundle(bundle, patient_ref, assessed_at, strict=strict)
    audit.note(patient_ref=mapped.patient_ref)
    evaluation = evaluate(mapped.mapping.assessment, as_of=mapped.assessed_at)
    return json_response(
        {
            "patient_ref": mapped.patient_ref,
            "patient_ref_source": mapped.patient_ref_source,
            "assessed_at": mapped.assessed_at,
            "assessed_at_source": mapped.assessed_at_source,
            "assessment": mapped.mapping.assessment.model_dump(mode="json", exclude_none=True),
            "mapping": mapped.report(),
            "evaluation": orjson.Fragment(dump_json(evaluation)),
            "privacy": privacy_block(),
        }
    )


#: FHIR's JSON type and the legacy DSTU2 spelling that FHIR clients (HAPI) still send.
_FHIR_TYPES = frozenset({FHIR_JSON, "application/json+fhir"})


def _accept_weights(header: str) -> dict[str, float]:
    """Media type -> q from an Accept header (RFC 9110 12.5.1); malformed weights count 0."""
    weights: dict[str, float] = {}
    for item in header.lower().split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if media:
            weights[media] = max(q, weights.get(media, 0.0))
    return weights


def _wants_fhir(request: Request, response_format: str | None) -> bool:
    """FHIR when asked by ``format``, or when the Accept header weighs a FHIR JSON type above
    plain JSON (on a tie, or for wildcards only, plain JSON: the API's default)."""
    if response_format is not None:
        return response_format == "fhir"
    weights = _accept_weights(request.headers.get("accept", ""))
    fhir = max((weights.get(t, 0.0) for t in _FHIR_TYPES), default=0.0)
    plain = weights.get("application/json", 0.0)
    return fhir > 0 and fhir > plain


@router.post(
    "/v1/fhir/plans",
    status_code=201,
    summary="Create a treatment plan from a FHIR Bundle",
    response_model=FhirPlanRead,
    responses={
        201: {
            "description": "Created: the plan with the mapping report, or (`format=fhir`, or "
            "`Accept: application/fhir+json`) the plan as a FHIR R4 Bundle whose last entry "
            "is the mapping report as an OperationOutcome (unsupported data as `warning` "
            "issues, data deliberately not used as `information`).",
            "headers": PLAN_LOCATION_ETAG_HEADERS,
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        },
        **problem_responses(400, 401, 403, 409, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(
        FhirBundleIn, description="A FHIR R4 Bundle, as for `POST /v1/fhir/evaluate`."
    ),
)
async def create_plan_from_fhir(
    request: Request,
    ctx: _WRITE,
    patient_ref: _PATIENT_REF = None,
    assessed_at: _ASSESSED_AT = None,
    strict: _STRICT = False,
    status: Annotated[
        Literal["draft", "active"], Query(description="Initial status of the plan.")
    ] = "draft",
    response_format: Annotated[
        Literal["json", "fhir"] | None,
        Query(
            alias="format",
            description="`fhir`: answer with the plan as a FHIR Bundle (CarePlan, "
            "RequestGroup, DetectedIssue, Provenance); default: JSON, unless Accept asks "
            "for application/fhir+json only.",
        ),
    ] = None,
    idempotency_key: IdempotencyKey = None,
    user_id: UserId = None,
    bundle: FhirBundleIn = json_body(FhirBundleIn),
) -> Response:
    """The FHIR form of `POST /v1/plans`: maps the Bundle exactly as `POST /v1/fhir/evaluate`
    does (nothing guessed; unsupported data is reported in `mapping.unsupported`, or is a 422
    with `strict=true`) and stores the assessment and the plan (revision 1) in one
    transaction."""
    fhir = _wants_fhir(request, response_format)
    mapped = map_bundle(bundle, patient_ref, assessed_at, strict=strict)

    async def create() -> Response:
        assessment = mapped.mapping.assessment
        row = await plan_service.create_plan(
            ctx.session,
            ctx.principal,
            PlanCreate(assessment=assessment, status=status),
            user_id=user_id,
            # As JSON objects: the FHIR Bundle is built from the evaluation.
            evaluation=plan_service.evaluation_json(assessment),
        )
        headers = {
            "Location": f"/v1/plans/{row['id']}",
            "ETag": plan_service.etag(row["id"], row["version"]),
        }
        view = plan_service.plan_view(row)
        if fhir:
            bundle = with_mapping_outcome(
                plan_bundle(view), mapped.report(), row["id"], row["revision"]
            )
            response = json_response(bundle, status_code=201, headers=headers)
            response.headers["content-type"] = FHIR_JSON
            return response
        body = view | {
            "patient_ref_source": mapped.patient_ref_source,
            "assessed_at_source": mapped.assessed_at_source,
            "mapping": mapped.report(),
        }
        return json_response(body, status_code=201, headers=headers)

    # The query (parsed, in a fixed order) and the answer's format (from the query or Accept)
    # decide what is stored and returned, so they are part of the fingerprint.
    target = f"{request_target(request)} as {'fhir' if fhir else 'json'}"
    return await run_idempotent(
        ctx.session, ctx.principal, idempotency_key, request, create, target=target
    )


@router.get(
    "/v1/plans/{plan_id}/fhir",
    summary="Read a plan as FHIR",
    responses={
        200: {
            "description": "A FHIR R4 `collection` Bundle.",
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        },
        **problem_responses(401, 403, 404, 422, 500),
    },
)
async def get_plan_fhir(
    ctx: _READ, plan_id: Annotated[uuid.UUID, Path(description="The plan id.")]
) -> Response:
    """The plan's current revision as a FHIR R4 Bundle: a CarePlan (status and intent from
    the plan; one activity per recommendation), a RequestGroup of the actions by phase, one
    DetectedIssue per alert and a Provenance naming the ruleset version and hash. Every
    resource carries the 42 CFR Part 2 labels in `meta.security`."""
    row = await plan_service.get_plan(ctx.session, ctx.principal, plan_id)
    response = json_response(plan_bundle(plan_service.plan_view(row)))
    response.headers["content-type"] = FHIR_JSON
    return response
