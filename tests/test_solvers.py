"""GLPK against HiGHS on the example households, time limits, and a missing solver.

The two solvers share one model, so on every example they must both prove optimality and
agree on the objective; a limit or a missing solver is a status in the Result, never a
traceback.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

import engine.solve
from engine import HouseholdError, Options, load_household, rebalance
from engine.plan import Plan
from engine.scenarios import household_scenario
from engine.solve import glpk_available, highs_available, solve
from engine.universe import build_universe

from strategies import hard_household

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SLOW_SECONDS = 10.0  # an example HiGHS needs longer than this for is too big for this file

needs_both = pytest.mark.skipif(not (glpk_available() and highs_available()), reason="needs both GLPK and HiGHS")


def example_households() -> list:
    """Every examples/*.json that is a household (others, such as target files, are skipped)."""
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        try:
            load_household(path)
        except HouseholdError:
            continue
        out.append(pytest.param(path, id=path.stem))
    return out


def solved_objective(path: Path, solver: str) -> tuple[str, float | None, float]:
    h = load_household(path)
    u = build_universe(h, 10.0)
    m, _ = household_scenario("rebalance", u, Options()).build(u)
    start = time.perf_counter()
    outcome = solve(m, solver, time_limit=60)
    return outcome.status, outcome.objective, time.perf_counter() - start


@needs_both
@pytest.mark.parametrize("path", example_households())
def test_glpk_and_highs_agree_on_every_example(path):
    status_h, objective_h, seconds = solved_objective(path, "highs")
    if seconds > SLOW_SECONDS:
        pytest.skip(f"{path.name} took HiGHS {seconds:.1f} s")
    status_g, objective_g, _ = solved_objective(path, "glpk")
    assert (status_h, status_g) == ("optimal", "optimal")
    assert abs(objective_h - objective_g) <= 1e-4 * max(1.0, abs(objective_h)), (objective_h, objective_g)


@needs_both
def test_both_solvers_plans_as_read_back_cost_the_same():
    # Plans may differ where the objective ties (say, how much extra loss to realize when losses
    # are only worth what they offset), but read back and re-priced they must cost the same.
    h = load_household(EXAMPLES / "rivera.json")
    o = Options(baseline=False)
    u = build_universe(h, o.horizon_years)
    s = household_scenario("rebalance", u, o)
    costs = {}
    for solver in ("highs", "glpk"):
        r = rebalance(h, o.model_copy(update={"solver": solver}))
        assert (r.status, r.solver) == ("optimal", solver)
        plan = Plan()
        for t in r.trades:
            if t.action == "sell":
                plan.sells[(t.account, t.lot_id)] = t.shares
            else:
                plan.buys[(t.account, t.ticker)] = t.shares
        costs[solver] = s.objective(u, plan)
    assert abs(costs["highs"] - costs["glpk"]) <= 1e-4 * max(1.0, abs(costs["highs"])) + 0.01, costs


# ---- time limits --------------------------------------------------------------------------

TINY = 0.001  # seconds: no MILP solver finishes this household in that time


def keeps_cash_and_lots(h, r) -> None:
    lots = {(a.id, l.id): l for a in h.accounts for l in a.holdings}
    cash = {a.id: a.cash for a in h.accounts}
    for t in r.trades:
        if t.action == "sell":
            assert t.shares <= lots[(t.account, t.lot_id)].shares + 1e-9
            cash[t.account] += t.shares * t.price
        else:
            cash[t.account] -= t.shares * t.price
    for a in h.accounts:
        assert cash[a.id] >= min(a.cash, a.cash_reserve) - 0.01, a.id


@pytest.mark.parametrize("solver", ["highs", "glpk"])
def test_tiny_time_limit_never_raises(solver):
    if not (highs_available() if solver == "highs" else glpk_available()):
        pytest.skip(f"{solver} is not installed")
    h = hard_household()
    r = rebalance(h, Options(solver=solver, time_limit=TINY, baseline=False))
    assert r.status in ("optimal", "feasible", "error")
    if r.status == "error":
        assert "time limit" in r.message, r.message
        assert r.trades == []
    else:
        keeps_cash_and_lots(h, r)


@pytest.mark.parametrize("solver", ["highs", "glpk"])
def test_tiny_time_limit_returns_a_plan_and_its_gap(solver):
    if not (highs_available() if solver == "highs" else glpk_available()):
        pytest.skip(f"{solver} is not installed")
    h = hard_household()
    r = rebalance(h, Options(solver=solver, time_limit=TINY, baseline=False))
    assert r.status in ("optimal", "feasible"), (r.status, r.message)
    if r.status == "optimal":
        assert r.gap == 0.0
    elif r.gap is None:
        # Stopped before the solver had a bound: no gap can be given, and the warning says so.
        assert any(w.startswith("time limit reached") and "no bound" in w for w in r.warnings), r.warnings
    else:
        assert r.gap > 0, r.gap
        assert any(w.startswith("time limit reached") and f"{100 * r.gap:.2f}%" in w for w in r.warnings), r.warnings
    keeps_cash_and_lots(h, r)


# ---- a missing solver ---------------------------------------------------------------------

@pytest.fixture
def rivera():
    return load_household(EXAMPLES / "rivera.json")


def test_no_solver_at_all_is_an_error_that_says_what_to_install(monkeypatch, rivera):
    monkeypatch.setattr(engine.solve, "highs_available", lambda: False)
    monkeypatch.setattr(engine.solve, "glpk_available", lambda: False)
    r = rebalance(rivera, Options())
    assert r.status == "error"
    assert r.trades == [] and r.after is None
    assert "highspy" in r.message and "glpk" in r.message.lower(), r.message


@pytest.mark.parametrize("missing, other", [("highs", "glpk"), ("glpk", "highs")])
def test_asking_for_a_missing_solver_names_it_and_the_other(monkeypatch, rivera, missing, other):
    monkeypatch.setattr(engine.solve, f"{missing}_available", lambda: False)
    r = rebalance(rivera, Options(solver=missing))
    assert r.status == "error"
    assert r.trades == []
    assert ("HiGHS" if missing == "highs" else "GLPK") in r.message
    assert f"--solver {other}" in r.message, r.message


@pytest.mark.skipif(not glpk_available(), reason="needs GLPK")
def test_auto_falls_back_to_glpk_without_highs(monkeypatch, rivera):
    monkeypatch.setattr(engine.solve, "highs_available", lambda: False)
    r = rebalance(rivera, Options(baseline=False))
    assert (r.status, r.solver) == ("optimal", "glpk")
