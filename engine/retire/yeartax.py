"""One plan year's federal return inside the multi-year MILP, every kind of income a variable.

The same return as engine/tax/federal.py `federal_tax` and the same piecewise-linear pieces as
engine/tax/milp.py `add_federal_tax` (whose builder this reuses), but on the whole year rather than
on a plan added to a fixed year: interest, qualified dividends and Social Security benefits move
with the plan here (the balances and the claiming age decide them), so they are expressions too.
The tax rises with every income dollar, and the retirement plan only ever loses by paying more
tax, so maximising spending or legacy minimises each year's tax: the convex pieces need no binary
(exact as in add_federal_tax). Capital losses are not carried between plan years.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import pyomo.environ as pyo

from ..tax.federal import bracket_tax, taxable_social_security
from ..tax.milp import _bounds, _Builder, taxable_income, worksheet_pieces
from ..taxdata import EARLY_WITHDRAWAL_PENALTY, LOSS_DEDUCTION_LIMIT, NIIT_RATE, NIIT_THRESHOLD, SS_FIRST_BASE, SS_FIRST_RATE, SS_SECOND_BASE, SS_SECOND_RATE, TaxYear


@dataclass(frozen=True)
class YearTaxTerms:
    tax: object  # federal income tax + NIIT + early-withdrawal penalty + state, dollars
    federal: object
    magi: object  # AGI + tax-exempt interest (none here): sets IRMAA two years on
    taxable_income: object
    block: pyo.Block


class _RuleBuilder(_Builder):
    """The MILP builder that also records, in the order the pieces are made, a step that sets
    each piece's variables to the exact value of its function at the current arguments (binaries
    included). Run in order they evaluate the year's return at a plan: engine/retire/solve.py uses
    them to fix every binary at the plan's true regime and price it exactly in one LP."""

    def __init__(self, b: pyo.Block, steps: list):
        super().__init__(b, False)
        self.steps = steps

    def con(self, expr) -> None:
        if isinstance(expr, bool):  # both sides numbers (a piece fixed by the bounds)
            if not expr:
                raise ValueError("add_year_tax: a constraint on numbers alone is violated")
            return
        super().con(expr)

    def segments_added(self, arg, lo, deltas, zs) -> None:
        """The polish sets each piece from the solution's arg: the segments filled in order."""

        def step(arg=arg, deltas=deltas, zs=zs, lo=lo):
            left = pyo.value(arg) - lo
            for i, (d, length) in enumerate(deltas):
                d.set_value(min(max(left, 0.0), length), skip_validation=True)
                left -= length
                if i < len(zs):
                    zs[i].set_value(1.0 if left >= -1e-7 else 0.0, skip_validation=True)

        self.steps.append(step)

    def floor(self, arg, at: float = 0.0):
        v = super().floor(arg, at)
        if hasattr(v, "parent_block") and v.parent_block() is self.b and hasattr(v, "set_value"):
            self.steps.append(lambda v=v, arg=arg, at=at: v.set_value(max(pyo.value(arg), at), skip_validation=True))
        return v

    def lesser(self, first, second):
        before = self.binaries
        t = super().lesser(first, second)
        if self.binaries > before:  # z = 1: the second is the smaller
            z = getattr(self.b, f"v{self.n - 2}")

            def step(t=t, z=z, first=first, second=second):
                a, b = pyo.value(first), pyo.value(second)
                z.set_value(1.0 if b <= a else 0.0, skip_validation=True)
                t.set_value(min(a, b), skip_validation=True)

            self.steps.append(step)
        return t


