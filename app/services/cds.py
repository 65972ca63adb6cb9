"""CDS Hooks service calls: prefetch (or fetch) -> assessment -> evaluation -> cards.

patient-view links its cards to a stored plan without piling up drafts (``chart_plan``):

1. the patient's newest open (draft or active) plan, or else the newest draft this EHR client
   created, is *reused* (nothing stored) when it was evaluated from the same inputs (the
   assessment, ignoring its timestamp) with the same ruleset and its evaluation is
   clinically the same (no change in alerts, recommendations, level of care or scores);
2. otherwise the newest draft this EHR client created gets a new *revision* (reassessment
   with its diff, as ``POST /v1/plans/{id}/reassessments``);
3. otherwise a new draft plan is stored (assessment + plan + revision, as ``POST /v1/plans``).

Active plans are never changed by a chart view. order-sign evaluates the draft drugs without
storing a plan. Every answer is stored in ``cds_hook_calls`` under (issuer, hookInstance,
service) with a hash of the request (``request_hash``): a repeated hookInstance from the same
issuer with the same request replays the stored body and stores nothing new; with another
request (another patient, other prefetch data) it is a 409 that returns and stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auditing import commit_audited
from app.cdshooks.cards import CardBuilder
from app.cdshooks.fetch import DataUnavailable, fetch_missing
from app.cdshooks.jwt_auth import VerifiedClient
from app.cdshooks.orders import DraftDrug, draft_drugs
from app.cdshooks.runtime import CdsRuntime
from app.cdshooks.schemas import HookRequest
from app.cdshooks.services import FETCH_EXTRAS, SERVICES, CdsService
from app.db import Database, utc_now
from app.errors import DomainError, NotFound, RequestInvalid
from app.fhir import (
    FhirMapping,
    assessment_from_fhir,
    reference_aliases,
    resources_from_prefetch,
)
from app.models import Assessment, CdsCard, CdsHookCall, Plan
from app.schemas.assessment import AssessmentIn, ConsideredTreatment
from app.schemas.plan import PlanCreate
from app.security import Principal
from app.services import plans
from app.services.inserts import InsertBatch
from app.services.plan_diff import diff_evaluations
from app.tenancy import bind_tenant

_PATIENT_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR id
_USER_ID = re.compile(r"^[A-Za-z0-9._:@/-]{1,128}$")


class DataUnavailableProblem(DomainError):
    status, slug, title = 412, "data-unavailable", "Required data unavailable"


class FetchedDataUnusable(DomainError):
    """fhirServer answered, but with more than can be evaluated: the data needed is still
    unavailable (CDS Hooks: 412), which is no fault in the request (not a 422)."""

    status, slug, title = 412, "fetched-data-unusable", "Data fetched from fhirServer unusable"


HOOK_CALL_TABLE = cast(Table, CdsHookCall.__table__)  # Core inserts: compiled once
CARD_TABLE = cast(Table, CdsCard.__table__)
OPEN_STATUSES = ("draft", "active")
CANDIDATE_ROWS = 20  # open plans of one patient looked at, newest first


@dataclass(frozen=True, slots=True)
class ChartPlan:
    """The plan a patient-view call links to, and what the call did to it."""

    id: uuid.UUID
    status: str
    revision: int
    outcome: str  # created | revised | unchanged


def service_or_404(service_id: str) -> CdsService:
    service = SERVICES.get(service_id)
    if service is None:
        raise NotFound("No CDS service with this id.")
    return service


def _invalid(pointer: str, detail: str, kind: str = "value_error") -> RequestInvalid:
    return RequestInvalid([{"pointer": pointer, "detail": detail, "type": kind}])


class HookInstanceExpired(DomainError):
    status, slug, title = 409, "hook-instance-expired", "hookInstance answered long ago"


class HookInstanceReused(DomainError):
    status, slug, title = 409, "hook-instance-reused", "hookInstance reused for another request"


def request_hash(call: HookRequest) -> str:
    """SHA-256 of what the answer depends on: hook, context, prefetch (as sent) and fhirServer,
    as canonical JSON (sorted keys), so a retry that re-serialises the body is the same
    request. fhirAuthorization (a retry may carry a fresh token) and the ignored extension
    are left out."""
    document = {
        "hook": call.hook,
        "context": call.context,
        "prefetch": call.prefetch,
        "fhirServer": call.fhirServer,
    }
    try:
        canonical = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits: the standard library prints it
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


async def stored_response(
    session: AsyncSession, issuer: str, hook_instance: str, service_id: str, fingerprint: str
) -> bytes | None:
    """The answer stored for this hook firing, or None when it has not been answered.

    409 when it was answered for another request (``fingerprint``, see ``request_hash``):
    nothing of that answer is returned."""
    row = (
        await session.execute(
            select(CdsHookCall.response, CdsHookCall.request_hash).where(
                CdsHookCall.issuer == issuer,
                CdsHookCall.hook_instance == hook_instance,
                CdsHookCall.service_id == service_id,
            )
        )
    ).first()
    if row is None:
        return None
    if row.response is None:
        raise HookInstanceExpired(
            "This hookInstance was answered before and its cards are no longer kept (past "
            "their retention period). A new hook firing has a new hookInstance."
        )
    if row.request_hash != fingerprint:
        raise HookInstanceReused(
            "This hookInstance was already answered for a different request (another context "
            "or prefetch). A new hook firing has a new hookInstance; a retry sends the same "
            "request."
        )
    return bytes(row.response)


def _failed(value: Any) -> bool:
    # CDS Hooks 2.0: a client that could not prefetch a key may send an OperationOutcome in
    # its place. That is no data, not an empty result: fetch it or answer 412.
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _missing_prefetch(service: CdsService, prefetch: dict[str, Any]) -> dict[str, str]:
    """The service's prefetch templates whose key is absent or came back as an error."""
    return {
        key: template
        for key, template in service.prefetch.items()
        if key not in prefetch or _failed(prefetch[key])
    }


