"""The example households stay valid, solvable, and in step with their generator."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from engine import Options, load_household, rebalance
from engine.solve import glpk_available, highs_available
from engine.taxdata import WASH_SALE_DAYS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HOUSEHOLDS = sorted(p.name for p in EXAMPLES.glob("*.json") if p.name != "targets.json")
SOLVERS = [s for s, ok in (("highs", highs_available()), ("glpk", glpk_available())) if ok]


@pytest.mark.parametrize("name", HOUSEHOLDS)
def test_example_loads(name):
    h = load_household(EXAMPLES / name)
    assert h.accounts and h.securities


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", HOUSEHOLDS)
def test_example_rebalances_to_optimal(name, solver):
    result = rebalance(load_household(EXAMPLES / name), Options(solver=solver))
    assert result.status == "optimal", result.message
    assert result.after is not None and result.after.drift <= result.before.drift + 1e-9


def test_large_is_what_its_generator_writes(tmp_path):
    out = tmp_path / "large.json"
    subprocess.run([sys.executable, str(EXAMPLES / "make_large.py"), "--out", str(out)], check=True)
    assert out.read_bytes() == (EXAMPLES / "large.json").read_bytes(), "rerun examples/make_large.py and commit large.json"


def test_large_exercises_what_it_is_for():
    h = load_household(EXAMPLES / "large.json")
    assert (EXAMPLES / "large.json").stat().st_size < 300_000
    assert {a.kind for a in h.accounts} == {"taxable", "traditional", "roth", "hsa"}
    taxable = [(l, h.security(l.ticker).price) for a in h.accounts if a.kind == "taxable" for l in a.holdings]
    assert len(taxable) >= 300
    assert any(l.shares * p < l.cost_basis for l, p in taxable) and any(l.shares * p > l.cost_basis for l, p in taxable)
    window = h.as_of - timedelta(days=WASH_SALE_DAYS)
    assert sum(l.acquired >= window for l, _ in taxable) >= 3
    assert h.restrictions and h.identical


def test_targets_example_is_not_a_household():
    # targets.json is the importer's half of a pair; a household file it is not.
    assert "accounts" not in json.loads((EXAMPLES / "targets.json").read_text())
