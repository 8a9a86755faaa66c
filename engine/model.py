"""The one household trade model, built from data and returned unsolved.

Every tool is a choice of `Settings` for this same model. Each piece below adds one named
family of variables, constraints or objective terms over an index set; `build_model` only
composes them. Units: shares for trade variables, dollars for every expression.

Variables
  sell[a, lot]     shares sold from each sellable lot
  buy[a, t]        shares bought of ticker t in account a
  withdraw[a]      dollars taken out of account a (withdraw scenario only)
  trading binaries (minimum trade size) and one binary per wash-sale group that has a loss lot
Objective, dollars today: tax + transaction cost + drift penalty + present value of mislocation
(+ what the scenario adds: tax and lost growth of withdrawals).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from .household import CASH_CLASS
from .timing import phase
from .universe import LotInfo, TradeUniverse

TIE_BREAK_PER_DOLLAR = 1e-5  # prefers fewer dollars traded among otherwise equal plans


@dataclass
class Settings:
    """What a scenario asks of the model. Dollars unless said otherwise."""

    tolerance: float = 0.03  # drift band per class, fraction of household value
    drift_cost_inside: float = 0.05  # objective dollars per dollar of drift inside the band
    drift_cost_outside: float = 1.0  # ... and beyond it
    location_weight: float = 1.0  # 0 ignores asset location
    horizon_years: float = 10.0
    harvest: bool = False  # value net losses (tax below zero); otherwise losses only offset gains
    gain_budget: float | None = None  # net realized gains may not exceed this
    min_trade: float = 100.0
    transaction_cost: float = 0.0  # fraction of each trade's dollars
    allow_sells: bool = True
    sell_only: frozenset[tuple[str, str]] | None = None  # when set, only these lots may be sold
    frozen_accounts: frozenset[str] = frozenset()  # accounts the plan may not touch
    deposits: dict[str, float] = field(default_factory=dict)  # new money per account
    # withdraw scenario: dollars to raise (gross, or net of tax), the tax rate and the whole cost
    # per dollar taken from each account, and dollars an account must give (required distributions)
    withdraw_amount: float | None = None
    withdraw_net: bool = False
    withdraw_income_rate: dict[str, float] = field(default_factory=dict)
    withdraw_cost: dict[str, float] = field(default_factory=dict)
    withdraw_minimum: dict[str, float] = field(default_factory=dict)


@dataclass
class Index:
    """The model's sets as plain Python, kept beside the model for reading the solution back."""

    lots: dict[tuple[str, str], LotInfo]
    buys: list[tuple[str, str]]
    positions: dict[tuple[str, str], list[tuple[str, str]]]  # (account, ticker) -> sellable lot keys
    loss_groups: dict[str, list[tuple[str, str]]]  # wash group -> loss lot keys that may be sold
    affordable: dict[str, float]  # dollars an account could spend at most


def _index(u: TradeUniverse, s: Settings) -> Index:
    frozen = s.frozen_accounts
    lots = {
        l.key: l
        for l in u.sellable
        if s.allow_sells and l.account not in frozen and (s.sell_only is None or l.key in s.sell_only)
        # A loss washed by a recent purchase may not be realized: the lot is not for sale now.
        and l.key not in u.loss_blocked
    }
    positions: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key, l in lots.items():
        positions[(l.account, l.ticker)].append(key)
    affordable = {
        a: u.cash[a] - u.reserve[a] + s.deposits.get(a, 0.0) + sum(l.shares * l.price for l in lots.values() if l.account == a)
        for a in u.accounts
    }
    buys = [(a, t) for a, t in u.buyable if a not in frozen and affordable[a] >= min(s.min_trade, u.price(t)) - 1e-9]
    loss_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, l in lots.items():
        if l.is_loss:
            loss_groups[u.wash_group[l.ticker]].append(key)
    return Index(lots, buys, dict(positions), dict(loss_groups), affordable)


def _most_shares(dollars: float, price: float, whole: bool) -> float:
    """Shares an account could buy at most; whole-share accounts get a whole bound (GLPK insists)."""
    most = max(dollars, 0.0) / price
    return float(math.floor(most + 1e-9)) if whole else most


