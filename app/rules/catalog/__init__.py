"""The rule table, in evaluation order: safety first, then level of care, then each phase."""

from __future__ import annotations

from app.rules.catalog import (
    aftercare,
    alpha2,
    diagnosis,
    exposures,
    level_of_care,
    mental_health,
    opioid_medications,
    organs,
    phases,
    preferences,
    supportive,
    therapy,
    vitals,
)
from app.rules.types import Rule

RULES: tuple[Rule, ...] = (
    *vitals.RULES,
    *mental_health.RULES,
    *exposures.RULES,
    *organs.RULES,
    *level_of_care.RULES,
    *diagnosis.RULES,
    *opioid_medications.RULES,
    *alpha2.RULES,
    *supportive.RULES,
    *therapy.RULES,
    *aftercare.RULES,
    *phases.RULES,  # last: these read what the others found
    *preferences.RULES,
)
