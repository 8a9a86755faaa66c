"""The federal return of engine/tax/federal.py inside a Pyomo MILP, exactly.

`add_federal_tax(block, base, facts, ordinary=..., early=..., short_gain=..., long_gain=...)` takes
the plan's extra income as linear expressions of bounded variables and adds a sub-block whose
expressions equal, at every integer-feasible point where the objective minimises them, the pure
function's with-plan minus without-plan dollars.

Each piece of the return is a piecewise-linear function of an affine argument, written in the
incremental form: x = lo + sum(d_k), 0 <= d_k <= len_k, value = f(lo) + sum(slope_k d_k).
Convex pieces that the tax only increases with (ordinary brackets, the 0/15/20% schedule on total
taxable income, the capital loss floor, the taxable-income floor) need no binary: minimisation
fills the cheapest segment first. Pieces that are not convex, or that the tax falls with
(the taxable Social Security tiers, the senior deduction phase-out, the preferential gain
max(0, min(long, net)), the ordinary part max(0, taxable - preferential) and the 0/15/20%
schedule on it, which the stacked tax subtracts), get one binary per kink inside the argument's
range (z_k = 1 iff segment k is full). Two "lesser of"s (the worksheet's smaller of the stacked
and the regular tax; NIIT's lesser of NII and MAGI over the threshold) get one binary each, and
each IRMAA tier inside the MAGI range one binary. Big-Ms are the argument ranges, computed from
the variables' bounds (Pyomo FBBT), so every variable in the expressions must be bounded.

Exactness: exact under minimisation of a positive multiple of `tax` (or of `federal`, `state`,
`irmaa`), except that a MAGI within IRMAA_CUSHION (5 cents) below an IRMAA tier's bound is
charged the tier (share rounding would carry a plan stopped at the bound across it). If the tax enters with a negative weight (e.g. gross - tax == net), the binary pieces
stay exact but the LP-relaxed convex pieces may be overstated by the solver; pass
`exact_any_sign=True` to give those pieces binaries too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import pyomo.environ as pyo
from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr

from .. import taxdata
from ..taxdata import TaxYear
from .federal import YearIncome, bracket_tax, federal_tax, irmaa_yearly, senior_deduction, standard_deduction, taxable_social_security


@dataclass(frozen=True)
class TaxTerms:
    """Pyomo expressions, dollars the plan adds to the year."""

    federal: object  # federal tax with the plan - without it
    state: object  # state_rate x added taxable income
    irmaa: object  # yearly Medicare premiums added (from the look-back year on)
    tax: object  # federal + state
    taxable_income: object  # the year's taxable income with the plan
    block: pyo.Block
    binaries: int
    carried_out: object = 0.0  # net capital loss the plan adds beyond this year's limit (with carryforward=True)


IRMAA_CUSHION = 0.05  # dollars below a tier's bound where its binary switches (share rounding)


def _bracket_rate_at(brackets: tuple[tuple[float, float], ...], income: float) -> float:
    return max(rate for lower, rate in brackets if lower <= income)


def _bounds(expr) -> tuple[float, float]:
    if isinstance(expr, (int, float)):
        return float(expr), float(expr)
    lo, hi = compute_bounds_on_expr(expr)
    if lo is None or hi is None:
        raise ValueError("add_federal_tax: every variable in the income expressions needs finite bounds (big-Ms come from them)")
    return float(lo), float(hi)


class _Builder:
    def __init__(self, b: pyo.Block, exact_any_sign: bool):
        self.b, self.n, self.binaries, self.any_sign = b, 0, 0, exact_any_sign

    def var(self, lo: float | None = None, hi: float | None = None, binary: bool = False):
        self.n += 1
        v = pyo.Var(domain=pyo.Binary if binary else pyo.Reals, bounds=(None, None) if binary else (lo, hi))
        self.b.add_component(f"v{self.n}", v)
        if binary:
            self.binaries += 1
        return v

    def con(self, expr) -> None:
        self.n += 1
        self.b.add_component(f"c{self.n}", pyo.Constraint(expr=expr))

    def pwl(self, arg, f: Callable[[float], float], knots: list[float], ordered: bool, within: tuple[float, float] | None = None):
        """f(arg) for a piecewise-linear f whose kinks are among `knots`; `within`: bounds on
        arg known from the return's algebra, tighter than FBBT's."""
        lo, hi = _bounds(arg)
        if within is not None:
            lo, hi = max(lo, within[0]), min(hi, within[1])
        if hi - lo < 1e-9:
            return f(lo)
        points = [lo, *sorted(k for k in set(knots) if lo + 1e-6 < k < hi - 1e-6), hi]
        ordered = ordered or self.any_sign
        deltas, value = [], f(lo)
        for p, q in pairwise(points):
            d = self.var(0.0, q - p)
            deltas.append((d, q - p))
            value = value + (f(q) - f(p)) / (q - p) * d
        self.con(arg == lo + sum(d for d, _ in deltas))
        zs = []
        if ordered and len(deltas) > 1:
            for (d, length), (d_next, length_next) in pairwise(deltas):
                z = self.var(binary=True)
                self.con(d >= length * z)
                self.con(d_next <= length_next * z)
                zs.append(z)
        self.segments_added(arg, lo, deltas, zs)
        return value

    def segments_added(self, arg, lo: float, deltas: list, zs: list) -> None:
        """Called with each piecewise-linear piece's segments (arg = lo + sum of the deltas, each
        (variable, length); zs the fill-in-order switches): a builder that sets a solution by hand
        (the retirement plan's polish) records them here."""

    def floor(self, arg, at: float = 0.0):
        """max(arg, at), exact under minimisation of anything increasing in it."""
        if self.any_sign:
            return self.pwl(arg, lambda v: max(v, at), [at], ordered=True)
        lo, hi = _bounds(arg)
        if lo >= at:
            return arg
        if hi <= at:
            return at
        v = self.var(at, hi)
        self.con(v >= arg)
        return v

    def lesser(self, first, second):
        """min(first, second) under minimisation: one binary choosing the smaller."""
        up_first = _bounds(first - second)[1]
        up_second = _bounds(second - first)[1]
        if up_first <= 0:
            return first
        if up_second <= 0:
            return second
        lo = min(_bounds(first)[0], _bounds(second)[0])
        t = self.var(lo, None)
        z = self.var(binary=True)
        self.con(t >= first - up_first * z)
        self.con(t >= second - up_second * (1 - z))
        if self.any_sign:
            self.con(t <= first)
            self.con(t <= second)
        return t


def taxable_income(k: _Builder, facts: TaxYear, s: str, seniors: int, agi):
    """(max(0, AGI - standard deduction - senior deduction), the senior deduction), the senior
    deduction phasing out with AGI (one kinked piece): the one-year return and the retirement
    plan's years share it."""
    senior = 0.0
    if seniors and facts.senior_deduction > 0 and facts.senior_deduction_threshold and s != "married_separate":
        start = facts.senior_deduction_threshold[s]
        senior = k.pwl(agi, lambda m: senior_deduction(facts, s, seniors, m), [start, start + facts.senior_deduction / facts.senior_deduction_phaseout], ordered=True)
    return k.floor(agi - standard_deduction(facts, s, seniors) - senior, 0.0), senior


def worksheet_pieces(facts: TaxYear, s: str):
    """The Qualified Dividends and Capital Gain Tax Worksheet's data for a filing status: the
    brackets, their lower bounds (the kinks), the 0%/15% tops and the 0/15/20% schedule."""
    brackets = facts.ordinary[s]
    zero_top, fifteen_top = facts.long_term[s]

    def schedule(v: float) -> float:  # 0/15/20% on income up to v
        return taxdata.LONG_TERM_RATES[1] * max(0.0, min(v, fifteen_top) - zero_top) + taxdata.LONG_TERM_RATES[2] * max(0.0, v - fifteen_top)

    return brackets, [lower for lower, _ in brackets], (zero_top, fifteen_top), schedule


def add_federal_tax(
    block,
    base: YearIncome,
    facts: TaxYear,
    *,
    ordinary=0.0,
    early=0.0,
    short_gain=0.0,
    long_gain=0.0,
    state_rate: float = 0.0,
    irmaa_persons: int = 0,
    exact_any_sign: bool = False,
    carryforward: bool = False,
    name: str = "federal_tax",
) -> TaxTerms:
    """Add the year's tax to `block` (a Block or ConcreteModel).

    ordinary: the plan's extra ordinary income (traditional withdrawals), dollars >= 0;
    early: the part of it before 59 1/2; short_gain / long_gain: the plan's net realized results
    (losses negative). All are linear expressions of variables with finite bounds, or numbers.
    carryforward: also give `carried_out`, max(0, -limit - net) with the plan minus without it
    (one binary: it is credited with a negative weight, so it must be exact either way).
    """
    b = pyo.Block()
    block.add_component(name, b)
    k = _Builder(b, exact_any_sign)
    s = base.filing_status
    seniors = max(0, min(base.seniors, 2 if s == "married_joint" else 1))
    limit = taxdata.LOSS_DEDUCTION_LIMIT[s]

    # Schedule D
    st = base.short_term_gains - base.short_term_carryover + short_gain
    lt = base.long_term_gains - base.long_term_carryover + long_gain
    cap = k.floor(st + lt, -limit)  # max(net, -limit): convex, the tax rises with it
    short_loss = k.pwl(st, lambda v: max(0.0, -v), [0.0], ordered=True)
    pref_gain = k.pwl(lt - short_loss, lambda v: max(0.0, v), [0.0], ordered=True)  # max(0, min(lt, net))

    # AGI, Social Security, deductions, taxable income
    agi_without_ss = base.ordinary_income + base.traditional_withdrawals + base.qualified_dividends + ordinary + cap
    ss = base.social_security_benefits
    if ss > 0:
        b1, b2 = taxdata.SS_FIRST_BASE[s], taxdata.SS_SECOND_BASE[s]
        cap_at = b2 + (taxdata.SS_SECOND_RATE * ss - taxdata.SS_FIRST_RATE * min(ss, b2 - b1)) / taxdata.SS_SECOND_RATE
        provisional = agi_without_ss + base.tax_exempt_interest + taxdata.SS_FIRST_RATE * ss
        taxable_ss = k.pwl(provisional, lambda p: taxable_social_security(s, p, ss), [b1, b1 + ss, b2, cap_at], ordered=True)
    else:
        taxable_ss = 0.0
    agi = agi_without_ss + taxable_ss
    taxable, senior = taxable_income(k, facts, s, seniors, agi)

    # Worksheet: ordinary part, brackets, stacked 0/15/20%, and the smaller of that and brackets on all
    brackets, knots, (zero_top, fifteen_top), schedule = worksheet_pieces(facts, s)

    # Bounds on the ordinary part the netting implies (FBBT sees taxable income and the
    # preferential gain as unrelated): taxable - qd - pref = gross ordinary + taxable SS
    # + (cap - pref) - deductions, and -limit <= cap - pref <= max(0, st). With the floor >= 0,
    # the ordinary part needs no max(0, .) binary, and the kinks outside the range none at all.
    std = standard_deduction(facts, s, seniors)
    senior_most = seniors * facts.senior_deduction if not isinstance(senior, float) else senior
    gross_ordinary = base.ordinary_income + base.traditional_withdrawals
    ord_lo, ord_hi = _bounds(ordinary)
    floor_ordinary = gross_ordinary + ord_lo - std - senior_most - limit
    ceiling_ordinary = max(0.0, gross_ordinary + ord_hi + taxdata.SS_SECOND_RATE * ss + max(0.0, _bounds(st)[1]) - std)
    ordinary_arg = taxable - base.qualified_dividends - pref_gain
    if floor_ordinary >= 0:
        ordinary_part, part_range = ordinary_arg, (floor_ordinary, ceiling_ordinary)
    else:
        ordinary_part = k.pwl(ordinary_arg, lambda v: max(0.0, v), [0.0], ordered=True, within=(-float("inf"), ceiling_ordinary))
        part_range = (0.0, ceiling_ordinary)
    f_ord = k.pwl(ordinary_part, lambda v: bracket_tax(brackets, v), knots, ordered=False, within=part_range)
    g_all = k.pwl(taxable, schedule, [zero_top, fifteen_top], ordered=False)
    g_ord = k.pwl(ordinary_part, schedule, [zero_top, fifteen_top], ordered=True, within=part_range)
    f_all = k.pwl(taxable, lambda v: bracket_tax(brackets, v), knots, ordered=False)
    stacked = f_ord + g_all - g_ord
    # Above the point where every ordinary rate is at least the top preferential rate, the
    # stacked tax is never more than brackets on all: the "smaller of" needs no binary.
    if floor_ordinary >= 0 and _bracket_rate_at(brackets, floor_ordinary) >= max(taxdata.LONG_TERM_RATES):
        income_tax = stacked
    else:
        income_tax = k.lesser(stacked, f_all)

    # NIIT: 3.8% of the lesser of NII and MAGI over the threshold. MAGI over the threshold
    # minus NII is the ordinary income that is not investment income (and taxable SS) over the
    # threshold: when that is >= 0 for every plan, the lesser is NII.
    nii = k.floor(base.ordinary_investment_income + base.qualified_dividends + cap, 0.0)
    if gross_ordinary - base.ordinary_investment_income + ord_lo - taxdata.NIIT_THRESHOLD[s] >= 0:
        niit = taxdata.NIIT_RATE * nii
    else:
        over = k.floor(agi - taxdata.NIIT_THRESHOLD[s], 0.0)
        niit = taxdata.NIIT_RATE * k.lesser(nii, over) if not isinstance(nii, float) or nii > 0 else 0.0

    penalty = taxdata.EARLY_WITHDRAWAL_PENALTY * (base.early_withdrawals + early)
    without = federal_tax(base, facts)
    federal = income_tax + niit + penalty - without.total
    state = state_rate * (taxable - without.taxable_income)

    # IRMAA: one binary per tier inside the MAGI range (z = 1 iff MAGI is above the tier), in
    # the incremental form: MAGI = lo + sum(d_j) over the segments between the tiers, a segment
    # above a tier only once z says so (d_above <= len_above * z) and z only with the segment
    # below it full (d_below >= len_below * z). Each big-M is then the distance between two
    # tiers, not the whole MAGI range: a far tighter relaxation of the step.
    # Each switch point sits IRMAA_CUSHION below the bound. The premium is the one jump in the
    # year's cost: a plan the solver stops exactly at the bound would cross it once its shares are
    # rounded to orderable steps, so the model stops a few cents short (and charges the tier in
    # those few cents). No gap between "below" and "above" (a 1-cent gap made fractional MAGIs
    # such as bound + 0.004 infeasible when maximised).
    irmaa = 0.0
    if irmaa_persons > 0:
        magi = agi + base.tax_exempt_interest
        lo, hi = _bounds(magi)
        previous_step, inside = 0.0, []
        for bound, step, _at_bound in taxdata.IRMAA_TIERS[s]:
            add = 12 * irmaa_persons * (step - previous_step)
            previous_step = step
            edge = bound - IRMAA_CUSHION
            if lo > edge:
                irmaa = irmaa + add
            elif edge < hi:
                inside.append((edge, add))
        if inside:
            points = [lo, *(e for e, _ in inside), hi]
            segments = [(k.var(0.0, q - p), q - p) for p, q in pairwise(points)]
            k.con(magi == lo + sum(d for d, _ in segments))
            for j, (_, add) in enumerate(inside):
                z = k.var(binary=True)
                (below, length_below), (above, length_above) = segments[j], segments[j + 1]
                k.con(below >= length_below * z)
                k.con(above <= length_above * z)
                irmaa = irmaa + add * z
        irmaa = irmaa - irmaa_yearly(s, without.magi_irmaa, irmaa_persons)
    carried = 0.0
    if carryforward:
        beyond = lambda v: max(0.0, -limit - v)  # noqa: E731
        net_without = base.short_term_gains - base.short_term_carryover + base.long_term_gains - base.long_term_carryover
        carried = k.pwl(st + lt, beyond, [-limit], ordered=True) - beyond(net_without)
    b.federal = pyo.Expression(expr=federal)
    b.state = pyo.Expression(expr=state)
    b.irmaa = pyo.Expression(expr=irmaa)
    b.tax = pyo.Expression(expr=federal + state)
    return TaxTerms(b.federal, b.state, b.irmaa, b.tax, taxable, b, k.binaries, carried)
