"""Solver choice, limits and status, in one place. Both solvers end in the same SolveOutcome."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from .timing import phase

SolverName = Literal["auto", "glpk", "highs"]
Status = Literal["optimal", "feasible", "infeasible", "error"]
MIP_GAP = 1e-6
MIP_ABS_GAP = 0.01  # dollars: a plan within a cent of the best bound is optimal (no proof hunts on pennies)


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
    notes: tuple[str, ...] = ()  # what the report should say about how this plan was found

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "feasible")


class SolverUnavailable(RuntimeError):
    pass


def highs_available() -> bool:
    return importlib.util.find_spec("highspy") is not None


def glpk_available() -> bool:
    return shutil.which("glpsol") is not None


# Above this many tax lots GLPK's branch and bound stops at a 60 s limit without proving its plan
# (bench/RESULTS.md: L, 2,000 lots, solves in seconds; XL, 8,000 lots, does not); HiGHS does.
GLPK_MAX_LOTS = 3_000


def size_warning(solver: str, lots: int) -> str | None:
    """A warning when GLPK is asked to solve a household larger than it handles in time."""
    if solver != "glpk" or lots <= GLPK_MAX_LOTS:
        return None
    why = "HiGHS is not installed" if not highs_available() else "GLPK was asked for"
    return (
        f"{lots:,} lots is more than GLPK solves in time (about {GLPK_MAX_LOTS:,}); {why}: expect the time limit "
        "and a plan short of the best. Use --solver highs (pip install highspy)"
    )


def pick_solver(name: SolverName) -> str:
    """`auto` takes HiGHS when installed and GLPK otherwise (HiGHS is the faster at every size
    above a few hundred lots and the only one that proves plans above GLPK_MAX_LOTS)."""
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


class _FirstSeen:
    """Columns in the order variables first appear (constraints, then the objective), as Pyomo's
    own HiGHS interface numbers them, so ties between equal plans break the same way."""

    def __init__(self) -> None:
        self.var_map: dict[int, pyo.Var] = {}

    def add(self, var) -> None:
        self.var_map[id(var)] = var


@dataclass
class _Matrix:
    """The model as HiGHS takes it: bounds, costs, integrality and rows in compressed form."""

    variables: list
    constraints: list
    col_lower: list[float]
    col_upper: list[float]
    integer: list[int]
    cost: list[float]
    offset: float
    maximize: bool
    row_lower: list[float]
    row_upper: list[float]
    starts: list[int]
    index: list[int]
    value: list[float]


def linear_form(m: pyo.ConcreteModel) -> _Matrix:
    """Flatten a linear Pyomo model to rows and columns with Pyomo's fast linear walker (the one
    its LP writer uses); named expressions shared by many rows are expanded once."""
    from pyomo.repn.linear import LinearRepnVisitor

    inf = float("inf")
    columns = _FirstSeen()
    visitor = LinearRepnVisitor({}, var_recorder=columns)
    row_lower: list[float] = []
    row_upper: list[float] = []
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    rows: list[list] = []
    constraints = []
    for con in m.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        lb, body, ub = con.to_bounded_expression(True)
        repn = visitor.walk_expression(body)
        if repn.nonlinear is not None:
            raise ValueError(f"constraint {con.name} is not linear")
        constant = repn.constant
        row_lower.append(-inf if lb is None else lb - constant)
        row_upper.append(inf if ub is None else ub - constant)
        rows.append(list(repn.linear.items()))
        constraints.append(con)
    objective = next(m.component_data_objects(pyo.Objective, active=True, descend_into=True))
    obj = visitor.walk_expression(objective.expr)
    if obj.nonlinear is not None:
        raise ValueError("the objective is not linear")
    variables = list(columns.var_map.values())
    column = {vid: j for j, vid in enumerate(columns.var_map)}
    for items in rows:
        starts.append(len(index))
        for vid, coef in items:
            index.append(column[vid])
            value.append(coef)
    cost = [0.0] * len(variables)
    for vid, coef in obj.linear.items():
        cost[column[vid]] = coef
    col_lower, col_upper, integer = [], [], []
    for v in variables:
        lo, hi = v.bounds
        col_lower.append(-inf if lo is None else lo)
        col_upper.append(inf if hi is None else hi)
        integer.append(1 if v.is_integer() else 0)
    return _Matrix(variables, constraints, col_lower, col_upper, integer, cost, obj.constant, objective.sense == pyo.maximize, row_lower, row_upper, starts, index, value)


def _threads_from_env() -> int | None:
    text = os.environ.get("HOUSEHOLDER_HIGHS_THREADS", "1").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


_banner_shown = False
# One thread per solve unless HOUSEHOLDER_HIGHS_THREADS says otherwise (0: HiGHS decides). On this
# 2-core machine, shared with other work, HiGHS's second thread made its MIP about twice as slow
# (M 0.8 s -> 0.4 s, L 6 s -> 3.7 s with one); the chat app and batch run solves side by side anyway.
_highs_threads: int | None = _threads_from_env()


def set_highs_threads(n: int | None) -> None:
    """HiGHS threads per solve in this process; None lets HiGHS use every core."""
    global _highs_threads
    if n != _highs_threads and _banner_shown:
        import highspy

        # HiGHS keeps one thread pool per process, sized by the first solve; start a new one.
        highspy.Highs.resetGlobalScheduler(True)
    _highs_threads = n


def new_highs():
    """A silent HiGHS instance (the first one a process makes prints a banner on stdout)."""
    import highspy

    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        # Size the process's thread pool for our setting, whoever ran HiGHS here before.
        highspy.Highs.resetGlobalScheduler(True)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    if _highs_threads is not None:
        h.setOptionValue("threads", _highs_threads)
    return h


def pass_matrix(h, a: _Matrix) -> None:
    import highspy
    import numpy as np

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(a.variables), len(a.row_lower)
    lp.col_cost_ = np.asarray(a.cost, dtype=np.double)
    lp.col_lower_ = np.asarray(a.col_lower, dtype=np.double)
    lp.col_upper_ = np.asarray(a.col_upper, dtype=np.double)
    lp.row_lower_ = np.asarray(a.row_lower, dtype=np.double)
    lp.row_upper_ = np.asarray(a.row_upper, dtype=np.double)
    lp.offset_ = float(a.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if a.maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = np.asarray(a.starts + [len(a.index)], dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(a.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(a.value, dtype=np.double)
    if any(a.integer):
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in a.integer]
    h.passModel(lp)


# HiGHS model statuses under the names Pyomo gives them, which messages have always used
_HIGHS_STOPS = {
    "kTimeLimit": "maxTimeLimit",
    "kIterationLimit": "iterationLimit",
    "kSolutionLimit": "iterationLimit",
    "kObjectiveBound": "objectiveLimit",
    "kObjectiveTarget": "objectiveLimit",
    "kInterrupt": "interrupted",
}


# A model with this many yes/no variables gets a first plan before the full search. The LP
# relaxation says which orders are worth placing at all; the MILP restricted to those is small and
# quick, and its plan lets the full search prune from the start. Same optimum, less time: on the
# generated households (bench/generate.py, seeds 0-4 at L, 0-1 at XL) the solve took 15-55% less
# CPU in every case, 30% less in total at L and 26% at XL. Smaller models (S, most M, the tests')
# solve as before.
WARM_START_MIN_INTEGERS = 500
START_SHARE = 0.25  # of the time limit, at most, for finding the first plan
START_GAP = 1e-3  # the first plan need only be good (0.1%)


def first_plan(load, integer: list[int], lower: list[float], upper: list[float], seconds: float) -> list[float] | None:
    """A good feasible plan, or None: the MILP with every order the LP relaxation leaves at
    zero switched off (the direction-fixing fast path of STACK-NOTES). `load()` returns a new
    HiGHS instance holding the model; `integer` lists its integer columns, `lower`/`upper` every
    column's bounds."""
    import highspy
    import numpy as np

    ints = np.asarray(integer, dtype=np.int32)
    lp = load()
    lp.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kContinuous))
    lp.setOptionValue("time_limit", max(0.01, seconds))
    lp.run()
    if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    relaxed = np.asarray(lp.getSolution().col_value)[ints]
    cap = np.asarray(upper, dtype=np.double)[ints]
    cap[relaxed < 1e-9] = 0.0
    restricted = load()
    restricted.changeColsBounds(len(ints), ints, np.asarray(lower, dtype=np.double)[ints], cap)
    restricted.setOptionValue("time_limit", max(0.01, seconds - lp.getRunTime()))
    restricted.setOptionValue("mip_rel_gap", START_GAP)
    restricted.run()
    if restricted.getInfo().primal_solution_status != 2:
        return None
    return list(restricted.getSolution().col_value)


