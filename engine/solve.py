"""Solver choice, limits and status, in one place. Both solvers end in the same SolveOutcome."""
from __future__ import annotations

import importlib.util
import shutil
import time
from dataclasses import dataclass
from typing import Literal

import pyomo.environ as pyo

SolverName = Literal["auto", "glpk", "highs"]
Status = Literal["optimal", "feasible", "infeasible", "error"]
MIP_GAP = 1e-6


@dataclass(frozen=True)
class SolveOutcome:
    status: Status
    solver: str
    objective: float | None  # dollars, as the model counts them
    bound: float | None
    gap: float | None  # relative gap between the plan and the best bound
    seconds: float
    message: str = ""
    duals: dict[str, float] | None = None  # constraint name -> dual value, for LPs asked with duals=True

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "feasible")


class SolverUnavailable(RuntimeError):
    pass


def highs_available() -> bool:
    return importlib.util.find_spec("highspy") is not None


def glpk_available() -> bool:
    return shutil.which("glpsol") is not None


def pick_solver(name: SolverName) -> str:
    """`auto` takes HiGHS when installed and GLPK otherwise."""
    if name == "auto":
        if highs_available():
            return "highs"
        if glpk_available():
            return "glpk"
        raise SolverUnavailable("no solver found: install highspy (pip) or glpk-utils (apt) ")
    if name == "highs" and not highs_available():
        raise SolverUnavailable("HiGHS is not installed: pip install highspy, or use --solver glpk")
    if name == "glpk" and not glpk_available():
        raise SolverUnavailable("GLPK is not installed: apt-get install glpk-utils, or use --solver highs")
    return name


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def _solve_highs(m: pyo.ConcreteModel, time_limit: float, duals: bool = False) -> SolveOutcome:
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

    start = time.perf_counter()
    result = SolverFactory("highs").solve(
        m, load_solutions=False, raise_exception_on_nonoptimal_result=False, time_limit=time_limit, rel_gap=MIP_GAP
    )
    seconds = time.perf_counter() - start
    tc = result.termination_condition
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        return SolveOutcome("infeasible", "highs", None, None, None, seconds, "no plan meets every hard constraint")
    if result.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible):
        result.solution_loader.load_vars()
        obj, bound = result.incumbent_objective, result.objective_bound
        status: Status = "optimal" if tc == TerminationCondition.convergenceCriteriaSatisfied else "feasible"
        msg = "" if status == "optimal" else f"stopped early ({tc.name}); best plan found is returned"
        y = {c.name: v for c, v in result.solution_loader.get_duals().items()} if duals else None
        return SolveOutcome(status, "highs", obj, bound, 0.0 if status == "optimal" else _gap(obj, bound), seconds, msg, y)
    if tc == TerminationCondition.maxTimeLimit:
        return SolveOutcome("error", "highs", None, None, None, seconds, f"no plan found within the {time_limit:g} s time limit; raise --time-limit")
    return SolveOutcome("error", "highs", None, None, None, seconds, f"HiGHS ended with {tc.name}")


def _solve_glpk(m: pyo.ConcreteModel, time_limit: float, duals: bool = False) -> SolveOutcome:
    from pyomo.opt import SolverStatus, TerminationCondition

    solver = pyo.SolverFactory("glpk")
    solver.options["tmlim"] = max(1, int(round(time_limit)))
    solver.options["mipgap"] = MIP_GAP
    if duals and not hasattr(m, "dual"):
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    start = time.perf_counter()
    result = solver.solve(m, load_solutions=False)
    seconds = time.perf_counter() - start
    tc = result.solver.termination_condition
    if tc in (TerminationCondition.infeasible, TerminationCondition.infeasibleOrUnbounded):
        return SolveOutcome("infeasible", "glpk", None, None, None, seconds, "no plan meets every hard constraint")
    if len(result.solution) == 0:
        why = "time limit" if tc == TerminationCondition.maxTimeLimit else str(tc)
        return SolveOutcome("error", "glpk", None, None, None, seconds, f"GLPK found no plan ({why}); raise --time-limit or use --solver highs")
    m.solutions.load_from(result)
    obj = pyo.value(next(m.component_objects(pyo.Objective, active=True)))
    bound = result.problem.lower_bound
    bound = float(bound) if bound is not None and abs(float(bound)) != float("inf") else None
    if tc == TerminationCondition.optimal and result.solver.status == SolverStatus.ok:
        y = {c.name: m.dual.get(c, 0.0) for c in m.component_data_objects(pyo.Constraint, active=True)} if duals else None
        return SolveOutcome("optimal", "glpk", obj, bound, 0.0, seconds, "", y)
    return SolveOutcome("feasible", "glpk", obj, bound, _gap(obj, bound), seconds, f"stopped early ({tc}); best plan found is returned")


def solve(m: pyo.ConcreteModel, solver: SolverName = "auto", time_limit: float = 30.0, duals: bool = False) -> SolveOutcome:
    """Solve in place; on a plan, the model's variables hold it. Never raises for a solver failure."""
    name = pick_solver(solver)
    try:
        return _solve_highs(m, time_limit, duals) if name == "highs" else _solve_glpk(m, time_limit, duals)
    except Exception as err:  # a crashed or missing solver binary is a status, not a traceback
        return SolveOutcome("error", name, None, None, None, 0.0, f"{name} failed: {err}")
