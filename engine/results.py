"""The result every tool returns: a typed, JSON-ready object with dollars rounded to cents.

Built only from a Plan and the measures in `plan.py`; reports, CSV orders and explanations
all read this object.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_serializer

from .model.frame import Flows
from .plan import Plan, StateMeasures, holdings_after, measure, taxes, traded_dollars
from .plantax import exact_tax, irmaa_note, uses_exact_tax, withdrawal_part
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
    method: Literal["exact", "flat"] = Field("flat", description="exact: the year's return with the plan minus without it; flat: the profile's own marginal rates")
    federal: Optional[float] = Field(None, description="dollars of federal tax the plan adds (exact)")
    state: Optional[float] = Field(None, description="dollars of state tax: the flat state rate on the added taxable income (exact)")
    medicare_premiums: Optional[float] = Field(None, description="dollars a year of Medicare premiums (IRMAA) the plan adds, from two years on (exact)")


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


class Record(BaseModel):
    """A typed row of a tool's extra. It still reads like the dict it replaced (`row["key"]`,
    `row.get("key")`, `"key" in row`), so callers written against the dict keep working."""

    model_config = ConfigDict(extra="forbid")

    def _has(self, key: str) -> bool:
        return key in type(self).model_fields

    def __getitem__(self, key: str) -> Any:
        if not self._has(key):
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if self._has(key) else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._has(key)


class Extra(Record):
    """What a tool reports beyond the shared fields. Fields left None are not written, so the JSON
    carries only what the tool produced. This base is rebalance's extra."""

    total_seconds: Optional[float] = Field(None, description="wall-clock seconds from solve to report")

    def _has(self, key: str) -> bool:
        # An optional part the tool did not produce (None) is absent, as in the JSON.
        return key in type(self).model_fields and getattr(self, key) is not None

    @model_serializer(mode="wrap")
    def _only_what_was_produced(self, handler: Any) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


class WithdrawalSummary(Record):
    gross: float = Field(description="dollars taken out of the accounts")
    estimated_tax: float = Field(description="dollars: capital-gains tax plus income tax on withdrawals")
    net: float = Field(description="gross minus estimated_tax")
    by_account: dict[str, float]
    required_distributions: dict[str, float]


class MislocatedSale(Record):
    account: str
    lot_id: str
    ticker: str
    amount: float


class WithdrawBaseline(Record):
    status: str
    gross: float
    estimated_tax: float
    net: float
    by_account: dict[str, float]
    trades: list[Trade]

    @field_serializer("trades")
    def _trades(self, trades: list[Trade]) -> list[dict[str, Any]]:
        return [t.model_dump(exclude_none=True) for t in trades]


class WithdrawExtra(Extra):
    withdrawal: WithdrawalSummary
    mislocated_sold: list[MislocatedSale]
    baselines: dict[str, WithdrawBaseline] = Field(description="pro_rata and taxable_first rule-based plans")
    savings_against: str
    savings_tax: float = Field(description="dollars of tax saved against the cheaper baseline")


class UnmetWithdrawExtra(Extra):
    max_raisable: float = Field(description="gross dollars the household can raise at most")


class HarvestCandidate(Record):
    account: str
    lot_id: str
    ticker: str
    loss: float
    term: Optional[str]
    tax_value: float = Field(description="dollars of tax the loss is worth at the household's rate")
    replacement: Optional[str]
    harvested: bool = Field(description="whether the plan sells this lot")


class BlockedLot(Record):
    account: str
    lot_id: str
    ticker: str
    loss: float
    term: Optional[str]
    tax_value: float
    replacement: Optional[str]
    why: str


class GainLot(Record):
    account: str
    lot_id: str
    ticker: str
    shares: float
    gain: float
    action: str


class GainHarvest(Record):
    headroom: float = Field(description="dollars of long-term gain that fit in the 0% bracket")
    gain_realized: float
    federal_tax: float
    state_tax: float
    lots: list[GainLot]


