"""Householder's engine: one tax-aware model of a household's accounts and lots.

Public API: load a household, run a tool, read the Result.
"""
from .household import Household, HouseholdError, household_schema, load_household, parse_household
from .results import DISCLAIMER, Result
from .scenarios import Options, rebalance

__all__ = [
    "DISCLAIMER",
    "Household",
    "HouseholdError",
    "Options",
    "Result",
    "household_schema",
    "load_household",
    "parse_household",
    "rebalance",
]