async def resolve_prefetch(
    runtime: CdsRuntime, service: CdsService, call: HookRequest
) -> dict[str, Any]:
    """Prefetch as sent, completed from fhirServer when keys are missing; else 412."""
    prefetch = dict(call.prefetch or {})
    missing = _missing_prefetch(service, prefetch)
    if not missing:
        return prefetch
    if call.fhirServer is None or call.fhirAuthorization is None:
        raise DataUnavailableProblem(
            "Prefetch is missing "
            + ", ".join(sorted(missing))
            + " and no fhirServer with fhirAuthorization was given to fetch it."
        )
    try:
        fetched = await fetch_missing(
            runtime.http,
            runtime.settings,
            server=call.fhirServer,
            token=call.fhirAuthorization.access_token,
            templates={k: q + FETCH_EXTRAS.get(k, "") for k, q in missing.items()},
            context=call.context,
        )
    except DataUnavailable as exc:
        raise DataUnavailableProblem(
            f"Could not fetch {', '.join(exc.keys) or 'the data'}: {exc.why}."
        ) from None
    return prefetch | fetched


def map_prefetch(
    prefetch: dict[str, Any], patient_id: str, *, sent: dict[str, Any] | None = None
) -> FhirMapping:
    """``sent``: the prefetch as the client sent it, when ``prefetch`` adds what was fetched
    from fhirServer. Too many resources (or Bundles nested too deeply) in what the client
    sent is a 422 at /prefetch; only in what was fetched, a 412."""
    try:
        resources = resources_from_prefetch(prefetch)
    except ValueError as exc:
        if sent is not None:
            try:
                resources_from_prefetch(sent)
            except ValueError:
                pass
            else:
                raise FetchedDataUnusable(
                    f"The resources fetched from fhirServer could not be evaluated ({exc}), "
                    "so the data this service needs is unavailable."
                ) from None
        raise _invalid("/prefetch", f"Unusable prefetch: {exc}.") from None
    return assessment_from_fhir(
        resources,
        patient_ref=patient_id,
        assessed_at=utc_now(),
        aliases=reference_aliases(prefetch.values()),
    )


