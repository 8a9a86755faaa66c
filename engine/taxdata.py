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
    # IRC 63(f): added to the standard deduction for each filer (and spouse) 65 or older by the
    # end of the year; "unmarried" is single and head of household, "married" joint and separate.
    additional_standard_deduction: dict[str, float]
    # P.L. 119-21 sec. 70103 (IRC 151(d)(5)(C)), tax years 2025-2028: a deduction per filer 65 or
    # older, each reduced by a share of MAGI above a threshold; married separate gets none.
    senior_deduction: float = 0.0
    senior_deduction_threshold: dict[str, float] | None = None
    senior_deduction_phaseout: float = 0.0


def _brackets(*bounds: float) -> tuple[tuple[float, float], ...]:
    rates = (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)
    return tuple(zip((0.0, *bounds), rates))


# P.L. 119-21 sec. 70103: $6,000 per filer 65+, minus 6% of MAGI above $75,000 ($150,000 joint);
# not indexed; tax years 2025 through 2028 only. The same in both years we tabulate.
_SENIOR_2025_2028: dict = dict(
    senior_deduction=6_000.0,
    senior_deduction_threshold={"single": 75_000, "head_of_household": 75_000, "married_joint": 150_000, "married_separate": 0.0},
    senior_deduction_phaseout=0.06,
)

TAX_YEARS: dict[int, TaxYear] = {
    2025: TaxYear(
        year=2025,
        source=(
            "Rev. Proc. 2024-40 (brackets, 0%/15% long-term breakpoints, additional standard deduction)"
            "; standard deduction as amended by P.L. 119-21; senior deduction P.L. 119-21 sec. 70103"
        ),
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
        additional_standard_deduction={"single": 2_000, "head_of_household": 2_000, "married_joint": 1_600, "married_separate": 1_600},
        **_SENIOR_2025_2028,
    ),
    2026: TaxYear(
        year=2026,
        source="Rev. Proc. 2025-32 (brackets, long-term breakpoints, standard deduction, additional standard deduction); senior deduction P.L. 119-21 sec. 70103",
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
        additional_standard_deduction={"single": 2_050, "head_of_household": 2_050, "married_joint": 1_650, "married_separate": 1_650},
        **_SENIOR_2025_2028,
    ),
}

LONG_TERM_RATES = (0.0, 0.15, 0.20)

# Net investment income tax, IRC 1411: 3.8% above a MAGI threshold that is not indexed.
NIIT_RATE = 0.038
NIIT_THRESHOLD = {"single": 200_000, "head_of_household": 200_000, "married_joint": 250_000, "married_separate": 125_000}

# IRC 86 / IRS Pub 915: the taxable share of Social Security benefits. Provisional income = AGI
# without the benefits + tax-exempt interest + half the benefits; up to 50% of the excess over the
# first base and 85% of the excess over the second is taxable, never more than 85% of the benefits.
# Not indexed. Married separate (having lived with the spouse) has bases of zero.
SS_FIRST_BASE = {"single": 25_000, "head_of_household": 25_000, "married_joint": 32_000, "married_separate": 0}
SS_SECOND_BASE = {"single": 34_000, "head_of_household": 34_000, "married_joint": 44_000, "married_separate": 0}
SS_FIRST_RATE = 0.50
SS_SECOND_RATE = 0.85

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

# Medicare IRMAA, 2026 (CMS fact sheet "2026 Medicare Parts A & B Premiums and Deductibles";
# Part D income-related amounts of the same notice). Premiums of year Y are set by the MAGI
# (AGI + tax-exempt interest) of year Y-2, so a plan's income this year prices premiums two years
# on; we price them with the latest tiers we have. Each tier: (MAGI lower bound, dollars a month
# per person above the standard Part B premium, Part B + Part D). A MAGI above the bound (at or
# above it for the top tier) pays the whole step.
IRMAA_YEAR = 2026
IRMAA_SOURCE = "CMS, 2026 Medicare Parts A & B premiums and Part D income-related monthly adjustment amounts"
IRMAA_STANDARD_PART_B = 202.90
IRMAA_LOOKBACK_YEARS = 2
IRMAA_MIN_AGE = 63  # 65 (Medicare age) two years on: this year's MAGI sets that year's premium


def _irmaa(bounds: tuple[float, ...], part_b: tuple[float, ...], part_d: tuple[float, ...]) -> tuple[tuple[float, float, bool], ...]:
    last = len(bounds) - 1
    return tuple((b, round(pb - IRMAA_STANDARD_PART_B + pd, 2), i == last and len(bounds) > 2) for i, (b, pb, pd) in enumerate(zip(bounds, part_b, part_d)))


_PART_B = (284.10, 405.80, 527.50, 649.20, 689.90)
_PART_D = (14.50, 37.50, 60.40, 83.30, 91.00)
# (MAGI above which the tier applies, monthly increase per person, applies AT the bound too)
IRMAA_TIERS: dict[str, tuple[tuple[float, float, bool], ...]] = {
    "single": _irmaa((109_000, 137_000, 171_000, 205_000, 500_000), _PART_B, _PART_D),
    "head_of_household": _irmaa((109_000, 137_000, 171_000, 205_000, 500_000), _PART_B, _PART_D),
    "married_joint": _irmaa((218_000, 274_000, 342_000, 410_000, 750_000), _PART_B, _PART_D),
    # married separate, having lived with the spouse: two tiers, at the two top amounts
    "married_separate": ((109_000, round(649.20 - IRMAA_STANDARD_PART_B + 83.30, 2), False), (391_000, round(689.90 - IRMAA_STANDARD_PART_B + 91.00, 2), True)),
}


# SECURE 2.0: RMDs start at 73 for those born 1951-1959 and at 75 for 1960 or later.
def rmd_age(birth_year: int) -> int:
    return 75 if birth_year >= 1960 else 73


def tax_year(year: int) -> TaxYear:
    """The table for `year`, or the nearest year we have (callers warn when it differs)."""
    if year in TAX_YEARS:
        return TAX_YEARS[year]
    known = sorted(TAX_YEARS)
    return TAX_YEARS[known[-1]] if year > known[-1] else TAX_YEARS[known[0]]
