"""Why a plan leaves an allocation line off its target: the report's answer, one line per class
(or split fund) more than 0.1 percentage point off, naming what stands in the way."""

from __future__ import annotations

from collections import defaultdict

from .model import DriftPenalty, Scenario, lines_of
from .model.allocation import band_dollars, line_values
from .plan import Plan
from .universe import TradeUniverse

NOTE_FROM = 0.001  # fraction of the household: closer to target than this needs no explanation


def _money(x: float) -> str:
    return f"${x:,.2f}"


def off_target_notes(u: TradeUniverse, sc: Scenario, plan: Plan) -> list[str]:
    drift = sc.find(DriftPenalty)
    if drift is None:
        return []
    f = sc.frame(u)
    widths, lines = dict(drift.bands), {l.name: l for l in lines_of(u)}
    total = f.flows.value_after(u) or 1.0
    h = u.household
    sold: dict[tuple[str, str], float] = defaultdict(float)
    for key, shares in plan.sells.items():
        sold[key] += shares
    no_sell = {l.key for l in u.lots} - {l.key for l in u.sellable}
    # What each position still holds after the plan, and the gain its sale would realize.
    left: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # value, gain, value that may not be sold
    for lot in u.lots:
        shares = lot.shares - sold.get(lot.key, 0.0)
        if shares <= 1e-9:
            continue
        row = left[(lot.account, lot.ticker)]
        row[0] += shares * lot.price
        row[1] += shares * lot.gain_per_share
        if lot.key in no_sell:
            row[2] += shares * lot.price
    notes = []
    for name, (value, target) in line_values(f, plan).items():
        dev = value - target
        if abs(dev) <= NOTE_FROM * total:
            continue
        line = lines[name]
        band = band_dollars(f, widths, drift.tolerance, line)
        where = "inside" if abs(dev) <= band + 0.005 else "beyond"
        head = f"{name}: {100 * dev / total:+.2f} pp from target after the plan, {where} its {100 * band / total:.2f} pp band"
        if dev < 0:
            buyable = any(u.asset_class(t) == line.asset_class and (line.tickers is None or t in line.tickers) for _, t in u.buyable)
            why = "nothing on its buy list may be bought" if not buyable else "buying more would need cash that only sales costing tax (or breaking a rule) would raise"
            notes.append(f"{head}: {why}")
            continue
        held = sorted(
            ((p, v) for p, v in left.items() if u.asset_class(p[1]) == line.asset_class and (line.tickers is None or p[1] in line.tickers)),
            key=lambda pv: -pv[1][0],
        )
        reasons = []
        for (a, t), (v, gain, locked) in held[:3]:
            role = h.role(t)
            status = "restricted" if role == "restricted" or locked >= v - 0.005 else ("held (legacy position, never bought)" if role == "hold" else "held")
            tax = f"sale would realize {_money(gain)}" if u.kind[a] == "taxable" else "sale would realize no tax (tax-advantaged account)"
            reasons.append(f"{t} in {a} ({_money(v)}): {status}, {tax}")
        notes.append(f"{head}: " + ("; ".join(reasons) if reasons else "its cash is kept by reserves or minimum trades"))
    return notes
