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
    return tuple(zip((0.0, *bounds), rates, strict=True))


# P.L. 119-21 sec. 70103: $6,000 per filer 65+, minus 6% of MAGI above $75,000 ($150,000 joint);
# not indexed; tax years 2025 through 2028 only. The same in both years we tabulate.
_SENIOR_2025_2028: dict = dict(
    senior_deduction=6_000.0,
    senior_deduction_threshold={"single": 75_000, "head_of_household": 75_000, "married_joint": 150_000, "married_separate": 0.0},
    senior_deduction_phaseout=0.06,
)


def _year(year: int, source: str, senior: dict, **rows: tuple) -> TaxYear:
    """A year's table from one row per filing status: (tops of the 10%..35% ordinary brackets,
    (top of the 0% long-term bracket, top of the 15%), standard deduction, additional standard
    deduction per filer 65+)."""
    return TaxYear(
        year=year,
        source=source,
        ordinary={status: _brackets(*row[0]) for status, row in rows.items()},
        long_term={status: row[1] for status, row in rows.items()},
        standard_deduction={status: row[2] for status, row in rows.items()},
        additional_standard_deduction={status: row[3] for status, row in rows.items()},
        **senior,
    )


_SOURCE_2025 = (
    "Rev. Proc. 2024-40 (brackets, 0%/15% long-term breakpoints, additional standard deduction)"
    "; standard deduction as amended by P.L. 119-21; senior deduction P.L. 119-21 sec. 70103"
)
_SOURCE_2026 = "Rev. Proc. 2025-32 (brackets, long-term breakpoints, standard deduction, additional standard deduction); senior deduction P.L. 119-21 sec. 70103"