class HarvestExtra(Extra):
    candidates: list[HarvestCandidate]
    blocked: list[BlockedLot]
    loss_rules: Optional[str] = None
    gain_harvest: Optional[GainHarvest] = None


class LocationSummary(Record):
    score_now: float
    score_after_plan: float
    score_best: float
    annual_tax_drag_now: float
    annual_tax_drag_after_plan: float
    lost_over_horizon_now: float
    gained_over_horizon_by_plan: float
    horizon_years: float


class LocationAction(Record):
    account: str
    kind: str
    action: str
    benefit_over_horizon: float
    tax_cost_today: float
    realized_gain: float
    rank: int = 0


class LocationExtra(Extra):
    location: LocationSummary
    next_best_actions: list[LocationAction]


class Contribution(Record):
    account: str
    amount: float


class ContributionExtra(Extra):
    contribution: Contribution


class AccountSummary(Record):
    id: str
    kind: str
    owner: Optional[str]
    value: float
    lots: int


class SummaryExtra(Extra):
    accounts: list[AccountSummary]
    targets: dict[str, float]
    unrealized_gain: float


class RetireYear(Record):
    """One year of the retirement plan, nominal dollars (the plan's own, rounded to cents)."""

    year: int
    ages: list[int]
    traditional_withdrawals: float
    conversions: float
    roth_withdrawals: float
    taxable_sales: float
    social_security: float
    spending: float
    tax: float
    irmaa: float
    traditional_balance: float
    roth_balance: float
    taxable_balance: float


class RetireAlternative(Record):
    """The same plan with one thing changed (conversions off, a fixed claiming age), solved again."""

    label: str
    status: str
    gap: Optional[float] = Field(None, description="the solve's proven gap at its time limit (fraction)")
    after_tax_legacy: float
    lifetime_tax: float
    roth_conversions: float
    spending_per_year: float
    claim_ages: dict[str, int]


class RetireExtra(Extra):
    """retire: the yearly plan (today's dollars in the totals), its baselines and alternatives; the
    shared Result fields (trades, taxes, before/after) are year 1 executed at lot level."""

    plan_status: str
    plan_gap: Optional[float] = None
    plan_seconds: float
    objective: str
    after_tax_legacy: float = Field(description="today's dollars")
    lifetime_tax: float = Field(description="today's dollars, federal + state + IRMAA")
    roth_conversions: float = Field(description="today's dollars over the plan")
    spending_per_year: float = Field(description="today's dollars")
    claim_ages: dict[str, int]
    years: list[RetireYear]
    year_one_conversion: float = Field(description="dollars converted to Roth in year 1")
    year_one_withdrawals: dict[str, float] = Field(description="year 1, gross dollars out of each account (conversions included)")
    year_one_deposits: dict[str, float] = Field(description="year 1, dollars into each account (conversions, cash reinvested)")
    year_one_plan_tax: float = Field(description="year 1's tax as the plan priced it (pooled lots)")
    year_one_notes: list[str] = Field(default_factory=list)
    baselines: dict[str, RetireAlternative] = Field(default_factory=dict, description="conventional order and pro rata, same claiming ages")
    alternatives: list[RetireAlternative] = Field(default_factory=list)


AnyExtra = Union[RetireExtra, WithdrawExtra, HarvestExtra, LocationExtra, ContributionExtra, UnmetWithdrawExtra, SummaryExtra, Extra]


# The message of a rebalance that finds every class inside its band (and was not forced).
WITHIN_TOLERANCE = "within tolerance: no trades needed"


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
    off_target: list[str] = Field(default_factory=list, description="each class (or split fund) left more than 0.1 pp off target, and what stands in the way")
    warnings: list[str] = []
    extra: AnyExtra = Field(default_factory=Extra, description="what a tool adds beyond the shared fields")
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
                account=lot.account,
                ticker=lot.ticker,
                action="sell",
                shares=shares,
                price=lot.price,
                amount=cents(shares * lot.price),
                lot_id=lot.lot_id,
                acquired=lot.acquired.isoformat() if lot.acquired else None,
                realized_gain=gain,
                term=lot.term if lot.taxable else None,
            )
        )
    for a, t in sorted(plan.buys):
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


