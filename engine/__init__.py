"""Householder's engine: one tax-aware model of a household's accounts and lots.

Public API: load a household, run a tool, read the Result. Names are imported on first use
(PEP 562), so `import engine.household` or the CLI's `--help` does not load Pyomo.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "DISCLAIMER": "results",
    "Household": "household",
    "HouseholdError": "household",
    "Options": "scenarios",
    "Result": "results",
    "contribute": "tools",
    "harvest": "tools",
    "household_schema": "household",
    "load_household": "household",
    "locate": "tools",
    "parse_household": "household",
    "rebalance": "scenarios",
    "withdraw": "withdrawal",
}
__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from .household import Household, HouseholdError, household_schema, load_household, parse_household
    from .results import DISCLAIMER, Result
    from .scenarios import Options, rebalance
    from .tools import contribute, harvest, locate
    from .withdrawal import withdraw


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value
