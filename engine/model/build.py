"""`build_model` composes a model from terms and constraints; `read_plan` reads its solution back.

A `Scenario` declares everything the model is asked: its objective terms, its constraint
families, what may trade and which money flows. Tools differ only in their declarations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from ..plan import SHARE_STEP, Plan, holdings_after
from ..timing import phase
from ..universe import TradeUniverse
from .constraints import Constraint, MinimumTrade
from .frame import Flows, Frame, Trading, add_decisions, index_of
from .terms import Term


def min_trade_of(constraints: tuple[Constraint, ...] | list[Constraint]) -> float:
    """Dollars: the smallest order the constraints allow (0 without a MinimumTrade)."""
    return next((c.dollars for c in constraints if isinstance(c, MinimumTrade)), 0.0)


def frame_of(u: TradeUniverse, constraints, trading: Trading, flows: Flows) -> Frame:
    return Frame(u, trading, flows, index_of(u, trading, flows, min_trade_of(constraints)))


def build_model(
    u: TradeUniverse,
    terms: tuple[Term, ...] | list[Term],
    constraints: tuple[Constraint, ...] | list[Constraint],
    trading: Trading = Trading(),
    flows: Flows = Flows(),
) -> tuple[pyo.ConcreteModel, Frame]:
    """One model of the household, unsolved: the decisions, each constraint's rows in order, then
    each term's rows, and the objective `minimize sum(terms)`."""
    # Pyomo makes many small linked objects; the cyclic collector would rescan them all, over and
    # over, while they are made (about half the build time at 8,000 lots). Nothing here is garbage.
    with phase("build"), PauseGC():
        f = frame_of(u, constraints, trading, flows)
        m = pyo.ConcreteModel(name=u.household.name)
        add_decisions(m, f)
        for c in constraints:
            c.add(m, f)
        parts = [t.add(m, f) for t in terms]
        m.cost = pyo.Objective(expr=sum(parts[1:], parts[0]), sense=pyo.minimize)
    return m, f


@dataclass(frozen=True)
class Scenario:
    """A tool's question to the model: terms, constraints, trading, flows, and the typed extra it
    reports (`extra(run)` returns a pydantic model from engine.results, or None)."""

    tool: str
    terms: tuple[Term, ...]
    constraints: tuple[Constraint, ...]
    trading: Trading = Trading()
    flows: Flows = Flows()
    extra: Callable[[Any], Any] | None = field(default=None, compare=False)

    def build(self, u: TradeUniverse) -> tuple[pyo.ConcreteModel, Frame]:
        return build_model(u, self.terms, self.constraints, self.trading, self.flows)

    def frame(self, u: TradeUniverse) -> Frame:
        return frame_of(u, self.constraints, self.trading, self.flows)

    def objective(self, u: TradeUniverse, plan: Plan) -> float:
        """The model's objective, dollars, for any plan (the household's, a baseline's, a test's)."""
        f = self.frame(u)
        return sum(t.value(f, plan) for t in self.terms)

    def term_values(self, u: TradeUniverse, plan: Plan) -> dict[str, float]:
        f = self.frame(u)
        return {t.name: t.value(f, plan) for t in self.terms}

    def swap(self, *parts: Term | Constraint) -> Scenario:
        """The same scenario with each given term or constraint replacing the one of its class
        (a constraint class not yet present is added)."""
        terms, constraints = list(self.terms), list(self.constraints)
        for p in parts:
            group: list = terms if isinstance(p, Term) else constraints
            at = [i for i, x in enumerate(group) if type(x) is type(p)]
            if at:
                group[at[0]] = p
            else:
                group.append(p)
        return replace(self, terms=tuple(terms), constraints=tuple(constraints))

    def without(self, kind: type) -> Scenario:
        return replace(self, constraints=tuple(c for c in self.constraints if not isinstance(c, kind)))

    def find(self, kind: type) -> Any:
        return next((p for p in (*self.terms, *self.constraints) if isinstance(p, kind)), None)


