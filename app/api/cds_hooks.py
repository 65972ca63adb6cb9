"""CDS Hooks 2.0: discovery, service calls and feedback. Service calls and feedback need the
client JWT; discovery verifies one when sent (required with ``discovery_requires_jwt``).
Errors are RFC 9457 problem+json, except a refused JWT: a 401 with an empty body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import HTTPBearer
from starlette.responses import Response

from app import auditing as audit
from app.api.body import json_body, request_body_openapi
from app.api.deps import database
from app.api.responses import json_response
from app.auditing import audited
from app.cdshooks.jwt_auth import VerifiedClient
from app.cdshooks.runtime import runtime
from app.cdshooks.schemas import CdsResponse, Discovery, FeedbackRequest, HookRequest
from app.cdshooks.services import SERVICES
from app.errors import problem_entry, problem_responses
from app.ratelimit import enforce as rate_limit
from app.security import Principal
from app.services import cds, feedback
from app.tenancy import bind_tenant

router = APIRouter(tags=["cds-hooks"])

cds_jwt = HTTPBearer(
    auto_error=False,
    scheme_name="CdsHooksJwt",
    bearerFormat="JWT",
    description="CDS Hooks client JWT signed by a registered EHR issuer (RS384/ES384; "
    "`aud` = the URL called, `jti` used once, `exp` - `iat` at most 5 min, `kid` naming "
    "exactly one key of the issuer's JWKS), verified following "
    "RFC8725 (JWT Best Current Practices): algorithm allow-list, no `none`. See "
    "`kratom-cds register-ehr`.",
)
_SERVICE_ID = Annotated[
    str,
    Path(max_length=64, pattern=r"^[a-z0-9-]+$", description="A service id from discovery."),
]
_DISCOVERY = {"services": [service.discovery() for service in SERVICES.values()]}
# The spec's best practice: a refused JWT gets a bare 401 that never says which check failed.
CDS_401: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "The client JWT is missing or invalid. Empty body (CDS Hooks best "
        "practice: the response does not say which check failed).",
        "headers": {
            "WWW-Authenticate": {
                "description": 'Always `Bearer realm="cds-services"`.',
                "schema": {"type": "string", "maxLength": 64},
            }
        },
    }
}


@dataclass(frozen=True, slots=True)
class CdsCaller:
    client: VerifiedClient
    principal: Principal


async def cds_caller(request: Request, _bearer: Any = Depends(cds_jwt)) -> CdsCaller:
    """Verify the client JWT first (before the body is read), in its own short transaction:
    the jti is burned even if the call fails later. Then the issuer's rate limit: a bucket
    per registered EHR issuer, as per API client (429 over it)."""
    async with database(request).session(write=True) as session:
        client, principal = await runtime(request).authenticate(request, session)
    rate_limit(request, principal.client_id)
    return CdsCaller(client=client, principal=principal)


#: Marks the routes whose caller is rate-limited per issuer (read by the OpenAPI document).
cds_caller.rate_limited = True  # type: ignore[attr-defined]


_CALLER = Annotated[CdsCaller, Depends(cds_caller)]


async def cds_discovery_caller(request: Request, _bearer: Any = Depends(cds_jwt)) -> None:
    """Discovery: a JWT that is sent is verified (aud = the discovery URL); none is needed
    unless ``discovery_requires_jwt`` is set."""
    rt = runtime(request)
    if "authorization" not in request.headers and not rt.settings.discovery_requires_jwt:
        return
    async with database(request).session(write=True) as session:
        await rt.authenticate(request, session)


@router.get(
    "/cds-services",
    summary="CDS Hooks discovery",
    response_model=Discovery,
    responses={**CDS_401, **problem_responses(500)},
    openapi_extra={"security": [{}]},  # appended to CdsHooksJwt: the JWT is optional here
)
async def discover_cds_services(_caller: None = Depends(cds_discovery_caller)) -> Response:
    """The CDS services offered (patient-view, order-sign) with their prefetch templates.
    CDS clients send their JWT on every call, discovery included; when one is sent it is
    verified (`aud` = this URL) and a bad one is a bare 401. Without one, discovery answers
    (it holds no patient data) unless the service is configured to require it."""
    return json_response(_DISCOVERY)


@router.post(
    "/cds-services/{service_id}",
    summary="Call a CDS service",
    response_model=CdsResponse,
    responses={
        **CDS_401,
        **problem_responses(400, 404, 412, 413, 415, 422, 500),
        409: problem_entry(
            "This hookInstance was already answered for a different request (other `hook`, "
            "`context`, `prefetch` or `fhirServer`: `hook-instance-reused`), or longer ago "
            "than the stored answer is kept (`KRATOM_CDS_HOOK_RESPONSE_RETENTION_HOURS`: "
            "`hook-instance-expired`), so it is not replayed; a new hook firing has a new "
            "hookInstance."
        ),
        412: problem_entry(
            "Prefetch incomplete and the data could not be fetched from `fhirServer` (none "
            "given, not allowed, or it failed: `data-unavailable`), or what it returned is "
            "more than can be evaluated (over 5000 resources, or Bundles nested too deeply: "
            "`fetched-data-unusable`)."
        ),
    },
    openapi_extra=request_body_openapi(
        HookRequest, description="A CDS Hooks 2.0 request (hook, hookInstance, context, prefetch)."
    ),
    dependencies=[Depends(audited, scope="function")],
)
async def call_cds_service(
    request: Request,
    service_id: _SERVICE_ID,
    caller: _CALLER,
    payload: HookRequest = json_body(HookRequest),
) -> Response:
    """Maps the prefetch (or, when keys are missing, what `fhirServer` returns for our
    templates) into an assessment, evaluates it and answers with cards. patient-view links the
    patient's plan: it reuses the newest draft or active plan when the evaluation is clinically
    the same, revises this EHR's own draft otherwise, or creates a draft (an active plan is
    never changed by a chart view); order-sign checks draft buprenorphine, lofexidine, clonidine and
    naltrexone orders. The same `hookInstance` from the same issuer with the same request
    (`hook`, `context`, `prefetch`, `fhirServer`; not `fhirAuthorization`) replays the first
    answer; with a different request it is a 409 that returns no cards.
    412 when the data cannot be obtained."""
    audit.note(patient_ref=payload.context.get("patientId"), user_id=payload.context.get("userId"))
    service = cds.service_or_404(service_id)
    rt = runtime(request)
    body = await cds.call_service(
        database(request),
        rt,
        service,
        payload,
        client=caller.client,
        principal=caller.principal,
        base_url=rt.base_url(request),
    )
    return Response(body, media_type="application/json")


@router.post(
    "/cds-services/{service_id}/feedback",
    summary="Report card outcomes",
    responses={
        200: {
            "description": "Accepted. `stored`: how many outcomes were stored now; "
            "`duplicates`: how many were already stored (an EHR retry) or repeated in this "
            "body, and were ignored. The two add up to the number of outcomes sent.",
            "content": {
                "application/json": {"example": {"stored": 1, "duplicates": 1}},
            },
        },
        **CDS_401,
        **problem_responses(400, 404, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(
        FeedbackRequest, description="CDS Hooks feedback: accepted or overridden, per card."
    ),
    dependencies=[Depends(audited, scope="function")],
)
async def send_cds_feedback(
    request: Request,
    service_id: _SERVICE_ID,
    caller: _CALLER,
    payload: FeedbackRequest = json_body(FeedbackRequest),
) -> Response:
    """Stores accepted/overridden outcomes (with override reasons) of cards this service
    returned; repeated reports of the same outcome (same card, outcome and timestamp) are
    stored once. Answers `{"stored": n, "duplicates": m}`: `stored` counts the outcomes
    stored by this call, `duplicates` those ignored as already stored. Feeds
    `GET /v1/analytics/feedback`."""
    cds.service_or_404(service_id)
    async with database(request).session(write=True) as session:
        await bind_tenant(session, caller.principal.tenant_id)
        stored = await feedback.store_feedback(session, caller.principal, service_id, payload)
        await audit.commit_audited(session)  # the outcomes and their audit event, or neither
    return json_response({"stored": stored, "duplicates": len(payload.feedback) - stored})