# Each row, by filing status: ordinary bracket tops (10% 12% 22% 24% 32% 35%), long-term 0%/15% tops,
# standard deduction, additional standard deduction per filer 65 or older.
TAX_YEARS: dict[int, TaxYear] = {
    2025: _year(2025, _SOURCE_2025, _SENIOR_2025_2028,
        single=((11_925, 48_475, 103_350, 197_300, 250_525, 626_350), (48_350, 533_400), 15_750, 2_000),
        married_joint=((23_850, 96_950, 206_700, 394_600, 501_050, 751_600), (96_700, 600_050), 31_500, 1_600),
        married_separate=((11_925, 48_475, 103_350, 197_300, 250_525, 375_800), (48_350, 300_000), 15_750, 1_600),
        head_of_household=((17_000, 64_850, 103_350, 197_300, 250_500, 626_350), (64_750, 566_700), 23_625, 2_000)),
    2026: _year(2026, _SOURCE_2026, _SENIOR_2025_2028,
        single=((12_400, 50_400, 105_700, 201_775, 256_225, 640_600), (49_450, 545_500), 16_100, 2_050),
        married_joint=((24_800, 100_800, 211_400, 403_550, 512_450, 768_700), (98_900, 613_700), 32_200, 1_650),
        married_separate=((12_400, 50_400, 105_700, 201_775, 256_225, 384_350), (49_450, 306_850), 16_100, 1_650),
        head_of_household=((17_700, 67_450, 105_700, 201_750, 256_200, 640_600), (66_200, 579_600), 24_150, 2_050)),
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
    return tuple((b, round(pb - IRMAA_STANDARD_PART_B + pd, 2), i == last and len(bounds) > 2) for i, (b, pb, pd) in enumerate(zip(bounds, part_b, part_d, strict=True)))


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


# ---- multi-year facts (engine/retire) -------------------------------------------------------

# Treas. Reg. 1.401(a)(9)-9(c), Uniform Lifetime Table (distribution periods from 2022 on):
# an owner's RMD for a year is the prior December 31 balance divided by the period at the age
# reached that year.
UNIFORM_LIFETIME_SOURCE = "Treas. Reg. 1.401(a)(9)-9(c) Uniform Lifetime Table (T.D. 9930, 2022 and later)"
UNIFORM_LIFETIME_TABLE: dict[int, float] = dict(
    zip(
        range(72, 121),
        (
            27.4, 26.5, 25.5, 24.6, 23.7, 22.9, 22.0, 21.1, 20.2, 19.4, 18.5, 17.7, 16.8, 16.0, 15.2,
            14.4, 13.7, 12.9, 12.2, 11.5, 10.8, 10.1, 9.5, 8.9, 8.4, 7.8, 7.3, 6.8, 6.4, 6.0, 5.6,
            5.2, 4.9, 4.6, 4.3, 4.1, 3.9, 3.7, 3.5, 3.4, 3.3, 3.1, 3.0, 2.9, 2.8, 2.7, 2.5, 2.3, 2.0,
        ),
        strict=True,
    )
)


def uniform_lifetime_period(age: int) -> float:
    """The distribution period at `age` (120 and older: 2.0)."""
    return UNIFORM_LIFETIME_TABLE[min(max(age, 72), 120)]


# Social Security (SSA, "Benefits planner: retirement age and benefit reduction"; 20 CFR 404.409-412;
# "Delayed retirement credits"). Full retirement age by birth year, months.
SS_SOURCE = "SSA: full retirement age by birth year; 20 CFR 404.410 (reduction), 404.313 (delayed credits), 404.333 (spouse)"
SS_EARLIEST_AGE = 62
SS_LATEST_CREDIT_AGE = 70


def full_retirement_age_months(birth_year: int) -> int:
    """66 for 1943-1954, two months more per year to 67 for 1960 and later (SSA)."""
    if birth_year <= 1954:
        return 66 * 12
    if birth_year >= 1960:
        return 67 * 12
    return 66 * 12 + 2 * (birth_year - 1954)


# Own benefit claimed early: 5/9 of 1% a month for the first 36 months, 5/12 of 1% beyond.
SS_REDUCTION_FIRST = 5 / 9 / 100
SS_REDUCTION_LATER = 5 / 12 / 100
# Spouse's benefit (50% of the worker's PIA) claimed early: 25/36 of 1% a month, 5/12 of 1% beyond;
# no delayed credits on it.
SS_SPOUSAL_SHARE = 0.50
SS_SPOUSAL_REDUCTION_FIRST = 25 / 36 / 100
SS_SPOUSAL_REDUCTION_LATER = 5 / 12 / 100
# Delayed retirement credits for those born 1943 or later: 2/3 of 1% a month (8% a year) to 70.
SS_DELAYED_CREDIT = 2 / 3 / 100


# Indexing beyond the last tabulated year: brackets, standard deductions, the 65+ additions, the
# long-term breakpoints and the IRMAA tiers follow an inflation assumption (IRC 1(f) uses chained
# CPI; a plan assumes one rate). Not indexed by law: the Social Security bases (IRC 86), the NIIT
# threshold (IRC 1411), the loss limit, the senior deduction and its threshold (P.L. 119-21).
INDEXING_SOURCE = "IRC 1(f) cost-of-living adjustment, modeled at the plan's inflation assumption from the last tabulated year"
SENIOR_DEDUCTION_LAST_YEAR = 2028  # P.L. 119-21 sec. 70103: tax years 2025-2028

# A reversion to the pre-2018 brackets is not current law (P.L. 119-21 made the 2017 rates
# permanent); a plan may assume one for comparison. The 2017 schedule (Rev. Proc. 2016-55) carried to
# 2026 dollars by 35.1% as Owl 2026.10.26 (owlplanner tax_federal.py) does, with the current
# 65+ additions and long-term breakpoints and no personal exemption, as Owl assumes.
PRE_TCJA_SOURCE = "Rev. Proc. 2016-55 (2017 brackets, standard deduction) x 1.351 to 2026, as owlplanner 2026.10.26 projects them"
PRE_TCJA_RATES = (0.10, 0.15, 0.25, 0.28, 0.33, 0.35, 0.396)
PRE_TCJA_2026_BRACKETS: dict[str, tuple[float, ...]] = {
    "single": (12_600, 51_270, 124_160, 258_920, 562_960, 565_260),
    "married_joint": (25_200, 102_540, 206_840, 315_260, 562_960, 635_920),
    "married_separate": (12_600, 51_270, 103_420, 157_630, 281_480, 317_960),
    "head_of_household": (18_040, 68_630, 177_250, 287_090, 562_960, 600_590),
}
PRE_TCJA_2026_STANDARD_DEDUCTION = {"single": 8_580, "married_joint": 17_160, "married_separate": 8_580, "head_of_household": 12_630}


def indexed_tax_year(year: int, inflation: float, law_expires: int | None = None) -> TaxYear:
    """The facts of `year`: tabulated when we have them, else the last tabulated year with its
    indexed amounts grown by `inflation` a year. From `law_expires` on (a hypothesis, not law),
    the pre-2018 rates and standard deduction. The senior deduction ends after 2028."""
    last = max(TAX_YEARS)
    base = TAX_YEARS.get(year, TAX_YEARS[last])
    grow = (1.0 + inflation) ** max(0, year - last) if year not in TAX_YEARS else 1.0
    ordinary = {s: tuple((lo * grow, rate) for lo, rate in b) for s, b in base.ordinary.items()}
    standard = {s: v * grow for s, v in base.standard_deduction.items()}
    source = base.source if grow == 1.0 else f"{base.source}; indexed from {last} at {inflation:.2%} a year ({INDEXING_SOURCE})"
    if law_expires is not None and year >= law_expires:
        g = (1.0 + inflation) ** max(0, year - last)
        ordinary = {s: tuple(zip((0.0, *(x * g for x in PRE_TCJA_2026_BRACKETS[s])), PRE_TCJA_RATES, strict=True)) for s in base.ordinary}
        standard = {s: v * g for s, v in PRE_TCJA_2026_STANDARD_DEDUCTION.items()}
        source += f"; from {law_expires} the assumed reversion: {PRE_TCJA_SOURCE}"
    senior = year <= SENIOR_DEDUCTION_LAST_YEAR
    return TaxYear(
        year=year,
        source=source,
        ordinary=ordinary,
        long_term={s: (a * grow, b * grow) for s, (a, b) in base.long_term.items()},
        standard_deduction=standard,
        additional_standard_deduction={s: v * grow for s, v in base.additional_standard_deduction.items()},
        senior_deduction=base.senior_deduction if senior else 0.0,
        senior_deduction_threshold=base.senior_deduction_threshold if senior else None,
        senior_deduction_phaseout=base.senior_deduction_phaseout if senior else 0.0,
    )


def indexed_irmaa_tiers(status: str, year: int, inflation: float) -> tuple[tuple[float, float, bool], ...]:
    """IRMAA tiers for premiums of `year`: bounds (CPI-indexed, 42 USC 1395r(i)(5)) and amounts
    (premiums, assumed to grow with inflation) grown from IRMAA_YEAR."""
    g = (1.0 + inflation) ** max(0, year - IRMAA_YEAR)
    return tuple((bound * g, step * g, at) for bound, step, at in IRMAA_TIERS[status])
