"""Unit tests of the tax arithmetic in `engine/tax.py`.

Every expected figure is worked out by hand from /work/shared/TAX-FACTS.md (brackets, NIIT,
holding period, loss limits), never copied from the engine's own output. The figures are
written out as literals, with the bracket they come from in a comment, so a reader can check
them against the table.
"""
from __future__ import annotations

import math
from datetime import date

import pytest

from engine.household import TaxProfile
from engine.tax import Rates, capital_gains_tax, is_long_term, marginal_rates

AS_OF_2025 = date(2025, 11, 24)
AS_OF_2026 = date(2026, 11, 24)


def profile(status: str = "married_joint", income: float = 0.0, state: float = 0.0, **overrides) -> TaxProfile:
    return TaxProfile(filing_status=status, taxable_income=income, state_rate=state, **overrides)


def rates_for(status: str, income: float, as_of: date = AS_OF_2026, state: float = 0.0, **overrides) -> Rates:
    return marginal_rates(profile(status, income, state, **overrides), as_of)


# ---------------------------------------------------------------------------------------------
# Marginal rates derived from the brackets
# ---------------------------------------------------------------------------------------------

# (status, taxable income, as_of, federal ordinary, federal long-term, NIIT applies)
# NIIT is tested on MAGI, approximated as taxable income + the year's standard deduction
# (a wage-only return): 2025 $15,750 / $31,500, 2026 $16,100 / $32,200.
BRACKET_CASES = [
    # 2026 married joint: 24% from 211,400; long-term 15% from 98,900; MAGI 272,200 > 250,000.
    ("married_joint", 240_000, AS_OF_2026, 0.24, 0.15, True),
    # 2026 married joint: 22% band 100,800-211,400; MAGI 182,200 < 250,000.
    ("married_joint", 150_000, AS_OF_2026, 0.22, 0.15, False),
    # 2026 married joint: 12% band 24,800-100,800; long-term 0% up to 98,900.
    ("married_joint", 60_000, AS_OF_2026, 0.12, 0.0, False),
    # 2026 married joint, top brackets: 37% from 768,700; 20% above 613,700.
    ("married_joint", 800_000, AS_OF_2026, 0.37, 0.20, True),
    # 2026 single: 12% band 12,400-50,400; 0% long-term up to 49,450.
    ("single", 20_000, AS_OF_2026, 0.12, 0.0, False),
    # 2026 single: 32% band 201,775-256,225; MAGI 226,100 > 200,000.
    ("single", 210_000, AS_OF_2026, 0.32, 0.15, True),
    # 2026 single: 24% band 105,700-201,775; MAGI 196,100 < 200,000.
    ("single", 180_000, AS_OF_2026, 0.24, 0.15, False),
    # 2026 single: 35% band 256,225-640,600; long-term 15% up to 545,500.
    ("single", 300_000, AS_OF_2026, 0.35, 0.15, True),
    # 2025 single: 22% band 48,475-103,350; long-term 15% from 48,350.
    ("single", 100_000, AS_OF_2025, 0.22, 0.15, False),
    # 2025 single: 10% band below 11,925.
    ("single", 10_000, AS_OF_2025, 0.10, 0.0, False),
    # 2025 married joint: 24% band 206,700-394,600; MAGI 251,500 > 250,000.
    ("married_joint", 220_000, AS_OF_2025, 0.24, 0.15, True),
    # 2025 married joint: 32% band 394,600-501,050; 15% long-term up to 600,050.
    ("married_joint", 450_000, AS_OF_2025, 0.32, 0.15, True),
    # 2025 married joint: 22% band 96,950-206,700; long-term 0% up to 96,700 -> 15% here.
    ("married_joint", 97_000, AS_OF_2025, 0.22, 0.15, False),
]


@pytest.mark.parametrize("status, income, as_of, ordinary, long_term, niit", BRACKET_CASES)
def test_marginal_rates_from_brackets(status, income, as_of, ordinary, long_term, niit):
    r = rates_for(status, income, as_of)
    niit_rate = 0.038 if niit else 0.0
    assert r.ordinary == pytest.approx(ordinary)
    assert r.short_term == pytest.approx(ordinary + niit_rate)
    assert r.long_term == pytest.approx(long_term + niit_rate)
    assert r.year == as_of.year and r.year_known


