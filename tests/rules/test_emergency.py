"""An emergency finding overrides everything else (hazard HZ-01): starting buprenorphine,
methadone, naltrexone or an alpha-2 agonist waits for the emergency assessment; naloxone does
not wait."""

from __future__ import annotations

from app.schemas.evaluation import Evaluation
from tests.rules.support import run, setting, status

TOXIC = {"respiratory_rate_per_min": 6, "spo2_percent": 85}  # VS-03 [clinical reference 5.1]


def _rec(ev: Evaluation, code: str) -> object:
    return next(r for p in ev.phases for r in p.recommendations if r.code == code)


def test_opioid_toxicity_defers_buprenorphine_and_lofexidine() -> None:
    ev = run(vitals=TOXIC, considering=["buprenorphine", "lofexidine"])
    assert setting(ev) == "emergency_department"
    for code in ("buprenorphine", "lofexidine"):
        rec = _rec(ev, code)
        assert rec.status == "consider"  # type: ignore[attr-defined]
        assert "VS-03" in rec.rule_ids  # type: ignore[attr-defined]
        assert rec.detail.startswith("Emergency finding first")  # type: ignore[attr-defined]
    assert status(ev, "naloxone") == "recommended"


def test_without_an_emergency_the_same_patient_is_recommended_buprenorphine() -> None:
    ev = run(considering=["buprenorphine", "lofexidine"])
    assert setting(ev) != "emergency_department"
    assert status(ev, "buprenorphine") == "recommended"
    assert status(ev, "lofexidine") == "recommended"


def test_news2_emergency_defers_too() -> None:
    vitals = {"respiratory_rate_per_min": 26, "heart_rate_bpm": 135, "temperature_c": 39.2}
    ev = run(vitals=vitals, considering=["buprenorphine"])
    assert setting(ev) == "emergency_department"
    assert status(ev, "buprenorphine") == "consider"
    assert "VS-01" in _rec(ev, "buprenorphine").rule_ids  # type: ignore[attr-defined]


def test_a_stricter_status_is_kept() -> None:
    # Naltrexone in withdrawal stays contraindicated: the emergency only caps `recommended`.
    ev = run(vitals=TOXIC, considering=["naltrexone"])
    assert status(ev, "naltrexone") == "contraindicated"
