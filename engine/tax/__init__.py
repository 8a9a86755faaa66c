"""Tax of a household's year: marginal rates (`marginal`), the exact federal return (`federal`),
the household's year from its profile (`year`), and the same return inside a MILP (`milp`, which
imports Pyomo and is loaded only when asked for: `from engine.tax.milp import add_federal_tax`).

Every name the former engine/tax.py module had is re-exported here unchanged.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..household import TaxProfile
from ..taxdata import LONG_TERM_HOLDING_YEARS, LONG_TERM_RATES, LOSS_DEDUCTION_LIMIT, NIIT_RATE, NIIT_THRESHOLD, tax_year
from .federal import FederalTax, PlanTax, YearIncome, bracket_tax, federal_tax, irmaa_monthly, irmaa_yearly, plan_tax, taxable_social_security
from .marginal import Rates, TaxEstimate, _bracket_rate, capital_gains_tax, is_long_term, marginal_rates
from .year import household_year

__all__ = [
    "FederalTax",
    "LONG_TERM_HOLDING_YEARS",
    "LONG_TERM_RATES",
    "LOSS_DEDUCTION_LIMIT",
    "NIIT_RATE",
    "NIIT_THRESHOLD",
    "PlanTax",
    "Rates",
    "TaxEstimate",
    "TaxProfile",
    "YearIncome",
    "bracket_tax",
    "capital_gains_tax",
    "date",
    "federal_tax",
    "household_year",
    "irmaa_monthly",
    "irmaa_yearly",
    "is_long_term",
    "marginal_rates",
    "plan_tax",
    "tax_year",
    "taxable_social_security",
    "timedelta",
    "_bracket_rate",
]
