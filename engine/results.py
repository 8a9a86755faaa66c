"""The result every tool returns: a typed, JSON-ready object with dollars rounded to cents.

Built only from a Plan and the measures in `plan.py`; reports, CSV orders and explanations
all read this object.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Literal, Optional

from pydantic import BaseModel, Field

from .model.frame import Flows
from .plan import Plan, StateMeasures, holdings_after, measure, taxes, traded_dollars
from .solve import SolveOutcome
from .taxdata import WASH_SALE_DAYS
from .timing import phase
from .universe import TradeUniverse

DISCLAIMER = "For educational purposes only. Not investment, tax or legal advice."


def cents(x: float) -> float:
    return round(x + 0.0, 2) + 0.0  # + 0.0 folds -0.0 into 0.0


def pct(x: float) -> float:
    return round(x, 6) + 0.0


class Trade(BaseModel):
    account: str
    ticker: str
    action: Literal["buy", "sell"]
    shares: float
    price: float
    amount: float = Field(description="dollars")
    lot_id: Optional[str] = None
    acquired: Optional[str] = None
    realized_gain: Optional[float] = Field(None, description="dollars, taxable sells only")
    term: Optional[Literal["short", "long"]] = None


class State(BaseModel):
    value: float
    allocation: dict[str, float]
    drift: float = Field(description="half the sum of absolute weight deviations from target")
    location_score: float = Field(description="0-100; 100 is the best location reachable for these assets and accounts")
    location_loss: float = Field(description="after-tax dollars over the horizon lost against the best reachable location")
    annual_tax_drag: float = Field(description="dollars a year")
    after_tax_return: float = Field(description="expected return net of tax drag, fraction a year")
    account_values: dict[str, float]


class Taxes(BaseModel):
    short_term_gain: float
    long_term_gain: float
    estimated_tax: float = Field(description="dollars; negative when a net loss lowers tax")
    loss_carryforward: float
    withdrawal_income_tax: float = Field(0.0, description="dollars of income tax (and penalty) on traditional withdrawals")
    rates: dict[str, float]
    tax_year: int


class Costs(BaseModel):
    transaction: float
    implementation: float = Field(description="tax + transaction")


class BaselineAfter(BaseModel):
    drift: float
    location_score: float
    annual_tax_drag: float


class Baseline(BaseModel):
    description: str
    status: str
    trades: list[Trade]
    estimated_tax: float
    transaction: float
    after: BaselineAfter


class Savings(BaseModel):
    tax: float = Field(description="dollars of tax today the household plan saves")
    location_value: float = Field(description="after-tax dollars gained over the horizon by better location")
    location_value_today: float = Field(description="location_value discounted to today at the household's target return")
    transaction: float
    total: float = Field(description="tax + transaction + location_value_today")


class DoNotBuy(BaseModel):
    ticker: str
    until: str
    reason: str


class Result(BaseModel):
    tool: str
    household: str
    as_of: str
    status: Literal["optimal", "feasible", "infeasible", "error"]
    solver: str
    solve_seconds: float
    gap: Optional[float] = None
    message: str = ""
    trades: list[Trade] = []
    before: Optional[State] = None
    after: Optional[State] = None
    taxes: Optional[Taxes] = None
    costs: Optional[Costs] = None
    baseline: Optional[Baseline] = None
    savings: Optional[Savings] = None
    do_not_buy: list[DoNotBuy] = []
    warnings: list[str] = []
    extra: dict = Field(default_factory=dict, description="what a tool adds beyond the shared fields")
    disclaimer: str = DISCLAIMER


def trades_of(u: TradeUniverse, plan: Plan) -> list[Trade]:
    """Sells first (by account, ticker, lot), then buys; amounts in cents."""
    lots = {l.key: l for l in u.lots}
    out: list[Trade] = []
    for key in sorted(plan.sells):
        lot, shares = lots[key], plan.sells[key]
        gain = cents(shares * lot.gain_per_share) if lot.taxable else None
        out.append(
            Trade(
                account=lot.account, ticker=lot.ticker, action="sell", shares=shares, price=lot.price,
                amount=cents(shares * lot.price), lot_id=lot.lot_id,
                acquired=lot.acquired.isoformat() if lot.acquired else None,
                realized_gain=gain, term=lot.term if lot.taxable else None,  # type: ignore[arg-type]
            )
        )
    for (a, t) in sorted(plan.buys):
        shares, price = plan.buys[(a, t)], u.price(t)
        out.append(Trade(account=a, ticker=t, action="buy", shares=shares, price=price, amount=cents(shares * price)))
    return out


def state_of(m: StateMeasures) -> State:
    return State(
        value=cents(m.value),
        allocation={c: pct(w) for c, w in m.allocation.items()},
        drift=pct(m.drift),
        location_score=round(m.location_score, 1),
        location_loss=cents(max(0.0, m.mislocation - m.best_mislocation)),
        annual_tax_drag=cents(m.annual_tax_drag),
        after_tax_return=pct(m.after_tax_return),
        account_values={a: cents(v) for a, v in m.account_values.items()},
    )


def do_not_buy(u: TradeUniverse, plan: Plan) -> list[DoNotBuy]:
    """Every ticker sold at a loss, and those identical to it: no account may buy them until the date."""
    lots = {l.key: l for l in u.lots}
    until = (u.household.as_of + timedelta(days=WASH_SALE_DAYS)).isoformat()
    out: dict[str, DoNotBuy] = {}
    for key in plan.sells:
        lot = lots[key]
        if lot.is_loss:
            group = u.wash_group[lot.ticker]
            for t, g in u.wash_group.items():
                if g == group and t not in out:
                    why = f"{lot.ticker} sold at a loss" + ("" if t == lot.ticker else f"; {t} is identical to it")
                    out[t] = DoNotBuy(ticker=t, until=until, reason=why + " (wash-sale rule, every household account)")
    return sorted(out.values(), key=lambda d: d.ticker)


def withdrawal_income_tax(flows: Flows, plan: Plan) -> float:
    """Dollars of income tax (and early-withdrawal penalty) on the plan's withdrawals."""
    w = flows.withdrawal
    return 0.0 if w is None else sum(w.income_rate.get(a, 0.0) * d for a, d in plan.withdrawals.items())


