"""Brute force: on small households the engine's withdraw and rebalance plans are as cheap as the
best plan found by enumeration, under the same exact tax (engine/tax/federal.py).

Each household has a traditional IRA, a Roth and a taxable account with 1-5 lots of one fund
(one asset class, so a withdrawal leaves the mix at target and the plans differ only in tax and
in what the model charges for Roth dollars). The base year's taxable income is placed within a
few thousand dollars of a bracket edge (ordinary 12%->22% / 22%->24%, the 0%->15% long-term
breakpoint, the NIIT threshold, an IRMAA tier, the Social Security tiers) so plans straddle it.

withdraw: the IRA share of the amount on a fine grid, every subset of lots sold whole, plus one
lot sold in part to make up the amount (the LP vertex shape: at most one lot fractional), the
Roth giving what is left. Between grid points the cost is piecewise linear in the IRA dollars, so
the point where the lines of the neighbouring intervals meet is tried too (a kink between two
grid points: a bracket edge). rebalance: the taxable lots (every subset whole, one in part on a
grid with the same refinement) sold into a bond fund, with the drift the sale fixes.

The engine's objective (`Scenario.objective`, the sum of its term values) must be within $1 (plus
the solver's gap) of the enumerated optimum: engine <= brute + $1. The enumerated plans are
priced with the same term values, so both sides use one tax function. The tools solve
rebalance in two stages (allocation first, engine/scenarios.py): the model is checked here in one
stage against the brute force of the whole objective, and the two-stage plan against the brute
force of the allocation stage (drift against tax owed and cost), up to the drift slack stage two
may use.
"""
from __future__ import annotations

import itertools
import os
import random

import pytest

from engine import Options, parse_household
from engine.model import Flows, Withdrawal
from engine.plan import Plan
from engine.plantax import uses_exact_tax
from engine.scenarios import ALLOCATION_SLACK, allocation_stage, household_scenario, solve_scenario
from engine.solve import highs_available
from engine.tax import federal_tax, household_year
from engine.universe import build_universe
from engine.withdrawal import income_rates, rmd_minimums, withdrawal_costs

pytestmark = pytest.mark.skipif(not highs_available(), reason="HiGHS not installed")

AS_OF = "2026-11-24"
PRICE = 100.0
OPTIONS = Options(min_trade=0.0, location_weight=0.0, baseline=False, time_limit=30)
CASES = int(os.environ.get("HOUSEHOLDER_BRUTE_CASES", "60"))


def edge_income(rng: random.Random, status: str, birth_years: list[int]) -> tuple[float, dict]:
    """Ordinary income placing taxable income just below (or above) an edge, and the extras."""
    from engine.taxdata import IRMAA_TIERS, NIIT_THRESHOLD, tax_year

    facts = tax_year(2026)
    std = facts.standard_deduction[status] + sum(1 for b in birth_years if 2026 - b >= 65) * facts.additional_standard_deduction[status]
    edges = {
        "12->22": facts.ordinary[status][2][0],
        "22->24": facts.ordinary[status][3][0],
        "0->15 long-term": facts.long_term[status][0],
        "15->20 long-term": facts.long_term[status][1],
        "NIIT": NIIT_THRESHOLD[status] - std,
        "IRMAA": IRMAA_TIERS[status][0][0] - std,
    }
    name = rng.choice(sorted(edges) + ["Social Security"])
    extra: dict = {}
    if name == "Social Security":
        extra["social_security_benefits"] = float(rng.randrange(12_000, 40_000, 1_000))
        return float(rng.randrange(5_000, 40_000, 500)), {**extra, "edge": name}
    taxable = max(0.0, edges[name] - rng.uniform(0, 6_000))
    if name == "NIIT":
        extra["ordinary_investment_income"] = 5_000.0
    return taxable + std, {**extra, "edge": name}


