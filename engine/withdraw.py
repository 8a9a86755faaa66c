"""withdraw — raise cash at the least cost to the household, fixing drift and location on the way.

The same household model with a withdrawal flow out of each account. A dollar taken out costs:
  taxable      the tax on the gains its lots realize (lot by lot, in the model)
  traditional  the ordinary rate on the whole dollar, plus the 10% additional tax before 59 1/2
  Roth / HSA   the opportunity cost of giving up tax-free money: what the same dollar out of a
               traditional account would pay (the ordinary rate), plus the present value of the
               tax its growth would meet in a taxable account over the horizon (`shelter_value`),
               so tax-free money comes last unless a penalty makes it the cheaper source.
Required minimum distributions left for the year (`rmd_remaining`) are taken first.
"""
from __future__ import annotations

from typing import Literal

from .household import CASH_CLASS, Household
from .location import horizon_tax_cost
from .model import Settings
from .plan import Plan, holdings_after, taxes
from .results import Result, cents, trades_of
from .scenarios import Options, _error, check_accounts, run_model, settings_for, time_limit_warning
from .solve import SolverUnavailable, pick_solver, size_warning
from .taxdata import EARLY_WITHDRAWAL_AGE, EARLY_WITHDRAWAL_PENALTY, rmd_age
from .universe import TradeUniverse, build_universe

KIND_ORDER = {"taxable": 0, "traditional": 1, "roth": 2, "hsa": 3}


def shelter_value(u: TradeUniverse) -> float:
    """Today's dollars of tax a target-mix dollar would pay over the horizon in a taxable account."""
    h, years = u.household, u.location.horizon_years
    total = 0.0
    for c, w in h.targets.items():
        members = [s for s in h.securities if s.asset_class == c]
        if c == CASH_CLASS or not members:
            continue
        total += w * sum(horizon_tax_cost(s.expected_return, s.yield_, s.qualified_share, "taxable", u.rates, years) for s in members) / len(members)
    return total * u.location.present_value_factor


def income_rates(u: TradeUniverse) -> dict[str, float]:
    """Tax due now per dollar withdrawn, by account (traditional only)."""
    out = {}
    for acct in u.household.accounts:
        if acct.kind == "traditional":
            age = None if acct.birth_year is None else u.household.as_of.year - acct.birth_year
            early = age is not None and age < EARLY_WITHDRAWAL_AGE + 0.5  # birthday unknown: mid-year
            out[acct.id] = u.rates.ordinary + (EARLY_WITHDRAWAL_PENALTY if early else 0.0)
    return out


def withdrawal_costs(u: TradeUniverse, income: dict[str, float]) -> dict[str, float]:
    shelter = shelter_value(u)
    costs = {}
    for a in u.accounts:
        kind = u.kind[a]
        if kind == "traditional":
            costs[a] = income[a]
        elif kind in ("roth", "hsa"):
            costs[a] = u.rates.ordinary + shelter
        else:
            costs[a] = 0.0
    return costs


def rmd_minimums(u: TradeUniverse, amount: float) -> dict[str, float]:
    """Required distributions still owed, taken first; a smaller request is all taken from them."""
    out = {}
    for acct in u.household.accounts:
        if acct.kind == "traditional" and acct.rmd_remaining and acct.birth_year is not None:
            if u.household.as_of.year - acct.birth_year >= rmd_age(acct.birth_year):
                out[acct.id] = acct.rmd_remaining
    owed = sum(out.values())
    if owed > amount:
        out = {a: v * amount / owed for a, v in out.items()}
    return out


def for_sale(u: TradeUniverse) -> list:
    """Lots a plan may sell now: not restricted, and not a loss a recent purchase would wash."""
    return [l for l in u.sellable if l.key not in u.loss_blocked]


def capacity(u: TradeUniverse, frozen: frozenset[str]) -> dict[str, float]:
    """Gross dollars each account can give: cash above its reserve plus what it may sell."""
    out = {a: u.cash[a] - u.reserve[a] for a in u.accounts if a not in frozen}
    for lot in for_sale(u):
        if lot.account in out:
            out[lot.account] += lot.shares * lot.price
    return out


def plan_tax(u: TradeUniverse, plan: Plan, income: dict[str, float]) -> tuple[float, float]:
    """(capital-gains tax, income tax on withdrawals) of a plan, dollars."""
    return taxes(u, plan).estimated_tax, sum(income.get(a, 0.0) * w for a, w in plan.withdrawals.items())


