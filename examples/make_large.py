"""Write examples/large.json: a large household to test the model's size and speed.

Eight accounts of all four kinds, 31 securities in six asset classes, and about 400 taxable
lots bought between 2012 and 2026 at prices that follow each class's history, so the lots
carry realistic gains and losses. A few lots fall inside the 30 days before `as_of` to
exercise the wash-sale look-back. Deterministic: the same seed writes the same file.

    .venv/bin/python examples/make_large.py [--seed N] [--lots-scale F] [--out PATH]
"""
from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2026, 11, 24)
FIRST_DAY = date(2012, 1, 3)

# ticker: (asset class, price on AS_OF in dollars, yield, qualified share, expected return,
#          first day it traded -- no lot may be older than its fund)
SECURITIES = {
    "VTI": ("us_stocks", 331.40, 0.012, 0.95, 0.070, date(2001, 5, 31)),
    "VTSAX": ("us_stocks", 159.80, 0.012, 0.95, 0.070, date(2000, 11, 13)),
    "ITOT": ("us_stocks", 144.85, 0.012, 0.95, 0.070, date(2004, 1, 20)),
    "SCHB": ("us_stocks", 25.62, 0.012, 0.95, 0.070, date(2009, 11, 3)),
    "VOO": ("us_stocks", 610.25, 0.012, 0.95, 0.070, date(2010, 9, 9)),
    "IVV": ("us_stocks", 663.70, 0.012, 0.95, 0.070, date(2000, 5, 19)),
    "VIG": ("us_stocks", 212.30, 0.017, 1.00, 0.068, date(2006, 5, 2)),
    "AAPL": ("us_stocks", 268.50, 0.004, 1.00, 0.075, date(1980, 12, 12)),
    "MSFT": ("us_stocks", 512.40, 0.007, 1.00, 0.075, date(1986, 3, 13)),
    "BRK.B": ("us_stocks", 502.10, 0.000, 1.00, 0.070, date(1996, 5, 9)),
    "JNJ": ("us_stocks", 196.30, 0.027, 1.00, 0.060, date(1944, 9, 25)),
    "VXUS": ("intl_stocks", 72.45, 0.029, 0.70, 0.075, date(2011, 1, 28)),
    "IXUS": ("intl_stocks", 80.10, 0.028, 0.70, 0.075, date(2012, 10, 18)),
    "VEA": ("intl_stocks", 60.35, 0.030, 0.75, 0.075, date(2007, 7, 26)),
    "IEFA": ("intl_stocks", 85.90, 0.030, 0.75, 0.075, date(2012, 10, 18)),
    "VWO": ("intl_stocks", 53.20, 0.031, 0.55, 0.080, date(2005, 3, 4)),
    "IEMG": ("intl_stocks", 65.40, 0.027, 0.55, 0.080, date(2012, 10, 18)),
    "BND": ("bonds", 74.10, 0.038, 0.00, 0.043, date(2007, 4, 10)),
    "AGG": ("bonds", 100.35, 0.037, 0.00, 0.043, date(2003, 9, 22)),
    "SCHZ": ("bonds", 23.45, 0.037, 0.00, 0.043, date(2011, 7, 14)),
    "BNDX": ("bonds", 49.30, 0.042, 0.00, 0.040, date(2013, 6, 4)),
    "VGIT": ("bonds", 60.15, 0.036, 0.00, 0.040, date(2009, 11, 19)),
    "VCIT": ("bonds", 84.20, 0.045, 0.00, 0.048, date(2009, 11, 19)),
    "TIP": ("tips", 110.90, 0.030, 0.00, 0.040, date(2003, 12, 4)),
    "SCHP": ("tips", 26.75, 0.030, 0.00, 0.040, date(2010, 8, 5)),
    "VTIP": ("tips", 50.10, 0.033, 0.00, 0.037, date(2012, 10, 12)),
    "VNQ": ("reits", 90.40, 0.039, 0.15, 0.065, date(2004, 9, 23)),
    "SCHH": ("reits", 21.45, 0.030, 0.15, 0.065, date(2011, 1, 13)),
    "USRT": ("reits", 57.30, 0.030, 0.15, 0.065, date(2007, 5, 1)),
    "SGOV": ("cash", 100.52, 0.042, 0.00, 0.035, date(2020, 5, 26)),
    "BIL": ("cash", 91.55, 0.041, 0.00, 0.035, date(2007, 5, 25)),
}

