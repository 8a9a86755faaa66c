"""Thin typed tools over the engine: validate, call one engine function, return its result."""

from .book import HouseholdBook
from .calls import ARGS, ToolOutcome, call_tool, compare_outcomes

__all__ = ["ARGS", "HouseholdBook", "ToolOutcome", "call_tool", "compare_outcomes"]
