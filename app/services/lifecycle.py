"""Which plan status and phase changes are allowed (pure; used by the PATCH handler)."""

from __future__ import annotations

from app.schemas.plan_vocab import Phase, PlanStatus

S = PlanStatus
STATUS_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    S.draft: frozenset({S.active, S.revoked, S.entered_in_error}),
    S.active: frozenset({S.on_hold, S.completed, S.revoked, S.entered_in_error}),
    S.on_hold: frozenset({S.active, S.completed, S.revoked, S.entered_in_error}),
    S.completed: frozenset({S.entered_in_error}),
    S.revoked: frozenset({S.entered_in_error}),
    S.entered_in_error: frozenset(),
}

P = Phase
# Forward one phase at a time; back to stabilization on relapse; aftercare back to therapy.
PHASE_TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    P.stabilization: frozenset({P.behavioral_therapy}),
    P.behavioral_therapy: frozenset({P.aftercare, P.stabilization}),
    P.aftercare: frozenset({P.behavioral_therapy, P.stabilization}),
}

# A phase can only change while the plan is in use.
PHASE_CHANGE_STATUSES = frozenset({S.draft, S.active, S.on_hold})


def allowed_statuses(current: PlanStatus) -> list[str]:
    return sorted(s.value for s in STATUS_TRANSITIONS[current])


def allowed_phases(current: Phase) -> list[str]:
    return sorted(p.value for p in PHASE_TRANSITIONS[current])