async def call_service(
    db: Database,
    runtime: CdsRuntime,
    service: CdsService,
    call: HookRequest,
    *,
    client: VerifiedClient,
    principal: Principal,
    base_url: str,
) -> bytes:
    """The cards for one call (the JSON body). No session is held while fhirServer is queried."""
    fingerprint = request_hash(call)
    fetching = bool(_missing_prefetch(service, call.prefetch or {}))
    if fetching:
        # A fetch would be needed: look for a stored answer first, so a replay fetches nothing.
        async with db.session(write=False) as session:
            await bind_tenant(session, principal.tenant_id)
            stored = await stored_response(
                session, client.issuer, call.hookInstance, service.id, fingerprint
            )
        if stored is not None:
            return stored
    if call.hook != service.hook:
        raise _invalid("/hook", f"This service answers the '{service.hook}' hook.")
    patient_id = call.context.get("patientId")
    if not isinstance(patient_id, str) or not _PATIENT_ID.match(patient_id):
        raise _invalid("/context/patientId", "A FHIR Patient id is required.")
    drugs: list[DraftDrug] = []
    if service.hook == "order-sign":
        orders = call.context.get("draftOrders")
        if not isinstance(orders, dict) or orders.get("resourceType") != "Bundle":
            raise _invalid("/context/draftOrders", "order-sign needs draftOrders as a Bundle.")
        drugs = draft_drugs(orders)
    prefetch = await resolve_prefetch(runtime, service, call)
    mapping = map_prefetch(prefetch, patient_id, sent=(call.prefetch or {}) if fetching else None)
    async with db.session(write=True) as session:
        await bind_tenant(session, principal.tenant_id)
        return await _answer(
            session, service, call, mapping, drugs,
            client=client, principal=principal, base_url=base_url, patient_id=patient_id,
            fingerprint=fingerprint,
        )  # fmt: skip


async def _answer(
    session: AsyncSession,
    service: CdsService,
    call: HookRequest,
    mapping: FhirMapping,
    drugs: list[DraftDrug],
    *,
    client: VerifiedClient,
    principal: Principal,
    base_url: str,
    patient_id: str,
    fingerprint: str,
) -> bytes:
    # No read-before-write for a repeated hookInstance: the unique (issuer, hook_instance) key
    # refuses the call row at the end, and the rollback undoes everything this call stored
    # (replays are rare; a first call saves the round trip).
    assessment = mapping.assessment
    plan_id: uuid.UUID | None = None
    plan: ChartPlan | None = None
    if service.hook == "order-sign":
        considering = list(
            dict.fromkeys([*assessment.considering, *(ConsideredTreatment(d.drug) for d in drugs)])
        )
        assessment = assessment.model_copy(update={"considering": considering})
    evaluation = plans.evaluation_json(assessment)
    if service.hook != "order-sign":
        user = call.context.get("userId")
        plan = await chart_plan(
            session,
            principal,
            assessment,
            evaluation,
            user_id=user if isinstance(user, str) and _USER_ID.match(user) else None,
        )
        plan_id = plan.id
    builder = CardBuilder(
        evaluation, mapping, base_url=base_url, patient_ref=patient_id, plan_id=plan_id
    )
    if plan is not None:
        builder.plan_state = {"status": plan.status, "revision": plan.revision,
                              "outcome": plan.outcome}  # fmt: skip
    if service.hook == "order-sign":
        builder.order_cards(drugs)
    else:
        builder.alert_cards()
        uds = assessment.urine_drug_screen
        builder.assay_card(uds.model_dump(mode="json") if uds is not None else None)
        builder.plan_card()
    response = orjson.dumps({"cards": builder.cards})
    call_id = uuid.uuid4()
    now = utc_now()
    version = evaluation["ruleset"]["version"]
    inserts = InsertBatch()
    inserts.add(
        HOOK_CALL_TABLE,
        {
            "id": call_id,
            "tenant_id": principal.tenant_id,
            "issuer": client.issuer,
            "hook_instance": call.hookInstance,
            "service_id": service.id,
            "hook": service.hook,
            "plan_id": plan_id,
            "ruleset_version": version,
            "response": response,
            "request_hash": fingerprint,
            "created_at": now,
        },
    )
    inserts.add(
        CARD_TABLE,
        *(
            {
                "id": meta.uuid,
                "tenant_id": principal.tenant_id,
                "hook_call_id": call_id,
                "service_id": service.id,
                "rule_id": meta.rule_id[:64],
                "ruleset_version": version,
                "indicator": meta.indicator,
                "suggestion_ids": meta.suggestion_ids,
                "created_at": now,
            }
            for meta in builder.meta
        ),
    )
    try:
        await inserts.execute(session)
        await commit_audited(session)  # the audit event commits with the answer, or neither
    except IntegrityError:
        # The same hookInstance was answered before (or concurrently): replay that answer if
        # it was for this same request (else 409; the rollback undid everything stored).
        await session.rollback()
        stored = await stored_response(
            session, client.issuer, call.hookInstance, service.id, fingerprint
        )
        if stored is None:
            raise
        return stored
    return response


