"""Required minimum distributions: who owes one in a year, and what share of the balance."""

from __future__ import annotations

from ..taxdata import rmd_age, uniform_lifetime_period


def rmd_share(birth_year: int, year: int) -> float:
    """The share of the prior December 31 traditional balance that must come out in `year`
    (0 before the SECURE 2.0 start age)."""
    age = year - birth_year
    return 1.0 / uniform_lifetime_period(age) if age >= rmd_age(birth_year) else 0.0