# ---- rule-based baselines ------------------------------------------------------------

def _sell_for(u: TradeUniverse, plan: Plan, account: str, dollars: float, order: Literal["pro_rata", "taxable_first"]) -> float:
    """Raise `dollars` in one account by its rule; returns what it could not raise."""
    need = max(0.0, dollars - (u.cash[account] - u.reserve[account]))
    lots = [l for l in for_sale(u) if l.account == account]
    fifo = lambda l: (l.acquired.isoformat() if l.acquired else "9999", l.lot_id)
    if order == "pro_rata":
        value = sum(l.shares * l.price for l in lots)
        fraction = min(1.0, need / value) if value > 0 else 0.0
        by_ticker: dict[str, list] = {}
        for l in lots:
            by_ticker.setdefault(l.ticker, []).append(l)
        for ticker, group in by_ticker.items():
            want = fraction * sum(l.shares * l.price for l in group)
            for l in sorted(group, key=fifo):
                take = min(l.shares, want / l.price)
                if take > 1e-9:
                    plan.sells[l.key] = round(take, 6)
                    want -= take * l.price
                    need -= take * l.price
    else:
        for l in sorted(lots, key=fifo):
            if need <= 1e-9:
                break
            take = min(l.shares, need / l.price)
            plan.sells[l.key] = round(take, 6)
            need -= take * l.price
    return max(0.0, need)


def rule_plan(u: TradeUniverse, order: Literal["pro_rata", "taxable_first"], amount: float, net: bool, frozen: frozenset[str], income: dict[str, float]) -> tuple[Plan, str]:
    cap = capacity(u, frozen)
    gross = amount
    plan = Plan()
    for _ in range(12):  # gross up until the net amount is met
        plan = Plan()
        if order == "pro_rata":
            values = {a: v for a, v in holdings_after(u, Plan(), Settings())[1].items() if a in cap}
            account_values = {a: values[a] + sum(l.shares * l.price for l in u.lots if l.account == a) for a in cap}
            total = sum(account_values.values()) or 1.0
            share = {a: gross * v / total for a, v in account_values.items()}
        else:
            share, left = {}, gross
            for a in sorted(cap, key=lambda a: (KIND_ORDER[u.kind[a]], a)):
                share[a] = min(left, max(cap[a], 0.0))
                left -= share[a]
        short = 0.0
        for a, dollars in share.items():
            if dollars > 0:
                short += _sell_for(u, plan, a, dollars, order)
                plan.withdrawals[a] = round(dollars, 2)
        if not net:
            break
        gains_tax, income_tax = plan_tax(u, plan, income)
        target = amount + gains_tax + income_tax
        if abs(target - gross) < 0.005:
            break
        gross = target
    return plan, ("complete" if short < 0.01 else f"short by ${short:,.2f}")


def _baseline_summary(u: TradeUniverse, plan: Plan, status: str, income: dict[str, float]) -> dict:
    gains_tax, income_tax = plan_tax(u, plan, income)
    gross = sum(plan.withdrawals.values())
    return {
        "status": status,
        "gross": cents(gross),
        "estimated_tax": cents(gains_tax + income_tax),
        "net": cents(gross - gains_tax - income_tax),
        "by_account": {a: cents(w) for a, w in plan.withdrawals.items()},
        "trades": [t.model_dump(exclude_none=True) for t in trades_of(u, plan)],
    }


