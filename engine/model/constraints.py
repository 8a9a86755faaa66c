"""The model's hard constraints, one family each. `add` puts its rows in the model; `violation`
measures a read-back plan against the same rule, in dollars (0 when the plan keeps it), so a
plan from anywhere (the solver, a baseline, a test) can be checked against the model's rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyomo.environ as pyo

from ..plan import SHARE_STEP, Plan, holdings_after, realized
from ..plantax import exact_tax
from .allocation import add_lines, line_values
from .frame import Frame
from .terms import exact_tax_block

CENT = 0.005  # dollars of rounding a read-back plan may carry


class Constraint:
    """One family of rows: `add` builds them, `violation` says by how many dollars a plan breaks them."""

    name = "constraint"

    def add(self, m: pyo.ConcreteModel, f: Frame) -> None:
        raise NotImplementedError

    def violation(self, f: Frame, plan: Plan) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class CashFundsBuys(Constraint):
    """For every account a: cash[a] + deposit[a] + proceeds[a] - spent[a] - cost[a] - withdrawn[a]
    >= reserve[a]. Each account pays for its own buys; cash never crosses accounts."""

    name = "cash_funds_buys"

    def add(self, m, f):
        reserve = f.u.reserve
        m.cash_funds_buys = pyo.Constraint(m.ACCOUNTS, rule=lambda m, a: m.cash_after[a] >= reserve[a])

    def violation(self, f, plan):
        _, cash = holdings_after(f.u, plan, f.trading.cost_rate)
        return max([0.0] + [f.u.reserve[a] - cash[a] for a in f.u.accounts])


@dataclass(frozen=True)
class MinimumTrade(Constraint):
    """Each order (account, ticker, side) is 0 or at least `dollars`; a position worth less may be
    sold whole. Big-Ms are what the account holds or can afford. An account does not sell and buy
    the same ticker in one plan."""

    dollars: float = 100.0
    name = "minimum_trade"

    def add(self, m, f):
        ix, floor = f.ix, self.dollars
        position_value = {p: sum(ix.lots[k].shares * ix.lots[k].price for k in keys) for p, keys in ix.positions.items()}
        m.POSITIONS = pyo.Set(initialize=list(ix.positions), dimen=2, ordered=True)
        m.is_selling = pyo.Var(m.POSITIONS, domain=pyo.Binary)
        m.is_buying = pyo.Var(m.BUYS, domain=pyo.Binary)

        def sold(m, a, t):
            return sum(m.sell_value[k] for k in ix.positions[(a, t)])

        m.sell_at_least_minimum = pyo.Constraint(m.POSITIONS, rule=lambda m, a, t: sold(m, a, t) >= min(floor, position_value[(a, t)]) * m.is_selling[a, t])
        m.sell_only_if_trading = pyo.Constraint(m.POSITIONS, rule=lambda m, a, t: sold(m, a, t) <= position_value[(a, t)] * m.is_selling[a, t])
        # One share step above the minimum: the plan is ordered in share steps and an overspent
        # cent is taken off the largest buy (build.read_plan), which may be a buy at the minimum.
        # A whole-share account's step is a share; there the rounding is left to the minimum.
        step = {(a, t): 0.0 if f.u.whole_shares[a] else SHARE_STEP * f.u.price(t) for a, t in ix.buys}
        m.buy_at_least_minimum = pyo.Constraint(m.BUYS, rule=lambda m, a, t: m.buy_value[a, t] >= (floor + step[a, t]) * m.is_buying[a, t])
        m.buy_only_if_trading = pyo.Constraint(m.BUYS, rule=lambda m, a, t: m.buy_value[a, t] <= max(ix.affordable[a], 0.0) * m.is_buying[a, t])
        # The round trip only dodges the minimum trade (a $30 net order dressed as two $100 ones)
        # and costs a spread for nothing.
        buyable = set(ix.buys)
        m.BOTH_SIDES = pyo.Set(initialize=[p for p in ix.positions if p in buyable], dimen=2, ordered=True)
        m.one_side_per_order = pyo.Constraint(m.BOTH_SIDES, rule=lambda m, a, t: m.is_selling[a, t] + m.is_buying[a, t] <= 1)

    def violation(self, f, plan):
        u, ix = f.u, f.ix
        lots = {l.key: l for l in u.lots}
        sold: dict[tuple[str, str], float] = defaultdict(float)
        # What the position may sell at most: its lots for sale (a smaller one may go whole).
        held = {p: sum(ix.lots[k].shares * ix.lots[k].price for k in keys) for p, keys in ix.positions.items()}
        for key, shares in plan.sells.items():
            sold[(key[0], lots[key].ticker)] += shares * lots[key].price
        bought = {k: shares * u.price(k[1]) for k, shares in plan.buys.items()}
        short = [min(self.dollars, held.get(p, 0.0)) - v for p, v in sold.items() if v > 0]
        short += [self.dollars - v for v in bought.values() if v > 0]
        both = [min(sold[p], bought[p]) for p in sold if p in bought]
        return max([0.0] + short + both)


@dataclass(frozen=True)
class WashSale(Constraint):
    """For each group g of identical tickers with a loss lot for sale, a binary loses_on[g]:
    sell[loss lot in g] <= shares * loses_on[g] and buy[a, t in g] <= most * (1 - loses_on[g]).
    A group is sold at a loss or bought by the plan, never both, in any account (IRAs included)."""

    name = "wash_sale"

    def add(self, m, f):
        u, ix = f.u, f.ix
        buys_by_group = defaultdict(list)
        for a, t in ix.buys:
            buys_by_group[u.wash_group[t]].append((a, t))
        groups = [g for g in ix.loss_groups if buys_by_group[g]]
        m.WASH_GROUPS = pyo.Set(initialize=groups, ordered=True)
        m.loses_on = pyo.Var(m.WASH_GROUPS, domain=pyo.Binary)
        pairs = [(g, a, lot_id) for g in groups for a, lot_id in ix.loss_groups[g]]
        m.WASH_LOSS_LOTS = pyo.Set(initialize=pairs, dimen=3, ordered=True)
        m.loss_only_if_group_sold = pyo.Constraint(m.WASH_LOSS_LOTS, rule=lambda m, g, a, lot_id: m.sell[a, lot_id] <= ix.lots[(a, lot_id)].shares * m.loses_on[g])
        buy_pairs = [(g, a, t) for g in groups for a, t in buys_by_group[g]]
        m.WASH_BUYS = pyo.Set(initialize=buy_pairs, dimen=3, ordered=True)
        m.no_buy_of_loss_group = pyo.Constraint(
            m.WASH_BUYS,
            rule=lambda m, g, a, t: m.buy[a, t] <= (max(ix.affordable[a], 0.0) / u.price(t)) * (1 - m.loses_on[g]),
        )

    def violation(self, f, plan):
        """Dollars of loss the plan sells in a group it also buys."""
        u = f.u
        lots = {l.key: l for l in u.lots}
        bought = {u.wash_group[t] for (_, t) in plan.buys}
        return sum(-shares * lots[k].gain_per_share for k, shares in plan.sells.items() if lots[k].is_loss and u.wash_group[lots[k].ticker] in bought)


@dataclass(frozen=True)
class GainBudget(Constraint):
    """short_gain + long_gain <= dollars: net realized gains stay within a budget. With
    `with_withdrawals` (the bracket budget), the plan's traditional withdrawals count too: their
    ordinary income fills the same taxable income the gains stack on."""

    dollars: float
    with_withdrawals: bool = False
    name = "gain_budget"

    def _ordinary(self, f, withdrawn) -> float:
        if not self.with_withdrawals:
            return 0.0
        return sum(d for a, d in withdrawn.items() if f.u.kind[a] == "traditional")

    def add(self, m, f):
        withdrawn = {a: m.withdraw[a] for a in m.WITHDRAW_FROM} if hasattr(m, "withdraw") else {}
        m.gain_budget = pyo.Constraint(expr=m.short_term_gain + m.long_term_gain + self._ordinary(f, withdrawn) <= self.dollars)

    def violation(self, f, plan):
        return max(0.0, sum(realized(f.u, plan)) + self._ordinary(f, plan.withdrawals) - self.dollars)


@dataclass(frozen=True)
class AmountRaised(Constraint):
    """sum of withdrawn[a] == amount, or with `net` in the Withdrawal:
    sum withdrawn[a] - income_rate[a] * withdrawn[a] - short_rate * short_gain - long_rate * long_gain == amount,
    or with `exact`: sum withdrawn[a] - tax == amount, tax the plan's exact federal + state tax
    (the ExactTax term's block, built exact for either sign; Medicare premiums are not tax)."""

    exact: bool = False
    name = "amount_raised"

    def add(self, m, f):
        w = f.flows.withdrawal
        assert w is not None, "AmountRaised needs a Withdrawal in the flows"
        gross = sum(m.withdraw[a] for a in m.WITHDRAW_FROM)
        if not w.net:
            m.amount_raised = pyo.Constraint(expr=gross == w.amount)
            return
        if self.exact:
            m.amount_raised = pyo.Constraint(expr=gross - exact_tax_block(m, f).tax == w.amount)
            return
        income_tax = sum(w.income_rate.get(a, 0.0) * m.withdraw[a] for a in m.WITHDRAW_FROM)
        rates = f.u.rates
        gains_tax = rates.short_term * m.short_term_gain + rates.long_term * m.long_term_gain
        m.amount_raised = pyo.Constraint(expr=gross - income_tax - gains_tax == w.amount)

    def violation(self, f, plan):
        w = f.flows.withdrawal
        if w is None:
            return 0.0
        raised = sum(plan.withdrawals.values())
        if w.net and self.exact:
            raised -= exact_tax(f.u, plan).total
        elif w.net:
            st, lt = realized(f.u, plan)
            raised -= sum(w.income_rate.get(a, 0.0) * d for a, d in plan.withdrawals.items())
            raised -= f.u.rates.short_term * st + f.u.rates.long_term * lt
        return abs(raised - w.amount)


@dataclass(frozen=True)
class DriftCap(Constraint):
    """For each allocation line l (engine/model/allocation.py): -under_l <= value_l - target_l <= over_l.
    The allocation stage's drift, handed to the tax and location stage as a bound: no line ends
    further from its target, on either side, than the allocation stage left it (plus a slack)."""

    caps: tuple[tuple[str, float, float], ...]  # (line, most dollars over, most dollars under)
    name = "drift_cap"

    def add(self, m, f):
        add_lines(m, f)
        caps = {l: (o, d) for l, o, d in self.caps}
        m.DRIFT_CAPPED = pyo.Set(initialize=[l for l in m.LINES if l in caps], ordered=True)
        m.drift_cap_over = pyo.Constraint(m.DRIFT_CAPPED, rule=lambda m, l: m.line_value[l] - m.line_target[l] <= caps[l][0])
        m.drift_cap_under = pyo.Constraint(m.DRIFT_CAPPED, rule=lambda m, l: m.line_target[l] - m.line_value[l] <= caps[l][1])

    def violation(self, f, plan):
        values = line_values(f, plan)
        return max([0.0] + [max(values[l][0] - values[l][1] - o, values[l][1] - values[l][0] - d) for l, o, d in self.caps if l in values])

    @staticmethod
    def of(m: pyo.ConcreteModel, slack: float) -> DriftCap:
        """The cap a solved allocation stage sets: each line's deviation in the solution, plus `slack` dollars."""
        caps = []
        for l in m.LINES:
            dev = pyo.value(m.line_value[l] - m.line_target[l])
            caps.append((l, max(dev, 0.0) + slack, max(-dev, 0.0) + slack))
        return DriftCap(tuple(caps))
