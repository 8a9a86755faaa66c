"""Synthetic households for benchmarks and batch tests: sizes S, M, L, XL, deterministic by seed.

Each household has taxable, traditional, Roth and HSA accounts; securities in six asset classes
whose prices follow a seeded monthly random walk from 2013 to `as_of`, so lots bought on
different days carry realistic gains and losses (and some short-term ones); a few purchases
inside the 30-day wash-sale window; identical share classes, substitutes, restrictions and one
recent loss sale. Holdings lean away from the target (equities up, bonds down) and sit in
mixed account kinds, so rebalancing, harvesting and location all have work to do.

    .venv/bin/python bench/generate.py --size M --seed 7 --out /tmp/m.json
    .venv/bin/python bench/generate.py --size S --book 20 --out book/   # household-000.json ...
"""
from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path


@dataclass(frozen=True)
class Size:
    accounts: int
    securities: int
    lots: int


SIZES = {
    "S": Size(3, 15, 60),
    "M": Size(6, 50, 500),
    "L": Size(12, 120, 2_000),
    "XL": Size(20, 250, 8_000),
}

AS_OF = date(2026, 11, 24)
HISTORY_START = date(2013, 1, 2)

# class: (share of tickers, ticker prefix, annual drift, annual volatility, yield, qualified share,
#         expected return, typical price in dollars)
CLASSES = {
    "us_stocks": (0.34, "US", 0.10, 0.17, 0.013, 0.95, 0.070, 250.0),
    "intl_stocks": (0.22, "IN", 0.05, 0.17, 0.029, 0.70, 0.075, 65.0),
    "bonds": (0.22, "BD", 0.00, 0.06, 0.038, 0.00, 0.043, 80.0),
    "tips": (0.08, "TP", 0.01, 0.06, 0.030, 0.00, 0.040, 105.0),
    "reits": (0.08, "RE", 0.05, 0.20, 0.038, 0.15, 0.065, 85.0),
    "cash": (0.06, "MM", 0.00, 0.002, 0.042, 0.00, 0.035, 100.0),
}
TARGETS = {"us_stocks": 0.45, "intl_stocks": 0.17, "bonds": 0.25, "tips": 0.05, "reits": 0.04, "cash": 0.04}
# What the household actually buys, by class: equities have run ahead of the target.
HELD_MIX = {"us_stocks": 0.52, "intl_stocks": 0.16, "bonds": 0.20, "tips": 0.04, "reits": 0.05, "cash": 0.03}
KIND_CYCLE = ["taxable", "traditional", "roth", "taxable", "traditional", "hsa", "taxable", "roth", "traditional", "taxable"]
TAXABLE_LOT_SHARE = 0.7  # most lots are in taxable accounts, as regular purchases are


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _securities(rng: random.Random, n: int) -> tuple[list[dict], dict[str, list[float]]]:
    """Tickers with today's price and a monthly price path ending at today's price."""
    counts = {c: max(1, round(share * n)) for c, (share, *_) in CLASSES.items()}
    while sum(counts.values()) > n:
        counts[max(counts, key=counts.get)] -= 1
    while sum(counts.values()) < n:
        counts["us_stocks"] += 1
    months = _months_between(HISTORY_START, AS_OF) + 1
    securities, paths = [], {}
    for c, k in counts.items():
        _, prefix, mu, sigma, y, q, r, typical = CLASSES[c]
        for i in range(k):
            ticker = f"{prefix}{i + 1:03d}"
            price = round(typical * math.exp(rng.gauss(0, 0.4)), 2)
            # Walk back from today: price on month m before today = price / growth since then.
            log_growth, path = 0.0, [price]
            for _ in range(months - 1):
                log_growth += rng.gauss((mu - sigma**2 / 2) / 12, sigma / math.sqrt(12))
                path.append(price * math.exp(-log_growth))
            paths[ticker] = path[::-1]  # index 0 = HISTORY_START's month
            securities.append({
                "ticker": ticker, "asset_class": c, "price": price,
                "yield": round(max(0.0, y + rng.uniform(-0.004, 0.004)), 4), "qualified_share": q,
                "expected_return": round(r + rng.uniform(-0.005, 0.005), 4),
            })
    return securities, paths