def _shares(x: float, whole: bool, cap: float | None = None, down: bool = False) -> float:
    if whole:
        v = float(math.floor(x + 1e-6)) if down else float(round(x))
    else:
        v = math.floor(x / SHARE_STEP + 1e-6) * SHARE_STEP if down else round(x, 6)
        v = round(v, 6)
    return min(v, cap) if cap is not None else v


def read_plan(m: pyo.ConcreteModel, f: Frame) -> Plan:
    """Trades from the solved model, in orderable share steps, never spending below a reserve."""
    u, ix = f.u, f.ix
    plan = Plan(deposits=f.flows.deposited(u))
    no_sell, no_buy = _switched_off(m, f)
    for key in m.LOTS:
        x = pyo.value(m.sell[key], exception=False)  # None: a variable in no row
        lot = ix.lots[key]
        if key in no_sell:
            continue
        if x is not None and x > 1e-7:
            shares = _shares(x, u.whole_shares[lot.account], cap=lot.shares)
            if abs(shares - lot.shares) < 1e-6:
                shares = lot.shares
            if shares > 0:
                plan.sells[key] = shares
    for key in m.BUYS:
        x = pyo.value(m.buy[key], exception=False)
        if key in no_buy:
            continue
        if x is not None and x > 1e-7:
            shares = _shares(x, u.whole_shares[key[0]])
            if shares > 0:
                plan.buys[key] = shares
    if hasattr(m, "withdraw"):
        for a in m.WITHDRAW_FROM:
            x = pyo.value(m.withdraw[a], exception=False)
            if x and x > 0.005:
                plan.withdrawals[a] = round(x, 2)
    _trim_overspending(u, plan, f.trading.cost_rate)
    return plan


def _on(var) -> bool | None:
    x = pyo.value(var, exception=False)
    return None if x is None else x > 0.5


def _switched_off(m: pyo.ConcreteModel, f: Frame) -> tuple[set, set]:
    """Lot keys and buy pairs whose yes/no variable says no. A solver's integrality tolerance
    leaves a binary at 1e-7, and a 10,000-share lot then 'sells' a thousandth of a share: read
    the binaries as the yes/no they stand for (a loss sold in a group the plan buys, otherwise)."""
    no_sell: set = set()
    no_buy: set = set()
    if hasattr(m, "is_selling"):
        off = {p for p in m.POSITIONS if _on(m.is_selling[p]) is False}
        no_sell |= {k for p in off for k in f.ix.positions.get(p, ())}
        no_buy |= {k for k in m.BUYS if _on(m.is_buying[k]) is False}
    if hasattr(m, "loses_on"):
        for g, a, lot_id in m.WASH_LOSS_LOTS:
            if _on(m.loses_on[g]) is False:
                no_sell.add((a, lot_id))
        for g, a, t in m.WASH_BUYS:
            if _on(m.loses_on[g]):
                no_buy.add((a, t))
    return no_sell, no_buy


def _trim_overspending(u: TradeUniverse, plan: Plan, cost_rate: float) -> None:
    """Rounding shares to the nearest step can overspend by a few cents: take it off the largest buy."""
    _, cash = holdings_after(u, plan, cost_rate)
    for a in u.accounts:
        short = u.reserve[a] - cash[a]
        if short <= 0:
            continue
        buys = [k for k in plan.buys if k[0] == a]
        if not buys:
            continue
        key = max(buys, key=lambda k: plan.buys[k] * u.price(k[1]))
        price, step = u.price(key[1]), (1.0 if u.whole_shares[a] else SHARE_STEP)
        cut = math.ceil(short * (1 + cost_rate) / price / step - 1e-9) * step
        plan.buys[key] = round(max(0.0, plan.buys[key] - cut), 6)
        if plan.buys[key] == 0:
            del plan.buys[key]
