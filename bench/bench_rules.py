"""In-process cost of evaluating the whole ruleset, with its trace, over varied assessments.

    .venv/bin/python bench/bench_rules.py

Prints the median microseconds per `evaluate()` over a set of assessments that spans the
severity range (the shipped examples plus variants), each timed in round-robin so that no
single input dominates. Goal (design.md section 5): <= 100 us median. A bare 2-key dict
display is timed too, as a yardstick for how fast this machine is right now.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rules import RULES, evaluate
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn
from tests.factories import assessment_data, cows_items

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "app" / "examples").glob("*.json"))

VARIANTS = [
    {},
    {"withdrawal": {"cows": cows_items(3)}, "considering": ["naltrexone"]},
    {"withdrawal": {"cows": cows_items(18)}, "social": {"housing": "homeless"}},
    {"withdrawal": {"cows": cows_items(30)}, "labs": {"qtc_ms": 505}},
    {"vitals": {"respiratory_rate_per_min": 7, "spo2_percent": 88}},
    {"vitals": None, "withdrawal": {"cows": None}, "labs": None},
    {
        "patient": {"sex_at_birth": "female", "pregnancy_status": "pregnant"},
        "considering": ["withdrawal_only"],
    },
    {
        "use_history": {
            "product_types": ["concentrated_7oh"],
            "other_substances": ["fentanyl", "benzodiazepines"],
        },
        "considering": ["lofexidine", "clonidine"],
    },
    {
        "labs": {"alt_u_per_l": 400, "total_bilirubin_mg_per_dl": 4.0},
        "medical_history": {"hepatic_impairment_child_pugh": "B"},
    },
    {"screening": {"cssrs": {"wish_to_be_dead": True, "suicidal_thoughts": True}}},
]


def assessments() -> list[AssessmentIn]:
    docs = [orjson.loads(p.read_bytes()) for p in EXAMPLES]
    docs += [ASSESSMENT_EXAMPLE, *(assessment_data(**v) for v in VARIANTS)]
    return [AssessmentIn.model_validate_json(orjson.dumps(d)) for d in docs]


def main() -> None:
    items = assessments()
    for a in items:  # warm up (and fill the recommendation cache as a server would)
        evaluate(a, as_of=a.assessed_at)
    number = 200
    per_input: list[float] = []
    for _ in range(7):
        for a in items:
            runs = timeit.repeat(
                lambda a=a: evaluate(a, as_of=a.assessed_at), number=number, repeat=1
            )
            per_input.append(runs[0] / number * 1e6)
    yardstick = min(timeit.repeat("{'a': 1, 'b': 2}", number=1_000_000, repeat=5)) * 1e3
    print(f"rules: {len(RULES)}, assessments: {len(items)}")
    print(
        f"evaluate() median {statistics.median(per_input):.1f} us, "
        f"p10 {statistics.quantiles(per_input, n=10)[0]:.1f} us, "
        f"p90 {statistics.quantiles(per_input, n=10)[-1]:.1f} us (goal <= 100 us median)"
    )
    print(
        f"yardstick: 2-key dict display {yardstick:.0f} ns; median = "
        f"{statistics.median(per_input) * 1000 / yardstick:,.0f} dict displays"
    )


if __name__ == "__main__":
    main()
