"""The runner every tool goes through, and the declaration every household scenario starts from.

One path: validate -> universe -> declare -> build -> solve -> read -> assemble -> extras.
A tool is a `declare(universe) -> Scenario` (its terms, constraints, trading, flows and typed
extra), plus at most a check before solving and a refinement after it (withdraw has both).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from . import timing
from .household import Household, Tolerance
from .model import (
    AmountRaised,
    CashFundsBuys,
    Constraint,
    DriftCap,
    DriftPenalty,
    ExactTax,
    Flows,
    GainBudget,
    MinimumTrade,
    Mislocation,
    Scenario,
    Tax,
    TaxOwed,
    TieBreak,
    Trading,
    TransactionCost,
    WashSale,
    WithdrawalCost,
    band_widths,
    lines_of,
    read_plan,
)
from .model.allocation import band_dollars, line_values
from .offtarget import off_target_notes
from .plan import Plan
from .plantax import bracket_headroom, uses_exact_tax
from .results import WITHIN_TOLERANCE, Result, assemble
from .solve import SolveOutcome, SolverName, SolverUnavailable, pick_solver, size_warning, solve
from .tax.year import filer_birth_years
from .universe import TradeUniverse, build_universe


class Options(BaseModel):
    """Knobs every tool shares. Dollars unless said otherwise."""

    model_config = ConfigDict(extra="forbid")

    solver: SolverName = "auto"
    time_limit: float = Field(30.0, gt=0, description="seconds; the best plan found by then is returned")
    gain_budget: Optional[Union[float, Literal["bracket"]]] = Field(
        None,
        description="net realized gains may not exceed this many dollars; 'bracket' = headroom below the next long-term bracket",
    )
    tolerance: Optional[float] = Field(None, ge=0, le=1, description="drift band per asset class, fraction of the household; default: the household's tolerance (0.03)")
    relative_tolerance: Optional[float] = Field(None, ge=0, le=10, description="drift band per asset class, fraction of its target weight (0.25 with tolerance 0.05: 5/25)")
    to: Optional[Literal["target", "band-edge"]] = Field(None, description="what a band breach trades back to; default: the household's (target)")
    force: bool = Field(False, description="rebalance even when every class is inside its band")
    min_trade: float = Field(100.0, ge=0)
    transaction_cost: float = Field(0.0, ge=0, le=0.1, description="fraction of each trade")
    horizon_years: float = Field(10.0, gt=0, le=60)
    location_weight: float = Field(1.0, ge=0)
    exclude_accounts: list[str] = Field(default_factory=list, description="accounts the plan may not touch")
    baseline: bool = True


# ---- declarations ----------------------------------------------------------------------------


def gain_budget_of(u: TradeUniverse, o: Options) -> float | None:
    """Dollars of net realized gain allowed, or None for no budget."""
    if o.gain_budget == "bracket":
        # Exact: the long-term gain that fits below the next 0/15/20% breakpoint, on top of the
        # year's own ordinary income and gains (a withdrawal's ordinary income is the plan's own
        # and stacks under the gains too: see bracket_headroom).
        headroom = bracket_headroom(u) if uses_exact_tax(u.household) else u.rates.long_term_headroom
        return headroom if headroom != float("inf") else None
    return o.gain_budget


def tolerance_of(h: Household, o: Options) -> Tolerance:
    """The household's bands, with the options' band (either side given) as the default and the
    options' `to` when set."""
    tol = h.tolerance
    if o.tolerance is not None or o.relative_tolerance is not None:
        tol = tol.model_copy(update={"absolute": o.tolerance, "relative": o.relative_tolerance})
    return tol.model_copy(update={"to": o.to}) if o.to is not None else tol


def drift_of(u: TradeUniverse, o: Options) -> DriftPenalty:
    """The drift term for these options: beyond the band a dollar of drift outprices any tax;
    inside it, 5 cents a dollar trades to target when the tax and cost of getting there are less
    (`to: target`), and nothing stops at the band's edge (`to: band-edge`)."""
    tol = tolerance_of(u.household, o)
    widths = band_widths(u.household, tol)
    inside = 0.0 if tol.to == "band-edge" else DriftPenalty.inside
    return DriftPenalty(tolerance=0.03, inside=inside, bands=tuple(widths.items()))