def _price_on(paths: dict[str, list[float]], ticker: str, day: date, rng: random.Random) -> float:
    m = min(max(_months_between(HISTORY_START, day), 0), len(paths[ticker]) - 1)
    return paths[ticker][m] * rng.uniform(0.98, 1.02)


def _accounts(rng: random.Random, n: int) -> list[dict]:
    out = []
    for i in range(n):
        kind = KIND_CYCLE[i % len(KIND_CYCLE)]
        owner = ("alex", "sam")[i % 2]
        acct = {"id": f"{owner}-{kind}-{i + 1}", "kind": kind, "owner": owner.title(),
                "cash": round(rng.uniform(200, 6_000), 2), "holdings": []}
        if kind == "taxable":
            acct["cash_reserve"] = float(rng.choice([0, 500, 1_000, 2_500]))
        else:
            acct["birth_year"] = 1960 + rng.randrange(15)
        out.append(acct)
    return out


def household(size: str = "M", seed: int = 0) -> dict:
    """A valid household JSON object of the given size; the same (size, seed) gives the same object."""
    spec = SIZES[size]
    rng = random.Random(f"{size}-{seed}")
    securities, paths = _securities(rng, spec.securities)
    by_class: dict[str, list[str]] = {}
    for s in securities:
        by_class.setdefault(s["asset_class"], []).append(s["ticker"])
    accounts = _accounts(rng, spec.accounts)
    taxable = [a for a in accounts if a["kind"] == "taxable"]
    advantaged = [a for a in accounts if a["kind"] != "taxable"]
    n_taxable = round(spec.lots * TAXABLE_LOT_SHARE) if advantaged else spec.lots
    # Each account holds a subset of tickers (a manager's model portfolio), about 40% of them.
    universe = [s["ticker"] for s in securities]
    holds = {a["id"]: rng.sample(universe, max(3, round(0.4 * len(universe)))) for a in accounts}
    klass = {s["ticker"]: s["asset_class"] for s in securities}
    first_day, last_day = HISTORY_START, AS_OF - timedelta(days=45)

    price = {s["ticker"]: s["price"] for s in securities}
    classes = list(HELD_MIX)

    def pick(acct: dict) -> str:
        c = rng.choices(classes, [HELD_MIX[c] for c in classes])[0]
        own = [t for t in holds[acct["id"]] if klass[t] == c]
        return rng.choice(own or by_class[c])

    def buy_lot(acct: dict, day: date) -> dict:
        t = pick(acct)
        cost = _price_on(paths, t, day, rng)
        # Sized by today's value, so the household's mix today is near HELD_MIX (a drifted
        # portfolio, not one that has never been rebalanced); mostly regular contributions,
        # the odd large lump.
        dollars_now = rng.lognormvariate(8.8, 0.8)
        shares = round(dollars_now / price[t], 3) or 0.001
        lot = {"ticker": t, "shares": shares}
        if acct["kind"] == "taxable":
            lot |= {"cost_basis": round(shares * cost, 2), "acquired": day.isoformat()}
        return lot

    recent_count = max(1, spec.lots // 200)
    for i in range(n_taxable):
        acct = taxable[i % len(taxable)]
        day = first_day + timedelta(days=rng.randrange((last_day - first_day).days))
        acct["holdings"].append(buy_lot(acct, day))
    for i in range(spec.lots - n_taxable):
        acct = advantaged[i % len(advantaged)]
        lot = buy_lot(acct, first_day)
        # Contributions to tax-advantaged accounts are larger and fewer.
        lot["shares"] = round(lot["shares"] * 3, 3)
        acct["holdings"].append(lot)
    # Purchases inside the wash-sale window, in any account kind: they block some loss sales.
    for i in range(recent_count):
        acct = accounts[rng.randrange(len(accounts))]
        lot = acct["holdings"][rng.randrange(len(acct["holdings"]))]
        lot["acquired"] = (AS_OF - timedelta(days=rng.randrange(3, 28))).isoformat()
        if acct["kind"] == "taxable":
            lot["cost_basis"] = round(lot["shares"] * _price_on(paths, lot["ticker"], AS_OF, rng), 2)
    for acct in accounts:
        ids: dict[str, int] = {}
        for lot in sorted(acct["holdings"], key=lambda l: (l["ticker"], l.get("acquired", ""))):
            ids[lot["ticker"]] = ids.get(lot["ticker"], 0) + 1
            lot["id"] = f"{lot['ticker']}-{ids[lot['ticker']]}"
        acct["holdings"] = [{"id": l.pop("id"), **l} for l in acct["holdings"]]

    # Share classes of one fund are identical for the wash-sale rule; funds tracking the same
    # index substitute for each other (harvest replacements).
    identical, substitutes = [], []
    for c, tickers in by_class.items():
        if c == "cash":
            continue
        if len(tickers) >= 4:
            identical.append(tickers[:2])
        for j in range(0, len(tickers) - 1, 3):
            group = tickers[j:j + 3]
            if len(group) > 1:
                substitutes.append(group)
    if len(by_class["cash"]) > 1:
        substitutes.append(by_class["cash"][:2])

    restrictions = []
    for k, acct in enumerate(taxable[: max(1, spec.accounts // 4)]):
        held = sorted({l["ticker"] for l in acct["holdings"]})
        restrictions.append({"account": acct["id"], "ticker": held[k % len(held)], "rule": "no_sell"})
        restrictions.append({"account": acct["id"], "ticker": by_class["tips"][0], "rule": "no_buy"})
    if advantaged:
        held = sorted({l["ticker"] for l in advantaged[0]["holdings"]})
        restrictions.append({"account": advantaged[0]["id"], "ticker": held[-1], "rule": "hold"})
    loss_sale = by_class["reits"][-1]

    return {
        "name": f"Synthetic {size} household #{seed}",
        "as_of": AS_OF.isoformat(),
        "tax": {"filing_status": rng.choice(["married_joint", "married_joint", "single"]),
                "taxable_income": float(rng.choice([95_000, 180_000, 240_000, 410_000, 650_000])),
                "state_rate": rng.choice([0.0, 0.04, 0.05, 0.0575, 0.093])},
        "targets": TARGETS,
        "securities": securities,
        "accounts": accounts,
        "restrictions": restrictions,
        "identical": identical,
        "substitutes": substitutes,
        "recent_loss_sales": [{"ticker": loss_sale, "date": (AS_OF - timedelta(days=12)).isoformat()}],
    }


def household_value(h: dict) -> float:
    """Dollars held, cash included (for scaling withdrawal amounts)."""
    price = {s["ticker"]: s["price"] for s in h["securities"]}
    return sum(a["cash"] + sum(l["shares"] * price[l["ticker"]] for l in a["holdings"]) for a in h["accounts"])


def write_book(folder: Path, count: int, size: str = "S", first_seed: int = 0) -> list[Path]:
    """`count` households of one size, household-000.json, household-001.json, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        p = folder / f"household-{i:03d}.json"
        p.write_text(json.dumps(household(size, first_seed + i)))
        paths.append(p)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="M")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--book", type=int, metavar="N", help="write N households (seeds SEED..SEED+N-1) into the folder --out")
    parser.add_argument("--out", type=Path, required=True, help="household JSON file, or folder with --book")
    args = parser.parse_args()
    if args.book:
        write_book(args.out, args.book, args.size, args.seed)
    else:
        args.out.write_text(json.dumps(household(args.size, args.seed), indent=1))


if __name__ == "__main__":
    main()