def add_year_tax(
    block,
    name: str,
    facts: TaxYear,
    status: str,
    seniors: int,
    *,
    ordinary,
    investment_ordinary=0.0,
    qualified_dividends=0.0,
    long_gain=0.0,
    social_security=0.0,
    early=0.0,
    state_rate: float = 0.0,
    steps: list | None = None,
) -> YearTaxTerms:
    """The year's tax. `ordinary` is all ordinary income (withdrawals, conversions, interest);
    `investment_ordinary` the part of it that is interest (NIIT); `long_gain` the net long-term
    result of the year's sales; `social_security` the gross benefits. Bounded expressions."""
    b = pyo.Block()
    block.add_component(name, b)
    k = _RuleBuilder(b, steps if steps is not None else [])
    s = status
    seniors = max(0, min(seniors, 2 if s == "married_joint" else 1))

    cap = k.floor(long_gain, -LOSS_DEDUCTION_LIMIT[s])
    # With no short-term results max(0, min(lt, net)) = max(0, lt); the ordinary part subtracts it,
    # so it needs its binary (a floor would let the solver overstate it).
    pref_gain = k.pwl(long_gain, lambda v: max(0.0, v), [0.0], ordered=True)
    agi_without_ss = ordinary + qualified_dividends + cap

    taxable_ss = _taxable_ss(k, s, agi_without_ss, social_security)
    agi = agi_without_ss + taxable_ss
    taxable, senior = taxable_income(k, facts, s, seniors, agi)
    brackets, knots, (zero_top, fifteen_top), schedule = worksheet_pieces(facts, s)

    preferential_any = not (isinstance(qualified_dividends, float) and qualified_dividends == 0.0 and isinstance(long_gain, float) and long_gain == 0.0)
    f_all = k.pwl(taxable, lambda v: bracket_tax(brackets, v), knots, ordered=False)
    if preferential_any:
        ordinary_part = k.pwl(taxable - qualified_dividends - pref_gain, lambda v: max(0.0, v), [0.0], ordered=True)
        f_ord = k.pwl(ordinary_part, lambda v: bracket_tax(brackets, v), knots, ordered=False)
        g_all = k.pwl(taxable, schedule, [zero_top, fifteen_top], ordered=False)
        g_ord = k.pwl(ordinary_part, schedule, [zero_top, fifteen_top], ordered=True)
        income_tax = k.lesser(f_ord + g_all - g_ord, f_all)
        # Valid cuts for the relaxation (the "lesser" alone lets it go far below zero): the tax is
        # at least the brackets on the ordinary part, written as a convex piece that needs no binary.
        # tax = min(f(O) + g(X) - g(O), f(X)) >= g(X) + env(O), env the convex envelope of f - g
        # (it is f - g but for two dips at the long-term breakpoints): convex, no binary.
        floor_part = k.floor(taxable - qualified_dividends - pref_gain, 0.0)
        hi = _bounds(floor_part)[1]
        env = _convex_envelope(lambda v: bracket_tax(brackets, v) - schedule(v), sorted({0.0, hi, *(x for x in [*knots, zero_top, fifteen_top] if 0 < x < hi)}))
        k.con(income_tax >= k.pwl(taxable, schedule, [zero_top, fifteen_top], ordered=False) + k.pwl(floor_part, env, [x for x, _ in env.points], ordered=False))
        k.con(income_tax >= 0.0)
    else:
        income_tax = f_all

    nii = k.floor(investment_ordinary + qualified_dividends + cap, 0.0)
    over = k.floor(agi - NIIT_THRESHOLD[s], 0.0)
    niit = NIIT_RATE * k.lesser(nii, over) if _bounds(agi)[1] > NIIT_THRESHOLD[s] and _bounds(nii)[1] > 0 else 0.0
    federal = income_tax + niit + EARLY_WITHDRAWAL_PENALTY * early
    state = state_rate * taxable
    b.federal = pyo.Expression(expr=federal)
    b.tax = pyo.Expression(expr=federal + state)
    b.magi = pyo.Expression(expr=agi)
    b.taxable = pyo.Expression(expr=taxable)
    return YearTaxTerms(b.tax, b.federal, b.magi, b.taxable, b)


