"""Independent bookkeeping for tests: read straight from the household file, never from the
engine's own measures, so the tests check the engine rather than repeat it."""
from __future__ import annotations

from engine import Household


def price(h: Household, ticker: str) -> float:
    return next(s.price for s in h.securities if s.ticker == ticker)


def asset_class(h: Household, ticker: str) -> str:
    return next(s.asset_class for s in h.securities if s.ticker == ticker)


def lots_of(h: Household) -> dict[tuple[str, str], tuple[str, object]]:
    """(account, lot id) -> (account kind, Lot)."""
    return {(a.id, lot.id): (a.kind, lot) for a in h.accounts for lot in a.holdings}


def identical_groups(h: Household) -> dict[str, frozenset[str]]:
    """Ticker -> every ticker the wash-sale rule treats as the same security (closure of `identical`)."""
    group = {s.ticker: {s.ticker} for s in h.securities}
    for listed in h.identical:
        merged = set().union(*(group[t] for t in listed))
        for t in merged:
            group[t] = merged
    return {t: frozenset(g) for t, g in group.items()}


def restricted(h: Household, account: str, ticker: str, rules: set[str]) -> bool:
    """Whether a restriction with one of `rules` covers this account and ticker."""
    return any(r.account == account and r.ticker in (None, ticker) and r.rule in rules for r in h.restrictions)
