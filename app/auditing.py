"""Per-request audit recording: exactly one audit event per request to an audited route.

Which routes are audited, and as what, is the ``AUDITED_ROUTES`` table (method + route
template). A request to one of them gets an ``AuditRecorder`` (in a context variable, so the
services that load the patient's rows can ``note()`` the patient reference); then:

* a write is recorded in its own transaction: handlers commit with ``commit_audited(session)``,
  which appends the event just before the commit, so the event and the change commit together
  or not at all;
* a write that did not commit (such as an idempotent replay) is recorded when the handler
  returns, in the request's transaction;
* a read is recorded when the handler returns, before the response is sent, and a refusal
  or failure (401, 403, 404, 422, 5xx...) after the request's transaction was rolled back,
  both in a transaction of their own shared with the other events waiting at that moment
  (``GroupCommitter``: group commit, one transaction and one head update per chain for the
  lot). 401s have no tenant: they go to the ``system`` chain (``tenant_id`` NULL).

Fail closed: when the event cannot be stored the request fails with a 503 problem, returns no
patient data, and its transaction (the business write included) is rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
import weakref
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import Database
from app.errors import PROBLEM_MEDIA_TYPE, DomainError
from app.security import Principal
from app.services.audit import AuditEntry, append_event, append_events

logger = logging.getLogger(__name__)

_PATIENT_REF = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: An end user's id (the X-User-Id header): one pattern for the header and the audit trail.
USER_ID_PATTERN = r"^[A-Za-z0-9._:@/-]{1,128}$"
_USER_ID = re.compile(USER_ID_PATTERN)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class AuditUnavailable(DomainError):
    status, slug, title = 503, "audit-unavailable", "Audit trail unavailable"


AUDIT_503: dict[str, Any] = {
    "description": "The request could not be recorded in the audit trail, so it was not "
    "carried out: nothing was stored and no patient data is returned. Retry later.",
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


#: An emergency disclosure (42 CFR 2.51) is audited under its own action, so reviewers can
#: find every break-glass use with one filter (`action=break_glass`).
BREAK_GLASS = "break_glass"


@dataclass(frozen=True, slots=True)
class AuditSpec:
    """How a route is audited."""

    action: Literal["read", "list", "create", "update", "evaluate", "disclose"]
    resource_type: str
    id_param: str | None = None  # path parameter holding the resource id
    patient_param: str | None = None  # path or query parameter holding the patient reference


AUDITED_ROUTES: dict[tuple[str, str], AuditSpec] = {
    ("POST", "/v1/assessments"): AuditSpec("create", "assessment"),
    ("GET", "/v1/assessments/{assessment_id}"): AuditSpec(
        "read", "assessment", id_param="assessment_id"
    ),
    ("GET", "/v1/patients/{patient_ref}/assessments"): AuditSpec(
        "list", "assessment", patient_param="patient_ref"
    ),
    ("POST", "/v1/plans"): AuditSpec("create", "plan"),
    ("GET", "/v1/plans"): AuditSpec("list", "plan", patient_param="patient_ref"),
    ("GET", "/v1/plans/{plan_id}"): AuditSpec("read", "plan", id_param="plan_id"),
    ("PATCH", "/v1/plans/{plan_id}"): AuditSpec("update", "plan", id_param="plan_id"),
    ("POST", "/v1/plans/{plan_id}/reassessments"): AuditSpec("update", "plan", id_param="plan_id"),
    ("GET", "/v1/plans/{plan_id}/revisions"): AuditSpec(
        "list", "plan_revision", id_param="plan_id"
    ),
    ("GET", "/v1/plans/{plan_id}/revisions/{number}"): AuditSpec(
        "read", "plan_revision", id_param="plan_id"
    ),
    ("GET", "/v1/plans/{plan_id}/history"): AuditSpec("read", "plan_history", id_param="plan_id"),
    ("PUT", "/v1/plans/{plan_id}/recommendations/{code}/decision"): AuditSpec(
        "update", "plan_decision", id_param="plan_id"
    ),
    ("PUT", "/v1/plans/{plan_id}/relapse-prevention"): AuditSpec(
        "update", "plan", id_param="plan_id"
    ),
    ("GET", "/v1/plans/{plan_id}/fhir"): AuditSpec("read", "plan_fhir", id_param="plan_id"),
    ("POST", "/v1/fhir/evaluate"): AuditSpec(
        "evaluate", "fhir_bundle", patient_param="patient_ref"
    ),
    ("POST", "/v1/fhir/plans"): AuditSpec("create", "plan", patient_param="patient_ref"),
    ("POST", "/v1/evaluate"): AuditSpec("evaluate", "assessment"),
    ("POST", "/cds-services/{service_id}"): AuditSpec(
        "evaluate", "cds_service", id_param="service_id"
    ),
    # Card outcomes from the EHR: who reported accepting or overriding which service's cards.
    ("POST", "/cds-services/{service_id}/feedback"): AuditSpec(
        "create", "cds_feedback", id_param="service_id"
    ),
    ("POST", "/v1/plans/{plan_id}/consents"): AuditSpec(
        "create", "plan_consent", id_param="plan_id"
    ),
    ("GET", "/v1/plans/{plan_id}/consents"): AuditSpec("list", "plan_consent", id_param="plan_id"),
    ("GET", "/v1/plans/{plan_id}/consents/{consent_id}"): AuditSpec(
        "read", "plan_consent", id_param="consent_id"
    ),
    ("POST", "/v1/plans/{plan_id}/consents/{consent_id}/revocation"): AuditSpec(
        "update", "plan_consent", id_param="consent_id"
    ),
    # A disclosure outside the organisation (consent or break-glass): the recipient and basis
    # are in plan_disclosures, joined by request id in the accounting of disclosures.
    ("POST", "/v1/plans/{plan_id}/disclosures"): AuditSpec("disclose", "plan", id_param="plan_id"),
    ("GET", "/v1/disclosures"): AuditSpec("list", "disclosure", patient_param="patient_ref"),
    ("GET", "/v1/audit-events"): AuditSpec("list", "audit_event", patient_param="patient_ref"),
    ("GET", "/v1/patients/{patient_ref}/disclosures"): AuditSpec(
        "list", "disclosure", patient_param="patient_ref"
    ),
}


def outcome_for(status: int) -> str:
    """success, denied (401), forbidden (403), not_found (404), rejected (other 4xx), error."""
    if status < 400:
        return "success"
    return {401: "denied", 403: "forbidden", 404: "not_found"}.get(
        status, "rejected" if status < 500 else "error"
    )


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, DomainError):
        return exc.status
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    return 500


def _valid(pattern: re.Pattern[str], value: Any) -> str | None:
    """Only well-formed identifiers are recorded: a malformed one may be anything."""
    return value if isinstance(value, str) and pattern.match(value) else None


class AuditRecorder:
    """The audit event of one request, filled in as the request learns who and what."""

    def __init__(self, request: Request, spec: AuditSpec | None) -> None:
        self.request = request
        self.spec = spec
        self.principal: Principal | None = None
        self.committed = False
        self.patient_ref: str | None = None
        self.resource_id: str | None = None
        self.user_id: str | None = None
        self.action: str | None = None  # a break-glass disclosure, or a search that found nothing
        if spec is None:
            return
        params = request.path_params
        if spec.id_param is not None:
            self.resource_id = _valid(_RESOURCE_ID, params.get(spec.id_param))
        if spec.patient_param is not None:
            value = params.get(spec.patient_param, request.query_params.get(spec.patient_param))
            self.patient_ref = _valid(_PATIENT_REF, value)
        self.user_id = _valid(_USER_ID, request.headers.get("x-user-id"))

    @property
    def active(self) -> bool:
        return self.spec is not None and not self.committed

    def note(
        self,
        *,
        patient_ref: Any = None,
        resource_id: Any = None,
        user_id: Any = None,
    ) -> None:
        if patient_ref is not None:
            self.patient_ref = _valid(_PATIENT_REF, patient_ref) or self.patient_ref
        if resource_id is not None and self.resource_id is None:
            # The first id wins: the resource the route names, not one stored along the way.
            self.resource_id = _valid(_RESOURCE_ID, str(resource_id))
        if user_id is not None:
            self.user_id = _valid(_USER_ID, user_id) or self.user_id

    def entry(self, status: int) -> AuditEntry:
        assert self.spec is not None  # noqa: S101 (callers check ``active``)
        principal = self.principal or getattr(self.request.state, "principal", None)
        route = self.request.scope.get("route")
        request_id = getattr(self.request.state, "audit_request_id", None)
        return AuditEntry(
            tenant_id=principal.tenant_id if principal is not None else None,
            request_id=_valid(_REQUEST_ID, request_id) or uuid.uuid4().hex,
            client_id=principal.client_id if principal is not None else None,
            user_id=self.user_id,
            patient_ref=self.patient_ref,
            resource_type=self.spec.resource_type,
            resource_id=self.resource_id,
            action=self.action or self.spec.action,
            outcome=outcome_for(status),
            method=self.request.method,
            route=getattr(route, "path", "?")[:128],
            http_status=status,
        )

    def success_status(self) -> int:
        route = self.request.scope.get("route")
        status = getattr(route, "status_code", None)
        return int(status) if status else 200

    async def append(self, session: AsyncSession, status: int) -> None:
        """Append the event in ``session``'s transaction; AuditUnavailable when it fails."""
        try:
            await append_event(session, self.entry(status))
        except Exception as exc:
            logger.error("audit append failed: %s", type(exc).__name__)
            raise AuditUnavailable(
                "The request could not be recorded in the audit trail, so it was not carried "
                "out. Retry later."
            ) from None

    async def commit(self, session: AsyncSession) -> None:
        """Append the success event and commit it with the request's changes."""
        if self.active:
            await self.append(session, self.success_status())
        await session.commit()
        if self.spec is not None:
            self.committed = True

    async def finish(self, session: AsyncSession | None, db: Database, *, locked: bool) -> None:
        """The handler returned: record success unless a commit already did.

        ``session``: the request's session; ``locked``: the session may have written (a
        ``write`` context), so the event must commit with its transaction. A read's session
        commits what little it holds (``last_used_at``) and its event goes through the group
        committer; None: the request has no session (the group committer too)."""
        if not self.active:
            return
        if session is not None and locked:
            await self._commit_in(session)
            return
        if session is not None and session.in_transaction():
            await session.commit()  # before waiting on another transaction (SQLite: one at a time)
        await self._own_transaction(db, self.success_status())

    async def _commit_in(self, session: AsyncSession) -> None:
        await self.append(session, self.success_status())
        try:
            await session.commit()
        except Exception as exc:
            logger.error("audit commit failed: %s", type(exc).__name__)
            raise AuditUnavailable(
                "The request could not be recorded in the audit trail; no data is returned."
            ) from None
        self.committed = True

    async def fail(self, db: Database, exc: BaseException) -> None:
        """The request failed (its transaction is rolled back): record the refusal."""
        if not self.active or isinstance(exc, AuditUnavailable):
            return
        await self._own_transaction(db, _status_of(exc))

    async def _own_transaction(self, db: Database, status: int) -> None:
        """Record the event in a transaction of its own, shared with whatever other requests'
        events are waiting (group commit); the caller holds no open transaction."""
        if not await _committer(db).append(self.entry(status)):
            raise AuditUnavailable(
                "The request could not be recorded in the audit trail. Retry later."
            )
        self.committed = True


