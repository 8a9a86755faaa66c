"""Golden cases of the exact federal tax, each worked by hand from the 2026 facts
(Rev. Proc. 2025-32; TAX-FACTS.md) in the comments: the expected figures are literals."""
from __future__ import annotations

import pytest

from engine.tax.federal import YearIncome, federal_tax, irmaa_yearly, plan_tax
from engine.taxdata import tax_year

F = tax_year(2026)


def delta(base: YearIncome, **plan: float) -> float:
    return plan_tax(base, base.plus(**plan), F).federal


def test_long_term_gain_crossing_zero_to_fifteen():
    # Single, wages 60,100 -> taxable 60,100 - 16,100 = 44,000. A 94,720 long-term gain:
    # 49,450 - 44,000 = 5,450 at 0%, 89,270 at 15% = 13,390.50 (the retiree case).
    assert delta(YearIncome("single", ordinary_income=60_100), long_term_gains=94_720) == pytest.approx(13_390.50, abs=0.005)


def test_long_term_gain_crossing_fifteen_to_twenty_with_niit():
    # Married joint, wages 632_200 -> taxable 600,000 (ordinary). A 50,000 gain: 613,700 - 600,000
    # = 13,700 at 15% = 2,055; 36,300 at 20% = 7,260; NIIT: MAGI already above 250,000, NII 50,000
    # -> 3.8% x 50,000 = 1,900. Total 11,215.
    assert delta(YearIncome("married_joint", ordinary_income=632_200), long_term_gains=50_000) == pytest.approx(11_215.0, abs=0.005)


def test_ira_draw_crossing_twelve_to_twenty_two():
    # Married joint, wages 112_200 -> taxable 80,000 (12% band 24,800-100,800). A 40,000 draw:
    # 20,800 at 12% = 2,496; 19,200 at 22% = 4,224. Total 6,720.
    assert delta(YearIncome("married_joint", ordinary_income=112_200), traditional_withdrawals=40_000) == pytest.approx(6_720.0, abs=0.005)


def test_niit_on_the_lesser_of_income_and_excess():
    # Single, wages 206,100 -> taxable 190,000 (24% up to 201,775), AGI 206,100 > 200,000.
    # A 10,000 short-term gain: 190,000 + 10,000 = 200,000 < 201,775, so 10,000 x 24% = 2,400. NIIT before: NII 0. After: lesser of NII 10,000 and MAGI over
    # 200,000 = 16,100 -> 10,000 x 3.8% = 380. Total 2,780.
    assert delta(YearIncome("single", ordinary_income=206_100), short_term_gains=10_000) == pytest.approx(2_780.0, abs=0.005)
    # Only part over the threshold: wages 195,000, gain 10,000 -> MAGI 205,000, excess 5,000 < NII:
    # NIIT 190. Taxable 178,900 -> 188,900, all at 24%: 2,400. Total 2,590.
    assert delta(YearIncome("single", ordinary_income=195_000), short_term_gains=10_000) == pytest.approx(2_590.0, abs=0.005)


def test_loss_deduction_spanning_two_brackets():
    # Single, wages 68,000 -> taxable 51,900: 1,500 above the 22% edge (50,400). A 10,000 loss deducts 3,000: 1,500 at 22% + 1,500 at 12% = 510
    # saved; carryforward 7,000 (long-term: the loss was long-term).
    base = YearIncome("single", ordinary_income=68_000)
    t = plan_tax(base, base.plus(long_term_gains=-10_000), F)
    assert t.federal == pytest.approx(-510.0, abs=0.005)
    assert t.with_plan.long_term_carryforward == pytest.approx(7_000.0)
    assert t.with_plan.short_term_carryforward == 0.0


def test_short_loss_against_long_gain_is_netted_at_the_long_rate():
    # Married joint, taxable 150,000 (wages 182,200): a 20,000 long gain and a 20,000 short loss
    # net to zero on Schedule D: no tax (the old marginal code credited the short rate).
    assert delta(YearIncome("married_joint", ordinary_income=182_200), long_term_gains=20_000, short_term_gains=-20_000) == pytest.approx(0.0, abs=0.005)


def test_social_security_torpedo():
    # Single, 65+, benefits 30,000, pension 30,000. Provisional = 30,000 + 15,000 = 45,000 > 34,000:
    # taxable SS = min(0.85 x 11,000 + 0.5 x 9,000, 25,500) = 9,350 + 4,500 = 13,850.
    # AGI 43,850; deductions 16,100 + 2,050 + 6,000 (MAGI < 75,000) = 24,150; taxable 19,700.
    # A 1,000 draw adds 1,000 + 850 taxable SS = 1,850 of taxable income at 12% = 222 (22.2%).
    base = YearIncome("single", seniors=1, ordinary_income=30_000, social_security_benefits=30_000)
    y = federal_tax(base, F)
    assert y.taxable_social_security == pytest.approx(13_850.0)
    assert y.taxable_income == pytest.approx(19_700.0)
    assert delta(base, traditional_withdrawals=1_000) == pytest.approx(222.0, abs=0.005)


def test_senior_deduction_phase_out():
    # Single 65+, pension 100,000: senior deduction 6,000 - 6% x 25,000 = 4,500; taxable
    # 100,000 - 16,100 - 2,050 - 4,500 = 77,350.
    assert federal_tax(YearIncome("single", seniors=1, ordinary_income=100_000), F).taxable_income == pytest.approx(77_350.0)


def test_irmaa_tier():
    # Married joint, both on Medicare: MAGI 218,000 is standard; 218,001 pays the first step,
    # (284.10 - 202.90 + 14.50) = 95.70 a month each: 2 x 12 x 95.70 = 2,296.80 a year.
    assert irmaa_yearly("married_joint", 218_000, 2) == 0.0
    assert irmaa_yearly("married_joint", 218_001, 2) == pytest.approx(2_296.80)
    base = YearIncome("married_joint", ordinary_income=210_000)
    assert plan_tax(base, base.plus(traditional_withdrawals=10_000), F, irmaa_persons=2).irmaa == pytest.approx(2_296.80)