def test_rivera_like_profile_adds_state_rate_and_niit():
    # Married joint, $240k taxable, 5% state, 2026: 24% + 5% ordinary; 15% + 3.8% NIIT + 5% long-term.
    r = rates_for("married_joint", 240_000, AS_OF_2026, state=0.05)
    assert r.ordinary == pytest.approx(0.29)
    assert r.short_term == pytest.approx(0.24 + 0.038 + 0.05)
    assert r.long_term == pytest.approx(0.15 + 0.038 + 0.05)


def test_state_rate_is_added_to_every_derived_rate():
    without = rates_for("single", 100_000, AS_OF_2026)
    with_state = rates_for("single", 100_000, AS_OF_2026, state=0.0725)
    assert with_state.ordinary - without.ordinary == pytest.approx(0.0725)
    assert with_state.short_term - without.short_term == pytest.approx(0.0725)
    assert with_state.long_term - without.long_term == pytest.approx(0.0725)


def test_same_income_different_year_uses_that_years_brackets():
    # 103,350 starts the 24% band in 2025 but is still in 2026's 22% band (24% from 105,700).
    assert rates_for("single", 103_350, AS_OF_2025).ordinary == pytest.approx(0.24)
    assert rates_for("single", 103_350, AS_OF_2026).ordinary == pytest.approx(0.22)


def test_same_income_different_status_uses_that_statuss_brackets():
    # 2026, 150,000: single is in the 24% band (105,700-201,775), married joint in 22%.
    assert rates_for("single", 150_000).ordinary == pytest.approx(0.24)
    assert rates_for("married_joint", 150_000).ordinary == pytest.approx(0.22)


# Bracket edges: the rate applies above the lower bound, so income exactly at a lower bound
# pays the new rate on its next dollar.
@pytest.mark.parametrize(
    "status, income, as_of, expected",
    [
        ("married_joint", 24_800, AS_OF_2026, 0.12),
        ("married_joint", 24_799.99, AS_OF_2026, 0.10),
        ("married_joint", 211_400, AS_OF_2026, 0.24),
        ("married_joint", 211_399, AS_OF_2026, 0.22),
        ("single", 640_600, AS_OF_2026, 0.37),
        ("single", 640_599, AS_OF_2026, 0.35),
        ("single", 48_475, AS_OF_2025, 0.22),
        ("single", 48_474, AS_OF_2025, 0.12),
        ("married_joint", 751_600, AS_OF_2025, 0.37),
        ("married_joint", 0, AS_OF_2025, 0.10),
    ],
)
def test_ordinary_rate_at_bracket_edges(status, income, as_of, expected):
    assert rates_for(status, income, as_of).ordinary == pytest.approx(expected)


@pytest.mark.parametrize(
    "status, income, as_of, expected_long, expected_headroom",
    [
        # 0% "up to" 49,450 (2026 single): at 49,450 the next dollar is taxed at 15%.
        ("single", 49_450, AS_OF_2026, 0.15, 545_500 - 49_450),
        ("single", 49_449, AS_OF_2026, 0.0, 1),
        # 15% up to 613,700 (2026 married joint): at 613,700 the next dollar is taxed at 20%.
        ("married_joint", 613_700, AS_OF_2026, 0.20 + 0.038, math.inf),
        ("married_joint", 613_699, AS_OF_2026, 0.15 + 0.038, 1),
        # 2025 married joint: 0% up to 96,700.
        ("married_joint", 96_700, AS_OF_2025, 0.15, 600_050 - 96_700),
    ],
)
def test_long_term_rate_at_bracket_edges(status, income, as_of, expected_long, expected_headroom):
    r = rates_for(status, income, as_of)
    assert r.long_term == pytest.approx(expected_long)
    assert r.long_term_headroom == pytest.approx(expected_headroom)


def test_niit_threshold_edge_married_joint_2026():
    # MAGI = taxable income + 32,200. At MAGI exactly 250,000 the next dollar of gain is above
    # the threshold and pays 3.8%; one dollar lower, the next dollar only reaches 250,000.
    at = rates_for("married_joint", 250_000 - 32_200)
    below = rates_for("married_joint", 250_000 - 32_200 - 1)
    assert at.long_term - below.long_term == pytest.approx(0.038)
    assert at.short_term - below.short_term == pytest.approx(0.038)
    assert at.ordinary == below.ordinary  # NIIT is not a tax on ordinary income