def _loaded(a: _Matrix):
    h = new_highs()
    pass_matrix(h, a)
    return h


def _solve_highs(m: pyo.ConcreteModel, time_limit: float, duals: bool = False, initial: dict[str, float] | None = None, abs_gap: float = MIP_ABS_GAP) -> SolveOutcome:
    """HiGHS through highspy, fed the model's rows directly rather than through Pyomo's
    persistent interface, whose expression walk cost more than the solve at 2,000+ lots."""
    import highspy
    import numpy as np

    start = time.perf_counter()
    with phase("translate"), PauseGC():
        a = linear_form(m)
        h = new_highs()
        pass_matrix(h, a)
    integer = [j for j, i in enumerate(a.integer) if i]
    if initial:
        # A known plan (the allocation stage's, for the tax stage): HiGHS completes the columns
        # it does not name and prunes from it.
        named = [(j, initial[v.name]) for j, v in enumerate(a.variables) if v.name in initial]
        if named:
            h.setSolution(len(named), np.asarray([j for j, _ in named], dtype=np.int32), np.asarray([x for _, x in named], dtype=np.double))
    elif len(integer) >= WARM_START_MIN_INTEGERS:
        with phase("solve"):
            first = first_plan(lambda: _loaded(a), integer, a.col_lower, a.col_upper, START_SHARE * time_limit)
        if first is not None:
            h.setSolution(len(first), np.arange(len(first), dtype=np.int32), np.asarray(first, dtype=np.double))
    h.setOptionValue("time_limit", max(0.01, float(time_limit) - (time.perf_counter() - start)))
    h.setOptionValue("mip_rel_gap", MIP_GAP)
    h.setOptionValue("mip_abs_gap", abs_gap)
    with phase("solve"):
        h.run()
    seconds = time.perf_counter() - start
    status = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return SolveOutcome("infeasible", "highs", None, None, None, seconds, "no plan meets every hard constraint")
    has_plan = info.primal_solution_status == 2
    if has_plan:
        solution = h.getSolution()
        for v, x in zip(a.variables, solution.col_value, strict=True):
            v.set_value(x, skip_validation=True)
        obj = info.objective_function_value
        mip = info.mip_node_count != -1
        optimal = status == S.kOptimal
        bound = info.mip_dual_bound if mip else (obj if optimal else None)
        stopped = _HIGHS_STOPS.get(status.name, status.name.removeprefix("k"))
        msg = "" if optimal else f"stopped early ({stopped}); best plan found is returned"
        y = {c.name: d for c, d in zip(a.constraints, solution.row_dual, strict=True)} if duals and solution.dual_valid else None
        return SolveOutcome("optimal" if optimal else "feasible", "highs", obj, bound, 0.0 if optimal else _gap(obj, bound), seconds, msg, y)
    if status == S.kTimeLimit:
        bound = info.mip_dual_bound if info.mip_node_count != -1 and abs(info.mip_dual_bound) < float("inf") else None
        return SolveOutcome("error", "highs", None, bound, None, seconds, f"no plan found within the {time_limit:g} s time limit; raise --time-limit")
    return SolveOutcome("error", "highs", None, None, None, seconds, f"HiGHS ended with {status.name.removeprefix('k')}")


