"""The objective's terms, dollars today. Each adds itself to the model as one expression (with
whatever rows it needs) and prices a read-back plan with the same formula, so a plan's cost has
one source of truth: `sum(term.value(frame, plan))` is what the solver minimized.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyomo.environ as pyo

from ..household import CASH_CLASS
from ..plan import Plan, holdings_after, realized, traded_dollars
from ..plantax import carried_out, carryforward_rate, exact_tax, is_early, plan_income, year_of
from ..universe import TradeUniverse
from .frame import Frame

TIE_BREAK_PER_DOLLAR = 1e-5  # prefers fewer dollars traded among otherwise equal plans


class Term:
    """One objective term: `add` returns its model expression, `value` the same dollars for a plan."""

    name = "term"

    def add(self, m: pyo.ConcreteModel, f: Frame) -> pyo.Expression:
        raise NotImplementedError

    def value(self, f: Frame, plan: Plan) -> float:
        raise NotImplementedError


def net_loss_floor(u: TradeUniverse) -> float:
    """Dollars: the most tax a plan's net loss is credited with outside the harvest tool."""
    return -u.rates.loss_deduction_limit * u.rates.long_term


@dataclass(frozen=True)
class Tax(Term):
    """Capital-gains tax today at the household's marginal rates:
    short_rate * short_gain + long_rate * (long_gain - carried loss). Without `harvest`, a net loss
    is worth at most this year's deduction limit at the long-term rate (the least a loss is worth):
    tax = max(that, -limit * long_rate)."""

    harvest: bool = False
    name = "tax"

    def _linear(self, u: TradeUniverse, short_gain, long_gain):
        carried = u.household.tax.loss_carryforward
        return u.rates.short_term * short_gain + u.rates.long_term * (long_gain - carried)

    def add(self, m, f):
        tax_value = self._linear(f.u, m.short_term_gain, m.long_term_gain)
        if self.harvest:
            m.tax_cost = pyo.Expression(expr=tax_value)
        else:
            # Without harvesting, selling losses beyond the deduction limit earns nothing, and
            # among losses that fit, each is still preferred.
            m.tax_cost = pyo.Var(domain=pyo.Reals)
            m.tax_covers_gains = pyo.Constraint(expr=m.tax_cost >= tax_value)
            m.tax_above_deduction = pyo.Constraint(expr=m.tax_cost >= net_loss_floor(f.u))
        return m.tax_cost

    def value(self, f, plan):
        st, lt = realized(f.u, plan)
        tax_value = self._linear(f.u, st, lt)
        return tax_value if self.harvest else max(net_loss_floor(f.u), tax_value)


def exact_tax_block(m: pyo.ConcreteModel, f: Frame, carryforward: bool = False):
    """The year's exact return in the model (engine/tax/milp.py), built once per model and shared
    by the ExactTax term and a net AmountRaised: the plan's traditional withdrawals are ordinary
    income (those before 59 1/2 also pay the 10% additional tax), its taxable sells the short- and
    long-term results. Inside a net-amount row the tax enters with both signs, so it is then
    built exact either way (`exact_any_sign`)."""
    if hasattr(m, "exact_tax_terms"):
        assert not carryforward or not isinstance(m.exact_tax_terms.carried_out, float), "the tax block was built without the carryforward"
        return m.exact_tax_terms
    from ..tax.milp import add_federal_tax  # Pyomo's FBBT: loaded only for a model

    u, y = f.u, year_of(f.u)
    traditional = [a for a in (m.WITHDRAW_FROM if hasattr(m, "withdraw") else ()) if u.kind[a] == "traditional"]
    ordinary = sum((m.withdraw[a] for a in traditional), 0.0)
    early = sum((m.withdraw[a] for a in traditional if is_early(u.household, a)), 0.0)
    w = f.flows.withdrawal
    m.exact_tax_terms = add_federal_tax(
        m,
        y.base,
        y.facts,
        ordinary=ordinary,
        early=early,
        short_gain=m.short_term_gain,
        long_gain=m.long_term_gain,
        state_rate=y.state_rate,
        irmaa_persons=y.irmaa_persons,
        exact_any_sign=w is not None and w.net,
        carryforward=carryforward,
    )
    return m.exact_tax_terms


@dataclass(frozen=True)
class ExactTax(Term):
    """The plan's exact tax: federal(year with the plan) - federal(year without it) + state_rate x
    added taxable income + the yearly Medicare premiums (IRMAA) a crossed tier adds (the plan's
    MAGI sets them two years on). With `harvest`, a loss carried beyond this year's deduction
    limit is credited at the household's long-term rate a year on, discounted a year:
    - carryforward_rate x carried_out."""

    harvest: bool = False
    name = "tax"

    def add(self, m, f):
        t = exact_tax_block(m, f, carryforward=self.harvest)
        credit = carryforward_rate(f.u) * t.carried_out if self.harvest else 0.0
        m.tax_cost = pyo.Expression(expr=t.tax + t.irmaa - credit)
        return m.tax_cost

    def value(self, f, plan):
        y = year_of(f.u)
        t = exact_tax(f.u, plan, y)
        credit = carryforward_rate(f.u) * carried_out(y, plan_income(f.u, plan)) if self.harvest else 0.0
        return t.total + t.irmaa - credit