def small_household(seed: int) -> tuple[dict, str]:
    rng = random.Random(seed)
    status = rng.choice(["single", "married_joint", "head_of_household"])
    birth = rng.choice([1950, 1958, 1962, 1970])  # 76, 68, 64 (IRMAA look-back), 56 (early withdrawals)
    income, extra = edge_income(rng, status, [birth])
    edge = extra.pop("edge")
    n = rng.randint(1, 5)
    lots = []
    for i in range(n):
        shares = float(rng.randrange(20, 200, 10))
        basis = PRICE * rng.choice([0.3, 0.6, 0.9, 1.1, 1.4])  # gains and losses
        acquired = rng.choice(["2015-03-02", "2026-06-01"])  # long- and short-term
        lots.append({"id": f"L{i}", "ticker": "VTI", "shares": shares, "cost_basis": round(shares * basis, 2), "acquired": acquired})
    data = {
        "name": f"brute {seed}",
        "as_of": AS_OF,
        "tax": {"filing_status": status, "taxable_income": 0.0, "ordinary_income": round(income, 2), "state_rate": rng.choice([0.0, 0.05]), **extra},
        "targets": {"us_stocks": 1.0},
        "securities": [{"ticker": "VTI", "asset_class": "us_stocks", "price": PRICE, "expected_return": 0.06}],
        "accounts": [
            {"id": "brokerage", "kind": "taxable", "owner": "A", "birth_year": birth, "holdings": lots},
            {"id": "ira", "kind": "traditional", "owner": "A", "birth_year": birth, "holdings": [{"ticker": "VTI", "shares": float(rng.randrange(200, 900, 50))}]},
            {"id": "roth", "kind": "roth", "owner": "A", "birth_year": birth, "holdings": [{"ticker": "VTI", "shares": 300.0}]},
        ],
    }
    return data, edge


def _refined(phi, lo: float, hi: float, steps: int) -> tuple[float, float]:
    """min of a piecewise-linear phi on [lo, hi]: a grid, and in each interval the meeting point
    of the lines of its two neighbours (a kink between grid points)."""
    if hi - lo < 1e-9:
        return phi(lo), lo
    xs = [lo + (hi - lo) * k / steps for k in range(steps + 1)]
    ys = [phi(x) for x in xs]
    best = min(zip(ys, xs))
    h = xs[1] - xs[0]
    slopes = [(ys[k + 1] - ys[k]) / h for k in range(steps)]
    for k in range(1, steps - 1):
        left, right = slopes[k - 1], slopes[k + 1]
        if abs(left - right) < 1e-9:
            continue
        # phi_k + left (x - x_k) = phi_{k+1} + right (x - x_{k+1})
        x = (ys[k + 1] - ys[k] + left * xs[k] - right * xs[k + 1]) / (left - right)
        if xs[k] < x < xs[k + 1]:
            best = min(best, (phi(x), x))
    return best


def withdraw_brute(u, sc, amount: float) -> tuple[float, Plan]:
    lots = [l for l in u.sellable if l.account == "brokerage"]
    ira_most = sum(l.shares * l.price for l in u.sellable if l.account == "ira")
    roth_most = sum(l.shares * l.price for l in u.sellable if l.account == "roth")

    def plan_of(ira: float, whole: tuple, part, taxable: float) -> Plan:
        p = Plan()
        for l in whole:
            p.sells[l.key] = l.shares
        rest = taxable - sum(l.shares * l.price for l in whole)
        if part is not None and rest > 1e-9:
            p.sells[part.key] = rest / part.price
        roth = amount - ira - taxable
        for acct, dollars in (("ira", ira), ("roth", roth)):
            if dollars > 1e-9:
                p.sells[(acct, next(l.lot_id for l in u.sellable if l.account == acct))] = dollars / PRICE
                p.withdrawals[acct] = dollars
        if taxable > 1e-9:
            p.withdrawals["brokerage"] = taxable
        return p

    best = (float("inf"), Plan())
    for r in range(len(lots) + 1):
        for whole in itertools.combinations(lots, r):
            value = sum(l.shares * l.price for l in whole)
            for part in [None, *[l for l in lots if l not in whole]]:
                part_most = 0.0 if part is None else part.shares * part.price

                def phi(ira: float, whole=whole, part=part, value=value, part_most=part_most) -> float:
                    need = amount - ira
                    taxable = min(need, value + part_most) if need >= value - 1e-9 else None
                    if taxable is None or need - taxable > roth_most + 1e-9:
                        return float("inf")
                    return sc.objective(u, plan_of(ira, whole, part, taxable))

                lo, hi = max(0.0, amount - value - part_most - roth_most), min(ira_most, amount - value)
                if hi < lo - 1e-9:
                    continue
                cost, ira = _refined(phi, lo, hi, 40)
                if cost < best[0]:
                    need = amount - ira
                    best = (cost, plan_of(ira, whole, part, min(need, value + part_most)))
    return best