def add_trades(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    whole = u.whole_shares
    m.LOTS = pyo.Set(initialize=list(ix.lots), dimen=2, ordered=True)
    m.BUYS = pyo.Set(initialize=ix.buys, dimen=2, ordered=True)

    def lot_bounds(m, a, lot_id):
        lot = ix.lots[(a, lot_id)]
        # A realized loss washed by a recent purchase is not allowed.
        return (0.0, 0.0 if (a, lot_id) in u.loss_blocked else lot.shares)

    m.sell = pyo.Var(m.LOTS, bounds=lot_bounds, domain=lambda m, a, _: pyo.NonNegativeIntegers if whole[a] else pyo.NonNegativeReals)
    m.buy = pyo.Var(
        m.BUYS,
        bounds=lambda m, a, t: (0.0, _most_shares(ix.affordable[a], u.price(t), whole[a])),
        domain=lambda m, a, t: pyo.NonNegativeIntegers if whole[a] else pyo.NonNegativeReals,
    )
    m.sell_value = pyo.Expression(m.LOTS, rule=lambda m, a, lot_id: m.sell[a, lot_id] * ix.lots[(a, lot_id)].price)
    m.buy_value = pyo.Expression(m.BUYS, rule=lambda m, a, t: m.buy[a, t] * u.price(t))


def add_cash_funds_buys(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    """Each account pays for its own buys, costs and withdrawals; cash never crosses accounts."""
    lots_of = defaultdict(list)
    for key in ix.lots:
        lots_of[key[0]].append(key)
    buys_of = defaultdict(list)
    for key in ix.buys:
        buys_of[key[0]].append(key)
    m.ACCOUNTS = pyo.Set(initialize=u.accounts, ordered=True)
    m.proceeds = pyo.Expression(m.ACCOUNTS, rule=lambda m, a: sum(m.sell_value[k] for k in lots_of[a]))
    m.spent = pyo.Expression(m.ACCOUNTS, rule=lambda m, a: sum(m.buy_value[k] for k in buys_of[a]))
    m.transaction_cost = pyo.Expression(m.ACCOUNTS, rule=lambda m, a: s.transaction_cost * (m.proceeds[a] + m.spent[a]))
    withdrawing = s.withdraw_amount is not None

    def cash_after(m, a):
        out = m.withdraw[a] if withdrawing and a in m.WITHDRAW_FROM else 0.0
        return u.cash[a] + s.deposits.get(a, 0.0) + m.proceeds[a] - m.spent[a] - m.transaction_cost[a] - out

    m.cash_after = pyo.Expression(m.ACCOUNTS, rule=cash_after)
    m.cash_funds_buys = pyo.Constraint(m.ACCOUNTS, rule=lambda m, a: m.cash_after[a] >= u.reserve[a])


def add_withdrawals(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    """Dollars taken out of each account that is not frozen; required distributions come first."""
    if s.withdraw_amount is None:
        return
    m.WITHDRAW_FROM = pyo.Set(initialize=[a for a in u.accounts if a not in s.frozen_accounts], ordered=True)
    m.withdraw = pyo.Var(m.WITHDRAW_FROM, bounds=lambda m, a: (min(s.withdraw_minimum.get(a, 0.0), ix.affordable[a]), max(ix.affordable[a], 0.0)))


def add_amount_raised(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    """The withdrawals add up to the amount asked: gross, or net of the tax they cause."""
    if s.withdraw_amount is None:
        return
    gross = sum(m.withdraw[a] for a in m.WITHDRAW_FROM)
    if not s.withdraw_net:
        m.amount_raised = pyo.Constraint(expr=gross == s.withdraw_amount)
        return
    income_tax = sum(s.withdraw_income_rate.get(a, 0.0) * m.withdraw[a] for a in m.WITHDRAW_FROM)
    gains_tax = u.rates.short_term * m.short_term_gain + u.rates.long_term * m.long_term_gain
    m.amount_raised = pyo.Constraint(expr=gross - income_tax - gains_tax == s.withdraw_amount)


def add_minimum_trade(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    """An order is zero or at least `min_trade` dollars; big-Ms are what the account holds or can afford."""
    if s.min_trade <= 0:
        return
    position_value = {p: sum(ix.lots[k].shares * ix.lots[k].price for k in keys) for p, keys in ix.positions.items()}
    m.POSITIONS = pyo.Set(initialize=list(ix.positions), dimen=2, ordered=True)
    m.is_selling = pyo.Var(m.POSITIONS, domain=pyo.Binary)
    m.is_buying = pyo.Var(m.BUYS, domain=pyo.Binary)
    sold = lambda m, a, t: sum(m.sell_value[k] for k in ix.positions[(a, t)])
    # A position worth less than the minimum may still be sold whole.
    m.sell_at_least_minimum = pyo.Constraint(m.POSITIONS, rule=lambda m, a, t: sold(m, a, t) >= min(s.min_trade, position_value[(a, t)]) * m.is_selling[a, t])
    m.sell_only_if_trading = pyo.Constraint(m.POSITIONS, rule=lambda m, a, t: sold(m, a, t) <= position_value[(a, t)] * m.is_selling[a, t])
    m.buy_at_least_minimum = pyo.Constraint(m.BUYS, rule=lambda m, a, t: m.buy_value[a, t] >= s.min_trade * m.is_buying[a, t])
    m.buy_only_if_trading = pyo.Constraint(m.BUYS, rule=lambda m, a, t: m.buy_value[a, t] <= max(ix.affordable[a], 0.0) * m.is_buying[a, t])
    # An account does not sell and buy the same ticker in one plan: that round trip only dodges
    # the minimum trade (a $30 net order dressed as two $100 ones) and costs a spread for nothing.
    buyable = set(ix.buys)
    both = [p for p in ix.positions if p in buyable]
    m.BOTH_SIDES = pyo.Set(initialize=both, dimen=2, ordered=True)
    m.one_side_per_order = pyo.Constraint(m.BOTH_SIDES, rule=lambda m, a, t: m.is_selling[a, t] + m.is_buying[a, t] <= 1)


def add_wash_sale(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    """A group of identical tickers is either sold at a loss or bought by the plan, never both,
    in any account of the household (IRAs included)."""
    buys_by_group = defaultdict(list)
    for a, t in ix.buys:
        buys_by_group[u.wash_group[t]].append((a, t))
    groups = [g for g in ix.loss_groups if buys_by_group[g]]
    m.WASH_GROUPS = pyo.Set(initialize=groups, ordered=True)
    m.loses_on = pyo.Var(m.WASH_GROUPS, domain=pyo.Binary)
    pairs = [(g, a, lot_id) for g in groups for a, lot_id in ix.loss_groups[g]]
    m.WASH_LOSS_LOTS = pyo.Set(initialize=pairs, dimen=3, ordered=True)
    m.loss_only_if_group_sold = pyo.Constraint(
        m.WASH_LOSS_LOTS, rule=lambda m, g, a, lot_id: m.sell[a, lot_id] <= ix.lots[(a, lot_id)].shares * m.loses_on[g]
    )
    buy_pairs = [(g, a, t) for g in groups for a, t in buys_by_group[g]]
    m.WASH_BUYS = pyo.Set(initialize=buy_pairs, dimen=3, ordered=True)
    m.no_buy_of_loss_group = pyo.Constraint(
        m.WASH_BUYS, rule=lambda m, g, a, t: m.buy[a, t] <= (max(ix.affordable[a], 0.0) / u.price(t)) * (1 - m.loses_on[g])
    )


def net_loss_floor(u: TradeUniverse) -> float:
    """Dollars: the most tax a plan's net loss is credited with outside the harvest tool."""
    return -u.rates.loss_deduction_limit * u.rates.long_term


def add_realized_gains(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    taxable = [k for k, l in ix.lots.items() if l.taxable]
    m.short_term_gain = pyo.Expression(expr=sum(m.sell[k] * ix.lots[k].gain_per_share for k in taxable if ix.lots[k].term == "short"))
    m.long_term_gain = pyo.Expression(expr=sum(m.sell[k] * ix.lots[k].gain_per_share for k in taxable if ix.lots[k].term == "long"))
    if s.gain_budget is not None:
        m.gain_budget = pyo.Constraint(expr=m.short_term_gain + m.long_term_gain <= s.gain_budget)
    rates = u.rates
    carried = u.household.tax.loss_carryforward
    tax_value = rates.short_term * m.short_term_gain + rates.long_term * (m.long_term_gain - carried)
    if s.harvest:
        m.tax_cost = pyo.Expression(expr=tax_value)
    else:
        # Losses are worth what they offset, and a net loss only up to this year's deduction limit
        # (priced at the long-term rate, the least a loss is worth): without harvesting, selling
        # losses beyond that earns nothing, and among losses that fit, each is still preferred.
        m.tax_cost = pyo.Var(domain=pyo.Reals)
        m.tax_covers_gains = pyo.Constraint(expr=m.tax_cost >= tax_value)
        m.tax_above_deduction = pyo.Constraint(expr=m.tax_cost >= net_loss_floor(u))


def add_holdings_after(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    held = u.held_value()
    pairs = sorted(set(held) | set(ix.buys))
    m.HOLDINGS = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    buys = set(ix.buys)

    def value_after(m, a, t):
        sold = sum(m.sell_value[k] for k in ix.positions.get((a, t), ()))
        bought = m.buy_value[a, t] if (a, t) in buys else 0.0
        return held.get((a, t), 0.0) - sold + bought

    m.value_after = pyo.Expression(m.HOLDINGS, rule=value_after)


def add_drift(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    """Household weight of each class against its target, in dollars; the band is soft."""
    members = defaultdict(list)
    for a, t in m.HOLDINGS:
        members[u.asset_class(t)].append((a, t))
    m.CLASSES = pyo.Set(initialize=u.classes, ordered=True)

    def class_value(m, c):
        v = sum(m.value_after[p] for p in members[c])
        return v + sum(m.cash_after[a] for a in m.ACCOUNTS) if c == CASH_CLASS else v

    m.class_value = pyo.Expression(m.CLASSES, rule=class_value)
    m.total_after = pyo.Expression(expr=sum(m.class_value[c] for c in m.CLASSES))
    target = u.household.target
    m.over = pyo.Var(m.CLASSES, domain=pyo.NonNegativeReals)
    m.under = pyo.Var(m.CLASSES, domain=pyo.NonNegativeReals)
    m.beyond_band = pyo.Var(m.CLASSES, domain=pyo.NonNegativeReals)
    m.deviation = pyo.Constraint(m.CLASSES, rule=lambda m, c: m.over[c] - m.under[c] == m.class_value[c] - target(c) * m.total_after)
    band = s.tolerance * max(u.total_value() + sum(s.deposits.values()) - (s.withdraw_amount or 0.0), 0.0)
    m.band = pyo.Constraint(m.CLASSES, rule=lambda m, c: m.beyond_band[c] >= m.over[c] + m.under[c] - band)
    # Half the sum of absolute deviations is the drift; a dollar moved fixes two dollars of deviation.
    m.drift_penalty = pyo.Expression(
        expr=0.5 * sum(s.drift_cost_inside * (m.over[c] + m.under[c]) + s.drift_cost_outside * m.beyond_band[c] for c in m.CLASSES)
    )


def add_location(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    loc = u.location
    m.mislocation = pyo.Expression(expr=sum(m.value_after[a, t] * loc.cost(t, u.kind[a]) for a, t in m.HOLDINGS))
    m.location_penalty = pyo.Expression(expr=s.location_weight * loc.present_value_factor * m.mislocation)


def add_objective(m: pyo.ConcreteModel, u: TradeUniverse, s: Settings, ix: Index) -> None:
    withdraw_cost = 0.0
    if s.withdraw_amount is not None:
        withdraw_cost = sum(s.withdraw_cost.get(a, 0.0) * m.withdraw[a] for a in m.WITHDRAW_FROM)
    m.withdrawal_cost = pyo.Expression(expr=withdraw_cost)
    traded = sum(m.sell_value[k] for k in m.LOTS) + sum(m.buy_value[k] for k in m.BUYS)
    m.cost = pyo.Objective(
        expr=m.tax_cost
        + sum(m.transaction_cost[a] for a in m.ACCOUNTS)
        + m.drift_penalty
        + m.location_penalty
        + m.withdrawal_cost
        + TIE_BREAK_PER_DOLLAR * traded,
        sense=pyo.minimize,
    )


PIECES = (add_trades, add_withdrawals, add_cash_funds_buys, add_minimum_trade, add_wash_sale, add_realized_gains, add_amount_raised, add_holdings_after, add_drift, add_location, add_objective)


def build_model(u: TradeUniverse, s: Settings) -> tuple[pyo.ConcreteModel, Index]:
    """One model of the household for these settings, unsolved."""
    # Pyomo makes many small linked objects; the cyclic collector would rescan them all, over and
    # over, while they are made (about half the build time at 8,000 lots). Nothing here is garbage.
    with phase("build"), PauseGC():
        ix = _index(u, s)
        m = pyo.ConcreteModel(name=u.household.name)
        for piece in PIECES:
            piece(m, u, s, ix)
    return m, ix