class GroupCommitter:
    """Group commit for events that need a transaction of their own (reads, refusals).

    Each caller waits until its event is durable, as before, but events that arrive while a
    commit is in progress are written together by the next one: one transaction, one head
    update per chain and one fsync for the lot, instead of three statements and a commit
    per request. Callers must not hold an open transaction while they wait (on SQLite the
    committer's transaction would wait for theirs)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[AuditEntry, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, entry: AuditEntry) -> bool:
        """True once the event is committed; False when it could not be stored."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        # Shielded: a request cancelled while waiting still has its event written.
        return await asyncio.shield(done)

    async def _write_all(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                stored = await self._write(batch)
                for _entry, done in batch:
                    if not done.done():
                        done.set_result(stored)
        finally:
            self._writer = None
            for _entry, done in self._pending:  # only if this task was cancelled
                if not done.done():
                    done.set_result(False)
            self._pending = []

    async def _write(self, batch: list[tuple[AuditEntry, asyncio.Future[bool]]]) -> bool:
        try:
            async with self._db.session(write=True) as session:
                await append_events(session, [entry for entry, _ in batch], set_tenant=True)
                await session.commit()
        except Exception as exc:
            logger.error("audit commit failed: %s", type(exc).__name__)
            return False
        return True


_COMMITTERS: weakref.WeakKeyDictionary[Database, GroupCommitter] = weakref.WeakKeyDictionary()


def _committer(db: Database) -> GroupCommitter:
    committer = _COMMITTERS.get(db)
    if committer is None:
        committer = _COMMITTERS[db] = GroupCommitter(db)
    return committer


_current: ContextVar[AuditRecorder | None] = ContextVar("audit_recorder", default=None)


def _spec_for(request: Request) -> AuditSpec | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return AUDITED_ROUTES.get((request.method, path)) if path is not None else None


@contextlib.asynccontextmanager
async def recording(request: Request) -> AsyncIterator[AuditRecorder]:
    """The request's recorder; a failure inside the block is recorded, then re-raised."""
    recorder = getattr(request.state, "audit", None)
    if isinstance(recorder, AuditRecorder):  # a second audited dependency: one event still
        yield recorder
        return
    recorder = AuditRecorder(request, _spec_for(request))
    request.state.audit = recorder
    token = _current.set(recorder)
    try:
        yield recorder
    except Exception as exc:
        await recorder.fail(request.app.state.db, exc)
        raise
    finally:
        _current.reset(token)


async def audited(request: Request) -> AsyncIterator[None]:
    """Route dependency (function scope) for audited routes that do not use ``context()``."""
    async with recording(request) as recorder:
        yield
        await recorder.finish(None, request.app.state.db, locked=False)


def note_nothing_returned() -> None:
    """A list that found nothing handed no patient data over: recorded as a ``search`` (the
    attempt stays in the trail), not a ``list``, so it is not in the accounting of
    disclosures."""
    recorder = _current.get()
    if recorder is not None and recorder.spec is not None and recorder.spec.action == "list":
        recorder.action = "search"


def valid_user_id(value: str) -> bool:
    """An X-User-Id the audit trail records (the pattern of the ``X-User-Id`` header)."""
    return _USER_ID.match(value) is not None


def note(*, patient_ref: Any = None, resource_id: Any = None, user_id: Any = None) -> None:
    """Tell the current request's audit event what it touched (no-op outside a request)."""
    recorder = _current.get()
    if recorder is not None:
        recorder.note(patient_ref=patient_ref, resource_id=resource_id, user_id=user_id)


def note_break_glass() -> None:
    """Mark the current request's audit event as a use (or attempt) of break-glass."""
    recorder = _current.get()
    if recorder is not None:
        recorder.action = BREAK_GLASS


async def commit_audited(session: AsyncSession) -> None:
    """Commit a write together with the current request's audit event (fail closed)."""
    recorder = _current.get()
    if recorder is None:
        await session.commit()
    else:
        await recorder.commit(session)


def install_audit(routes: list[Any]) -> None:
    """Declare the 503 on every audited route; refuse to start if the table names a route
    that does not exist (a renamed route must not silently lose its audit)."""
    seen: set[tuple[str, str]] = set()
    for context in iter_route_contexts(routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.path_format:
            continue
        for method in context.methods or ():
            if (method, context.path_format) in AUDITED_ROUTES:
                seen.add((method, context.path_format))
                route.responses.setdefault(503, AUDIT_503)
                effective = getattr(context, "responses", None)  # an included router's copy
                if isinstance(effective, dict):
                    effective.setdefault(503, AUDIT_503)
    missing = set(AUDITED_ROUTES) - seen
    if missing:
        raise RuntimeError(f"audited routes not found: {sorted(missing)}")


async def audit_recorder(request: Request) -> AsyncIterator[AuditRecorder]:
    """Sub-dependency of ``context()``: the recorder, and the failure path after the session
    has closed."""
    async with recording(request) as recorder:
        yield recorder