def rebalance_brute(u, sc) -> tuple[float, Plan]:
    lots = [l for l in u.sellable if l.account == "brokerage"]

    def plan_of(whole: tuple, part, fraction: float) -> Plan:
        p = Plan()
        for l in whole:
            p.sells[l.key] = l.shares
        if part is not None and fraction > 1e-12:
            p.sells[part.key] = part.shares * fraction
        proceeds = sum(s * PRICE for s in p.sells.values())
        if proceeds > 0:
            p.buys[("brokerage", "BND")] = proceeds / 50.0
        return p

    best = (float("inf"), Plan())
    for r in range(len(lots) + 1):
        for whole in itertools.combinations(lots, r):
            for part in [None, *[l for l in lots if l not in whole]]:
                phi = lambda f, whole=whole, part=part: sc.objective(u, plan_of(whole, part, f))  # noqa: E731
                cost, f = _refined(phi, 0.0, 1.0 if part is not None else 0.0, 30)
                if cost < best[0]:
                    best = (cost, plan_of(whole, part, f))
    return best


def _engine(u, sc, allocation_first: bool = False):
    # One stage by default: the exact tax's optimality is checked on the tool's own objective.
    # The two-stage (allocation first) plan is checked against the brute force of its first stage.
    outcome, plan = solve_scenario(u, sc, "highs", OPTIONS.time_limit, allocation_first=allocation_first)
    assert outcome.status == "optimal" and plan is not None, outcome.message
    gap = 0.0 if outcome.bound is None else max(0.0, outcome.objective - outcome.bound)
    return sc.objective(u, plan), plan, gap


def _withdraw_case(seed: int):
    data, edge = small_household(seed)
    h = parse_household(data)
    assert uses_exact_tax(h)
    u = build_universe(h, 10.0)
    rng = random.Random(seed + 1)
    amount = float(rng.randrange(5_000, 60_000, 250))
    income = income_rates(u)
    flow = Withdrawal(amount, False, income, withdrawal_costs(u, income), rmd_minimums(u, amount))
    sc = household_scenario("withdraw", u, OPTIONS, flows=Flows(withdrawal=flow))
    return u, sc, amount, edge


@pytest.mark.parametrize("seed", range(CASES))
def test_withdraw_plan_is_as_cheap_as_the_enumerated_best(seed):
    u, sc, amount, edge = _withdraw_case(seed)
    engine, plan, gap = _engine(u, sc)
    brute, best = withdraw_brute(u, sc, amount)
    assert engine <= brute + 1.0 + gap, (edge, engine, brute, plan, best)
    # Both are real plans of the same request, priced by the same terms.
    assert sum(plan.withdrawals.values()) == pytest.approx(amount, abs=0.02)
    assert sum(best.withdrawals.values()) == pytest.approx(amount, abs=0.02)


def _rebalance_case(seed: int):
    data, edge = small_household(seed)
    data["targets"] = {"us_stocks": 0.3, "bonds": 0.7}
    data["securities"].append({"ticker": "BND", "asset_class": "bonds", "price": 50.0, "expected_return": 0.04})
    # The IRA and the Roth hold bonds only and the stocks are overweight: only the taxable lots
    # can fix the drift, so every plan trades tax against drift.
    for a in data["accounts"][1:]:
        a["holdings"] = [{"ticker": "BND", "shares": 20.0}]
    h = parse_household(data)
    u = build_universe(h, 10.0)
    return u, household_scenario("rebalance", u, OPTIONS), edge


@pytest.mark.parametrize("seed", range(CASES))
def test_rebalance_plan_is_as_cheap_as_the_enumerated_best(seed):
    u, sc, edge = _rebalance_case(seed)
    engine, plan, gap = _engine(u, sc)
    brute, best = rebalance_brute(u, sc)
    assert engine <= brute + 1.0 + gap, (edge, engine, brute, plan, best)
    # Allocation first: the two-stage plan is as good as the enumerated best of the allocation
    # stage (drift against tax owed and cost), up to the drift slack stage two may use.
    _, two_stage, gap2 = _engine(u, sc, allocation_first=True)
    first = allocation_stage(sc)
    brute1, best1 = rebalance_brute(u, first)
    slack = 1.0 + ALLOCATION_SLACK * sc.flows.value_after(u)
    assert first.objective(u, two_stage) <= brute1 + 1.0 + gap2 + 2 * slack, (edge, first.objective(u, two_stage), brute1, two_stage, best1)


