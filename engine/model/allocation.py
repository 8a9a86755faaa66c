"""The allocation as the model sees it: one line per asset class (its dollars against its target
share of the household) and, for a class the model portfolio splits (VTI 70 / VXF 30), one line
per model fund (its dollars against its share of the class's model funds). Drift is measured on
these lines, by the drift term and by the cap the allocation stage hands the tax stage.

  line value   class c: sum of value_after[a, t] of t in c (+ every account's cash for cash)
               fund s of a split class c: sum of value_after[a, s]
  line target  class c: target_c * total_after
               fund s: weight_s * sum of the class's split funds' value_after
  band         width_line * the household's value once the flows have moved (dollars)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyomo.environ as pyo

from ..household import CASH_CLASS, Household, Tolerance
from ..plan import Plan, holdings_after
from ..universe import TradeUniverse
from .frame import Frame


@dataclass(frozen=True)
class Line:
    name: str  # the class, or "class/ticker" for a fund of a split class
    asset_class: str
    tickers: frozenset[str] | None  # None: every ticker of the class
    share: float  # target share: of the household (class) or of the class's split funds (fund)
    split: frozenset[str] = frozenset()  # a fund line: the funds its target is a share of


def lines_of(u: TradeUniverse) -> list[Line]:
    """The classes in the universe's order, then each split class's funds."""
    h = u.household
    out = [Line(c, c, None, h.target(c)) for c in u.classes]
    for c in u.classes:
        split = h.class_split(c)
        if split and len(split) > 1:
            out += [Line(f"{c}/{t}", c, frozenset([t]), w, frozenset(split)) for t, w in split.items()]
    return out


def band_widths(h: Household, default: Tolerance | None = None) -> dict[str, float]:
    """Per asset class, the fraction of the household it may drift either way: its own band, or
    the household default (0.03 when neither sets one)."""
    tol = default or h.tolerance
    out = {}
    for c in h.asset_classes():
        own = tol.classes[c].width(h.target(c)) if c in tol.classes else None
        fallback = tol.width(h.target(c))
        out[c] = own if own is not None else (fallback if fallback is not None else 0.03)
    return out


def add_lines(m: pyo.ConcreteModel, f: Frame) -> None:
    """m.LINES, m.line_value[l], m.line_target[l] and m.total_after, once per model."""
    if hasattr(m, "LINES"):
        return
    u = f.u
    lines = lines_of(u)
    by_ticker: dict[str, list] = defaultdict(list)
    for a, t in m.HOLDINGS:
        by_ticker[t].append((a, t))
    classes = defaultdict(list)
    for t in by_ticker:
        classes[u.asset_class(t)].append(t)

    def dollars(tickers) -> pyo.Expression:
        return sum(m.value_after[p] for t in tickers for p in by_ticker.get(t, ()))

    m.LINES = pyo.Set(initialize=[l.name for l in lines], ordered=True)
    spec = {l.name: l for l in lines}

    def line_value(m, name):
        line = spec[name]
        v = dollars(classes[line.asset_class] if line.tickers is None else line.tickers)
        return v + sum(m.cash_after[a] for a in m.ACCOUNTS) if line.tickers is None and line.asset_class == CASH_CLASS else v

    m.line_value = pyo.Expression(m.LINES, rule=line_value)
    m.total_after = pyo.Expression(expr=sum(m.line_value[l.name] for l in lines if l.tickers is None))

    def line_target(m, name):
        line = spec[name]
        return line.share * (m.total_after if line.tickers is None else dollars(line.split))

    m.line_target = pyo.Expression(m.LINES, rule=line_target)


def line_values(f: Frame, plan: Plan) -> dict[str, tuple[float, float]]:
    """Per line, (dollars, target dollars) after the plan: the same formulas as `add_lines`."""
    u = f.u
    values, cash = holdings_after(u, plan, f.trading.cost_rate)
    per_ticker: dict[str, float] = defaultdict(float)
    for (_, t), v in values.items():
        per_ticker[t] += v
    per_class = {c: 0.0 for c in u.classes}
    for t, v in per_ticker.items():
        per_class[u.asset_class(t)] += v
    per_class[CASH_CLASS] += sum(cash.values())
    total = sum(per_class.values())
    out = {}
    for line in lines_of(u):
        if line.tickers is None:
            out[line.name] = (per_class[line.asset_class], line.share * total)
        else:
            out[line.name] = (sum(per_ticker[t] for t in line.tickers), line.share * sum(per_ticker[t] for t in line.split))
    return out


def band_dollars(f: Frame, widths: dict[str, float], default: float, line: Line) -> float:
    """Dollars the line may drift either way: its class's band width * the household's value."""
    return widths.get(line.asset_class, default) * f.flows.value_after(f.u)