STOCKS = {"AAPL", "MSFT", "BRK.B", "JNJ"}  # single companies: legacy positions the plan never adds to

# Rough price in early January of each year, per class (a representative fund) or single
# stock, split-adjusted; lots are priced by interpolating these against today's price.
HISTORY = {
    "us_stocks": (331.40, [66, 75, 95, 105, 104, 116, 139, 125, 165, 196, 240, 190, 236, 290, 300]),
    "intl_stocks": (72.45, [42, 48, 52, 49, 45, 48, 58, 49, 57, 62, 62, 52, 58, 58, 71]),
    "bonds": (74.10, [83, 84, 80, 82, 80, 81, 82, 78, 84, 88, 84, 72, 73, 71.5, 74]),
    "tips": (110.90, [117, 121, 111, 113, 109, 113, 114, 107, 116, 127, 128, 107, 108, 107, 110]),
    "reits": (90.40, [58, 66, 70, 82, 81, 82, 83, 73, 93, 85, 114, 82, 89, 89, 89]),
    "cash": (1.0, [1.0] * 15),
    "AAPL": (268.50, [14.5, 19, 20, 27, 26, 29, 43, 39, 75, 132, 178, 125, 185, 245, 250]),
    "MSFT": (512.40, [26, 27, 37, 46, 55, 62, 86, 101, 158, 222, 336, 240, 370, 420, 485]),
    "BRK.B": (502.10, [76, 88, 115, 150, 130, 165, 198, 205, 228, 230, 300, 308, 360, 455, 480]),
    "JNJ": (196.30, [65, 70, 92, 104, 103, 115, 139, 129, 146, 157, 171, 177, 157, 145, 190]),
}
HISTORY_YEARS = range(2012, 2027)

TARGETS = {"us_stocks": 0.48, "intl_stocks": 0.17, "bonds": 0.22, "tips": 0.05, "reits": 0.04, "cash": 0.04}

# Tickers each taxable account buys, with how often (relative weight), and its lot count.
TAXABLE = {
    "joint-taxable": (200, {"VTI": 14, "ITOT": 4, "VOO": 8, "VIG": 4, "AAPL": 2, "VXUS": 8, "VEA": 4, "VWO": 3,
                            "BND": 14, "AGG": 5, "TIP": 3, "VNQ": 3, "SGOV": 3}),
    "trust-taxable": (120, {"VOO": 6, "IVV": 6, "BRK.B": 3, "JNJ": 3, "VEA": 3, "IEFA": 3, "BNDX": 5,
                            "VCIT": 7, "SCHH": 2, "BIL": 2}),
    "tom-taxable": (80, {"SCHB": 6, "MSFT": 3, "IXUS": 3, "IEMG": 2, "SCHZ": 3, "SCHP": 2, "USRT": 1}),
}

# Purchases in the 30 days before AS_OF: (account, ticker, days before AS_OF, dollars).
# The IRA and 401(k) buys count too: a loss in a taxable account is washed by them.
RECENT = [
    ("joint-taxable", "BND", 14, 12_000),
    ("joint-taxable", "VTI", 10, 15_000),
    ("trust-taxable", "SCHH", 21, 6_000),
    ("tom-taxable", "SCHZ", 25, 3_000),
    ("tom-taxable", "IEMG", 5, 2_500),
    ("tom-401k", "VTSAX", 10, 1_150),
    ("priya-ira", "AGG", 19, 900),
]