@pytest.mark.parametrize(
    "status, income_with_niit, income_without",
    [
        # thresholds 200,000 single / head of household, 250,000 joint, 125,000 separate;
        # MAGI = taxable income + 2026 standard deduction (16,100 / 24,150 / 32,200 / 16,100).
        ("single", 200_000 - 16_100, 200_000 - 16_100 - 1),
        ("head_of_household", 200_000 - 24_150, 200_000 - 24_150 - 1),
        ("married_joint", 250_000 - 32_200, 250_000 - 32_200 - 1),
        ("married_separate", 125_000 - 16_100, 125_000 - 16_100 - 1),
    ],
)
def test_niit_threshold_by_status(status, income_with_niit, income_without):
    def niit(income):
        r = rates_for(status, income)
        return r.short_term - r.ordinary  # short-term = ordinary + NIIT (+ state, 0 here)

    assert niit(income_with_niit) == pytest.approx(0.038)
    assert niit(income_without) == pytest.approx(0.0)


def test_niit_is_not_indexed_across_years():
    # 2025 married joint: standard deduction 31,500, same 250,000 threshold.
    assert rates_for("married_joint", 250_000 - 31_500, AS_OF_2025).long_term == pytest.approx(0.15 + 0.038)
    assert rates_for("married_joint", 250_000 - 31_500 - 1, AS_OF_2025).long_term == pytest.approx(0.15)


# ---------------------------------------------------------------------------------------------
# Overrides, fallback year, loss limit
# ---------------------------------------------------------------------------------------------

def test_explicit_rates_win_over_brackets_and_state():
    r = rates_for("married_joint", 240_000, state=0.05, ordinary_rate=0.30, short_term_rate=0.41, long_term_rate=0.11)
    assert (r.ordinary, r.short_term, r.long_term) == (0.30, 0.41, 0.11)


def test_one_override_leaves_the_others_derived():
    r = rates_for("married_joint", 240_000, state=0.05, long_term_rate=0.11)
    assert r.long_term == 0.11
    assert r.ordinary == pytest.approx(0.24 + 0.05)
    assert r.short_term == pytest.approx(0.24 + 0.038 + 0.05)


def test_override_of_zero_is_respected_not_treated_as_missing():
    r = rates_for("married_joint", 240_000, state=0.05, long_term_rate=0.0, short_term_rate=0.0)
    assert r.long_term == 0.0 and r.short_term == 0.0


@pytest.mark.parametrize(
    "as_of, used_year, single_103_350",
    [
        # after our last table: 2026's brackets (103,350 is still 22% there)
        (date(2031, 3, 1), 2026, 0.22),
        # before our first table: 2025's brackets (103,350 starts 24% there)
        (date(2019, 3, 1), 2025, 0.24),
    ],
)
def test_unknown_year_falls_back_to_nearest_table(as_of, used_year, single_103_350):
    r = rates_for("single", 103_350, as_of)
    assert r.year == used_year
    assert r.year_known is False
    assert r.ordinary == pytest.approx(single_103_350)
    assert r.source  # the table's source travels with the rates


def test_known_year_is_flagged_known():
    assert rates_for("single", 50_000, date(2025, 1, 1)).year_known is True
    assert rates_for("single", 50_000, date(2026, 12, 31)).year_known is True


@pytest.mark.parametrize(
    "status, limit",
    [("single", 3_000), ("married_joint", 3_000), ("head_of_household", 3_000), ("married_separate", 1_500)],
)
def test_loss_deduction_limit_by_status(status, limit):
    assert rates_for(status, 100_000).loss_deduction_limit == limit


# ---------------------------------------------------------------------------------------------
# Long-term headroom
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "status, income, as_of, headroom",
    [
        # in the 0% bracket: dollars left before 0% ends
        ("single", 20_000, AS_OF_2026, 49_450 - 20_000),
        ("married_joint", 50_000, AS_OF_2025, 96_700 - 50_000),
        ("married_joint", 0, AS_OF_2026, 98_900),
        # in the 15% bracket: dollars left before 20% starts
        ("married_joint", 240_000, AS_OF_2026, 613_700 - 240_000),
        ("single", 100_000, AS_OF_2025, 533_400 - 100_000),
    ],
)
def test_long_term_headroom(status, income, as_of, headroom):
    r = rates_for(status, income, as_of)
    assert r.long_term_headroom == pytest.approx(headroom)


