"""The household's tax year before any plan: its profile read as a `YearIncome`."""

from __future__ import annotations

from ..household import Household
from ..taxdata import IRMAA_MIN_AGE, TaxYear, tax_year
from .federal import YearIncome, federal_tax, standard_deduction


def filer_birth_years(h: Household) -> list[int]:
    """The profile's `birth_years`, else one birth year per account owner (accounts without an
    owner count as one person), at most two."""
    if h.tax.birth_years is not None:
        return list(h.tax.birth_years)
    seen: dict[str, int] = {}
    for a in h.accounts:
        if a.birth_year is not None:
            seen.setdefault(a.owner or "", a.birth_year)
    return list(seen.values())[:2]


def wages_for(facts: TaxYear, status: str, seniors: int, taxable: float) -> float:
    """A wage-only reading of `taxable_income`: the gross ordinary income whose taxable income
    is `taxable` after the basic and 65+ standard deductions and the senior deduction (which
    phases out with MAGI, so the gross is found by bisection; taxable income rises with it)."""
    if taxable <= 0:
        return 0.0

    def taxable_of(gross: float) -> float:
        return federal_tax(YearIncome(filing_status=status, seniors=seniors, ordinary_income=gross), facts).taxable_income

    lo = taxable + standard_deduction(facts, status, min(seniors, 2 if status == "married_joint" else 1))
    hi = lo + 2 * facts.senior_deduction + 1.0
    if taxable_of(lo) >= taxable - 0.005:
        return lo
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if taxable_of(mid) < taxable else (lo, mid)
    return round(hi, 2)


def household_year(h: Household) -> tuple[YearIncome, TaxYear, int]:
    """(the year without the plan, the facts of `as_of`'s tax year, persons whose Medicare
    premiums this year's MAGI sets: filers IRMAA_MIN_AGE or older)."""
    facts = tax_year(h.as_of.year)
    t = h.tax
    ages = [h.as_of.year - b for b in filer_birth_years(h)]
    seniors = sum(1 for a in ages if a >= 65)
    ordinary = t.ordinary_income
    if ordinary is None:
        ordinary = wages_for(facts, t.filing_status, seniors, t.taxable_income)
    year = YearIncome(
        filing_status=t.filing_status,
        seniors=seniors,
        ordinary_income=ordinary,
        ordinary_investment_income=min(t.ordinary_investment_income, ordinary),
        traditional_withdrawals=t.traditional_withdrawals_taken,
        short_term_gains=t.short_term_gains,
        long_term_gains=t.long_term_gains,
        short_term_carryover=t.short_term_loss_carryforward,
        long_term_carryover=t.loss_carryforward,
        qualified_dividends=t.qualified_dividends,
        social_security_benefits=t.social_security_benefits,
        tax_exempt_interest=t.tax_exempt_interest,
    )
    return year, facts, sum(1 for a in ages if a >= IRMAA_MIN_AGE)