def household_scenario(
    tool: str,
    u: TradeUniverse,
    o: Options,
    *,
    harvest: bool = False,
    trading: Trading | None = None,
    flows: Flows | None = None,
    extra: Callable | None = None,
) -> Scenario:
    """The household model as every tool starts from it, for these options: tax, cost, drift,
    location, withdrawal cost and tie-break terms; cash, minimum trade, wash sale, gain budget and
    (with a withdrawal) amount-raised constraints."""
    budget, flows = gain_budget_of(u, o), flows or Flows()
    exact = uses_exact_tax(u.household)
    constraints: list[Constraint] = [CashFundsBuys()]
    if o.min_trade > 0:
        constraints.append(MinimumTrade(o.min_trade))
    constraints.append(WashSale())
    if budget is not None:
        constraints.append(GainBudget(budget, with_withdrawals=o.gain_budget == "bracket" and exact))
    if flows.withdrawal is not None:
        constraints.append(AmountRaised(exact=exact))
    return Scenario(
        tool=tool,
        terms=(
            ExactTax(harvest=harvest) if exact else Tax(harvest=harvest),
            TransactionCost(),
            drift_of(u, o),
            Mislocation(weight=o.location_weight),
            WithdrawalCost(),
            TieBreak(),
        ),
        constraints=tuple(constraints),
        trading=trading or Trading(frozen_accounts=frozenset(o.exclude_accounts), cost_rate=o.transaction_cost),
        flows=flows,
        extra=extra,
    )


# ---- the runner ------------------------------------------------------------------------------


def unknown_accounts(h: Household, **names: list[str]) -> list[str]:
    """Every account name a tool was given that the household lacks, as `field: message` lines.
    The one place account arguments are checked (the CLI turns them into exit 2)."""
    ids = [a.id for a in h.accounts]
    return [f"{fieldname}: no account {n!r}; accounts are {', '.join(ids)}" for fieldname, given in names.items() for n in given if n not in ids]


def error_result(tool: str, h: Household, message: str, status: str = "error", solver: str = "none") -> Result:
    return Result(
        tool=tool,
        household=h.name,
        as_of=h.as_of.isoformat(),
        status=status,
        solver=solver,
        solve_seconds=0.0,
        message=message,
    )


ALLOCATION_SLACK = 1e-5  # of the household's value, dollars each allocation line may give up in the tax stage
ALLOCATION_SHARE = 0.5  # of the time limit, at most, for the allocation stage


def allocation_stage(sc: Scenario) -> Scenario:
    """Stage one of a scenario: the same rules, with drift priced against only what closing it
    costs (tax owed, trading and withdrawal cost); no location value, no credit for a loss."""
    keep = (TransactionCost, DriftPenalty, WithdrawalCost, TieBreak)
    return replace(sc, terms=(TaxOwed(exact=sc.find(ExactTax) is not None), *(t for t in sc.terms if isinstance(t, keep))))


def solve_scenario(u: TradeUniverse, sc: Scenario, solver: str, time_limit: float, allocation_first: bool = True) -> tuple[SolveOutcome, Plan | None]:
    """Build, solve and read one scenario; with a drift term and `allocation_first`, in two
    stages: the allocation stage decides how far each allocation line ends from its target, then
    the scenario itself is solved with no line further off than that (DriftCap), started from the
    first stage's plan. Location and harvesting then choose among plans of the same allocation."""
    if not allocation_first or sc.find(DriftPenalty) is None:
        return _solve_one(u, sc, solver, time_limit)
    began = time.perf_counter()
    m1, _ = allocation_stage(sc).build(u)
    slack = 1.0 + ALLOCATION_SLACK * sc.flows.value_after(u)
    # The stage's optimum need only be proved to within the slack the next stage allows anyway.
    first = solve(m1, solver, ALLOCATION_SHARE * time_limit, abs_gap=slack)  # type: ignore[arg-type]
    timing.solved(m1, first)
    if not first.has_plan:
        # Better a plan than none, but the advisor must know its allocation was not decided first.
        outcome, plan = _solve_one(u, sc, solver, max(1.0, time_limit - (time.perf_counter() - began)))
        why = first.message or first.status
        note = (
            f"the allocation stage found no plan ({why}), so this plan was solved in one stage: location or harvesting may have "
            "given up some allocation; raise --time-limit to decide the allocation first"
        )
        return replace(outcome, notes=(*outcome.notes, note)), plan
    # Not started from the first stage's plan: HiGHS completing it, then searching from it, took
    # longer (L: 4.0 s) than its own LP-guided first plan (engine/solve.py first_plan; L: 1.4 s).
    return _solve_one(u, sc.swap(DriftCap.of(m1, slack)), solver, max(1.0, time_limit - (time.perf_counter() - began)))


