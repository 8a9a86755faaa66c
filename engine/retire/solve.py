"""Solve the plan: a regime loop that prices every candidate exactly, then branch-and-bound.

The tax binaries (which bracket piece, which Social Security tier, which IRMAA tier) make the LP
relaxation weak: a year's taxable Social Security or IRMAA tier is relaxed to a fraction. So:
1. solve the relaxation, evaluate every tax piece exactly at that plan (model.steps) to set the binaries,
   solve the LP with those binaries fixed (an exactly priced plan), and repeat from it until the
   regimes stop changing (Owl's default loop does the same, but there the frozen cliffs are
   approximations; here a fixed regime is exact for the plans inside it);
2. hand the best plan to HiGHS as a start for the full MILP for the rest of the time limit, which
   returns the best plan with its proven gap.
"""

from __future__ import annotations

import time

import numpy as np

from ..solve import SolveOutcome, _gap, linear_form, new_highs, pass_matrix
from .model import PlanModel

MIP_GAP = 1e-3  # the gap the acceptance asks for (0.1%)
REGIME_ROUNDS = 12


def _run(a, h, seconds: float, gap: float = MIP_GAP):
    h.setOptionValue("time_limit", max(0.01, seconds))
    h.setOptionValue("mip_rel_gap", gap)
    h.run()
    info = h.getInfo()
    if info.primal_solution_status != 2:
        return None, info, h.getModelStatus()
    return list(h.getSolution().col_value), info, h.getModelStatus()


def solve_plan(pm: PlanModel, time_limit: float = 10.0, rounds: int = REGIME_ROUNDS) -> SolveOutcome:
    import highspy

    start = time.perf_counter()
    a = linear_form(pm.m)
    column = {id(v): j for j, v in enumerate(a.variables)}
    integer = [j for j, i in enumerate(a.integer) if i]
    ints = np.asarray(integer, dtype=np.int32)

    def load():
        h = new_highs()
        pass_matrix(h, a)
        return h

    def put(x: list[float]) -> None:
        for v, val in zip(a.variables, x, strict=True):
            v.set_value(val, skip_validation=True)

    def regime_bounds(x: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds with every binary fixed by its rule at the plan `x` (claims as in x)."""
        put(x)
        lower, upper = np.asarray(a.col_lower, dtype=np.double).copy(), np.asarray(a.col_upper, dtype=np.double).copy()
        for step in pm.steps:
            step()
        for j in integer:
            var = a.variables[j]
            if not any(var is z for z in pm.claim.values()):
                lower[j] = upper[j] = round(var.value)
        for (o, age), z in pm.claim.items():
            j = column[id(z)]
            ages = {a2: x[column[id(zz)]] for (o2, a2), zz in pm.claim.items() if o2 == o}
            lower[j] = upper[j] = 1.0 if age == max(ages, key=lambda k: (ages[k], k)) else 0.0
        return lower, upper

    def regime_loop(x: list[float] | None, seconds: float) -> tuple[list[float] | None, float]:
        """Exact LPs, each with the regimes of the last plan, until they repeat: the best plan."""
        best, best_obj, seen, until = None, -float("inf"), set(), time.perf_counter() + seconds
        for _ in range(rounds if x is not None else 0):
            assert x is not None
            lower, upper = regime_bounds(x)
            key = tuple(lower[ints])
            if key in seen:
                break
            seen.add(key)
            h = load()
            h.changeColsBounds(len(ints), ints, lower[ints], upper[ints])
            y, info, _ = _run(a, h, max(0.01, until - time.perf_counter()))
            if y is None:  # the regimes leave no plan meeting the spending: keep the best so far
                break
            if info.objective_function_value > best_obj:
                best, best_obj = y, info.objective_function_value
            x = y
            if time.perf_counter() > until:
                break
        return best, best_obj

    # 1. the relaxation, then exact LPs with the regimes of the last plan
    relax = load()
    relax.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kContinuous))
    x, _, _ = _run(a, relax, time_limit * 0.2)
    best, best_obj = regime_loop(x, time_limit * 0.4 - (time.perf_counter() - start))

    # 2. branch-and-bound from the best exactly priced plan (a tenth of the time kept for step 3)
    h = load()
    if best is not None:
        h.setSolution(len(best), np.arange(len(best), dtype=np.int32), np.asarray(best, dtype=np.double))
    y, info, status = _run(a, h, 0.9 * time_limit - (time.perf_counter() - start))
    S = highspy.HighsModelStatus
    bound = info.mip_dual_bound if info.mip_node_count != -1 else None
    if y is None and best is None:
        seconds = time.perf_counter() - start
        if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return SolveOutcome("infeasible", "highs", None, None, None, seconds, "no plan meets the spending in every year")
        return SolveOutcome("error", "highs", None, None, None, seconds, f"no plan found within {time_limit:g} s; raise the time limit")
    obj = info.objective_function_value if y is not None else best_obj
    if y is None or (best is not None and best_obj > obj):
        y, obj = best, best_obj
    assert y is not None
    # 3. polish: within the gap the solver may leave a year's tax above the return's (a piece not
    # at its least, a tier paid that was not reached); fixing the regimes at the plan's true values and
    # solving the LP prices every year exactly, and never lowers the plan.
    polished, polished_obj = regime_loop(y, max(0.5, time_limit - (time.perf_counter() - start)))
    if polished is not None and polished_obj >= obj - 1e-6 * max(1.0, abs(obj)):
        y, obj = polished, polished_obj
    put(y)
    seconds = time.perf_counter() - start
    optimal = status == S.kOptimal
    msg = "" if optimal else "stopped at the time limit; the best plan found is returned with its gap"
    gap = 0.0 if optimal else _gap(obj, bound)
    return SolveOutcome("optimal" if optimal else "feasible", "highs", obj, bound, gap, seconds, msg)
