"""The accumulator the rules write to while the engine walks the rule table."""

from __future__ import annotations

from typing import NamedTuple

from app.rules.types import Rule
from app.schemas.evaluation import Category, Setting, Severity, Status
from app.schemas.plan_vocab import Phase


class AlertOut(NamedTuple):
    rule: Rule
    code: str
    severity: Severity
    title: str
    detail: str
    advises_against: tuple[str, ...]


class RecOut(NamedTuple):
    rule: Rule
    phase: Phase
    code: str
    category: Category
    title: str
    status: Status | None
    detail: str


class LevelOut(NamedTuple):
    rule: Rule
    setting: Setting
    reason: str


class GapOut(NamedTuple):
    rule: Rule
    pointer: str
    reason: str


class OpenLevel(NamedTuple):
    """An unanswered question that, answered yes, would require at least `setting`."""

    rule: Rule
    setting: Setting
    question: str


_new = tuple.__new__  # builds the named tuples without their Python-level __new__


class Findings:
    """What the rules found. `rule` is set by the engine before each rule runs."""

    __slots__ = ("alerts", "gaps", "levels", "open_levels", "recs", "rule")

    def __init__(self) -> None:
        self.alerts: list[AlertOut] = []
        self.recs: dict[str, list[RecOut]] = {}  # by code, in first-seen order
        self.levels: list[LevelOut] = []
        self.open_levels: list[OpenLevel] = []
        self.gaps: list[GapOut] = []
        self.rule: Rule

    def alert(
        self,
        code: str,
        severity: Severity,
        title: str,
        detail: str,
        advises_against: tuple[str, ...] = (),
    ) -> None:
        self.alerts.append(
            _new(AlertOut, (self.rule, code, severity, title, detail, advises_against))
        )

    def recommend(
        self,
        phase: Phase,
        code: str,
        category: Category,
        title: str,
        status: Status | None,
        detail: str,
    ) -> None:
        """Add or qualify a recommendation; `status` None adds a note without capping."""
        rec = _new(RecOut, (self.rule, phase, code, category, title, status, detail))
        group = self.recs.get(code)
        if group is None:
            self.recs[code] = [rec]
        else:
            group.append(rec)

    def level(self, setting: Setting, reason: str) -> None:
        self.levels.append(_new(LevelOut, (self.rule, setting, reason)))

    def missing(self, pointer: str, reason: str) -> None:
        self.gaps.append(_new(GapOut, (self.rule, pointer, reason)))

    def could_require(self, setting: Setting, question: str) -> None:
        """A missing answer that could raise the level of care to `setting`: while it is
        more intensive than what the rules decided, the setting is only provisional."""
        self.open_levels.append(_new(OpenLevel, (self.rule, setting, question)))