def _solve_one(u: TradeUniverse, sc: Scenario, solver: str, time_limit: float, start: dict[str, float] | None = None) -> tuple[SolveOutcome, Plan | None]:
    m, f = sc.build(u)
    outcome = solve(m, solver, time_limit, start=start)  # type: ignore[arg-type]
    timing.solved(m, outcome)
    if outcome.status == "error" and "time limit" in outcome.message and sc.flows.withdrawal is None:
        # Without a withdrawal, trading nothing always meets every hard constraint: when the
        # solver runs out of time before its first plan, that is the best plan known.
        nothing = Plan(deposits=sc.flows.deposited(u))
        cost = sc.objective(u, nothing)
        gap = abs(cost - outcome.bound) / max(1.0, abs(cost)) if outcome.bound is not None else None
        idle = SolveOutcome(
            "feasible", outcome.solver, cost, outcome.bound, gap, outcome.seconds, f"{outcome.message}; the plan is to trade nothing until a longer solve finds better"
        )
        return idle, nothing
    with timing.phase("read"):
        return outcome, (read_plan(m, f) if outcome.has_plan else None)


def account_by_account(h: Household, u: TradeUniverse, sc: Scenario, o: Options, solver: str) -> tuple[Plan, str]:
    """The status quo: each account rebalanced alone to the household target, with the same
    lot-level tax care, but blind to the other accounts (no location, no cross-account netting)."""
    plan, statuses = Plan(), []
    taxable_value = {a.id: sum(l.shares * h.security(l.ticker).price for l in a.holdings) + a.cash for a in h.accounts if a.kind == "taxable"}
    all_taxable = sum(taxable_value.values()) or 1.0
    budget = sc.find(GainBudget)
    for acct in h.accounts:
        if acct.id in sc.trading.frozen_accounts:
            continue
        alone = h.model_copy(update={"accounts": [acct], "restrictions": [r for r in h.restrictions if r.account == acct.id]})
        # The same return: the filers' ages come from every account's owner, not this one's.
        alone = alone.model_copy(update={"tax": h.tax.model_copy(update={"birth_years": filer_birth_years(h)})})
        ua = build_universe(alone, o.horizon_years)
        # A purchase in another account within 30 days still washes this account's losses.
        ua.loss_blocked.update({k: why for k, why in u.loss_blocked.items() if k[0] == acct.id})
        deposits = {k: v for k, v in sc.flows.deposits.items() if k == acct.id}
        sa = replace(sc.swap(Mislocation(weight=0.0)), flows=replace(sc.flows, deposits=deposits))
        if budget is not None:
            # The budget is split over taxable accounts by value, as separate managers would.
            sa = sa.swap(replace(budget, dollars=budget.dollars * taxable_value.get(acct.id, 0.0) / all_taxable))
        outcome, p = solve_scenario(ua, sa, solver, o.time_limit, allocation_first=False)
        statuses.append(outcome.status)
        if p is not None:
            plan = plan.merge(p)
    if all(x == "optimal" for x in statuses):
        worst = "optimal"
    else:
        worst = "feasible" if all(x in ("optimal", "feasible") for x in statuses) else "partial"
    return plan, worst


def time_limit_warning(outcome: SolveOutcome) -> str:
    if outcome.gap is None:
        return "time limit reached: best plan found so far; the solver has no bound yet to say how far from the best possible (raise --time-limit)"
    return f"time limit reached: plan within {100 * outcome.gap:.2f}% of the best possible"