def _assemble(
    tool: str, u: TradeUniverse, cost_rate: float, flows: Flows, outcome: SolveOutcome, plan: Plan | None, baseline: tuple[Plan, str] | None, solver: str, warnings: list[str]
) -> Result:
    h = u.household
    before_values, before_cash = holdings_after(u, Plan(), cost_rate)
    before = measure(u, before_values, before_cash, solver)
    base = Result(
        tool=tool,
        household=h.name,
        as_of=h.as_of.isoformat(),
        status=outcome.status,
        solver=outcome.solver,
        solve_seconds=round(outcome.seconds, 3),
        gap=None if outcome.gap is None else round(outcome.gap, 6),
        message=outcome.message,
        before=state_of(before),
        warnings=list(u.warnings) + warnings,
    )
    if plan is None or not outcome.has_plan:
        return base
    values, cash = holdings_after(u, plan, cost_rate)
    after = measure(u, values, cash, solver)
    est = taxes(u, plan)
    transaction = cost_rate * sum(traded_dollars(u, plan).values())
    base.trades = trades_of(u, plan)
    base.after = state_of(after)
    exact = uses_exact_tax(h)
    income_tax = withdrawal_part(u, plan) if exact else withdrawal_income_tax(flows, plan)
    rates = {"ordinary": pct(u.rates.ordinary), "short_term": pct(u.rates.short_term), "long_term": pct(u.rates.long_term)}
    if exact:
        # Every tool: all the tax the plan causes this year, the return with it minus without it.
        t = exact_tax(u, plan)
        tax = t.total
        carried = t.with_plan.short_term_carryforward + t.with_plan.long_term_carryforward
        base.taxes = Taxes(
            short_term_gain=cents(est.short_term_gain),
            long_term_gain=cents(est.long_term_gain),
            estimated_tax=cents(tax),
            loss_carryforward=cents(carried),
            withdrawal_income_tax=cents(income_tax),
            rates=rates,
            tax_year=u.rates.year,
            method="exact",
            federal=cents(t.federal),
            state=cents(t.state),
            medicare_premiums=cents(t.irmaa),
        )
        note = irmaa_note(u, t)
        if note:
            base.warnings.append(note)
    else:
        tax = est.estimated_tax + income_tax
        base.taxes = Taxes(
            short_term_gain=cents(est.short_term_gain),
            long_term_gain=cents(est.long_term_gain),
            estimated_tax=cents(tax),
            loss_carryforward=cents(est.loss_carryforward),
            withdrawal_income_tax=cents(income_tax),
            rates=rates,
            tax_year=u.rates.year,
        )
    base.costs = Costs(transaction=cents(transaction), implementation=cents(tax + transaction))
    base.do_not_buy = do_not_buy(u, plan)
    if baseline is not None:
        bplan, bstatus = baseline
        bvalues, bcash = holdings_after(u, bplan, cost_rate)
        bafter = measure(u, bvalues, bcash, solver)
        btax = exact_tax(u, bplan).total if exact else taxes(u, bplan).estimated_tax
        mine = tax if exact else est.estimated_tax
        btrans = cost_rate * sum(traded_dollars(u, bplan).values())
        base.baseline = Baseline(
            description="each account rebalanced alone to the household target",
            status=bstatus,
            trades=trades_of(u, bplan),
            estimated_tax=cents(btax),
            transaction=cents(btrans),
            after=BaselineAfter(drift=pct(bafter.drift), location_score=round(bafter.location_score, 1), annual_tax_drag=cents(bafter.annual_tax_drag)),
        )
        loc_value = bafter.mislocation - after.mislocation
        loc_today = loc_value * u.location.present_value_factor
        base.savings = Savings(
            tax=cents(btax - mine),
            location_value=cents(loc_value),
            location_value_today=cents(loc_today),
            transaction=cents(btrans - transaction),
            total=cents(btax - mine + btrans - transaction + loc_today),
        )
    return base
