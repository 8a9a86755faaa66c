"""Social Security benefits by claiming age (own, and a spouse's top-up), today's dollars a year."""

from __future__ import annotations

from ..taxdata import (
    SS_DELAYED_CREDIT,
    SS_EARLIEST_AGE,
    SS_LATEST_CREDIT_AGE,
    SS_REDUCTION_FIRST,
    SS_REDUCTION_LATER,
    SS_SPOUSAL_REDUCTION_FIRST,
    SS_SPOUSAL_REDUCTION_LATER,
    SS_SPOUSAL_SHARE,
    full_retirement_age_months,
)

CLAIM_AGES = tuple(range(SS_EARLIEST_AGE, SS_LATEST_CREDIT_AGE + 1))


def own_factor(birth_year: int, claim_age: int) -> float:
    """Share of the benefit at full retirement age paid when claimed at `claim_age` (whole years,
    in the month of the birthday)."""
    months = claim_age * 12 - full_retirement_age_months(birth_year)
    if months >= 0:
        return 1.0 + SS_DELAYED_CREDIT * min(months, (SS_LATEST_CREDIT_AGE * 12) - full_retirement_age_months(birth_year))
    early = -months
    return 1.0 - SS_REDUCTION_FIRST * min(early, 36) - SS_REDUCTION_LATER * max(0, early - 36)


def spousal_factor(birth_year: int, claim_age: int) -> float:
    """Share of the spouse's benefit (half the worker's PIA) paid when claimed at `claim_age`."""
    early = max(0, full_retirement_age_months(birth_year) - claim_age * 12)
    return 1.0 - SS_SPOUSAL_REDUCTION_FIRST * min(early, 36) - SS_SPOUSAL_REDUCTION_LATER * max(0, early - 36)


def own_benefit(pia_monthly: float, birth_year: int, claim_age: int) -> float:
    """Today's dollars a year of the owner's own benefit claimed at `claim_age`."""
    return 12 * pia_monthly * own_factor(birth_year, claim_age)


def spousal_top_up(pia_monthly: float, worker_pia_monthly: float, birth_year: int, claim_age: int) -> float:
    """Today's dollars a year added on the worker's record once both have claimed (deemed filing:
    the excess of half the worker's PIA over the own PIA, reduced for the spouse's age)."""
    excess = max(0.0, SS_SPOUSAL_SHARE * worker_pia_monthly - pia_monthly)
    return 12 * excess * spousal_factor(birth_year, claim_age)
