"""`kratom-cds evaluate FILE.json [--json]` and `kratom-cds rules doc`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import rules
from app.cli import main
from app.schemas.assessment import AssessmentIn

EXAMPLES = Path(__file__).resolve().parents[1] / "app" / "examples"


def _evaluation(path: Path) -> dict[str, Any]:
    assessment = AssessmentIn.model_validate_json(path.read_bytes())
    return rules.evaluate(assessment, as_of=assessment.assessed_at).model_dump(mode="json")


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_evaluate_json_prints_the_engines_evaluation(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(EXAMPLES / example), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == _evaluation(EXAMPLES / example)


def test_evaluate_text_shows_level_of_care_then_alerts_then_each_phase(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = EXAMPLES / "severe-7oh-polysubstance.json"
    evaluation = _evaluation(path)
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    headings = [
        "LEVEL OF CARE:",
        "ALERTS (",
        "PHASE: ASSESSMENT",
        "PHASE: BEHAVIORAL",
        "PHASE: AFTERCARE",
    ]
    positions = [out.index(h) for h in headings]
    assert positions == sorted(positions)
    alerts = evaluation["alerts"]
    assert alerts, "the severe example should raise alerts"
    for alert in alerts:
        assert f"({alert['rule_id']})" in out
    recommendations = [r for p in evaluation["phases"] for r in p["recommendations"]]
    for rec in recommendations:
        assert f"[{rec['status'].upper()}] {rec['title']}" in out
    assert "Why:" in out
    assert evaluation["disclaimer"].split()[0] in out


def test_evaluate_reports_every_bad_field_without_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((EXAMPLES / "moderate-outpatient.json").read_text())
    document["vitals"]["heart_rate_bpm"] = 400
    document["vitals"]["spo2_percent"] = 101
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    assert main(["evaluate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "/vitals/heart_rate_bpm" in captured.err
    assert "/vitals/spo2_percent" in captured.err
    # The file's own path is named (pytest's tmp dirs are numbered: pytest-101/...); the
    # submitted values must not be.
    errors = captured.err.replace(str(path), "")
    assert "400" not in errors
    assert "101" not in errors


def test_evaluate_refuses_an_assessment_dated_in_the_future(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the API does: 2062 typed for 2026 would read as 36-year-old vital signs."""
    document = json.loads((EXAMPLES / "moderate-outpatient.json").read_text())
    document["assessed_at"] = "2062-11-26T14:10:00Z"
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document))
    assert main(["evaluate", str(path)]) == 2
    assert "/assessed_at: assessed_at is in the future" in capsys.readouterr().err


def test_rules_doc_writes_the_knowledge_base(tmp_path: Path) -> None:
    output = tmp_path / "kb.md"
    assert main(["rules", "doc", "--output", str(output)]) == 0
    assert output.read_text() == rules.knowledge_base_markdown()
