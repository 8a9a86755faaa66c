"""US federal tax facts, keyed by tax year, each with its source.

The one place where brackets, thresholds and windows live. Numbers are dollars of taxable
income (lower bound of each bracket) and rates are fractions. Verify before relying on them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaxYear:
    year: int
    source: str
    # filing status -> [(lower bound of taxable income, marginal rate)], ascending
    ordinary: dict[str, tuple[tuple[float, float], ...]]
    # filing status -> (top of the 0% long-term bracket, top of the 15% bracket)
    long_term: dict[str, tuple[float, float]]
    standard_deduction: dict[str, float]


def _brackets(*bounds: float) -> tuple[tuple[float, float], ...]:
    rates = (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)
    return tuple(zip((0.0, *bounds), rates))


TAX_YEARS: dict[int, TaxYear] = {
    2025: TaxYear(
        year=2025,
        source="Rev. Proc. 2024-40 (brackets, 0%/15% long-term breakpoints); standard deduction as amended by P.L. 119-21",
        ordinary={
            "single": _brackets(11_925, 48_475, 103_350, 197_300, 250_525, 626_350),
            "married_joint": _brackets(23_850, 96_950, 206_700, 394_600, 501_050, 751_600),
            "married_separate": _brackets(11_925, 48_475, 103_350, 197_300, 250_525, 375_800),
            "head_of_household": _brackets(17_000, 64_850, 103_350, 197_300, 250_500, 626_350),
        },
        long_term={
            "single": (48_350, 533_400),
            "married_joint": (96_700, 600_050),
            "married_separate": (48_350, 300_000),
            "head_of_household": (64_750, 566_700),
        },
        standard_deduction={"single": 15_750, "married_joint": 31_500, "married_separate": 15_750, "head_of_household": 23_625},
    ),
    2026: TaxYear(
        year=2026,
        source="Rev. Proc. 2025-32 (brackets, long-term breakpoints, standard deduction)",
        ordinary={
            "single": _brackets(12_400, 50_400, 105_700, 201_775, 256_225, 640_600),
            "married_joint": _brackets(24_800, 100_800, 211_400, 403_550, 512_450, 768_700),
            "married_separate": _brackets(12_400, 50_400, 105_700, 201_775, 256_225, 384_350),
            "head_of_household": _brackets(17_700, 67_450, 105_700, 201_750, 256_200, 640_600),
        },
        long_term={
            "single": (49_450, 545_500),
            "married_joint": (98_900, 613_700),
            "married_separate": (49_450, 306_850),
            "head_of_household": (66_200, 579_600),
        },
        standard_deduction={"single": 16_100, "married_joint": 32_200, "married_separate": 16_100, "head_of_household": 24_150},
    ),
}

LONG_TERM_RATES = (0.0, 0.15, 0.20)

# Net investment income tax, IRC 1411: 3.8% above a MAGI threshold that is not indexed.
NIIT_RATE = 0.038
NIIT_THRESHOLD = {"single": 200_000, "head_of_household": 200_000, "married_joint": 250_000, "married_separate": 125_000}

# IRC 1211(b): a net capital loss offsets at most this much ordinary income a year; the rest
# carries forward (IRC 1212(b)).
LOSS_DEDUCTION_LIMIT = {"single": 3_000, "married_joint": 3_000, "head_of_household": 3_000, "married_separate": 1_500}

# IRC 1091 / IRS Pub 550: a loss is washed by a purchase within 30 days before or after the sale.
WASH_SALE_DAYS = 30

# IRC 1222 / IRS Topic 409: long-term means held MORE than one year.
LONG_TERM_HOLDING_YEARS = 1

# IRC 72(t): 10% additional tax on traditional IRA/401(k) withdrawals before age 59 1/2.
EARLY_WITHDRAWAL_PENALTY = 0.10
EARLY_WITHDRAWAL_AGE = 59.5

# SECURE 2.0: RMDs start at 73 for those born 1951-1959 and at 75 for 1960 or later.
def rmd_age(birth_year: int) -> int:
    return 75 if birth_year >= 1960 else 73


def tax_year(year: int) -> TaxYear:
    """The table for `year`, or the nearest year we have (callers warn when it differs)."""
    if year in TAX_YEARS:
        return TAX_YEARS[year]
    known = sorted(TAX_YEARS)
    return TAX_YEARS[known[-1]] if year > known[-1] else TAX_YEARS[known[0]]
