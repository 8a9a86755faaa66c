"""Asset location: what holding a dollar of a security in each account kind costs in tax
over the horizon, and how good a household's location is against the best reachable one.

Per dollar held today, after-tax value at the horizon H (liquidated then):
  Roth / HSA   (1 + r)^H                                  (tax-free)
  traditional  (1 + r)^H x (1 - ordinary rate)            (taxed on withdrawal)
  taxable      (1 + r - drag)^H - long-term rate x price growth,
               drag = yield x (qualified share x long-term rate + rest x ordinary rate)
Its tax cost is (1 + r)^H minus that value.

Account kinds have fixed sizes (money does not move between accounts), so what matters is
only which security sits where. The household's current holdings are assigned across kinds
at the least tax cost (a transport LP); its duals price each kind's space (u_k) and each
security (v_s). The mislocation cost of a dollar of s in kind k is the reduced cost
cost(s,k) - u_k - v_s: zero in the security's best home, positive elsewhere, and summed over
the household it equals the dollars lost against the best reachable location. Pricing the
space this way keeps the model from tilting the allocation (say, into cash, which no account
taxes) just to avoid location costs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .household import CASH_CLASS, Household
from .solve import highs_available
from .tax import Rates
from .timing import phase

CASH = "$CASH"  # account cash: no return, no tax, the same in every kind


@dataclass(frozen=True)
class LocationTable:
    horizon_years: float
    mislocation: dict[tuple[str, str], float]  # (ticker, kind) -> horizon dollars lost per dollar held
    drag: dict[str, float]  # ticker -> annual tax drag in a taxable account, fraction of value
    expected_return: dict[str, float]
    present_value_factor: float  # horizon dollars -> today's dollars, at the household's target return

    def cost(self, ticker: str, kind: str) -> float:
        return self.mislocation.get((ticker, kind), 0.0)


def taxable_drag(yield_: float, qualified_share: float, rates: Rates) -> float:
    return yield_ * (qualified_share * rates.long_term + (1 - qualified_share) * rates.ordinary)


def horizon_tax_cost(r: float, yield_: float, qualified_share: float, kind: str, rates: Rates, years: float) -> float:
    """Horizon dollars of tax per dollar held today in an account of `kind`."""
    tax_free = (1 + r) ** years
    if kind in ("roth", "hsa"):
        return 0.0
    if kind == "traditional":
        return tax_free * rates.ordinary
    drag = taxable_drag(yield_, qualified_share, rates)
    grown = (1 + r - drag) ** years
    price_growth = max(0.0, (1 + r - yield_) ** years - 1)
    return tax_free - (grown - rates.long_term * price_growth)


def _transport(held: dict[tuple[str, str], float], cost: dict[tuple[str, str], float], sense: str, solver: str, duals: bool = False):
    """Assign the held dollars of each asset across the kinds, each kind keeping its size.
    Returns (objective or None, {kind: dual of its size row} or None)."""
    with phase("location"):
        kinds = sorted({k for k, _ in held})
        assets = sorted({t for _, t in held})
        kind_size = dict.fromkeys(kinds, 0.0)
        asset_size = dict.fromkeys(assets, 0.0)
        for (k, t), v in held.items():
            kind_size[k] += v
            asset_size[t] += v
        coef = {(k, t): cost.get((t, k), 0.0) for k in kinds for t in assets}
        # The optimum's value is unique, so any solver gives it; HiGHS answers in a millisecond
        # where building a Pyomo model took tens.
        if highs_available():
            return _transport_highs(kinds, assets, kind_size, asset_size, coef, sense, duals)
        return _transport_pyomo(kinds, assets, kind_size, asset_size, coef, sense, solver, duals)


def _transport_highs(kinds, assets, kind_size, asset_size, coef, sense, duals):
    import highspy
    import numpy as np

    from .solve import new_highs

    nk, na = len(kinds), len(assets)
    # Columns x[k, t] kind-major; rows: one per kind (its size), then one per asset (its dollars).
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nk * na, nk + na
    lp.col_cost_ = np.array([coef[(k, t)] for k in kinds for t in assets], dtype=np.double)
    lp.col_lower_ = np.zeros(nk * na)
    lp.col_upper_ = np.full(nk * na, highspy.kHighsInf)
    sizes = np.array([kind_size[k] for k in kinds] + [asset_size[t] for t in assets], dtype=np.double)
    lp.row_lower_ = sizes
    lp.row_upper_ = sizes
    lp.sense_ = highspy.ObjSense.kMinimize if sense == "min" else highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = np.arange(0, 2 * nk * na + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = np.array([r for i in range(nk) for j in range(na) for r in (i, nk + j)], dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(2 * nk * na)
    h = new_highs()
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, None
    potentials = None
    if duals:
        row_dual = h.getSolution().row_dual
        potentials = {k: row_dual[i] for i, k in enumerate(kinds)}
    return h.getInfo().objective_function_value, potentials


def _transport_pyomo(kinds, assets, kind_size, asset_size, coef, sense, solver, duals):
    """The same LP through Pyomo, for a machine with GLPK and no HiGHS."""
    import pyomo.environ as pyo

    from .solve import solve

    m = pyo.ConcreteModel()
    m.x = pyo.Var(kinds, assets, domain=pyo.NonNegativeReals)
    m.kind_full = pyo.Constraint(kinds, rule=lambda m, k: sum(m.x[k, t] for t in assets) == kind_size[k])
    m.asset_placed = pyo.Constraint(assets, rule=lambda m, t: sum(m.x[k, t] for k in kinds) == asset_size[t])
    m.cost = pyo.Objective(expr=sum(m.x[k, t] * coef[(k, t)] for k in kinds for t in assets), sense=pyo.minimize if sense == "min" else pyo.maximize)
    outcome = solve(m, solver, time_limit=10, duals=duals)
    if not outcome.has_plan:
        return None, None
    potentials = None
    if duals and outcome.duals is not None:
        potentials = {k: outcome.duals.get(m.kind_full[k].name, 0.0) for k in kinds}
    return outcome.objective, potentials


def class_profiles(h: Household) -> dict[str, tuple[float, float, float]]:
    """Per asset class, (expected return, yield, qualified share) of its model funds, weighted by
    the class split (equal weights without one); a class with no model fund averages what it holds."""
    out: dict[str, tuple[float, float, float]] = {}
    for c in {s.asset_class for s in h.securities}:
        members = [s for s in h.securities if s.asset_class == c]
        split = h.class_split(c)
        weights = split if split else dict.fromkeys(h.buy_list(c) or [s.ticker for s in members], 1.0)
        chosen = [(h.security(t), w) for t, w in weights.items()]
        total = sum(w for _, w in chosen)
        r, y, q = (sum(w * getattr(s, f) for s, w in chosen) / total for f in ("expected_return", "yield_", "qualified_share"))
        out[c] = (r, y, q)
    return out


def location_table(h: Household, rates: Rates, kind_of: dict[str, str], years: float, solver: str = "auto") -> LocationTable:
    kinds = sorted(set(kind_of.values()))
    prices = {s.ticker: s.price for s in h.securities}
    # Location chooses where a class sits, never which security of it: every security of a class
    # is costed as the class's model funds (their average, by the class split when it has one).
    profile = class_profiles(h)
    raw = {(s.ticker, k): horizon_tax_cost(*profile[s.asset_class], k, rates, years) for s in h.securities for k in kinds}
    held: dict[tuple[str, str], float] = {}
    for a in h.accounts:
        k = kind_of[a.id]
        for lot in a.holdings:
            held[(k, lot.ticker)] = held.get((k, lot.ticker), 0.0) + lot.shares * prices[lot.ticker]
        held[(k, CASH)] = held.get((k, CASH), 0.0) + a.cash
    held = {key: v for key, v in held.items() if v > 0}
    space = {k: 0.0 for k in kinds}
    if len({k for k, _ in held}) > 1:
        _, potentials = _transport(held, raw, "min", solver, duals=True)
        if potentials:
            space.update(potentials)
    mislocation: dict[tuple[str, str], float] = {}
    for t in [s.ticker for s in h.securities] + [CASH]:
        reduced = {k: raw.get((t, k), 0.0) - space[k] for k in kinds}
        best = min(reduced.values())
        for k in kinds:
            mislocation[(t, k)] = max(0.0, reduced[k] - best)
    class_return: dict[str, list[float]] = {}
    for s in h.securities:
        class_return.setdefault(s.asset_class, []).append(s.expected_return)
    target_return = sum(w * (sum(class_return[c]) / len(class_return[c]) if c in class_return else 0.0) for c, w in h.targets.items() if c != CASH_CLASS)
    return LocationTable(
        horizon_years=years,
        mislocation=mislocation,
        drag={s.ticker: taxable_drag(s.yield_, s.qualified_share, rates) for s in h.securities},
        expected_return={s.ticker: s.expected_return for s in h.securities},
        present_value_factor=1.0 / (1 + max(target_return, 0.0)) ** years,
    )


def reachable_mislocation(held: dict[tuple[str, str], float], table: LocationTable, solver: str = "auto") -> tuple[float, float]:
    """(best, worst) mislocation reachable by reassigning the same securities across the same
    account kinds, each kind keeping its dollars and each security its dollars."""
    current = sum(v * table.cost(t, k) for (k, t), v in held.items())
    if len({k for k, _ in held}) < 2:
        return current, current
    cost = {(t, k): table.cost(t, k) for (k, t) in held} | {(t, k): table.cost(t, k) for t in {t for _, t in held} for k in {k for k, _ in held}}
    out = []
    for sense in ("min", "max"):
        objective, _ = _transport(held, cost, sense, solver)
        if objective is None:
            return current, current
        out.append(objective)
    return out[0], out[1]