# Tax-advantaged accounts: id -> (kind, owner, birth year, cash, {ticker: dollars held}).
ADVANTAGED = {
    "tom-401k": ("traditional", "Tom", 1966, 0.0,
                 {"VTSAX": 420_000, "VXUS": 160_000, "BND": 330_000, "VTIP": 70_000, "SGOV": 45_000}),
    "priya-ira": ("traditional", "Priya", 1968, 4_200.0,
                  {"VTI": 150_000, "AGG": 220_000, "VGIT": 90_000, "VNQ": 85_000, "SCHP": 40_000}),
    "tom-roth": ("roth", "Tom", 1966, 0.0, {"VTI": 120_000, "VWO": 60_000, "IEMG": 45_000}),
    "priya-roth": ("roth", "Priya", 1968, 1_100.0, {"VOO": 95_000, "VXUS": 55_000, "USRT": 25_000}),
    "family-hsa": ("hsa", "Tom", 1966, 3_500.0, {"VTI": 38_000, "VXUS": 12_000}),
}


def history_price(ticker: str, on: date, rng: random.Random) -> float:
    """What one share of `ticker` cost on `on`: the class path scaled to today's price,
    with a few percent of noise for the moves inside a year."""
    klass = SECURITIES[ticker][0]
    today_anchor, path = HISTORY.get(ticker, HISTORY[klass])
    points = [(date(y, 1, 3), p) for y, p in zip(HISTORY_YEARS, path)] + [(AS_OF, today_anchor)]
    for (d0, p0), (d1, p1) in zip(points, points[1:]):
        if d0 <= on <= d1:
            anchor = p0 + (p1 - p0) * (on - d0).days / max((d1 - d0).days, 1)
            break
    else:
        anchor = today_anchor
    wiggle = rng.uniform(0.998, 1.002) if klass == "cash" else rng.uniform(0.95, 1.05)
    return SECURITIES[ticker][1] * anchor / today_anchor * wiggle


def random_day(rng: random.Random, since: date) -> date:
    start = max(FIRST_DAY, since + timedelta(days=30))
    # Stop 45 days short of AS_OF: the only recent lots are the deliberate ones in RECENT.
    end = AS_OF - timedelta(days=45)
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def taxable_lot(rng: random.Random, ticker: str, on: date, dollars: float, whole: bool) -> dict:
    cost = history_price(ticker, on, rng)
    shares = max(1, round(dollars / cost)) if whole else round(dollars / cost, 3)
    return {"ticker": ticker, "shares": shares, "cost_basis": round(shares * cost, 2), "acquired": on.isoformat()}


def with_ids(lots: list[dict]) -> list[dict]:
    """Sorted by ticker and date; ids like VTI-20170314 read as what they are."""
    out, seen = [], set()
    for lot in sorted(lots, key=lambda l: (l["ticker"], l.get("acquired", ""))):
        base = f"{lot['ticker']}-{lot['acquired'].replace('-', '')}" if "acquired" in lot else f"{lot['ticker']}-held"
        lot_id, n = base, 1
        while lot_id in seen:
            n += 1
            lot_id = f"{base}-{n}"
        seen.add(lot_id)
        out.append({"id": lot_id, **lot})
    return out


