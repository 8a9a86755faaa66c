"""The exact tax of a plan: the household's year with the plan minus the year without it
(engine/tax/federal.py), plus the flat state rate on the added taxable income and the Medicare
premiums (IRMAA) a crossed tier adds two years on.

One source of truth for every reported tax dollar and for the model's `ExactTax` term: the plan's
income is read here (traditional withdrawals as ordinary income, the part before 59 1/2 with the
10% additional tax, short- and long-term results of the taxable lots sold), and priced here.

A household whose profile sets its own marginal rates (`ordinary_rate`, `short_term_rate`,
`long_term_rate`) asked to be priced at those rates: it keeps the flat marginal pricing
(`uses_exact_tax` is False) and nothing here is used for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .household import Household
from .plan import Plan, realized
from .tax import PlanTax, YearIncome, federal_tax, household_year, plan_tax
from .taxdata import EARLY_WITHDRAWAL_AGE, IRMAA_LOOKBACK_YEARS, IRMAA_TIERS, LOSS_DEDUCTION_LIMIT, TaxYear
from .universe import TradeUniverse


def uses_exact_tax(h: Household) -> bool:
    """The exact return prices the plan unless the profile gives its own marginal rates."""
    t = h.tax
    return t.ordinary_rate is None and t.short_term_rate is None and t.long_term_rate is None


def is_early(h: Household, account: str) -> bool:
    """A traditional withdrawal before 59 1/2 (birthdays unknown: the owner is born mid-year)."""
    acct = next(a for a in h.accounts if a.id == account)
    return acct.birth_year is not None and h.as_of.year - acct.birth_year < EARLY_WITHDRAWAL_AGE + 0.5


@dataclass(frozen=True)
class PlanIncome:
    """What a plan adds to the year, dollars: ordinary income from traditional withdrawals (and
    the part of it before 59 1/2), net short- and long-term results of the taxable lots sold."""

    ordinary: float = 0.0
    early: float = 0.0
    short: float = 0.0
    long: float = 0.0


def plan_income(u: TradeUniverse, plan: Plan) -> PlanIncome:
    traditional = {a: d for a, d in plan.withdrawals.items() if u.kind[a] == "traditional"}
    st, lt = realized(u, plan)
    return PlanIncome(sum(traditional.values()), sum(d for a, d in traditional.items() if is_early(u.household, a)), st, lt)


def with_income(base: YearIncome, p: PlanIncome) -> YearIncome:
    return base.plus(traditional_withdrawals=p.ordinary, early_withdrawals=p.early, short_term_gains=p.short, long_term_gains=p.long)


@dataclass(frozen=True)
class HouseholdYear:
    base: YearIncome
    facts: TaxYear
    irmaa_persons: int
    state_rate: float


def year_of(u: TradeUniverse) -> HouseholdYear:
    base, facts, persons = household_year(u.household)
    return HouseholdYear(base, facts, persons, u.household.tax.state_rate)


def exact_tax(u: TradeUniverse, plan: Plan, y: HouseholdYear | None = None) -> PlanTax:
    """Federal (with - without), state and IRMAA dollars of the plan."""
    y = y or year_of(u)
    return plan_tax(y.base, with_income(y.base, plan_income(u, plan)), y.facts, y.state_rate, y.irmaa_persons)


def withdrawal_part(u: TradeUniverse, plan: Plan, y: HouseholdYear | None = None) -> float:
    """Dollars of the plan's tax (federal + state) its traditional withdrawals cause alone: the
    ordinary income fills the brackets first and the gains stack on it, so the rest is the gains'."""
    y = y or year_of(u)
    p = plan_income(u, plan)
    alone = PlanIncome(ordinary=p.ordinary, early=p.early)
    return plan_tax(y.base, with_income(y.base, alone), y.facts, y.state_rate, 0).total


def carried_out(y: HouseholdYear, p: PlanIncome) -> float:
    """Dollars of net capital loss the plan adds beyond this year's deduction limit: what it
    carries forward to later years (before the worksheet's line-4 rule for a year with no tax)."""
    limit = LOSS_DEDUCTION_LIMIT[y.base.filing_status]

    def beyond(extra_short: float, extra_long: float) -> float:
        b = y.base
        net = b.short_term_gains - b.short_term_carryover + b.long_term_gains - b.long_term_carryover + extra_short + extra_long
        return max(0.0, -limit - net)

    return beyond(p.short, p.long) - beyond(0.0, 0.0)


def carryforward_rate(u: TradeUniverse) -> float:
    """Today's dollars a dollar of loss carried forward is worth: the long-term marginal rate of
    the household (state included), one year on, discounted a year at its target return."""
    loc = u.location
    one_year = loc.present_value_factor ** (1.0 / loc.horizon_years) if loc.horizon_years > 0 else 1.0
    return u.rates.long_term * one_year


def irmaa_note(u: TradeUniverse, t: PlanTax) -> str | None:
    """The report's sentence when the plan's MAGI crosses a Medicare premium tier."""
    if t.irmaa <= 0.005:
        return None
    status = t.with_plan.magi_irmaa, t.without_plan.magi_irmaa
    tiers = IRMAA_TIERS[u.household.tax.filing_status]

    def tier(magi: float) -> int:
        return sum(1 for bound, _, at in tiers if magi > bound or (at and magi >= bound))

    ordinal = ["first", "second", "third", "fourth", "fifth"]
    now, before = tier(status[0]), tier(status[1])
    names = ordinal[before:now]
    what = f"the {names[0]} IRMAA tier" if len(names) == 1 else f"the {', '.join(names[:-1])} and {names[-1]} IRMAA tiers"
    year = u.household.as_of.year + IRMAA_LOOKBACK_YEARS
    return f"crosses {what}: +${t.irmaa:,.2f} a year in Medicare premiums from {year} (MAGI ${status[0]:,.2f}, two-year look-back)"


def bracket_headroom(u: TradeUniverse) -> float:
    """Dollars of long-term gain the year can add before its taxable income (the household's
    own ordinary income and gains, the standard deduction, Social Security counted) reaches the
    next 0/15/20% breakpoint; inf in the 20% bracket. The taxable income rises with the gain (a
    dollar, or more in the Social Security tiers), so the breakpoint is found by bisection."""
    y = year_of(u)
    zero_top, fifteen_top = y.facts.long_term[y.base.filing_status]
    now = federal_tax(y.base, y.facts).taxable_income
    top = zero_top if now < zero_top else fifteen_top if now < fifteen_top else None
    if top is None:
        return float("inf")

    def taxable(gain: float) -> float:
        return federal_tax(y.base.plus(long_term_gains=gain), y.facts).taxable_income

    lo, hi = 0.0, top + y.facts.standard_deduction[y.base.filing_status] * 2 + 1.0
    while taxable(hi) <= top:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if taxable(mid) <= top else (lo, mid)
    return float(int(lo * 100)) / 100  # whole cents, never past the breakpoint


@dataclass(frozen=True)
class LossValue:
    """What selling a plan's losses is worth, dollars: tax saved this year (exact), the loss it
    carries beyond this year's limit, and that carryforward's value today."""

    this_year: float
    carried: float
    carried_value: float

    @property
    def total(self) -> float:
        return self.this_year + self.carried_value


def loss_value(u: TradeUniverse, plan: Plan, y: HouseholdYear | None = None) -> LossValue:
    y = y or year_of(u)
    carried = carried_out(y, plan_income(u, plan))
    return LossValue(-exact_tax(u, plan, y).total, carried, carried * carryforward_rate(u))
