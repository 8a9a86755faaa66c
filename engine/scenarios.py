"""The tools, each a scenario of the one household model: settings in, Result out."""
from __future__ import annotations

import time
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from . import timing
from .household import Household
from .model import Settings, build_model
from .plan import Plan, objective_of, read_plan
from .results import Result, assemble
from .solve import SolveOutcome, SolverName, SolverUnavailable, pick_solver, size_warning, solve
from .universe import TradeUniverse, build_universe


class Options(BaseModel):
    """Knobs every tool shares. Dollars unless said otherwise."""

    model_config = ConfigDict(extra="forbid")

    solver: SolverName = "auto"
    time_limit: float = Field(30.0, gt=0, description="seconds; the best plan found by then is returned")
    gain_budget: Optional[Union[float, Literal["bracket"]]] = Field(
        None, description="net realized gains may not exceed this many dollars; 'bracket' = headroom below the next long-term bracket"
    )
    tolerance: float = Field(0.03, ge=0, le=1, description="drift band per asset class, fraction")
    min_trade: float = Field(100.0, ge=0)
    transaction_cost: float = Field(0.0, ge=0, le=0.1, description="fraction of each trade")
    horizon_years: float = Field(10.0, gt=0, le=60)
    location_weight: float = Field(1.0, ge=0)
    exclude_accounts: list[str] = Field(default_factory=list, description="accounts the plan may not touch")
    baseline: bool = True


def settings_for(u: TradeUniverse, o: Options, **overrides) -> Settings:
    budget: float | None
    if o.gain_budget == "bracket":
        budget = u.rates.long_term_headroom if u.rates.long_term_headroom != float("inf") else None
    else:
        budget = o.gain_budget  # type: ignore[assignment]
    s = Settings(
        tolerance=o.tolerance, location_weight=o.location_weight, horizon_years=o.horizon_years,
        gain_budget=budget, min_trade=o.min_trade, transaction_cost=o.transaction_cost,
        frozen_accounts=frozenset(o.exclude_accounts),
    )
    for k, v in overrides.items():
        setattr(s, k, v)
    return s


def check_accounts(h: Household, names: list[str]) -> list[str]:
    ids = [a.id for a in h.accounts]
    return [f"exclude_accounts: no account {n!r}; accounts are {', '.join(ids)}" for n in names if n not in ids]


def run_model(u: TradeUniverse, s: Settings, solver: str, time_limit: float) -> tuple[SolveOutcome, Plan | None]:
    m, ix = build_model(u, s)
    outcome = solve(m, solver, time_limit)  # type: ignore[arg-type]
    timing.solved(m, outcome)
    if outcome.status == "error" and "time limit" in outcome.message and s.withdraw_amount is None:
        # Without a withdrawal, trading nothing always meets every hard constraint: when the
        # solver runs out of time before its first plan, that is the best plan known.
        nothing = Plan(deposits={a: d for a, d in s.deposits.items() if d and a in u.cash})
        cost = objective_of(u, s, nothing)
        gap = abs(cost - outcome.bound) / max(1.0, abs(cost)) if outcome.bound is not None else None
        idle = SolveOutcome("feasible", outcome.solver, cost, outcome.bound, gap, outcome.seconds,
                            f"{outcome.message}; the plan is to trade nothing until a longer solve finds better")
        return idle, nothing
    with timing.phase("read"):
        return outcome, (read_plan(m, ix, u, s) if outcome.has_plan else None)


def account_by_account(h: Household, u: TradeUniverse, s: Settings, solver: str, time_limit: float) -> tuple[Plan, str]:
    """The status quo: each account rebalanced alone to the household target, with the same
    lot-level tax care, but blind to the other accounts (no location, no cross-account netting)."""
    plan, statuses = Plan(), []
    taxable_value = {a.id: sum(l.shares * h.security(l.ticker).price for l in a.holdings) + a.cash for a in h.accounts if a.kind == "taxable"}
    all_taxable = sum(taxable_value.values()) or 1.0
    for acct in h.accounts:
        if acct.id in s.frozen_accounts:
            continue
        alone = h.model_copy(update={"accounts": [acct], "restrictions": [r for r in h.restrictions if r.account == acct.id]})
        ua = build_universe(alone, s.horizon_years)
        # A purchase in another account within 30 days still washes this account's losses.
        ua.loss_blocked.update({k: why for k, why in u.loss_blocked.items() if k[0] == acct.id})
        sa = Settings(**{**s.__dict__, "location_weight": 0.0, "deposits": {k: v for k, v in s.deposits.items() if k == acct.id}})
        if s.gain_budget is not None:
            # The budget is split over taxable accounts by value, as separate managers would.
            sa.gain_budget = s.gain_budget * taxable_value.get(acct.id, 0.0) / all_taxable
        outcome, p = run_model(ua, sa, solver, time_limit)
        statuses.append(outcome.status)
        if p is not None:
            plan = plan.merge(p)
    worst = "optimal" if all(x == "optimal" for x in statuses) else ("feasible" if all(x in ("optimal", "feasible") for x in statuses) else "partial")
    return plan, worst


def time_limit_warning(outcome: SolveOutcome) -> str:
    if outcome.gap is None:
        return "time limit reached: best plan found so far; the solver has no bound yet to say how far from the best possible (raise --time-limit)"
    return f"time limit reached: plan within {100 * outcome.gap:.2f}% of the best possible"


def _error(tool: str, h: Household, message: str) -> Result:
    return Result(tool=tool, household=h.name, as_of=h.as_of.isoformat(), status="error", solver="none", solve_seconds=0.0, message=message)


def run_scenario(tool: str, h: Household, o: Options, **overrides) -> Result:
    bad = check_accounts(h, o.exclude_accounts)
    if bad:
        return _error(tool, h, "; ".join(bad))
    try:
        solver = pick_solver(o.solver)
    except SolverUnavailable as err:
        return _error(tool, h, str(err))
    u = build_universe(h, o.horizon_years)
    s = settings_for(u, o, **overrides)
    start = time.perf_counter()
    outcome, plan = run_model(u, s, solver, o.time_limit)
    warnings: list[str] = [w for w in [size_warning(solver, len(u.lots))] if w]
    if outcome.status == "feasible":
        warnings.append(time_limit_warning(outcome))
    baseline = account_by_account(h, u, s, solver, o.time_limit) if (o.baseline and plan is not None) else None
    result = assemble(tool, u, s, outcome, plan, baseline, solver, warnings)
    result.extra["total_seconds"] = round(time.perf_counter() - start, 3)
    return result


def rebalance(h: Household, options: Options | None = None) -> Result:
    """Bring the household back toward its target at the least tax, cost and mislocation."""
    return run_scenario("rebalance", h, options or Options())