@dataclass
class Run:
    """One tool's run, as its extra reads it: household, universe, scenario, plan, Result."""

    h: Household
    u: TradeUniverse
    o: Options
    scenario: Scenario
    solver: str
    outcome: SolveOutcome
    plan: Plan | None
    result: Result
    warnings: list[str] = field(default_factory=list)


Check = Callable[[TradeUniverse, Scenario, str], Optional[Result]]
Refine = Callable[[TradeUniverse, Scenario, str, SolveOutcome, Plan], tuple[SolveOutcome, Plan, list[str]]]
Unmet = Callable[[TradeUniverse, Scenario, str, SolveOutcome], Result]


def run_tool(
    tool: str,
    h: Household,
    o: Options,
    declare: Callable[[TradeUniverse], Scenario],
    *,
    accounts: dict[str, list[str]] | None = None,
    check: Check | None = None,
    refine: Refine | None = None,
    unmet: Unmet | None = None,
    baseline: bool = True,
) -> Result:
    """validate -> universe -> declare -> [check] -> build/solve/read -> [refine] -> assemble ->
    baseline -> extras. Bad tool arguments and a missing solver are an error Result."""
    bad = unknown_accounts(h, **(accounts or {}), exclude_accounts=o.exclude_accounts)
    if bad:
        return error_result(tool, h, "; ".join(bad))
    try:
        solver = pick_solver(o.solver)
    except SolverUnavailable as err:
        return error_result(tool, h, str(err))
    u = build_universe(h, o.horizon_years)
    sc = declare(u)
    if check is not None:
        stopped = check(u, sc, solver)
        if stopped is not None:
            return stopped
    start = time.perf_counter()
    outcome, plan = solve_scenario(u, sc, solver, o.time_limit)
    if plan is None and unmet is not None:
        return unmet(u, sc, solver, outcome)
    warnings: list[str] = [w for w in [size_warning(solver, len(u.lots))] if w]
    stage_notes = list(outcome.notes)  # kept before `refine`, which may re-solve
    later: list[str] = []
    if refine is not None and plan is not None:
        outcome, plan, later = refine(u, sc, solver, outcome, plan)
    if outcome.status == "feasible":
        warnings.append(time_limit_warning(outcome))
    warnings += stage_notes
    warnings += later
    base = account_by_account(h, u, sc, o, solver) if (baseline and o.baseline and plan is not None) else None
    result = assemble(tool, u, sc.trading.cost_rate, sc.flows, outcome, plan, base, solver, warnings)
    if plan is not None and outcome.has_plan:
        result.off_target = off_target_notes(u, sc, plan)
    seconds = round(time.perf_counter() - start, 3)
    if sc.extra is not None:
        result.extra = sc.extra(Run(h, u, o, sc, solver, outcome, plan, result))
    result.extra.total_seconds = seconds
    return result


def outside_bands(u: TradeUniverse, sc: Scenario) -> list[str]:
    """The allocation lines the household holds beyond their bands before any trade."""
    drift = sc.find(DriftPenalty)
    f, widths = sc.frame(u), dict(drift.bands)
    lines = {l.name: l for l in lines_of(u)}
    return [n for n, (v, t) in line_values(f, Plan()).items() if abs(v - t) > band_dollars(f, widths, drift.tolerance, lines[n]) + 0.005]


def rebalance(h: Household, options: Options | None = None) -> Result:
    """Bring the household back toward its target at the least tax, cost and mislocation; with
    every class inside its band (and not `force`), trade nothing."""
    o = options or Options()

    def check(u: TradeUniverse, sc: Scenario, solver: str) -> Result | None:
        if o.force or outside_bands(u, sc):
            return None
        idle = SolveOutcome("optimal", solver, sc.objective(u, Plan()), None, 0.0, 0.0, WITHIN_TOLERANCE)
        result = assemble("rebalance", u, sc.trading.cost_rate, sc.flows, idle, Plan(), None, solver, [])
        result.off_target = off_target_notes(u, sc, Plan())
        return result

    return run_tool("rebalance", h, o, lambda u: household_scenario("rebalance", u, o), check=check)
