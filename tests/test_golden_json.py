"""Golden `--json` snapshots: every tool on every example household, solve times left out.

The fixtures in tests/golden/ were written by the engine before the terms-and-constraints
refactor (#10); any change to what a command prints shows up here as a diff. Regenerate on
purpose only: `HOUSEHOLDER_REGOLD=1 .venv/bin/python -m pytest tests/test_golden_json.py`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine import contribute, harvest, load_household, locate, rebalance, withdraw

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = ["rivera", "couple", "retiree", "large"]
TOOLS = ["rebalance", "withdraw", "harvest", "locate", "contribute"]
TIMING = {"solve_seconds", "total_seconds"}  # wall-clock figures differ run to run


def run(tool: str, household):
    if tool == "rebalance":
        return rebalance(household)
    if tool == "withdraw":
        return withdraw(household, 50_000)
    if tool == "harvest":
        return harvest(household)
    if tool == "locate":
        return locate(household)
    return contribute(household, 10_000, household.accounts[0].id)


def masked(value):
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def snapshot(tool: str, example: str) -> dict:
    household = load_household(ROOT / "examples" / f"{example}.json")
    # The same JSON the CLI's --json prints (json.dumps of model_dump(mode="json")).
    return masked(json.loads(json.dumps(run(tool, household).model_dump(mode="json"))))


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("tool", TOOLS)
def test_json_output_is_unchanged(tool, example):
    path = GOLDEN / f"{example}-{tool}.json"
    got = snapshot(tool, example)
    if os.environ.get("HOUSEHOLDER_REGOLD"):
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(path.read_text())
    assert got == want