def test_no_headroom_limit_in_the_top_bracket():
    assert rates_for("single", 600_000).long_term_headroom == math.inf


# ---------------------------------------------------------------------------------------------
# Holding period (IRC 1222, IRS Topic 409): more than one year, counted from the day after
# purchase; the sale day counts.
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "acquired, sold_on, long",
    [
        (date(2024, 3, 15), date(2024, 3, 15), False),
        (date(2024, 3, 15), date(2025, 3, 14), False),
        (date(2024, 3, 15), date(2025, 3, 15), False),  # first anniversary: short-term
        (date(2024, 3, 15), date(2025, 3, 16), True),  # the day after: long-term
        (date(2023, 12, 31), date(2024, 12, 31), False),
        (date(2023, 12, 31), date(2025, 1, 1), True),
        (date(2020, 6, 15), date(2026, 11, 24), True),
    ],
)
def test_is_long_term_anniversary(acquired, sold_on, long):
    assert is_long_term(acquired, sold_on) is long


@pytest.mark.parametrize(
    "acquired, sold_on, long",
    [
        # Bought 29 Feb 2024: the holding period starts 1 Mar 2024, a full year of holding ends
        # 28 Feb 2025, so 1 Mar 2025 is more than one year.
        (date(2024, 2, 29), date(2025, 2, 28), False),
        (date(2024, 2, 29), date(2025, 3, 1), True),
        (date(2024, 2, 29), date(2025, 3, 2), True),
        # Bought 28 Feb 2023 (2024 is a leap year): holding starts 1 Mar 2023, a year of holding
        # ends 29 Feb 2024, so 29 Feb 2024 is exactly one year (short) and 1 Mar 2024 is long.
        (date(2023, 2, 28), date(2024, 2, 28), False),
        (date(2023, 2, 28), date(2024, 2, 29), False),
        (date(2023, 2, 28), date(2024, 3, 1), True),
        # Bought 28 Feb 2024: holding starts 29 Feb 2024; 2025 has no 29 Feb, so 1 Mar 2025 is
        # the first long-term day.
        (date(2024, 2, 28), date(2025, 2, 28), False),
        (date(2024, 2, 28), date(2025, 3, 1), True),
    ],
)
def test_is_long_term_around_29_february(acquired, sold_on, long):
    assert is_long_term(acquired, sold_on) is long


# ---------------------------------------------------------------------------------------------
# Netting short- against long-term results (Schedule D), loss limit and carryforward
# ---------------------------------------------------------------------------------------------

def flat_rates(limit: float = 3_000) -> Rates:
    """Round rates so hand arithmetic is easy: ordinary 30%, short 33.8%, long 18.8%."""
    return Rates(
        ordinary=0.30,
        short_term=0.338,
        long_term=0.188,
        loss_deduction_limit=limit,
        year=2026,
        year_known=True,
        long_term_headroom=math.inf,
        source="test",
    )


def test_both_gains_each_at_its_own_rate():
    est = capital_gains_tax(1_000, 2_000, flat_rates())
    assert est.estimated_tax == pytest.approx(1_000 * 0.338 + 2_000 * 0.188)  # 714
    assert est.estimated_tax == pytest.approx(714)
    assert est.loss_carryforward == 0
    assert (est.short_term_gain, est.long_term_gain) == (1_000, 2_000)


def test_short_term_loss_against_long_term_gain_leaves_long_term_gain():
    est = capital_gains_tax(-3_000, 10_000, flat_rates())
    assert est.estimated_tax == pytest.approx(7_000 * 0.188)  # 1,316 at the long-term rate
    assert est.loss_carryforward == 0


def test_long_term_loss_against_short_term_gain_leaves_short_term_gain():
    est = capital_gains_tax(10_000, -4_000, flat_rates())
    assert est.estimated_tax == pytest.approx(6_000 * 0.338)  # 2,028 at the short-term rate
    assert est.loss_carryforward == 0