def assemble(
    tool: str,
    u: TradeUniverse,
    cost_rate: float,
    flows: Flows,
    outcome: SolveOutcome,
    plan: Plan | None,
    baseline: tuple[Plan, str] | None,
    solver: str,
    warnings: list[str],
) -> Result:
    """The Result of a solved scenario: plan, before/after measures, taxes, baseline, savings."""
    with phase("report"):
        return _assemble(tool, u, cost_rate, flows, outcome, plan, baseline, solver, warnings)


def _assemble(tool: str, u: TradeUniverse, cost_rate: float, flows: Flows, outcome: SolveOutcome, plan: Plan | None,
              baseline: tuple[Plan, str] | None, solver: str, warnings: list[str]) -> Result:
    h = u.household
    before_values, before_cash = holdings_after(u, Plan(), cost_rate)
    before = measure(u, before_values, before_cash, solver)
    base = Result(
        tool=tool, household=h.name, as_of=h.as_of.isoformat(), status=outcome.status, solver=outcome.solver,
        solve_seconds=round(outcome.seconds, 3), gap=None if outcome.gap is None else round(outcome.gap, 6),
        message=outcome.message, before=state_of(before), warnings=list(u.warnings) + warnings,
    )
    if plan is None or not outcome.has_plan:
        return base
    values, cash = holdings_after(u, plan, cost_rate)
    after = measure(u, values, cash, solver)
    est = taxes(u, plan)
    transaction = cost_rate * sum(traded_dollars(u, plan).values())
    base.trades = trades_of(u, plan)
    base.after = state_of(after)
    income_tax = withdrawal_income_tax(flows, plan)
    tax = est.estimated_tax + income_tax  # every tool: all the tax the plan causes this year
    base.taxes = Taxes(
        short_term_gain=cents(est.short_term_gain), long_term_gain=cents(est.long_term_gain),
        estimated_tax=cents(tax), loss_carryforward=cents(est.loss_carryforward),
        withdrawal_income_tax=cents(income_tax),
        rates={"ordinary": pct(u.rates.ordinary), "short_term": pct(u.rates.short_term), "long_term": pct(u.rates.long_term)},
        tax_year=u.rates.year,
    )
    base.costs = Costs(transaction=cents(transaction), implementation=cents(tax + transaction))
    base.do_not_buy = do_not_buy(u, plan)
    if baseline is not None:
        bplan, bstatus = baseline
        bvalues, bcash = holdings_after(u, bplan, cost_rate)
        bafter = measure(u, bvalues, bcash, solver)
        btax = taxes(u, bplan).estimated_tax
        btrans = cost_rate * sum(traded_dollars(u, bplan).values())
        base.baseline = Baseline(
            description="each account rebalanced alone to the household target",
            status=bstatus, trades=trades_of(u, bplan), estimated_tax=cents(btax), transaction=cents(btrans),
            after=BaselineAfter(drift=pct(bafter.drift), location_score=round(bafter.location_score, 1), annual_tax_drag=cents(bafter.annual_tax_drag)),
        )
        loc_value = bafter.mislocation - after.mislocation
        loc_today = loc_value * u.location.present_value_factor
        base.savings = Savings(
            tax=cents(btax - est.estimated_tax), location_value=cents(loc_value), location_value_today=cents(loc_today),
            transaction=cents(btrans - transaction), total=cents(btax - est.estimated_tax + btrans - transaction + loc_today),
        )
    return base