def household(seed: int, lots_scale: float, whole_shares: bool) -> dict:
    rng = random.Random(seed)
    accounts = []
    # Tom's broker sells no fractional shares: his lots are whole either way; the flag only
    # says whether the plan must trade whole shares there too.
    whole_lots = {"tom-taxable"}
    for acct, (count, weights) in TAXABLE.items():
        tickers, w = list(weights), list(weights.values())
        lots = []
        for _ in range(max(1, round(count * lots_scale))):
            t = rng.choices(tickers, w)[0]
            # Dollar sizes skew small, as regular contributions do, with the odd large lump.
            dollars = rng.lognormvariate(8.7, 0.8) if acct != "tom-taxable" else rng.lognormvariate(8.0, 0.6)
            lots.append(taxable_lot(rng, t, random_day(rng, SECURITIES[t][5]), dollars, acct in whole_lots))
        for a, t, days, dollars in RECENT:
            if a == acct:
                lots.append(taxable_lot(rng, t, AS_OF - timedelta(days=days), dollars, acct in whole_lots))
        accounts.append({
            "id": acct, "kind": "taxable",
            "owner": {"joint-taxable": "Priya & Tom", "trust-taxable": "Chandra Family Trust", "tom-taxable": "Tom"}[acct],
            "cash": {"joint-taxable": 24_800.0, "trust-taxable": 11_950.0, "tom-taxable": 2_310.0}[acct],
            "cash_reserve": {"joint-taxable": 10_000.0, "trust-taxable": 5_000.0, "tom-taxable": 0.0}[acct],
            "whole_shares": whole_shares and acct in whole_lots,
            "holdings": with_ids(lots),
        })
    for acct, (kind, owner, born, cash, held) in ADVANTAGED.items():
        lots = [{"ticker": t, "shares": round(d / SECURITIES[t][1], 3)} for t, d in held.items()]
        for a, t, days, dollars in RECENT:
            if a == acct:
                lots.append({"ticker": t, "shares": round(dollars / SECURITIES[t][1], 3),
                             "acquired": (AS_OF - timedelta(days=days)).isoformat()})
        accounts.append({"id": acct, "kind": kind, "owner": owner, "birth_year": born, "cash": cash, "holdings": with_ids(lots)})
    return {
        "name": "Chandra-Whitfield household",
        "as_of": AS_OF.isoformat(),
        "tax": {"filing_status": "married_joint", "taxable_income": 465_000, "state_rate": 0.0575,
                "loss_carryforward": 8_400.0},
        "targets": TARGETS,
        "securities": [
            {"ticker": t, "asset_class": c, "price": p, "yield": y, "qualified_share": q, "expected_return": r} | ({"kind": "stock"} if t in STOCKS else {})
            for t, (c, p, y, q, r, _) in SECURITIES.items()
        ],
        "accounts": accounts,
        "restrictions": [
            {"account": "joint-taxable", "ticker": "AAPL", "rule": "no_sell"},
            {"account": "trust-taxable", "ticker": "BRK.B", "rule": "no_sell"},
            {"account": "trust-taxable", "ticker": "JNJ", "rule": "hold"},
            {"account": "tom-taxable", "ticker": "MSFT", "rule": "hold"},
            {"account": "joint-taxable", "ticker": "TIP", "rule": "no_buy"},
        ],
        # VTSAX is a share class of the same fund as VTI; VOO and IVV track the same index and
        # are treated as identical here, the conservative reading.
        "identical": [["VTI", "VTSAX"], ["VOO", "IVV"]],
        "substitutes": [["VTI", "VTSAX", "ITOT", "SCHB"], ["VOO", "IVV"], ["VXUS", "IXUS"], ["VEA", "IEFA"],
                        ["VWO", "IEMG"], ["BND", "AGG", "SCHZ"], ["TIP", "SCHP"], ["VNQ", "SCHH", "USRT"], ["SGOV", "BIL"]],
        "recent_loss_sales": [{"ticker": "IEFA", "date": "2026-11-06"}],
    }


def dumps(h: dict) -> str:
    """Indented JSON with one security, lot or rule per line, so diffs stay readable."""
    def inline(x) -> str:
        return json.dumps(x, separators=(", ", ": "))

    lines = ["{"]
    items = list(h.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "accounts":
            lines.append('  "accounts": [')
            for j, acct in enumerate(value):
                head = inline({k: v for k, v in acct.items() if k != "holdings"})[:-1]
                lines.append(f'    {head}, "holdings": [')
                lots = acct["holdings"]
                lines += [f"      {inline(l)}" + ("," if k < len(lots) - 1 else "") for k, l in enumerate(lots)]
                lines.append("    ]}" + ("," if j < len(value) - 1 else ""))
            lines.append("  ]" + comma)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f'  "{key}": [')
            lines += [f"    {inline(v)}" + ("," if k < len(value) - 1 else "") for k, v in enumerate(value)]
            lines.append("  ]" + comma)
        else:
            lines.append(f'  "{key}": {inline(value)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--lots-scale", type=float, default=1.0, help="multiply each taxable account's lot count")
    # Off by default: GLPK rejects the integer buy variables of a whole-share account when
    # their upper bound (dollars affordable / price) is fractional.
    parser.add_argument("--whole-shares", action="store_true", help="make tom-taxable trade whole shares only")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("large.json"))
    args = parser.parse_args()
    args.out.write_text(dumps(household(args.seed, args.lots_scale, args.whole_shares)))


if __name__ == "__main__":
    main()
