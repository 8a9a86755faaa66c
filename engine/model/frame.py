"""What every term and constraint of the household model stands on: the declaration of what may
trade and which money flows in or out, the index sets as plain Python, and the decision
variables with the few expressions all of them share. Shares for trade variables, dollars for
every expression.

Variables
  sell[a, lot]     shares sold from each sellable lot
  buy[a, t]        shares bought of ticker t in account a
  withdraw[a]      dollars taken out of account a (when the flows include a withdrawal)
Expressions shared by the terms and constraints
  sell_value, buy_value, proceeds[a], spent[a], transaction_cost[a], cash_after[a],
  short_term_gain, long_term_gain (taxable lots), value_after[a, t]
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..universe import LotInfo, TradeUniverse


@dataclass(frozen=True)
class Trading:
    """Which trades a scenario may make, and what a trade costs."""

    allow_sells: bool = True
    sell_only: frozenset[tuple[str, str]] | None = None  # when set, only these lots may be sold
    frozen_accounts: frozenset[str] = frozenset()  # accounts the plan may not touch
    cost_rate: float = 0.0  # transaction cost, fraction of each trade's dollars


@dataclass(frozen=True)
class Withdrawal:
    """Dollars to raise (gross, or net of the tax they cause); per account, the tax rate and the
    whole cost per dollar taken out, and dollars it must give (required distributions)."""

    amount: float
    net: bool = False
    income_rate: Mapping[str, float] = field(default_factory=dict)
    cost: Mapping[str, float] = field(default_factory=dict)
    minimum: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Flows:
    """Money into the household (deposits per account, dollars) and out of it (a withdrawal)."""

    deposits: Mapping[str, float] = field(default_factory=dict)
    withdrawal: Withdrawal | None = None

    def value_after(self, u: TradeUniverse) -> float:
        """Dollars the household holds once the money has moved (the drift band's base)."""
        out = self.withdrawal.amount if self.withdrawal else 0.0
        return max(u.total_value() + sum(self.deposits.values()) - out, 0.0)

    def deposited(self, u: TradeUniverse) -> dict[str, float]:
        """The deposits a plan reads back: nonzero, into accounts the household has."""
        return {a: d for a, d in self.deposits.items() if d and a in u.cash}


@dataclass
class Index:
    """The model's sets as plain Python, kept beside the model for reading the solution back."""

    lots: dict[tuple[str, str], LotInfo]
    buys: list[tuple[str, str]]
    positions: dict[tuple[str, str], list[tuple[str, str]]]  # (account, ticker) -> sellable lot keys
    loss_groups: dict[str, list[tuple[str, str]]]  # wash group -> loss lot keys that may be sold
    affordable: dict[str, float]  # dollars an account could spend at most


@dataclass(frozen=True)
class Frame:
    """One household, one scenario's trading and flows: what `add` and `value` are given."""

    u: TradeUniverse
    trading: Trading
    flows: Flows
    ix: Index


def index_of(u: TradeUniverse, trading: Trading, flows: Flows, min_trade: float) -> Index:
    """Lots that may be sold and (account, ticker) pairs worth buying; `min_trade` dollars."""
    frozen, only = trading.frozen_accounts, trading.sell_only
    lots = {
        l.key: l
        for l in u.sellable
        if trading.allow_sells
        and l.account not in frozen
        and (only is None or l.key in only)
        # A loss washed by a recent purchase may not be realized: the lot is not for sale now.
        and l.key not in u.loss_blocked
    }
    positions: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key, l in lots.items():
        positions[(l.account, l.ticker)].append(key)
    affordable = {a: u.cash[a] - u.reserve[a] + flows.deposits.get(a, 0.0) + sum(l.shares * l.price for l in lots.values() if l.account == a) for a in u.accounts}
    buys = [(a, t) for a, t in u.buyable if a not in frozen and affordable[a] >= min(min_trade, u.price(t)) - 1e-9]
    loss_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, l in lots.items():
        if l.is_loss:
            loss_groups[u.wash_group[l.ticker]].append(key)
    return Index(lots, buys, dict(positions), dict(loss_groups), affordable)


def _most_shares(dollars: float, price: float, whole: bool) -> float:
    """Shares an account could buy at most; whole-share accounts get a whole bound (GLPK insists)."""
    most = max(dollars, 0.0) / price
    return float(math.floor(most + 1e-9)) if whole else most


def add_decisions(m: pyo.ConcreteModel, f: Frame) -> None:
    """The trade and withdrawal variables and the expressions every piece reads."""
    u, ix, whole = f.u, f.ix, f.u.whole_shares
    m.LOTS = pyo.Set(initialize=list(ix.lots), dimen=2, ordered=True)
    m.BUYS = pyo.Set(initialize=ix.buys, dimen=2, ordered=True)

    def integral(m, a, _):
        return pyo.NonNegativeIntegers if whole[a] else pyo.NonNegativeReals

    m.sell = pyo.Var(m.LOTS, bounds=lambda m, a, lot_id: (0.0, ix.lots[(a, lot_id)].shares), domain=integral)
    m.buy = pyo.Var(m.BUYS, bounds=lambda m, a, t: (0.0, _most_shares(ix.affordable[a], u.price(t), whole[a])), domain=integral)
    m.sell_value = pyo.Expression(m.LOTS, rule=lambda m, a, lot_id: m.sell[a, lot_id] * ix.lots[(a, lot_id)].price)
    m.buy_value = pyo.Expression(m.BUYS, rule=lambda m, a, t: m.buy[a, t] * u.price(t))
    w = f.flows.withdrawal
    if w is not None:
        # Required distributions come first: an account that owes one gives at least that.
        m.WITHDRAW_FROM = pyo.Set(initialize=[a for a in u.accounts if a not in f.trading.frozen_accounts], ordered=True)
        m.withdraw = pyo.Var(
            m.WITHDRAW_FROM,
            bounds=lambda m, a: (min(w.minimum.get(a, 0.0), ix.affordable[a]), max(ix.affordable[a], 0.0)),
        )
    _add_cash(m, f)
    _add_gains(m, f)
    _add_holdings(m, f)


def _add_cash(m: pyo.ConcreteModel, f: Frame) -> None:
    u, ix = f.u, f.ix
    lots_of: dict[str, list] = defaultdict(list)
    for key in ix.lots:
        lots_of[key[0]].append(key)
    buys_of: dict[str, list] = defaultdict(list)
    for key in ix.buys:
        buys_of[key[0]].append(key)
    rate = f.trading.cost_rate
    m.ACCOUNTS = pyo.Set(initialize=u.accounts, ordered=True)
    m.proceeds = pyo.Expression(m.ACCOUNTS, rule=lambda m, a: sum(m.sell_value[k] for k in lots_of[a]))
    m.spent = pyo.Expression(m.ACCOUNTS, rule=lambda m, a: sum(m.buy_value[k] for k in buys_of[a]))
    m.transaction_cost = pyo.Expression(m.ACCOUNTS, rule=lambda m, a: rate * (m.proceeds[a] + m.spent[a]))
    withdrawing = f.flows.withdrawal is not None
    deposits = f.flows.deposits

    def cash_after(m, a):
        out = m.withdraw[a] if withdrawing and a in m.WITHDRAW_FROM else 0.0
        return u.cash[a] + deposits.get(a, 0.0) + m.proceeds[a] - m.spent[a] - m.transaction_cost[a] - out

    m.cash_after = pyo.Expression(m.ACCOUNTS, rule=cash_after)


def _add_gains(m: pyo.ConcreteModel, f: Frame) -> None:
    lots = f.ix.lots
    taxable = [k for k, l in lots.items() if l.taxable]
    gain = {k: lots[k].gain_per_share for k in taxable}
    m.short_term_gain = pyo.Expression(expr=sum(m.sell[k] * gain[k] for k in taxable if lots[k].term == "short"))
    m.long_term_gain = pyo.Expression(expr=sum(m.sell[k] * gain[k] for k in taxable if lots[k].term == "long"))


def _add_holdings(m: pyo.ConcreteModel, f: Frame) -> None:
    held, ix = f.u.held_value(), f.ix
    m.HOLDINGS = pyo.Set(initialize=sorted(set(held) | set(ix.buys)), dimen=2, ordered=True)
    buys = set(ix.buys)

    def value_after(m, a, t):
        sold = sum(m.sell_value[k] for k in ix.positions.get((a, t), ()))
        bought = m.buy_value[a, t] if (a, t) in buys else 0.0
        return held.get((a, t), 0.0) - sold + bought

    m.value_after = pyo.Expression(m.HOLDINGS, rule=value_after)
