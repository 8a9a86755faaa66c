"""Tax arithmetic: marginal rates of a household, holding terms, and the capital-gains
tax of a plan after netting short- against long-term results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..household import TaxProfile
from ..taxdata import (
    LONG_TERM_HOLDING_YEARS,
    LONG_TERM_RATES,
    LOSS_DEDUCTION_LIMIT,
    NIIT_RATE,
    NIIT_THRESHOLD,
    tax_year,
)


@dataclass(frozen=True)
class Rates:
    """Marginal rates (fractions) the plan's gains and losses are taxed at, state included."""

    ordinary: float  # ordinary income: traditional withdrawals, loss deduction
    short_term: float  # short-term gains: ordinary + NIIT
    long_term: float  # long-term gains: 0/15/20% + NIIT
    loss_deduction_limit: float
    year: int
    year_known: bool
    long_term_headroom: float  # dollars of gain before the next long-term bracket
    source: str


def _bracket_rate(brackets: tuple[tuple[float, float], ...], income: float) -> float:
    rate = brackets[0][1]
    for lower, r in brackets:
        if income >= lower:
            rate = r
    return rate


def marginal_rates(profile: TaxProfile, as_of: date) -> Rates:
    """Derive the rates the profile leaves null from the brackets of `as_of`'s tax year."""
    table = tax_year(as_of.year)
    status, income = profile.filing_status, profile.taxable_income
    federal_ordinary = _bracket_rate(table.ordinary[status], income)
    zero_top, fifteen_top = table.long_term[status]
    if income < zero_top:
        federal_long, headroom = LONG_TERM_RATES[0], zero_top - income
    elif income < fifteen_top:
        federal_long, headroom = LONG_TERM_RATES[1], fifteen_top - income
    else:
        federal_long, headroom = LONG_TERM_RATES[2], float("inf")
    # NIIT is tested on MAGI, which is at least taxable income plus the standard deduction;
    # the plan's own gains are not counted here. At the threshold the next dollar pays NIIT.
    magi = income + table.standard_deduction[status]
    niit = NIIT_RATE if magi >= NIIT_THRESHOLD[status] else 0.0
    state = profile.state_rate
    ordinary = profile.ordinary_rate if profile.ordinary_rate is not None else federal_ordinary + state
    short = profile.short_term_rate if profile.short_term_rate is not None else federal_ordinary + niit + state
    long = profile.long_term_rate if profile.long_term_rate is not None else federal_long + niit + state
    return Rates(
        ordinary=ordinary,
        short_term=short,
        long_term=long,
        loss_deduction_limit=LOSS_DEDUCTION_LIMIT[status],
        year=table.year,
        year_known=table.year == as_of.year,
        long_term_headroom=headroom,
        source=table.source,
    )


def is_long_term(acquired: date, sold_on: date) -> bool:
    """Held more than one year: a lot sold on its first anniversary is still short-term."""
    # The holding period starts the day after purchase, so a year is counted from that day:
    # bought 29 Feb 2024, it starts 1 Mar 2024 and is long-term from 1 Mar 2025.
    start = acquired + timedelta(days=1)
    try:
        first_long_day = start.replace(year=start.year + LONG_TERM_HOLDING_YEARS)
    except ValueError:  # the holding period starts on 29 February
        first_long_day = date(start.year + LONG_TERM_HOLDING_YEARS, 3, 1)
    return sold_on >= first_long_day


@dataclass(frozen=True)
class TaxEstimate:
    short_term_gain: float  # dollars realized, losses negative
    long_term_gain: float
    estimated_tax: float  # dollars; negative when a net loss lowers tax on ordinary income
    loss_carryforward: float  # dollars of net loss left for later years


def capital_gains_tax(short_term_gain: float, long_term_gain: float, rates: Rates, carried_loss: float = 0.0) -> TaxEstimate:
    """Net short- and long-term results as Schedule D does, then tax what is left.

    A loss carried in is treated as long-term. A net loss lowers ordinary income by at most
    the yearly limit; the rest carries forward.
    """
    st, lt = short_term_gain, long_term_gain - carried_loss
    if st >= 0 and lt >= 0:
        tax, carry = st * rates.short_term + lt * rates.long_term, 0.0
    elif st + lt >= 0:
        # The loss of one kind absorbs the gain of the other; what remains keeps its own rate.
        tax = (st + lt) * (rates.short_term if st > 0 else rates.long_term)
        carry = 0.0
    else:
        loss = -(st + lt)
        deducted = min(loss, rates.loss_deduction_limit)
        tax, carry = -deducted * rates.ordinary, loss - deducted
    return TaxEstimate(short_term_gain, long_term_gain, tax, carry)