def test_the_cases_sit_at_every_bracket_edge():
    edges = {small_household(seed)[1] for seed in range(CASES)}
    assert edges == {"12->22", "22->24", "0->15 long-term", "15->20 long-term", "NIIT", "IRMAA", "Social Security"}


def test_a_withdrawal_at_the_0_percent_top_fills_it_with_gains_and_not_past_it():
    # Hand-checked: single, 2026, $40,000 of wages: taxable income $40,000 - $16,100 = $23,900,
    # the 0% long-term top is $49,450, so $25,550 of long-term gain is free of federal tax. The
    # brokerage's one lot has $0.50 of gain per dollar sold; the IRA's dollars would be taxed
    # at 12%. Raising $20,000 from the brokerage realises $10,000 of gain: $0 of tax, and the
    # engine takes it all there (the IRA and the Roth cost more).
    data, _ = small_household(0)
    data["tax"] = {"filing_status": "single", "taxable_income": 0.0, "ordinary_income": 40_000.0, "state_rate": 0.0}
    data["accounts"][0]["holdings"] = [{"id": "L0", "ticker": "VTI", "shares": 400.0, "cost_basis": 20_000.0, "acquired": "2015-03-02"}]
    data["accounts"][0]["birth_year"] = data["accounts"][1]["birth_year"] = data["accounts"][2]["birth_year"] = 1970
    h = parse_household(data)
    u = build_universe(h, 10.0)
    base, facts, _ = household_year(h)
    assert federal_tax(base, facts).taxable_income == pytest.approx(23_900.0)
    income = income_rates(u)
    sc = household_scenario("withdraw", u, OPTIONS, flows=Flows(withdrawal=Withdrawal(20_000.0, False, income, withdrawal_costs(u, income), {})))
    engine, plan, _ = _engine(u, sc)
    assert plan.withdrawals == {"brokerage": pytest.approx(20_000.0)}
    assert sc.term_values(u, plan)["tax"] == pytest.approx(0.0, abs=0.01)


def test_bracket_gain_budget_is_the_0_percent_headroom_less_the_plans_own_ordinary_income():
    # Single, 2026, $40,000 of wages, no one 65+: taxable income 23,900, 0% top 49,450, so the
    # bracket budget is $25,550 of gain; a plan that also draws $10,000 from the IRA fills that
    # much of the same room, leaving $15,550 for gains.
    from engine.model import GainBudget
    from engine.model.build import frame_of
    from engine.scenarios import gain_budget_of

    data, _ = small_household(0)
    data["tax"] = {"filing_status": "single", "taxable_income": 0.0, "ordinary_income": 40_000.0, "state_rate": 0.0}
    for a in data["accounts"]:
        a["birth_year"] = 1970
    data["accounts"][0]["holdings"] = [{"id": "L0", "ticker": "VTI", "shares": 400.0, "cost_basis": 8_000.0, "acquired": "2015-03-02"}]
    h = parse_household(data)
    u = build_universe(h, 10.0)
    o = Options(gain_budget="bracket", min_trade=0.0)
    assert gain_budget_of(u, o) == pytest.approx(25_550.0, abs=0.01)
    income = income_rates(u)
    sc = household_scenario("withdraw", u, o, flows=Flows(withdrawal=Withdrawal(30_000.0, False, income, withdrawal_costs(u, income), {})))
    budget = sc.find(GainBudget)
    assert budget.with_withdrawals
    f = frame_of(u, sc.constraints, sc.trading, sc.flows)
    ira_lot = next(l for l in u.sellable if l.account == "ira")
    # $20,000 of brokerage sales realise $16,000 of gain ($80 of $100 a share), $10,000 from the IRA.
    plan = Plan(sells={("brokerage", "L0"): 200.0, ira_lot.key: 100.0}, withdrawals={"brokerage": 20_000.0, "ira": 10_000.0})
    assert budget.violation(f, plan) == pytest.approx(16_000 + 10_000 - 25_550, abs=0.01)
    # The engine's plan keeps it, and its gains pay no federal tax.
    engine, best, _ = _engine(u, sc)
    assert budget.violation(f, best) <= 0.01
