"""Independent bookkeeping for tests: read straight from the household file, never from the
engine's own measures, so the tests check the engine rather than repeat it."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from engine import Household, Result


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


def is_loss_lot(h: Household, kind: str, lot) -> bool:
    """A taxable lot worth less than it cost."""
    return kind == "taxable" and price(h, lot.ticker) < lot.cost_basis / lot.shares - 1e-12


def held_over_a_year(acquired: date, sold_on: date) -> bool:
    # The strategies never draw 29 February, so the anniversary always exists.
    return sold_on > acquired.replace(year=acquired.year + 1)


def wash_blocked_lots(h: Household) -> set[tuple[str, str]]:
    """(account, lot id) of loss lots that another lot of their identical group, bought in the
    30 days up to as_of in any account, keeps from being sold at a loss now."""
    group, start = identical_groups(h), h.as_of - timedelta(days=30)
    recent = [(a.id, lot) for a in h.accounts for lot in a.holdings if lot.acquired is not None and lot.acquired >= start]
    return {
        (a.id, lot.id)
        for a in h.accounts
        for lot in a.holdings
        if is_loss_lot(h, a.kind, lot) and any((b, other.id) != (a.id, lot.id) and other.ticker in group[lot.ticker] for b, other in recent)
    }


def sells_by_lot(r: Result) -> dict[tuple[str, str], float]:
    """(account, lot id) -> shares the plan sells."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for t in r.trades:
        if t.action == "sell":
            out[(t.account, t.lot_id)] += t.shares
    return out


def check_lots_and_restrictions(h: Household, r: Result, excluded: set[str]) -> None:
    """Real lots never oversold, excluded accounts untouched, restrictions kept."""
    lots = lots_of(h)
    for key, shares in sells_by_lot(r).items():
        assert key in lots, f"sell of a lot that does not exist: {key}"
        assert shares <= lots[key][1].shares + 1e-9, f"{key}: sold {shares} of {lots[key][1].shares} shares"
    for t in r.trades:
        assert t.shares > 0
        assert t.account not in excluded, f"trade in excluded account {t.account}: {t}"
        if t.action == "sell":
            assert lots[(t.account, t.lot_id)][1].ticker == t.ticker
            assert not restricted(h, t.account, t.ticker, {"no_sell", "hold"}), f"sold restricted {t.ticker} in {t.account}"
        else:
            assert not restricted(h, t.account, t.ticker, {"no_buy", "hold"}), f"bought restricted {t.ticker} in {t.account}"
