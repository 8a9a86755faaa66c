"""The federal income tax of one household year, as the 2025/2026 forms compute it.

One pure function, `federal_tax`, from a `YearIncome` (every dollar of the year by kind) to a
`FederalTax` breakdown; `plan_tax` prices a plan as tax(year with it) - tax(year without it).
Dollars throughout; rates are fractions. The facts (brackets, thresholds) come from taxdata.

Modeled: Schedule D netting (short against long, the $3,000/$1,500 deduction, carryforwards that
keep their character), the taxable share of Social Security (IRC 86), the standard deduction with
the 65+ additions and the 2025-2028 senior deduction, ordinary brackets, qualified dividends and
net long-term gain stacked on ordinary income (Qualified Dividends and Capital Gain Tax Worksheet,
including its line 25 "smaller of" the regular tax), NIIT (Form 8960), the 10% additional tax on
early traditional withdrawals (IRC 72(t)). Not modeled: AMT, itemized deductions, credits,
state brackets (a flat state rate on the added taxable income instead).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..taxdata import (
    EARLY_WITHDRAWAL_PENALTY,
    IRMAA_TIERS,
    LONG_TERM_RATES,
    LOSS_DEDUCTION_LIMIT,
    NIIT_RATE,
    NIIT_THRESHOLD,
    SS_FIRST_BASE,
    SS_FIRST_RATE,
    SS_SECOND_BASE,
    SS_SECOND_RATE,
    TaxYear,
)


@dataclass(frozen=True)
class YearIncome:
    """Every dollar of one tax year by the kind the return taxes it as.

    ordinary_income: wages, pensions, taxable interest, non-qualified dividends (gross, before
    deductions); ordinary_investment_income is the part of it that is net investment income
    (interest, non-qualified dividends) for NIIT. Gains are this year's realized net results,
    losses negative, before the carried-in losses (given as positive dollars).
    """

    filing_status: str
    seniors: int = 0  # filers on the return 65 or older at year end (0-2; 0-1 unless joint)
    ordinary_income: float = 0.0
    ordinary_investment_income: float = 0.0
    traditional_withdrawals: float = 0.0  # taxable IRA/401(k) distributions, ordinary, not NII
    early_withdrawals: float = 0.0  # the part of them taken before 59 1/2 (10% additional tax)
    short_term_gains: float = 0.0
    long_term_gains: float = 0.0
    short_term_carryover: float = 0.0  # capital loss carried in, positive dollars
    long_term_carryover: float = 0.0
    qualified_dividends: float = 0.0
    social_security_benefits: float = 0.0  # gross benefits of the year
    tax_exempt_interest: float = 0.0

    def plus(self, **more: float) -> YearIncome:
        """This year with more dollars of the named kinds added (a plan's income)."""
        return replace(self, **{k: getattr(self, k) + v for k, v in more.items()})


@dataclass(frozen=True)
class FederalTax:
    """The return's lines, dollars."""

    net_short_term: float  # Schedule D line 7 (after the carryover)
    net_long_term: float  # Schedule D line 15
    capital_gain_in_agi: float  # net gain, or the deductible loss (negative, at most the limit)
    preferential_gain: float  # net long-term gain taxed at 0/15/20%
    short_term_carryforward: float  # capital loss left for next year, positive dollars
    long_term_carryforward: float
    taxable_social_security: float
    agi: float
    standard_deduction: float  # basic + 65+ additions
    senior_deduction: float
    taxable_income: float
    ordinary_taxable_income: float  # taxable income less what the preferential rates tax
    preferential_income: float  # qualified dividends + net long-term gain inside taxable income
    ordinary_tax: float  # brackets on the ordinary part
    preferential_tax: float  # 0/15/20% on the stacked part
    income_tax: float  # worksheet line 25: the smaller of the stacked tax and brackets on all
    net_investment_income: float
    niit: float
    early_withdrawal_penalty: float
    total: float  # income_tax + niit + early_withdrawal_penalty
    magi_irmaa: float  # AGI + tax-exempt interest, the MAGI Medicare premiums are set by


def bracket_tax(brackets: tuple[tuple[float, float], ...], income: float) -> float:
    """Tax on `income` dollars through progressive brackets [(lower bound, rate)]."""
    tax = 0.0
    for k, (lower, rate) in enumerate(brackets):
        upper = brackets[k + 1][0] if k + 1 < len(brackets) else float("inf")
        if income > lower:
            tax += (min(income, upper) - lower) * rate
    return tax


def taxable_social_security(status: str, provisional: float, benefits: float) -> float:
    """IRC 86 (Pub 915 worksheet): the taxable share of `benefits` at `provisional` income."""
    if benefits <= 0:
        return 0.0
    b1, b2 = SS_FIRST_BASE[status], SS_SECOND_BASE[status]
    if provisional <= b1:
        return 0.0
    if provisional <= b2:
        return SS_FIRST_RATE * min(provisional - b1, benefits)
    return min(SS_SECOND_RATE * (provisional - b2) + SS_FIRST_RATE * min(benefits, b2 - b1), SS_SECOND_RATE * benefits)


def senior_deduction(facts: TaxYear, status: str, seniors: int, magi: float) -> float:
    """P.L. 119-21: per filer 65+, the deduction less a share of MAGI above the threshold."""
    if facts.senior_deduction <= 0 or seniors <= 0 or status == "married_separate" or facts.senior_deduction_threshold is None:
        return 0.0
    excess = max(0.0, magi - facts.senior_deduction_threshold[status])
    return seniors * max(0.0, facts.senior_deduction - facts.senior_deduction_phaseout * excess)


def standard_deduction(facts: TaxYear, status: str, seniors: int) -> float:
    return facts.standard_deduction[status] + seniors * facts.additional_standard_deduction[status]


def schedule_d(status: str, st: float, lt: float) -> tuple[float, float, float]:
    """Net results after carryovers -> (capital gain in AGI, preferential gain, deducted loss)."""
    net = st + lt
    limit = LOSS_DEDUCTION_LIMIT[status]
    in_agi = net if net >= 0 else -min(-net, limit)
    preferential = max(0.0, min(lt, net))
    return in_agi, preferential, max(0.0, -in_agi)


def carryforwards(st: float, lt: float, deducted: float, taxable_before_loss: float) -> tuple[float, float]:
    """Schedule D Capital Loss Carryover Worksheet: what is left of each kind of loss.

    `taxable_before_loss` is line 1 (taxable income, may be negative) plus line 2 (the deducted
    loss): a deduction that lowered no tax is not used up (line 4).
    """
    used = min(deducted, max(0.0, taxable_before_loss))  # line 4
    short = max(0.0, -st - (used + max(0.0, lt))) if st < 0 else 0.0  # lines 5-8
    absorbed_by_short = max(0.0, used + max(0.0, lt) - (-st)) if st < 0 else used  # line 11
    long = max(0.0, -lt - (max(0.0, st) + absorbed_by_short)) if lt < 0 else 0.0  # lines 9-13
    return short, long


def federal_tax(y: YearIncome, facts: TaxYear) -> FederalTax:
    """The federal income tax of the year `y` under the tax year `facts`."""
    status = y.filing_status
    seniors = max(0, min(y.seniors, 2 if status == "married_joint" else 1))
    st = y.short_term_gains - y.short_term_carryover
    lt = y.long_term_gains - y.long_term_carryover
    cap_agi, pref_gain, deducted = schedule_d(status, st, lt)
    agi_without_ss = y.ordinary_income + y.traditional_withdrawals + y.qualified_dividends + cap_agi
    provisional = agi_without_ss + y.tax_exempt_interest + SS_FIRST_RATE * y.social_security_benefits
    taxable_ss = taxable_social_security(status, provisional, y.social_security_benefits)
    agi = agi_without_ss + taxable_ss
    std = standard_deduction(facts, status, seniors)
    senior = senior_deduction(facts, status, seniors, agi)
    taxable = max(0.0, agi - std - senior)
    preferential = min(taxable, y.qualified_dividends + pref_gain)
    ordinary = taxable - preferential
    brackets = facts.ordinary[status]
    ordinary_tax = bracket_tax(brackets, ordinary)
    zero_top, fifteen_top = facts.long_term[status]
    # Stacked on ordinary income: the part below the 0% top, then below the 15% top, then above.
    at_zero = max(0.0, min(taxable, zero_top) - ordinary)
    at_fifteen = max(0.0, min(taxable, fifteen_top) - max(ordinary, zero_top))
    at_twenty = max(0.0, taxable - max(ordinary, fifteen_top))
    preferential_tax = LONG_TERM_RATES[0] * at_zero + LONG_TERM_RATES[1] * at_fifteen + LONG_TERM_RATES[2] * at_twenty
    income_tax = min(ordinary_tax + preferential_tax, bracket_tax(brackets, taxable))
    nii = max(0.0, y.ordinary_investment_income + y.qualified_dividends + cap_agi)
    niit = NIIT_RATE * min(nii, max(0.0, agi - NIIT_THRESHOLD[status]))
    penalty = EARLY_WITHDRAWAL_PENALTY * y.early_withdrawals
    st_cf, lt_cf = carryforwards(st, lt, deducted, agi - std - senior + deducted)
    return FederalTax(
        net_short_term=st,
        net_long_term=lt,
        capital_gain_in_agi=cap_agi,
        preferential_gain=pref_gain,
        short_term_carryforward=st_cf,
        long_term_carryforward=lt_cf,
        taxable_social_security=taxable_ss,
        agi=agi,
        standard_deduction=std,
        senior_deduction=senior,
        taxable_income=taxable,
        ordinary_taxable_income=ordinary,
        preferential_income=preferential,
        ordinary_tax=ordinary_tax,
        preferential_tax=preferential_tax,
        income_tax=income_tax,
        net_investment_income=nii,
        niit=niit,
        early_withdrawal_penalty=penalty,
        total=income_tax + niit + penalty,
        magi_irmaa=agi + y.tax_exempt_interest,
    )


def irmaa_monthly(status: str, magi: float) -> float:
    """Dollars a month per person above the standard Medicare Part B premium (B + D) at `magi`."""
    extra = 0.0
    for bound, step, at_bound in IRMAA_TIERS[status]:
        if magi > bound or (at_bound and magi >= bound):
            extra = step
    return extra


def irmaa_yearly(status: str, magi: float, persons: int) -> float:
    """Dollars a year of Medicare premiums above standard for `persons` on Medicare when the
    premiums are set (this year's MAGI sets those two years on)."""
    return 12 * persons * irmaa_monthly(status, magi)


@dataclass(frozen=True)
class PlanTax:
    """What a plan adds to the year: federal, state and Medicare premium dollars."""

    without_plan: FederalTax
    with_plan: FederalTax
    federal: float  # with - without
    state: float  # state_rate x added taxable income
    irmaa: float  # added Medicare premiums a year, from the look-back year on
    total: float  # federal + state (IRMAA is a premium, reported beside tax)


def plan_tax(base: YearIncome, plan: YearIncome, facts: TaxYear, state_rate: float = 0.0, irmaa_persons: int = 0) -> PlanTax:
    """Price the plan as tax(year with it) - tax(year without it). `plan` is the whole year
    with the plan (build it with `base.plus(...)`)."""
    without = federal_tax(base, facts)
    with_ = federal_tax(plan, facts)
    federal = with_.total - without.total
    state = state_rate * (with_.taxable_income - without.taxable_income)
    irmaa = irmaa_yearly(plan.filing_status, with_.magi_irmaa, irmaa_persons) - irmaa_yearly(base.filing_status, without.magi_irmaa, irmaa_persons)
    return PlanTax(without, with_, federal, state, irmaa, federal + state)
