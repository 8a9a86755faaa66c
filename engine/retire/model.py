"""The multi-year plan as one MILP: build (declare the years), solve, read.

Per year t (flows at the start of the year, then a year of growth):
  traditional  T[o,t+1] = (T - withdrawal - conversion) (1 + r), withdrawal >= RMD share x T
  Roth         R[o,t+1] = (R + conversion - withdrawal) (1 + r)
  taxable      one balance per group of lots with the same basis ratio (the starting lots by ratio,
               then one group per year's deposit of surplus cash, basis = deposit): sales realize
               (1 - basis/value) of each dollar as long-term gain, exactly, since every group grows
               at the same known price return; dividends are paid in cash and taxed each year
  cash         Social Security + withdrawals + sales + last year's dividends
               = spending + tax + IRMAA + deposit
Tax per year: engine/retire/yeartax.py (the exact return, brackets indexed by inflation).
IRMAA: the premium of year t is set by the MAGI of year t-2 (one binary per tier in range).
Social Security: a fixed claiming age, or one binary per owner and age 62..70 (`claim=None`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..taxdata import EARLY_WITHDRAWAL_AGE, IRMAA_LOOKBACK_YEARS, indexed_irmaa_tiers, indexed_tax_year
from .rmd import rmd_share
from .ss import CLAIM_AGES, own_benefit, spousal_top_up
from .yeartax import add_year_tax


@dataclass(frozen=True)
class Owner:
    name: str
    birth_year: int
    traditional: float = 0.0  # dollars at the start
    roth: float = 0.0
    pia_monthly: float = 0.0  # Social Security at full retirement age, today's dollars a month
    claim_age: int | None = None  # None: the plan chooses


@dataclass(frozen=True)
class TaxableGroup:
    value: float
    basis: float


@dataclass(frozen=True)
class PlanInput:
    """Everything the plan needs, in dollars of the start year and fractions."""

    start_year: int
    years: int
    filing_status: str
    owners: tuple[Owner, ...]
    taxable: tuple[TaxableGroup, ...] = ()
    cash: float = 0.0  # spendable cash at the start
    total_return: float = 0.05  # every account at the household allocation
    taxable_yield: float = 0.0  # share of the taxable balance paid as dividends and interest a year
    qualified_share: float = 1.0  # of those payments, the qualified dividends
    inflation: float = 0.025
    spending: float = 0.0  # today's dollars a year (objective max-legacy)
    objective: str = "max-legacy"  # or max-spending
    heirs_rate: float = 0.25  # heirs' tax on the traditional balance left
    conversions: bool = True
    law_expires: int | None = None  # hypothesis: the pre-2018 brackets from this year
    state_rate: float = 0.0
    irmaa: bool = True
    legacy_floor: float = 0.0  # today's dollars (max-spending)
    fixed: dict = field(default_factory=dict)  # (variable name, owner index or None, t) -> value

    def age(self, o: int, t: int) -> int:
        return self.start_year + t - self.owners[o].birth_year

    def index(self, t: int) -> float:
        return (1.0 + self.inflation) ** t


@dataclass
class PlanModel:
    m: pyo.ConcreteModel
    p: PlanInput
    tax: list  # YearTaxTerms per year
    irmaa: list  # premium expression per year (set two years before)
    ss: list  # benefits expression per year
    spend: list  # spending expression per year (nominal)
    legacy: object  # after-tax legacy, today's dollars
    claim: dict  # (owner, age) -> binary, when the plan chooses
    binaries: int
    steps: list  # evaluate every tax piece exactly at the plan, in order (binaries included)


def _groups(p: PlanInput) -> list[tuple[int, float, float]]:
    """(year created, value, basis) of every taxable group: the starting ones, then one per year."""
    return [(0, g.value, g.basis) for g in p.taxable] + [(v, 0.0, 0.0) for v in range(p.years)]


def build(p: PlanInput) -> PlanModel:
    m = pyo.ConcreteModel(name="retire")
    T, owners, G = p.years, range(len(p.owners)), 1.0 + p.total_return
    price = 1.0 + p.total_return - p.taxable_yield
    groups = _groups(p)
    start = range(len(p.taxable))

    # Social Security, nominal a year, and its largest value (bounds)
    claim: dict = {}
    ss_max = [0.0] * T
    for o, ow in enumerate(p.owners):
        if ow.pia_monthly > 0 and ow.claim_age is None:
            ages = [a for a in CLAIM_AGES if a >= min(p.age(o, 0), CLAIM_AGES[-1])]
            for a in ages:
                claim[o, a] = pyo.Var(domain=pyo.Binary)
                m.add_component(f"claim_{o}_{a}", claim[o, a])
            m.add_component(f"one_claim_{o}", pyo.Constraint(expr=sum(claim[o, a] for a in ages) == 1))
    spouse = {0: 1, 1: 0} if len(p.owners) == 2 else {}

    def claimed(o: int, t: int):
        """1 if owner o receives benefits in year t (an expression, or a number)."""
        ow = p.owners[o]
        if ow.claim_age is not None:
            return 1.0 if p.age(o, t) >= ow.claim_age else 0.0
        return sum(z for (q, a), z in claim.items() if q == o and p.age(o, t) >= a)

    ss: list = []
    for t in range(T):
        total = 0.0
        for o, ow in enumerate(p.owners):
            if ow.pia_monthly <= 0 and not (o in spouse and p.owners[spouse[o]].pia_monthly > 0):
                continue
            if ow.claim_age is not None:
                own = own_benefit(ow.pia_monthly, ow.birth_year, ow.claim_age) if p.age(o, t) >= ow.claim_age else 0.0
            else:
                own = sum(z * own_benefit(ow.pia_monthly, ow.birth_year, a) for (q, a), z in claim.items() if q == o and p.age(o, t) >= a)
            total = total + p.index(t) * own
            ss_max[t] += p.index(t) * own_benefit(ow.pia_monthly, ow.birth_year, 70)
            if o in spouse:
                w = spouse[o]
                top = {a: spousal_top_up(ow.pia_monthly, p.owners[w].pia_monthly, ow.birth_year, a) for a in CLAIM_AGES}
                if max(top.values()) <= 0:
                    continue
                if ow.claim_age is not None:
                    mine = p.index(t) * top[ow.claim_age] if p.age(o, t) >= ow.claim_age else 0.0
                else:
                    mine = p.index(t) * sum(z * top[a] for (q, a), z in claim.items() if q == o and p.age(o, t) >= a)
                other = claimed(w, t)
                bound = p.index(t) * max(top.values())
                ss_max[t] += bound
                if isinstance(mine, float) and isinstance(other, float):
                    total = total + mine * other
                else:  # a product of two claims: q <= mine, q <= bound x claimed(worker)
                    q = pyo.Var(bounds=(0.0, bound))
                    m.add_component(f"spousal_{o}_{t}", q)
                    m.add_component(f"spousal_own_{o}_{t}", pyo.Constraint(expr=q <= mine))
                    m.add_component(f"spousal_worker_{o}_{t}", pyo.Constraint(expr=q <= bound * other))
                    total = total + q
        ss.append(total)

    # Bounds: nothing exceeds everything there is, grown at the return
    wealth0 = sum(o.traditional + o.roth for o in p.owners) + sum(g.value for g in p.taxable) + p.cash
    cap = [wealth0 * G**t + sum(ss_max[u] * G ** (t - u) for u in range(min(t + 1, T))) for t in range(T + 1)]
    trad_cap = [[ow.traditional * G**t for t in range(T + 1)] for ow in p.owners]
    all_trad = sum(ow.traditional for ow in p.owners)
    roth_cap = [[(ow.roth + all_trad) * G**t for t in range(T + 1)] for ow in p.owners]

    def var(name: str, hi: float):
        v = pyo.Var(bounds=(0.0, max(hi, 0.0)))
        m.add_component(name, v)
        return v

    tr = {(o, t): var(f"trad_{o}_{t}", trad_cap[o][t]) for o in owners for t in range(T + 1)}
    ro = {(o, t): var(f"roth_{o}_{t}", roth_cap[o][t]) for o in owners for t in range(T + 1)}
    wt = {(o, t): var(f"trad_out_{o}_{t}", trad_cap[o][t]) for o in owners for t in range(T)}
    cv = {(o, t): var(f"convert_{o}_{t}", trad_cap[o][t] if p.conversions else 0.0) for o in owners for t in range(T)}
    wr = {(o, t): var(f"roth_out_{o}_{t}", roth_cap[o][t]) for o in owners for t in range(T)}
    hold = {(g, t): var(f"taxable_{g}_{t}", cap[t]) for g, (made, _, _) in enumerate(groups) for t in range(made, T + 1)}
    sell = {(g, t): var(f"sell_{g}_{t}", cap[t]) for g, (made, _, _) in enumerate(groups) for t in range(made, T) if g in start or t > made}
    deposit = {t: var(f"deposit_{t}", cap[t]) for t in range(T)}
    m.fixed_values = pyo.ConstraintList()
    for (name, o, t), value in p.fixed.items():
        table = {"convert": cv, "trad_out": wt, "roth_out": wr}[name]
        m.fixed_values.add(table[o, t] == value)

    c = m.balances = pyo.ConstraintList()
    for o, ow in enumerate(p.owners):
        c.add(tr[o, 0] == ow.traditional)
        c.add(ro[o, 0] == ow.roth)
        for t in range(T):
            c.add(tr[o, t + 1] == G * (tr[o, t] - wt[o, t] - cv[o, t]))
            c.add(ro[o, t + 1] == G * (ro[o, t] + cv[o, t] - wr[o, t]))
            share = rmd_share(ow.birth_year, p.start_year + t)
            if share > 0:
                c.add(wt[o, t] >= share * tr[o, t])
    for g, (made, value, _) in enumerate(groups):
        c.add(hold[g, made] == (value if g in start else deposit[made]))
        for t in range(made, T):
            c.add(hold[g, t + 1] == price * (hold[g, t] - sell.get((g, t), 0.0)))
            if (g, t) in sell:
                c.add(sell[g, t] <= hold[g, t])

    def held(t: int):
        return sum(hold[g, t] - sell.get((g, t), 0.0) for g, (made, _, _) in enumerate(groups) if made <= t)

    def gain_share(g: int, t: int) -> float:
        made, value, basis = groups[g]
        if g in start:
            return 1.0 - basis / (value * price**t) if value > 0 else 0.0
        return 1.0 - price ** -(t - made)

    dividends = [p.taxable_yield * held(t) for t in range(T)]
    spend_scale = None
    if p.objective == "max-spending":
        spend_scale = var("spending", wealth0 + max(ss_max, default=0.0))
        spend = [spend_scale * p.index(t) for t in range(T)]
    else:
        spend = [p.spending * p.index(t) for t in range(T)]

    # Tax per year and IRMAA two years on
    taxes, magis = [], []
    steps: list = []  # in order, each sets a piece's variables to its exact value at the plan
    for t in range(T):
        year = p.start_year + t
        facts = indexed_tax_year(year, p.inflation, p.law_expires)
        seniors = sum(1 for o in owners if p.age(o, t) >= 65)
        interest = (1.0 - p.qualified_share) * dividends[t]
        early = sum(wt[o, t] for o in owners if p.age(o, t) < EARLY_WITHDRAWAL_AGE + 0.5)
        terms = add_year_tax(
            m,
            f"tax_{t}",
            facts,
            p.filing_status,
            seniors,
            ordinary=sum(wt[o, t] + cv[o, t] for o in owners) + interest,
            investment_ordinary=interest,
            qualified_dividends=p.qualified_share * dividends[t],
            long_gain=sum(gain_share(g, tt) * v for (g, tt), v in sell.items() if tt == t),
            social_security=ss[t],
            early=early,
            state_rate=p.state_rate,
            steps=steps,
        )
        taxes.append(terms)
        magis.append(terms.magi)
    irmaa: list = [0.0] * T
    for t in range(IRMAA_LOOKBACK_YEARS, T):
        persons = sum(1 for o in owners if p.age(o, t) >= 65)
        if not p.irmaa or persons == 0:
            continue
        irmaa[t] = _irmaa(m, t, magis[t - IRMAA_LOOKBACK_YEARS], p.filing_status, p.start_year + t, p.inflation, persons, steps)

    for t in range(T):
        inflow = ss[t] + sum(wt[o, t] + wr[o, t] for o in owners) + sum(v for (g, tt), v in sell.items() if tt == t)
        inflow = inflow + (dividends[t - 1] if t > 0 else p.cash)
        c.add(inflow == spend[t] + taxes[t].tax + irmaa[t] + deposit[t])

    end = sum(hold[g, T] for g, (made, _, _) in enumerate(groups)) + dividends[T - 1]
    end = end + sum(ro[o, T] + (1.0 - p.heirs_rate) * tr[o, T] for o in owners)
    legacy = end / p.index(T)
    m.legacy = pyo.Expression(expr=legacy)
    if spend_scale is not None:
        c.add(m.legacy >= p.legacy_floor)
        # A dollar of yearly spending first; legacy breaks ties (a thousandth of its weight).
        m.objective = pyo.Objective(expr=spend_scale + 1e-3 * m.legacy / p.years, sense=pyo.maximize)
    else:
        m.objective = pyo.Objective(expr=m.legacy, sense=pyo.maximize)
    binaries = sum(1 for v in m.component_data_objects(pyo.Var) if v.is_binary())
    model = PlanModel(m, p, taxes, irmaa, ss, spend, m.legacy, claim, binaries, steps)
    model.vars = dict(tr=tr, ro=ro, wt=wt, cv=cv, wr=wr, hold=hold, sell=sell, deposit=deposit, dividends=dividends, gain_share=gain_share, groups=groups)  # type: ignore[attr-defined]
    return model


def _irmaa(m, t: int, magi, status: str, year: int, inflation: float, persons: int, steps: list):
    """Premiums above standard in year t, from the MAGI of year t-2: one binary per tier."""
    from ..tax.milp import _bounds

    lo, hi = _bounds(magi)
    cost, previous = 0.0, 0.0
    for i, (bound, step, at_bound) in enumerate(indexed_irmaa_tiers(status, year, inflation)):
        add, previous = 12 * persons * (step - previous), step
        edge = bound - (0.005 if at_bound else 0.0)
        if hi <= edge:
            continue
        if lo > edge:
            cost = cost + add
            continue
        z = pyo.Var(domain=pyo.Binary)
        m.add_component(f"irmaa_{t}_{i}", z)
        m.add_component(f"irmaa_tier_{t}_{i}", pyo.Constraint(expr=magi <= edge + (hi - edge) * z))
        steps.append(lambda z=z, magi=magi, edge=edge: z.set_value(1.0 if pyo.value(magi) > edge else 0.0, skip_validation=True))
        cost = cost + add * z
    return cost
