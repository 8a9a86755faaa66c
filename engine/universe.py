"""The household flattened into what can be traded: lots, positions, buyable pairs,
wash-sale groups, and the rates and location costs the model prices them with.

Built once per request from a valid Household; the model and the reports both read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from .household import CASH_CLASS, Household
from .location import LocationTable, location_table
from .tax import Rates, is_long_term, marginal_rates
from .taxdata import WASH_SALE_DAYS
from .timing import phase


@dataclass(frozen=True)
class LotInfo:
    account: str
    lot_id: str
    ticker: str
    shares: float
    price: float  # dollars per share
    basis_per_share: float  # dollars; 0 for tax-advantaged lots
    taxable: bool
    term: str | None  # "short" / "long" in taxable accounts, None elsewhere
    acquired: date | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.account, self.lot_id)

    @property
    def gain_per_share(self) -> float:
        return self.price - self.basis_per_share if self.taxable else 0.0

    @property
    def is_loss(self) -> bool:
        return self.taxable and self.price < self.basis_per_share - 1e-12


@dataclass
class TradeUniverse:
    household: Household
    rates: Rates
    location: LocationTable
    accounts: list[str]
    kind: dict[str, str]
    cash: dict[str, float]
    reserve: dict[str, float]  # dollars the plan may not spend below
    whole_shares: dict[str, bool]
    lots: list[LotInfo]
    sellable: list[LotInfo]  # lots no restriction keeps from selling
    buyable: list[tuple[str, str]]  # (account, ticker) the plan may buy
    wash_group: dict[str, str]  # ticker -> name of its group of identical tickers
    loss_blocked: dict[tuple[str, str], str]  # lot key -> why its loss may not be realized now
    buy_blocked: dict[str, str]  # ticker -> why no account may buy it now
    classes: list[str]
    warnings: list[str] = field(default_factory=list)

    def price(self, ticker: str) -> float:
        return self.household.security(ticker).price

    def asset_class(self, ticker: str) -> str:
        return self.household.security(ticker).asset_class

    def held_value(self) -> dict[tuple[str, str], float]:
        """Dollars held per (account, ticker) before any trade."""
        out: dict[tuple[str, str], float] = {}
        for lot in self.lots:
            out[(lot.account, lot.ticker)] = out.get((lot.account, lot.ticker), 0.0) + lot.shares * lot.price
        return out

    def total_value(self) -> float:
        return sum(l.shares * l.price for l in self.lots) + sum(self.cash.values())


def _wash_groups(h: Household) -> dict[str, str]:
    """Union of the `identical` sets: each ticker maps to one group name."""
    parent = {s.ticker: s.ticker for s in h.securities}

    def find(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for group in h.identical:
        for t in group[1:]:
            parent[find(t)] = find(group[0])
    return {t: find(t) for t in parent}


def _restricted(h: Household) -> tuple[set[tuple[str, str | None]], set[tuple[str, str | None]]]:
    no_sell: set[tuple[str, str | None]] = set()
    no_buy: set[tuple[str, str | None]] = set()
    # A restricted security is held as it is in every account; a hold security is never bought.
    for sec in h.securities:
        role = h.role(sec.ticker)
        if role == "restricted":
            no_sell.update((a.id, sec.ticker) for a in h.accounts)
        if role != "model":
            no_buy.update((a.id, sec.ticker) for a in h.accounts)
    for r in h.restrictions:
        if r.rule in ("no_sell", "hold"):
            no_sell.add((r.account, r.ticker))
        if r.rule in ("no_buy", "hold"):
            no_buy.add((r.account, r.ticker))
    return no_sell, no_buy


def build_universe(h: Household, horizon_years: float = 10.0) -> TradeUniverse:
    with phase("universe"):
        return _build_universe(h, horizon_years)


def _build_universe(h: Household, horizon_years: float) -> TradeUniverse:
    rates = marginal_rates(h.tax, h.as_of)
    warnings: list[str] = []
    if not rates.year_known:
        warnings.append(f"no tax tables for {h.as_of.year}; used {rates.year}'s brackets")
    groups = _wash_groups(h)
    no_sell, no_buy = _restricted(h)
    prices = {s.ticker: s.price for s in h.securities}

    lots: list[LotInfo] = []
    for acct in h.accounts:
        taxable = acct.kind == "taxable"
        for lot in acct.holdings:
            basis = (lot.cost_basis or 0.0) / lot.shares if taxable else 0.0
            term = None
            if taxable and lot.acquired is not None:
                term = "long" if is_long_term(lot.acquired, h.as_of) else "short"
            lots.append(LotInfo(acct.id, lot.id or lot.ticker, lot.ticker, lot.shares, prices[lot.ticker], basis, taxable, term, lot.acquired))

    def restricted(rules: set[tuple[str, str | None]], account: str, ticker: str) -> bool:
        return (account, None) in rules or (account, ticker) in rules

    sellable = [l for l in lots if not restricted(no_sell, l.account, l.ticker)]

    # Wash sale, looking back: a purchase of the group in the last 30 days, in any account,
    # would wash a loss realized now (the lot being sold does not wash itself).
    window_start = h.as_of - timedelta(days=WASH_SALE_DAYS)
    recent = [l for l in lots if l.acquired is not None and l.acquired >= window_start]
    loss_blocked: dict[tuple[str, str], str] = {}
    for l in sellable:
        if not l.is_loss:
            continue
        for r in recent:
            if r.key != l.key and groups[r.ticker] == groups[l.ticker]:
                loss_blocked[l.key] = f"{r.ticker} was bought in {r.account} on {r.acquired.isoformat() if r.acquired else 'an unknown date'}, within {WASH_SALE_DAYS} days"
                break

    # Wash sale, looking forward from earlier loss sales: buying back now would wash them.
    buy_blocked: dict[str, str] = {}
    for sale in h.recent_loss_sales:
        until = sale.date + timedelta(days=WASH_SALE_DAYS)
        if until >= h.as_of:
            for t, g in groups.items():
                if g == groups[sale.ticker]:
                    buy_blocked[t] = f"{sale.ticker} was sold at a loss on {sale.date.isoformat()}; no purchase until {until.isoformat()}"

    buyable = [(acct.id, s.ticker) for acct in h.accounts for s in h.securities if not restricted(no_buy, acct.id, s.ticker) and s.ticker not in buy_blocked]
    classes = h.asset_classes()
    for s in h.securities:
        if s.asset_class not in h.targets and s.asset_class != CASH_CLASS:
            warnings.append(f"asset class {s.asset_class!r} of {s.ticker} has no target; it is treated as a 0% target")
    kind: dict[str, str] = {a.id: a.kind for a in h.accounts}
    return TradeUniverse(
        household=h,
        rates=rates,
        location=location_table(h, rates, kind, horizon_years),
        accounts=[a.id for a in h.accounts],
        kind=kind,
        cash={a.id: a.cash for a in h.accounts},
        reserve={a.id: min(a.cash, a.cash_reserve) for a in h.accounts},
        whole_shares={a.id: a.whole_shares for a in h.accounts},
        lots=lots,
        sellable=sellable,
        buyable=buyable,
        wash_group=groups,
        loss_blocked=loss_blocked,
        buy_blocked=buy_blocked,
        classes=classes,
        warnings=sorted(set(warnings), key=warnings.index),
    )