_GLPK_PROGRESS = re.compile(r"mip =\s+(\S+)\s+[<>]=\s+(\S+)")


def _glpk_log(log: Path) -> tuple[float | None, bool]:
    """(best bound, whether the search ended at the gap tolerance) from glpsol's log. The bound is
    on its last branch-and-bound line (`+ 852: mip = 9.32e+02 >= 2.84e+02 69.5% ...`); Pyomo reads
    none from a stopped search, and calls a plan that met the gap tolerance merely 'feasible'."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return None, False
    within_gap = any("MIP GAP TOLERANCE REACHED" in line for line in lines)
    for line in reversed(lines):
        found = _GLPK_PROGRESS.search(line)
        if found:
            try:
                bound = float(found.group(2))
            except ValueError:
                return None, within_gap
            return (bound if math.isfinite(bound) else None), within_gap
    return None, within_gap


def _solve_glpk(m: pyo.ConcreteModel, time_limit: float, duals: bool = False) -> SolveOutcome:
    from pyomo.opt import SolverStatus, TerminationCondition

    solver = pyo.SolverFactory("glpk")
    solver.options["tmlim"] = max(1, int(round(time_limit)))
    solver.options["mipgap"] = MIP_GAP
    if duals and not hasattr(m, "dual"):
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    start = time.perf_counter()
    with phase("solve"), tempfile.TemporaryDirectory(prefix="householder-glpk-") as folder:
        log = Path(folder) / "glpsol.log"
        result = solver.solve(m, load_solutions=False, logfile=str(log))
        log_bound, within_gap = _glpk_log(log)
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
    bound = float(bound) if bound is not None and abs(float(bound)) != float("inf") else log_bound
    if (tc == TerminationCondition.optimal or within_gap) and result.solver.status == SolverStatus.ok:
        y = {c.name: m.dual.get(c, 0.0) for c in m.component_data_objects(pyo.Constraint, active=True)} if duals else None
        return SolveOutcome("optimal", "glpk", obj, bound, 0.0, seconds, "", y)
    return SolveOutcome("feasible", "glpk", obj, bound, _gap(obj, bound), seconds, f"stopped early ({tc}); best plan found is returned")


def solve(
    m: pyo.ConcreteModel, solver: SolverName = "auto", time_limit: float = 30.0, duals: bool = False, start: dict[str, float] | None = None, abs_gap: float = MIP_ABS_GAP
) -> SolveOutcome:
    """Solve in place; on a plan, the model's variables hold it. Never raises for a solver failure.
    `start` ({variable name: value}, HiGHS only) is a plan to start the search from; `abs_gap`
    the objective dollars (HiGHS only) a plan may be from the best bound and still be optimal."""
    name = pick_solver(solver)
    try:
        return _solve_highs(m, time_limit, duals, start, abs_gap) if name == "highs" else _solve_glpk(m, time_limit, duals)
    except Exception as err:  # a crashed or missing solver binary is a status, not a traceback
        return SolveOutcome("error", name, None, None, None, 0.0, f"{name} failed: {err}")
