"""Hypothesis strategies for small, valid households and the options a tool is run with.

Small on purpose: 2-4 accounts, 3-6 securities, 1-4 lots per holding, so one rebalance
(household model, per-account baseline and location LPs) solves in well under a second.
Lots are drawn to straddle every boundary the engine cares about: gains and losses, held
less and more than a year (including the exact anniversary), and bought within the 30-day
wash-sale window.
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from engine import Household, Options, parse_household

KINDS = ("taxable", "traditional", "roth", "hsa")
FILING = ("single", "married_joint", "married_separate", "head_of_household")
RULES = ("no_sell", "no_buy", "hold")


def _money(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Dollars with cents, as a household file would give them."""
    return st.integers(int(lo * 100), int(hi * 100)).map(lambda c: c / 100)


# Days a lot was bought before as_of. 0-30 falls in the wash-sale window; 365 is sold on its
# first anniversary (still short-term), 366 the day after (long-term).
_days_held = st.one_of(
    st.integers(0, 30),
    st.integers(31, 364),
    st.sampled_from([364, 365, 366, 367]),
    st.integers(367, 3000),
)


def _acquired(as_of: date, days: int) -> date:
    d = as_of - timedelta(days=days)
    # A lot bought on 29 February has no plain anniversary; keep the term unambiguous.
    return d - timedelta(days=1) if (d.month, d.day) == (2, 29) else d


