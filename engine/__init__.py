"""Householder's engine: one tax-aware model of a household's accounts and lots.

Public API: load a household, run a tool, read the Result.
"""
from .household import Household, HouseholdError, household_schema, load_household, parse_household
from .importer import import_positions, write_household
from .results import DISCLAIMER, Result
from .scenarios import Options, rebalance
from .tools import contribute, harvest, locate
from .withdraw import withdraw

__all__ = [
    "DISCLAIMER",
    "Household",
    "HouseholdError",
    "Options",
    "Result",
    "contribute",
    "harvest",
    "household_schema",
    "import_positions",
    "load_household",
    "locate",
    "parse_household",
    "rebalance",
    "withdraw",
    "write_household",
]