class _Envelope:
    """The lower convex hull of a function sampled at `xs`, as a piecewise-linear function."""

    def __init__(self, f, xs: list[float]):
        hull: list[tuple[float, float]] = []
        for x in xs:
            pt = (x, f(x))
            while len(hull) >= 2 and (hull[-1][1] - hull[-2][1]) * (pt[0] - hull[-2][0]) >= (pt[1] - hull[-2][1]) * (hull[-1][0] - hull[-2][0]):
                hull.pop()
            hull.append(pt)
        self.points = hull

    def __call__(self, v: float) -> float:
        pts = self.points
        for (x0, y0), (x1, y1) in pairwise(pts):
            if v <= x1:
                return y0 + (y1 - y0) * (v - x0) / (x1 - x0) if x1 > x0 else y1
        return pts[-1][1]


def _convex_envelope(f, xs: list[float]) -> _Envelope:
    return _Envelope(f, xs)


def _taxable_ss(k: _RuleBuilder, s: str, other, ss):
    """IRC 86 on provisional income P = other + ss/2:
    min(0.85 ss, 0.5 min(ss, clamp(P - b1, 0, b2 - b1)) + 0.85 max(0, P - b2))."""
    b1, b2 = SS_FIRST_BASE[s], SS_SECOND_BASE[s]
    if isinstance(ss, (int, float)):
        if ss <= 0:
            return 0.0
        provisional = other + SS_FIRST_RATE * ss
        cap_at = b2 + (SS_SECOND_RATE * ss - SS_FIRST_RATE * min(ss, b2 - b1)) / SS_SECOND_RATE
        return _convex_then_flat(k, provisional, lambda p: taxable_social_security(s, p, float(ss)), sorted({b1, min(b1 + ss, b2), b2}), cap_at)
    if _bounds(ss)[1] <= 0:
        return 0.0
    provisional = other + SS_FIRST_RATE * ss
    first = k.pwl(provisional, lambda p: min(max(p - b1, 0.0), b2 - b1), [b1, b2], ordered=True)
    second = k.floor(provisional - b2, 0.0)
    return _lesser(k, SS_SECOND_RATE * ss, SS_FIRST_RATE * _lesser(k, ss, first) + SS_SECOND_RATE * second)


def _convex_then_flat(k: _RuleBuilder, arg, f, knots: list[float], flat_from: float):
    """f(arg) for f convex piecewise-linear up to `flat_from` and constant after it, in the
    disjunctive form: one binary z (arg at or past `flat_from`), the convex part in the
    incremental form scaled by 1 - z. Exact under minimisation; the relaxation is the convex
    hull of the two pieces."""
    lo, hi = _bounds(arg)
    if hi <= flat_from + 1e-9:
        return k.pwl(arg, f, knots, ordered=False)
    if lo >= flat_from - 1e-9:
        return f(flat_from)
    z = k.var(binary=True)
    points = [lo, *sorted(x for x in knots if lo + 1e-6 < x < flat_from - 1e-6), flat_from]
    left = f(lo) * (1 - z)
    deltas = []
    for p, q in pairwise(points):
        d = k.var(0.0, q - p)
        k.con(d <= (q - p) * (1 - z))
        deltas.append((d, q - p))
        left = left + (f(q) - f(p)) / (q - p) * d
    past = k.var(0.0, hi)
    k.con(past >= flat_from * z)
    k.con(past <= hi * z)
    k.con(arg == lo * (1 - z) + sum(d for d, _ in deltas) + past)

    def step():
        x = pyo.value(arg)
        flat = x >= flat_from
        z.set_value(1.0 if flat else 0.0, skip_validation=True)
        past.set_value(x if flat else 0.0, skip_validation=True)
        rest = 0.0 if flat else x - lo
        for d, length in deltas:
            d.set_value(min(max(rest, 0.0), length), skip_validation=True)
            rest -= length

    k.steps.append(step)
    return left + f(flat_from) * z


def _lesser(k: _RuleBuilder, first, second):
    """min(first, second), with an upper bound on the result (later pieces take their big-Ms
    from it)."""
    t = k.lesser(first, second)
    if isinstance(t, pyo.Var):
        t.setub(min(_bounds(first)[1], _bounds(second)[1]))
    return t
