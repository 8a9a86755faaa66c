"""Solve the plan: a regime loop that prices every candidate exactly, then branch-and-bound.

The tax binaries (which bracket piece, which Social Security tier, which IRMAA tier) make the LP
relaxation weak: a year's taxable Social Security or IRMAA tier is relaxed to a fraction. So:
1. solve the relaxation, set every binary by its rule from that plan's income (model.rules),
   solve the LP with those binaries fixed (an exactly priced plan), and repeat from it until the
   regimes stop changing (Owl's default loop does the same, but there the frozen cliffs are
   approximations; here a fixed regime is exact for the plans inside it);
2. hand the best plan to HiGHS as a start for the full MILP for the rest of the time limit, which
   returns the best plan with its proven gap.
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo

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

    # 1. the relaxation, then exact LPs with the regimes of the last plan
    relax = load()
    relax.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kContinuous))
    x, _, _ = _run(a, relax, time_limit * 0.2)
    best, best_obj, seen = None, -float("inf"), set()
    for _ in range(rounds if x is not None else 0):
        put(x)
        fixed = np.asarray(a.col_lower, dtype=np.double), np.asarray(a.col_upper, dtype=np.double)
        lower, upper = fixed[0].copy(), fixed[1].copy()
        for z, rule in pm.rules:
            j = column.get(id(z))
            if j is not None:
                lower[j] = upper[j] = 1.0 if rule() else 0.0
        for (o, age), z in pm.claim.items():  # the claiming age: the largest share in the last plan
            j = column[id(z)]
            ages = {a2: pyo.value(zz) for (o2, a2), zz in pm.claim.items() if o2 == o}
            lower[j] = upper[j] = 1.0 if age == max(ages, key=lambda k: (ages[k], k)) else 0.0
        key = tuple(lower[ints])
        if key in seen:
            break
        seen.add(key)
        h = load()
        h.changeColsBounds(len(ints), ints, lower[ints], upper[ints])
        y, info, _ = _run(a, h, max(0.01, time_limit * 0.6 - (time.perf_counter() - start)))
        if y is None:
            break
        if info.objective_function_value > best_obj:
            best, best_obj = y, info.objective_function_value
        x = y
        if time.perf_counter() - start > time_limit * 0.6:
            break

    # 2. branch-and-bound from the best exactly priced plan
    h = load()
    if best is not None:
        h.setSolution(len(best), np.arange(len(best), dtype=np.int32), np.asarray(best, dtype=np.double))
    y, info, status = _run(a, h, time_limit - (time.perf_counter() - start))
    seconds = time.perf_counter() - start
    S = highspy.HighsModelStatus
    if y is None:
        if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return SolveOutcome("infeasible", "highs", None, None, None, seconds, "no plan meets the spending in every year")
        return SolveOutcome("error", "highs", None, None, None, seconds, f"no plan found within {time_limit:g} s; raise the time limit")
    put(y)
    obj, bound = info.objective_function_value, info.mip_dual_bound
    optimal = status == S.kOptimal
    msg = "" if optimal else "stopped at the time limit; the best plan found is returned with its gap"
    return SolveOutcome("optimal" if optimal else "feasible", "highs", obj, bound, _gap(obj, bound), seconds, msg)