@dataclass(frozen=True)
class TransactionCost(Term):
    """cost_rate (Trading) * dollars traded, sells plus buys, in every account."""

    name = "transaction"

    def add(self, m, f):
        return sum(m.transaction_cost[a] for a in m.ACCOUNTS)

    def value(self, f, plan):
        return f.trading.cost_rate * sum(traded_dollars(f.u, plan).values())


def class_values(f: Frame, plan: Plan) -> dict[str, float]:
    """Dollars per asset class after the plan, cash of every account in the cash class."""
    values, cash = holdings_after(f.u, plan, f.trading.cost_rate)
    out = {c: 0.0 for c in f.u.classes}
    for (_, t), v in values.items():
        out[f.u.asset_class(t)] += v
    out[CASH_CLASS] += sum(cash.values())
    return out


@dataclass(frozen=True)
class DriftPenalty(Term):
    """Half the sum over classes c of inside * |dev_c| + outside * max(0, |dev_c| - band), where
    dev_c = value_c - target_c * total after the plan and band = tolerance * the household's value
    once the flows have moved. Half: a dollar moved fixes two dollars of deviation."""

    tolerance: float = 0.03  # drift band per class, fraction of household value
    inside: float = 0.05  # objective dollars per dollar of drift inside the band
    outside: float = 1.0  # ... and beyond it
    name = "drift"

    def add(self, m, f):
        u = f.u
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
        band = self.tolerance * f.flows.value_after(u)
        m.band = pyo.Constraint(m.CLASSES, rule=lambda m, c: m.beyond_band[c] >= m.over[c] + m.under[c] - band)
        m.drift_penalty = pyo.Expression(expr=0.5 * sum(self.inside * (m.over[c] + m.under[c]) + self.outside * m.beyond_band[c] for c in m.CLASSES))
        return m.drift_penalty

    def value(self, f, plan):
        values = class_values(f, plan)
        total, target, band = sum(values.values()), f.u.household.target, self.tolerance * f.flows.value_after(f.u)
        dev = [abs(values[c] - target(c) * total) for c in f.u.classes]
        return 0.5 * sum(self.inside * d + self.outside * max(0.0, d - band) for d in dev)


@dataclass(frozen=True)
class Mislocation(Term):
    """weight * present-value factor * sum over holdings of dollars_after[a, t] * cost(t, kind of a):
    the horizon tax each dollar pays beyond its best home, discounted to today."""

    weight: float = 1.0  # 0 ignores asset location
    name = "location"

    def add(self, m, f):
        u, loc = f.u, f.u.location
        m.mislocation = pyo.Expression(expr=sum(m.value_after[a, t] * loc.cost(t, u.kind[a]) for a, t in m.HOLDINGS))
        m.location_penalty = pyo.Expression(expr=self.weight * loc.present_value_factor * m.mislocation)
        return m.location_penalty

    def value(self, f, plan):
        u, loc = f.u, f.u.location
        values, _ = holdings_after(u, plan, f.trading.cost_rate)
        return self.weight * loc.present_value_factor * sum(v * loc.cost(t, u.kind[a]) for (a, t), v in values.items())


@dataclass(frozen=True)
class WithdrawalCost(Term):
    """sum over accounts of cost[a] (the Withdrawal's, dollars per dollar) * withdrawn[a]."""

    name = "withdrawal"

    def add(self, m, f):
        w = f.flows.withdrawal
        cost = 0.0 if w is None else sum(w.cost.get(a, 0.0) * m.withdraw[a] for a in m.WITHDRAW_FROM)
        m.withdrawal_cost = pyo.Expression(expr=cost)
        return m.withdrawal_cost

    def value(self, f, plan):
        w = f.flows.withdrawal
        return 0.0 if w is None else sum(w.cost.get(a, 0.0) * d for a, d in plan.withdrawals.items())


@dataclass(frozen=True)
class TieBreak(Term):
    """per_dollar * dollars traded: among otherwise equal plans, the one that trades least."""

    per_dollar: float = TIE_BREAK_PER_DOLLAR
    name = "tie_break"

    def add(self, m, f):
        return self.per_dollar * (sum(m.sell_value[k] for k in m.LOTS) + sum(m.buy_value[k] for k in m.BUYS))

    def value(self, f, plan):
        return self.per_dollar * sum(traded_dollars(f.u, plan).values())
