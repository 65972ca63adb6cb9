"""In-process cost of validating an assessment from JSON bytes (median of repeated runs).

.venv/bin/python bench/validation_bench.py
"""

from __future__ import annotations

import statistics
import sys
import timeit
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn

MINIMAL = {
    "assessed_at": "2026-11-26T14:10:00Z",
    "patient": {"patient_ref": "p-1", "age_years": 40, "sex_at_birth": "female"},
    "vitals": {
        "heart_rate_bpm": 88,
        "systolic_bp_mmhg": 128,
        "diastolic_bp_mmhg": 80,
        "respiratory_rate_per_min": 16,
        "temperature_c": 36.9,
        "spo2_percent": 98,
        "on_supplemental_oxygen": False,
        "consciousness": "alert",
    },
    "withdrawal": {
        "cows": {
            "resting_pulse": 1,
            "sweating": 1,
            "restlessness": 1,
            "pupil_size": 1,
            "bone_joint_aches": 2,
            "runny_nose_tearing": 1,
            "gi_upset": 2,
            "tremor": 1,
            "yawning": 1,
            "anxiety_irritability": 2,
            "gooseflesh": 0,
        },
        "hours_since_last_kratom_use": 14,
    },
}


def median_us(body: bytes, number: int = 2000) -> float:
    runs = timeit.repeat(lambda: AssessmentIn.model_validate_json(body), number=number, repeat=7)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    for name, doc in (("full example", ASSESSMENT_EXAMPLE), ("vitals + COWS", MINIMAL)):
        body = orjson.dumps(doc)
        print(f"{name:<14} {len(body):>5} bytes  {median_us(body):6.1f} us per validation")


if __name__ == "__main__":
    main()