def test_losses_that_exactly_cancel_gains_cost_nothing():
    est = capital_gains_tax(5_000, -5_000, flat_rates())
    assert est.estimated_tax == pytest.approx(0)
    assert est.loss_carryforward == 0


def test_net_loss_deducts_3000_at_ordinary_rate_and_carries_the_rest():
    est = capital_gains_tax(-5_000, -2_000, flat_rates())
    assert est.estimated_tax == pytest.approx(-3_000 * 0.30)  # -900
    assert est.loss_carryforward == pytest.approx(4_000)


def test_net_loss_after_netting_a_gain_against_a_bigger_loss():
    est = capital_gains_tax(2_000, -10_000, flat_rates())
    assert est.estimated_tax == pytest.approx(-900)
    assert est.loss_carryforward == pytest.approx(5_000)


def test_small_net_loss_is_deducted_in_full():
    est = capital_gains_tax(-1_000, 0, flat_rates())
    assert est.estimated_tax == pytest.approx(-300)
    assert est.loss_carryforward == 0


def test_married_separate_loss_limit_is_1500():
    limit = rates_for("married_separate", 100_000).loss_deduction_limit
    est = capital_gains_tax(-7_000, 0, flat_rates(limit))
    assert est.estimated_tax == pytest.approx(-1_500 * 0.30)  # -450
    assert est.loss_carryforward == pytest.approx(5_500)


def test_carried_in_loss_offsets_long_term_gain():
    est = capital_gains_tax(0, 10_000, flat_rates(), carried_loss=4_000)
    assert est.estimated_tax == pytest.approx(6_000 * 0.188)  # 1,128
    assert est.loss_carryforward == 0


def test_carried_in_loss_offsets_short_term_gain_when_no_long_term_gain():
    est = capital_gains_tax(5_000, 0, flat_rates(), carried_loss=2_000)
    assert est.estimated_tax == pytest.approx(3_000 * 0.338)  # 1,014
    assert est.loss_carryforward == 0


def test_carried_in_loss_larger_than_gains_is_limited_and_carried_again():
    est = capital_gains_tax(1_000, 500, flat_rates(), carried_loss=10_000)
    # net -8,500: deduct 3,000 at 30%, carry 5,500
    assert est.estimated_tax == pytest.approx(-900)
    assert est.loss_carryforward == pytest.approx(5_500)
    # the realized figures reported are the plan's own, before the carried loss
    assert (est.short_term_gain, est.long_term_gain) == (1_000, 500)


def test_no_trades_no_tax():
    est = capital_gains_tax(0, 0, flat_rates())
    assert est.estimated_tax == 0 and est.loss_carryforward == 0


# ---------------------------------------------------------------------------------------------
# Independent checks (Tax-Calculator deltas, /work/shared/STACK-NOTES.md), state rate 0.
# Our engine taxes at the marginal rate of the current income (no stacking of the gain through
# brackets); in these three cases stacking would give the same answer, so they must agree.
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of", [AS_OF_2025, AS_OF_2026])
def test_independent_married_joint_240k_plus_20k_long_term(as_of):
    # 15% + 3.8% NIIT: MAGI = 240,000 + standard deduction > 250,000.
    r = rates_for("married_joint", 240_000, as_of)
    assert capital_gains_tax(0, 20_000, r).estimated_tax == pytest.approx(3_760)


@pytest.mark.parametrize("as_of", [AS_OF_2025, AS_OF_2026])
def test_independent_single_20k_plus_20k_long_term(as_of):
    # 20,000 + 20,000 = 40,000 stays under the 0% top (48,350 in 2025, 49,450 in 2026).
    r = rates_for("single", 20_000, as_of)
    assert r.long_term_headroom >= 20_000
    assert capital_gains_tax(0, 20_000, r).estimated_tax == pytest.approx(0)


@pytest.mark.parametrize("as_of", [AS_OF_2025, AS_OF_2026])
def test_independent_married_joint_150k_plus_10k_short_term(as_of):
    # 150,000-160,000 lies in the 22% band both years; MAGI below 250,000, so no NIIT.
    r = rates_for("married_joint", 150_000, as_of)
    assert capital_gains_tax(10_000, 0, r).estimated_tax == pytest.approx(2_200)
