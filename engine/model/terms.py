"""The objective's terms, dollars today. Each adds itself to the model as one expression (with
whatever rows it needs) and prices a read-back plan with the same formula, so a plan's cost has
one source of truth: `sum(term.value(frame, plan))` is what the solver minimized.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from ..household import CASH_CLASS
from ..plan import Plan, holdings_after, realized, traded_dollars
from ..plantax import carried_out, carryforward_rate, exact_tax, is_early, plan_income, year_of
from ..universe import TradeUniverse
from .allocation import add_lines, band_dollars, line_values, lines_of
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
    """Half the sum over allocation lines l (engine/model/allocation.py: each class, and each
    fund of a split class) of inside * |dev_l| + outside * max(0, |dev_l| - band_l), where
    dev_l = value_l - target_l after the plan and band_l = the class's width (`bands`, else
    `tolerance`) * the household's value once the flows have moved. Half: a dollar moved fixes
    two dollars of deviation. outside = 1 outprices every tax a dollar's sale can cost."""

    tolerance: float = 0.03  # drift band per class, fraction of household value, where `bands` is silent
    inside: float = 0.05  # objective dollars per dollar of drift inside the band
    outside: float = 1.0  # ... and beyond it
    bands: tuple[tuple[str, float], ...] = ()  # (asset class, band width) pairs
    name = "drift"

    def add(self, m, f):
        add_lines(m, f)
        widths, lines = dict(self.bands), {l.name: l for l in lines_of(f.u)}
        m.over = pyo.Var(m.LINES, domain=pyo.NonNegativeReals)
        m.under = pyo.Var(m.LINES, domain=pyo.NonNegativeReals)
        m.beyond_band = pyo.Var(m.LINES, domain=pyo.NonNegativeReals)
        m.deviation = pyo.Constraint(m.LINES, rule=lambda m, l: m.over[l] - m.under[l] == m.line_value[l] - m.line_target[l])
        band = {l: band_dollars(f, widths, self.tolerance, line) for l, line in lines.items()}
        m.band = pyo.Constraint(m.LINES, rule=lambda m, l: m.beyond_band[l] >= m.over[l] + m.under[l] - band[l])
        m.drift_penalty = pyo.Expression(expr=0.5 * sum(self.inside * (m.over[l] + m.under[l]) + self.outside * m.beyond_band[l] for l in m.LINES))
        return m.drift_penalty

    def value(self, f, plan):
        widths, lines = dict(self.bands), {l.name: l for l in lines_of(f.u)}
        total = 0.0
        for name, (v, target) in line_values(f, plan).items():
            d = abs(v - target)
            total += self.inside * d + self.outside * max(0.0, d - band_dollars(f, widths, self.tolerance, lines[name]))
        return 0.5 * total


@dataclass(frozen=True)
class TaxOwed(Term):
    """max(0, the plan's tax): the tax the plan makes the household pay, a net loss counted as
    nothing. The allocation stage prices drift against this, so a harvested loss never buys drift
    there. `exact`: the year's return (the ExactTax block, IRMAA included) as the tool prices it;
    else the flat rates, short_rate * short_gain + long_rate * (long_gain - carried loss)."""

    exact: bool = False
    name = "tax_owed"

    def add(self, m, f):
        m.tax_owed = pyo.Var(domain=pyo.NonNegativeReals)
        if self.exact:
            t = exact_tax_block(m, f)
            m.tax_owed_covers_gains = pyo.Constraint(expr=m.tax_owed >= t.tax + t.irmaa)
        else:
            m.tax_owed_covers_gains = pyo.Constraint(expr=m.tax_owed >= Tax()._linear(f.u, m.short_term_gain, m.long_term_gain))
        return m.tax_owed

    def value(self, f, plan):
        if self.exact:
            t = exact_tax(f.u, plan, year_of(f.u))
            return max(0.0, t.total + t.irmaa)
        st, lt = realized(f.u, plan)
        return max(0.0, Tax()._linear(f.u, st, lt))


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
