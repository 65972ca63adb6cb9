"""UCUM unit conversion into the units the assessment fields are named in.

Only exact UCUM codes (``Quantity.system`` = http://unitsofmeasure.org) listed here are
converted; anything else is reported by the caller, never guessed from the display text.
UCUM treats ``l`` and ``L`` both as the litre, so ``mg/dl`` and ``mg/dL`` are the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Linear:
    """``target = value * factor + offset``."""

    factor: float = 1.0
    offset: float = 0.0

    def apply(self, value: float) -> float:
        return value * self.factor + self.offset


SAME: Final = Linear()

PER_MIN: Final = {"/min": SAME, "{beats}/min": SAME, "{breaths}/min": SAME}
MM_HG: Final = {"mm[Hg]": SAME}
# degF -> Cel: (F - 32) * 5/9.
CELSIUS: Final = {"Cel": SAME, "[degF]": Linear(5 / 9, -32 * 5 / 9)}
PERCENT: Final = {"%": SAME}
# The international avoirdupois pound is exactly 0.45359237 kg (UCUM [lb_av]).
KILOGRAM: Final = {"kg": SAME, "g": Linear(0.001), "[lb_av]": Linear(0.45359237)}
LITRE_PER_MIN: Final = {"L/min": SAME}

LAB_UNITS: Final[dict[str, dict[str, Linear]]] = {
    # 1 U = 1 umol/min = 1 IU for enzymes; 1 ukat = 1 umol/s = 60 U.
    "alt": {"U/L": SAME, "[IU]/L": SAME, "ukat/L": Linear(60)},
    "ast": {"U/L": SAME, "[IU]/L": SAME, "ukat/L": Linear(60)},
    "alp": {"U/L": SAME, "[IU]/L": SAME, "ukat/L": Linear(60)},
    # Bilirubin molar mass 584.66 g/mol: 1 mg/dL = 17.104 umol/L.
    "bilirubin": {"mg/dL": SAME, "umol/L": Linear(1 / 17.104)},
    # INR is a dimensionless ratio.
    "inr": {"{INR}": SAME, "1": SAME, "{ratio}": SAME},
    # Potassium is monovalent: 1 meq = 1 mmol.
    "potassium": {"mmol/L": SAME, "meq/L": SAME},
    # Magnesium 24.305 g/mol, divalent: 1 mg/dL = 10/24.305 mmol/L; 1 meq = 0.5 mmol.
    "magnesium": {
        "mmol/L": SAME,
        "meq/L": Linear(0.5),
        "mg/dL": Linear(10 / 24.305),
        "mg/L": Linear(1 / 24.305),
    },
    # Creatinine 113.12 g/mol: 1 mg/dL = 88.42 umol/L.
    "creatinine": {"mg/dL": SAME, "umol/L": Linear(1 / 88.42)},
    # "mL/min/1.73m2" is not valid UCUM but is what many labs send for the same unit;
    # plain mL/min (not normalised to body surface) is a different quantity.
    "egfr": {"mL/min/{1.73_m2}": SAME, "mL/min/1.73m2": SAME},
    "qtc": {"ms": SAME, "s": Linear(1000)},
}


def normalise(code: str) -> str:
    """Fold the lower-case litre into ``L`` (``mg/dl`` -> ``mg/dL``, ``mmol/l`` -> ``mmol/L``)."""
    if code.endswith(("/l", "dl")):
        return code[:-1] + "L"
    return code


def convert(value: float, code: str, table: dict[str, Linear]) -> float | None:
    """The value in the table's target unit, or None when the unit is not in the table."""
    conversion = table.get(normalise(code))
    return None if conversion is None else conversion.apply(value)
