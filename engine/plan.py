"""A plan (trades, withdrawals, deposits), and everything measured from it.

Every figure in a report is computed here from the lots and the plan's trades, never
read off the solver's auxiliary variables, so reports and the model can check each other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .household import CASH_CLASS
from .location import CASH, reachable_mislocation
from .tax import TaxEstimate, capital_gains_tax
from .universe import TradeUniverse

SHARE_STEP = 1e-4  # fractional shares are ordered in steps of this many shares


@dataclass
class Plan:
    sells: dict[tuple[str, str], float] = field(default_factory=dict)  # (account, lot id) -> shares
    buys: dict[tuple[str, str], float] = field(default_factory=dict)  # (account, ticker) -> shares
    withdrawals: dict[str, float] = field(default_factory=dict)  # account -> dollars
    deposits: dict[str, float] = field(default_factory=dict)  # account -> dollars

    def merge(self, other: Plan) -> Plan:
        return Plan({**self.sells, **other.sells}, {**self.buys, **other.buys}, {**self.withdrawals, **other.withdrawals}, {**self.deposits, **other.deposits})


# ---- measures of a plan ----------------------------------------------------------------


def washed_by_own_buys(u: TradeUniverse, plan: Plan) -> set[tuple[str, str]]:
    """Loss sells whose ticker (or one identical to it) the same plan buys in any account: the
    wash-sale rule disallows those losses. The household model never makes them; the
    account-by-account baseline, blind to the other accounts, can."""
    bought = {u.wash_group[t] for (_, t) in plan.buys}
    lots = {l.key: l for l in u.lots}
    return {k for k in plan.sells if lots[k].is_loss and u.wash_group[lots[k].ticker] in bought}


def realized(u: TradeUniverse, plan: Plan) -> tuple[float, float]:
    """(short-term, long-term) dollars of gain realized by the plan's taxable sells; a loss the
    plan itself washes counts for nothing."""
    lots = {l.key: l for l in u.lots}
    washed = washed_by_own_buys(u, plan)
    st = lt = 0.0
    for key, shares in plan.sells.items():
        lot = lots[key]
        if lot.taxable and key not in washed:
            g = shares * lot.gain_per_share
            if lot.term == "short":
                st += g
            else:
                lt += g
    return st, lt


def taxes(u: TradeUniverse, plan: Plan) -> TaxEstimate:
    """The tax the plan causes: this year's capital-gains tax with the plan minus without it, so a
    carried-in loss's deduction, which the household gets anyway, is not credited to the plan."""
    st, lt = realized(u, plan)
    carried = u.household.tax.loss_carryforward
    with_plan = capital_gains_tax(st, lt, u.rates, carried)
    without = capital_gains_tax(0.0, 0.0, u.rates, carried)
    return TaxEstimate(st, lt, with_plan.estimated_tax - without.estimated_tax, with_plan.loss_carryforward)


def traded_dollars(u: TradeUniverse, plan: Plan) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    lots = {l.key: l for l in u.lots}
    for key, shares in plan.sells.items():
        out[key[0]] += shares * lots[key].price
    for (a, t), shares in plan.buys.items():
        out[a] += shares * u.price(t)
    return out


def holdings_after(u: TradeUniverse, plan: Plan, cost_rate: float = 0.0) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """(dollars per (account, ticker), cash per account) after the plan, from lots and trades;
    `cost_rate` is the transaction cost, fraction of each trade's dollars."""
    values: dict[tuple[str, str], float] = defaultdict(float)
    cash = dict(u.cash)
    lots = {l.key: l for l in u.lots}
    for l in u.lots:
        values[(l.account, l.ticker)] += (l.shares - plan.sells.get(l.key, 0.0)) * l.price
    for key, shares in plan.sells.items():
        cash[key[0]] += shares * lots[key].price
    for (a, t), shares in plan.buys.items():
        values[(a, t)] += shares * u.price(t)
        cash[a] -= shares * u.price(t)
    for a, dollars in traded_dollars(u, plan).items():
        cash[a] -= cost_rate * dollars
    for a, d in plan.deposits.items():
        cash[a] += d
    for a, w in plan.withdrawals.items():
        cash[a] -= w
    return dict(values), cash


@dataclass(frozen=True)
class StateMeasures:
    value: float
    class_values: dict[str, float]
    allocation: dict[str, float]
    drift: float  # half the sum of absolute weight deviations, fraction
    deviation_dollars: dict[str, float]
    mislocation: float  # horizon dollars lost against each security's best home
    best_mislocation: float
    worst_mislocation: float
    location_score: float
    annual_tax_drag: float  # dollars a year
    after_tax_return: float  # fraction a year
    account_values: dict[str, float]


def measure(u: TradeUniverse, values: dict[tuple[str, str], float], cash: dict[str, float], solver: str = "auto") -> StateMeasures:
    h = u.household
    class_values = {c: 0.0 for c in u.classes}
    account_values = {a: cash[a] for a in u.accounts}
    for (a, t), v in values.items():
        class_values[u.asset_class(t)] += v
        account_values[a] += v
    class_values[CASH_CLASS] += sum(cash.values())
    total = sum(class_values.values())
    allocation = {c: (v / total if total > 0 else 0.0) for c, v in class_values.items()}
    deviation = {c: class_values[c] - h.target(c) * total for c in u.classes}
    drift = 0.5 * sum(abs(allocation[c] - h.target(c)) for c in u.classes)
    loc = u.location
    mis = sum(v * loc.cost(t, u.kind[a]) for (a, t), v in values.items())
    by_kind: dict[tuple[str, str], float] = defaultdict(float)
    for (a, t), v in values.items():
        if v > 1e-9:
            by_kind[(u.kind[a], t)] += v
    for a, c in cash.items():
        if c > 1e-9:
            by_kind[(u.kind[a], CASH)] += c
    best, worst = reachable_mislocation(by_kind, loc, solver)
    spread = worst - best
    score = 100.0 if spread < 1e-6 else max(0.0, min(100.0, 100.0 * (worst - mis) / spread))
    drag = sum(v * loc.drag[t] for (a, t), v in values.items() if u.kind[a] == "taxable")
    growth = sum(v * (loc.expected_return[t]) for (a, t), v in values.items())
    return StateMeasures(
        value=total,
        class_values=class_values,
        allocation=allocation,
        drift=drift,
        deviation_dollars=deviation,
        mislocation=mis,
        best_mislocation=best,
        worst_mislocation=worst,
        location_score=score,
        annual_tax_drag=drag,
        after_tax_return=(growth - drag) / total if total > 0 else 0.0,
        account_values=account_values,
    )
