"""docs/hazards.yaml names real tests: every implemented control is verified by tests that
exist (file and top-level test function)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "hazards.yaml"
FIELDS = {
    "id",
    "hazard",
    "cause",
    "hazardous_situation",
    "harm",
    "severity",
    "likelihood",
    "initial_risk",
    "controls",
    "residual_risk",
    "owner",
    "status",
}


def _log() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(LOG.read_text())
    return data


@cache
def _test_functions(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def test_every_named_test_exists() -> None:
    missing = []
    for hazard in _log()["hazards"]:
        for control in hazard["controls"]:
            assert control["verified_by"], (hazard["id"], control["description"])
            for node in control["verified_by"]:
                file, _, name = node.partition("::")
                path = ROOT / file
                if not path.exists() or name.split("[")[0] not in _test_functions(path):
                    missing.append(f"{hazard['id']}: {node}")
    assert not missing, "hazard log names tests that do not exist:\n" + "\n".join(missing)


def test_hazards_are_complete_and_scored() -> None:
    hazards = _log()["hazards"]
    assert len({h["id"] for h in hazards}) == len(hazards)
    for h in hazards:
        assert set(h) >= FIELDS, h["id"]
        assert h["initial_risk"] == h["severity"] * h["likelihood"], h["id"]
        assert h["residual_risk"] <= h["initial_risk"], h["id"]
        assert all(c["type"] in {"design", "protective", "information"} for c in h["controls"])
        assert all(c["implemented"] is True for c in h["controls"]), h["id"]


def test_log_matches_the_ruleset_version() -> None:
    from app.rules import RULESET_VERSION

    assert _log()["ruleset_version"] == RULESET_VERSION