@st.composite
def household_data(draw, *, max_accounts: int = 4) -> dict:
    """A decoded household JSON object that `parse_household` accepts."""
    as_of = draw(st.dates(min_value=date(2025, 1, 15), max_value=date(2026, 12, 20)))
    n_classes = draw(st.integers(2, 4))
    classes = [f"class{i}" for i in range(n_classes)]
    n_securities = draw(st.integers(max(3, n_classes), 6))
    securities = []
    for i in range(n_securities):
        # The first securities cover every class, so each targeted class can be bought.
        asset_class = classes[i] if i < n_classes else draw(st.sampled_from(classes))
        securities.append({
            "ticker": f"T{i}",
            "asset_class": asset_class,
            "price": draw(_money(5, 400)),
            "yield": draw(st.sampled_from([0.0, 0.01, 0.02, 0.035, 0.05])),
            "qualified_share": draw(st.sampled_from([0.0, 0.5, 0.95, 1.0])),
            "expected_return": draw(st.sampled_from([0.02, 0.04, 0.06, 0.08, 0.1])),
        })
    tickers = [s["ticker"] for s in securities]
    price = {s["ticker"]: s["price"] for s in securities}

    # Integer percentages keep the targets summing to exactly one.
    with_cash = draw(st.booleans())
    parts = classes + (["cash"] if with_cash else [])
    weights = draw(st.lists(st.integers(0, 10), min_size=len(parts), max_size=len(parts)).filter(lambda w: sum(w) > 0))
    percents = [100 * w // sum(weights) for w in weights]
    percents[0] += 100 - sum(percents)
    targets = {c: p / 100 for c, p in zip(parts, percents)}

    n_accounts = draw(st.integers(2, max_accounts))
    kinds = ["taxable"] + [draw(st.sampled_from(KINDS)) for _ in range(n_accounts - 1)]
    accounts = []
    for k, kind in enumerate(kinds):
        whole = draw(st.integers(0, 3)) == 0
        taxable = kind == "taxable"
        held = draw(st.lists(st.sampled_from(tickers), min_size=1, max_size=3, unique=True))
        lots = []
        for t in held:
            for _ in range(draw(st.integers(1, 4))):
                # Lots of roughly $100-$12,000 keep the household small and every trade meaningful.
                max_shares = max(1, int(12_000 / price[t]))
                if whole:
                    shares = float(draw(st.integers(1, max_shares)))
                else:
                    shares = draw(st.integers(1, max_shares * 100)) / 100
                lot: dict = {"ticker": t, "shares": shares}
                dated = taxable or draw(st.booleans())  # IRA purchases can wash a loss too
                if dated:
                    lot["acquired"] = _acquired(as_of, draw(_days_held)).isoformat()
                if taxable:
                    basis_per_share = price[t] * draw(st.sampled_from([0.4, 0.7, 0.9, 1.0, 1.1, 1.3, 1.6]))
                    lot["cost_basis"] = round(shares * basis_per_share, 2)
                lots.append(lot)
        accounts.append({
            "id": f"{kind[:3]}{k}",
            "kind": kind,
            "cash": draw(st.one_of(st.just(0.0), _money(0, 5_000))),
            "cash_reserve": draw(st.one_of(st.just(0.0), _money(0, 3_000))),
            "whole_shares": whole,
            "holdings": lots,
        })
    ids = [a["id"] for a in accounts]

    restrictions = []
    for _ in range(draw(st.integers(0, 2))):
        restrictions.append({
            "account": draw(st.sampled_from(ids)),
            "ticker": draw(st.one_of(st.none(), st.sampled_from(tickers))),
            "rule": draw(st.sampled_from(RULES)),
        })
    identical = []
    if draw(st.booleans()):
        identical.append(draw(st.lists(st.sampled_from(tickers), min_size=2, max_size=2, unique=True)))
    recent_loss_sales = []
    if draw(st.integers(0, 3)) == 0:
        recent_loss_sales.append({"ticker": draw(st.sampled_from(tickers)), "date": (as_of - timedelta(days=draw(st.integers(1, 45)))).isoformat()})

    return {
        "name": "generated household",
        "as_of": as_of.isoformat(),
        "tax": {
            "filing_status": draw(st.sampled_from(FILING)),
            "taxable_income": float(draw(st.integers(0, 800_000))),
            "state_rate": draw(st.sampled_from([0.0, 0.03, 0.05, 0.093])),
            "loss_carryforward": draw(st.one_of(st.just(0.0), _money(0, 20_000))),
        },
        "targets": targets,
        "securities": securities,
        "accounts": accounts,
        "restrictions": restrictions,
        "identical": identical,
        "recent_loss_sales": recent_loss_sales,
    }


def households(**kwargs) -> st.SearchStrategy[Household]:
    return household_data(**kwargs).map(parse_household)


# Seconds per solve. A few whole-share households take HiGHS 15 s to prove a 1e-6 gap around a plan
# it found in under 2; properties hold for any plan returned, so a short limit keeps the search fast.
TIME_LIMIT = 2.0


def options(gain_budget: st.SearchStrategy | None = None) -> st.SearchStrategy[Options]:
    """Default options, sometimes with a gain budget (dollars, never negative: doing nothing must stay feasible)."""
    budget = gain_budget if gain_budget is not None else st.one_of(st.none(), st.none(), st.just(0.0), _money(0, 3_000))
    return budget.map(lambda b: Options(gain_budget=b, time_limit=TIME_LIMIT))


def hard_household(seed: int = 7, accounts: int = 8, securities: int = 16, lots_per_holding: int = 4) -> Household:
    """A deterministic, larger household (whole shares, many lots, identical pairs) that takes a
    MILP solver well over a few milliseconds: for time-limit tests, not for properties."""
    import random

    rng = random.Random(seed)
    as_of = date(2026, 11, 24)
    classes = ["us", "intl", "bonds", "tips", "reits"]
    secs = [
        {"ticker": f"S{i}", "asset_class": classes[i % len(classes)], "price": round(rng.uniform(20, 400), 2),
         "yield": round(rng.uniform(0, 0.045), 3), "qualified_share": rng.choice([0.0, 0.6, 1.0]),
         "expected_return": round(rng.uniform(0.03, 0.09), 3)}
        for i in range(securities)
    ]
    accts = []
    for k in range(accounts):
        kind = ["taxable", "traditional", "roth", "taxable"][k % 4]
        lots = []
        for s in rng.sample(secs, 6):
            for _ in range(lots_per_holding):
                shares = float(rng.randint(5, 80))
                lot: dict = {"ticker": s["ticker"], "shares": shares}
                if kind == "taxable":
                    lot["cost_basis"] = round(shares * s["price"] * rng.uniform(0.5, 1.5), 2)
                    lot["acquired"] = (as_of - timedelta(days=rng.randint(1, 3000))).isoformat()
                lots.append(lot)
        accts.append({"id": f"acct{k}", "kind": kind, "cash": round(rng.uniform(0, 3000), 2), "whole_shares": k % 2 == 0, "holdings": lots})
    return parse_household({
        "name": f"hard household {seed}", "as_of": as_of.isoformat(),
        "tax": {"filing_status": "married_joint", "taxable_income": 300_000, "state_rate": 0.05},
        "targets": {"us": 0.35, "intl": 0.2, "bonds": 0.3, "tips": 0.05, "reits": 0.05, "cash": 0.05},
        "securities": secs, "accounts": accts,
        "identical": [["S0", "S5"], ["S1", "S6"], ["S2", "S7"]],
    })