def withdraw(h: Household, amount: float, net: bool = False, options: Options | None = None) -> Result:
    """Raise `amount` dollars (gross, or after tax with `net`) at the least cost to the household."""
    o = options or Options()
    if amount <= 0:
        return _error("withdraw", h, f"amount: {amount} is not a positive dollar amount; ask for e.g. 50000")
    bad = check_accounts(h, o.exclude_accounts)
    if bad:
        return _error("withdraw", h, "; ".join(bad))
    try:
        solver = pick_solver(o.solver)
    except SolverUnavailable as err:
        return _error("withdraw", h, str(err))
    u = build_universe(h, o.horizon_years)
    income = income_rates(u)
    frozen = frozenset(o.exclude_accounts)
    s = settings_for(
        u, o, withdraw_amount=amount, withdraw_net=net, withdraw_income_rate=income,
        withdraw_cost=withdrawal_costs(u, income), withdraw_minimum=rmd_minimums(u, amount),
    )
    cap = capacity(u, frozen)
    most = sum(max(v, 0.0) for v in cap.values())
    if amount > most + 0.005:
        return _unmet(u, s, h, amount, most, frozen, solver)
    outcome, plan = run_model(u, s, solver, o.time_limit)
    if plan is None:
        return _unmet(u, s, h, amount, most, frozen, solver, outcome.message, outcome.status)
    if net:
        # The model prices tax linearly; the reported estimate follows Schedule D. Re-solve with
        # the gap added until they meet, keeping each plan with the outcome that produced it.
        asked = s.withdraw_amount or amount
        for _ in range(8):
            gains_tax, income_tax = plan_tax(u, plan, income)
            gap = amount - (sum(plan.withdrawals.values()) - gains_tax - income_tax)
            if abs(gap) < 0.01:
                break
            if asked + gap <= 0:
                break
            asked += gap
            s.withdraw_amount = asked
            outcome2, plan2 = run_model(u, s, solver, o.time_limit)
            if plan2 is None:
                break
            outcome, plan = outcome2, plan2
        gains_tax, income_tax = plan_tax(u, plan, income)
        short = amount - (sum(plan.withdrawals.values()) - gains_tax - income_tax)
        if abs(short) >= 0.01:
            net_warning = f"the net amount differs from the request by ${short:,.2f}: the tax estimate did not settle"
        else:
            net_warning = ""
    else:
        net_warning = ""
    from .results import assemble

    warnings = [w for w in [size_warning(solver, len(u.lots))] if w]
    if outcome.status == "feasible":
        warnings.append(time_limit_warning(outcome))
    if net_warning:
        warnings.append(net_warning)
    result = assemble("withdraw", u, s, outcome, plan, None, solver, warnings)
    gains_tax, income_tax = plan_tax(u, plan, income)
    gross = sum(plan.withdrawals.values())
    if result.taxes and result.costs:
        result.taxes.withdrawal_income_tax = cents(income_tax)
        result.taxes.estimated_tax = cents(gains_tax + income_tax)
        result.costs.implementation = cents(gains_tax + income_tax + result.costs.transaction)
    lots = {l.key: l for l in u.lots}
    result.extra["withdrawal"] = {
        "gross": cents(gross), "estimated_tax": cents(gains_tax + income_tax), "net": cents(gross - gains_tax - income_tax),
        "by_account": {a: cents(w) for a, w in sorted(plan.withdrawals.items())},
        "required_distributions": {a: cents(v) for a, v in s.withdraw_minimum.items()},
    }
    result.extra["mislocated_sold"] = [
        {"account": k[0], "lot_id": k[1], "ticker": lots[k].ticker, "amount": cents(sh * lots[k].price)}
        for k, sh in sorted(plan.sells.items())
        if u.location.cost(lots[k].ticker, u.kind[k[0]]) > 1e-9
    ]
    baselines = {order: _baseline_summary(u, *rule_plan(u, order, amount, net, frozen, income), income) for order in ("pro_rata", "taxable_first")}
    result.extra["baselines"] = baselines
    cheaper = min(baselines, key=lambda k: baselines[k]["estimated_tax"])
    result.extra["savings_against"] = cheaper
    result.extra["savings_tax"] = cents(baselines[cheaper]["estimated_tax"] - (gains_tax + income_tax))
    return result


def _unmet(u: TradeUniverse, s: Settings, h: Household, amount: float, most: float, frozen: frozenset[str], solver: str, why: str = "", status: str = "infeasible") -> Result:
    sale = {l.key for l in for_sale(u)}
    restricted = sum(l.shares * l.price for l in u.lots if l.key not in sale and l.account not in frozen)
    excluded = sum(l.shares * l.price for l in u.lots if l.account in frozen) + sum(u.cash[a] for a in frozen)
    reserves = sum(u.reserve[a] for a in u.accounts if a not in frozen)
    parts = [f"at most ${most:,.2f} can be raised (gross) from this household"]
    if restricted:
        parts.append(f"${restricted:,.2f} is restricted from sale or would wash a recent purchase")
    if excluded:
        parts.append(f"${excluded:,.2f} sits in excluded accounts")
    if reserves:
        parts.append(f"${reserves:,.2f} is held as cash reserves")
    if why:
        parts.append(why)
    r = _error("withdraw", h, f"cannot raise ${amount:,.2f}: " + "; ".join(parts))
    r.status = "error" if status == "error" else "infeasible"
    r.solver = solver
    r.extra["max_raisable"] = cents(most)
    return r