def _same_inputs(stored: dict[str, Any], assessment: AssessmentIn) -> bool:
    """The stored assessment document and this one agree on everything but the time."""
    current = assessment.model_dump(mode="json", exclude_unset=True)
    return {k: v for k, v in stored.items() if k != "assessed_at"} == {
        k: v for k, v in current.items() if k != "assessed_at"
    }


def _clinically_same(stored: dict[str, Any], evaluation: dict[str, Any]) -> bool:
    diff = diff_evaluations(stored, evaluation, previous_revision=0)
    return (
        not any(diff["recommendations"].values())
        and not any(diff["alerts"].values())
        and diff["level_of_care"] is None
        and not diff["scores"]
        and not diff["ruleset_changed"]
    )


async def chart_plan(
    session: AsyncSession,
    principal: Principal,
    assessment: AssessmentIn,
    evaluation: dict[str, Any],
    *,
    user_id: str | None,
) -> ChartPlan:
    """The plan a patient-view links to: reused, revised or created (module docstring)."""
    rows = (
        await session.execute(
            select(
                Plan.id, Plan.status, Plan.revision, Plan.ruleset_hash, Plan.assessment_id,
                Plan.created_by_client_id,
            )
            .where(
                Plan.tenant_id == principal.tenant_id,
                Plan.patient_ref == assessment.patient.patient_ref,
                Plan.status.in_(OPEN_STATUSES),
            )
            .order_by(Plan.updated_at.desc(), Plan.id.desc())
            .limit(CANDIDATE_ROWS)
        )
    ).all()  # fmt: skip
    own_draft = next(
        (r for r in rows if r.status == "draft" and r.created_by_client_id == principal.client_id),
        None,
    )
    candidates = [r for r in (rows[0] if rows else None, own_draft) if r is not None]
    for row in dict.fromkeys(candidates):
        if row.ruleset_hash != evaluation["ruleset"]["hash"]:
            continue
        stored = (
            await session.execute(
                select(Assessment.document, Plan.evaluation)
                .join(Plan, Plan.assessment_id == Assessment.id)
                .where(Plan.id == row.id, Assessment.tenant_id == principal.tenant_id)
            )
        ).first()
        if (
            stored is not None
            and _same_inputs(stored.document, assessment)
            and _clinically_same(stored.evaluation, evaluation)
        ):
            return ChartPlan(row.id, row.status, row.revision, "unchanged")
    if own_draft is not None:
        plan, revision = await plans.reassess(
            session, principal, own_draft.id, assessment, user_id=user_id, evaluation=evaluation
        )
        return ChartPlan(plan["id"], plan["status"], revision["number"], "revised")
    created = await plans.create_plan(
        session,
        principal,
        PlanCreate(assessment=assessment, status="draft"),
        user_id=user_id,
        evaluation=evaluation,
    )
    return ChartPlan(created["id"], "draft", 1, "created")
