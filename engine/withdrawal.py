"""withdraw — raise cash at the least cost to the household, fixing drift and location on the way.

The same household model with a withdrawal flow out of each account. A dollar taken out costs:
  taxable      the tax on the gains its lots realize (lot by lot, in the model)
  traditional  the tax of the whole dollar as ordinary income, plus the 10% additional tax before
               59 1/2 (the exact return of the year, ExactTax; flat: the ordinary rate)
  Roth / HSA   the opportunity cost of giving up tax-free money: what the same dollar out of a
               traditional account would pay (the ordinary rate), plus the present value of the
               tax its growth would meet in a taxable account over the horizon (`shelter_value`),
               so tax-free money comes last unless a penalty makes it the cheaper source.
Required minimum distributions left for the year (`rmd_remaining`) are taken first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from .household import CASH_CLASS, Household
from .location import horizon_tax_cost
from .model import Flows, Scenario, Withdrawal
from .plan import Plan, holdings_after, taxes
from .plantax import exact_tax, uses_exact_tax, withdrawal_part
from .results import MislocatedSale, Result, UnmetWithdrawExtra, WithdrawalSummary, WithdrawBaseline, WithdrawExtra, cents, trades_of
from .scenarios import Options, Run, error_result, household_scenario, run_tool, solve_scenario
from .solve import SolveOutcome
from .taxdata import EARLY_WITHDRAWAL_AGE, EARLY_WITHDRAWAL_PENALTY, rmd_age
from .universe import TradeUniverse

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
    """Tax due now per dollar withdrawn, by account (traditional only), at flat marginal rates.
    Empty under the exact tax: the ExactTax term prices traditional withdrawals as the ordinary
    income of the year's return (and the 10% additional tax before 59 1/2)."""
    if uses_exact_tax(u.household):
        return {}
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
            costs[a] = income.get(a, 0.0)
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


def plan_tax(u: TradeUniverse, plan: Plan, income: Mapping[str, float]) -> tuple[float, float]:
    """(capital-gains tax, income tax on withdrawals) of a plan, dollars. Exact: the return with
    the plan minus without it (federal + state), split as the withdrawals alone and the rest."""
    if uses_exact_tax(u.household):
        whole, withdrawals = exact_tax(u, plan).total, withdrawal_part(u, plan)
        return whole - withdrawals, withdrawals
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
        for group in by_ticker.values():
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
            values = {a: v for a, v in holdings_after(u, Plan())[1].items() if a in cap}
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


def _baseline_summary(u: TradeUniverse, plan: Plan, status: str, income: dict[str, float]) -> WithdrawBaseline:
    gains_tax, income_tax = plan_tax(u, plan, income)
    gross = sum(plan.withdrawals.values())
    return WithdrawBaseline(
        status=status,
        gross=cents(gross),
        estimated_tax=cents(gains_tax + income_tax),
        net=cents(gross - gains_tax - income_tax),
        by_account={a: cents(w) for a, w in plan.withdrawals.items()},
        trades=trades_of(u, plan),
    )


def withdraw(
    h: Household,
    amount: float,
    net: bool = False,
    options: Options | None = None,
    *,
    from_accounts: Mapping[str, float] | None = None,
    deposits: Mapping[str, float] | None = None,
) -> Result:
    """Raise `amount` dollars (gross, or after tax with `net`) at the least cost to the household.

    `from_accounts` fixes how much each account gives (gross; `amount` is their sum): each is the
    account's minimum, so with the sum fixed every account gives exactly its share and the model
    still picks the lots, keeps the allocation and the wash-sale rule (the retirement plan's year 1,
    engine/retire/yearone.py). `deposits` go into accounts in the same plan (a Roth conversion: out
    of the IRA as a withdrawal, into the Roth as a deposit)."""
    o = options or Options()
    if amount <= 0:
        return error_result("withdraw", h, f"amount: {amount} is not a positive dollar amount; ask for e.g. 50000")
    frozen = frozenset(o.exclude_accounts)
    if from_accounts is not None and abs(sum(from_accounts.values()) - amount) > 0.005:
        return error_result("withdraw", h, f"from_accounts: the accounts' dollars sum to {sum(from_accounts.values()):,.2f}, not the amount {amount:,.2f}")

    def declare(u: TradeUniverse) -> Scenario:
        income = income_rates(u)
        minimum = dict(from_accounts) if from_accounts is not None else rmd_minimums(u, amount)
        flow = Withdrawal(amount, net, income, withdrawal_costs(u, income), minimum)
        return household_scenario("withdraw", u, o, flows=Flows(deposits=dict(deposits or {}), withdrawal=flow), extra=withdraw_extra)

    def most(u: TradeUniverse) -> float:
        return sum(max(v, 0.0) for v in capacity(u, frozen).values())

    def check(u: TradeUniverse, sc: Scenario, solver: str) -> Result | None:
        return _unmet(u, h, amount, most(u), frozen, solver) if amount > most(u) + 0.005 else None

    def unmet(u: TradeUniverse, sc: Scenario, solver: str, outcome: SolveOutcome) -> Result:
        return _unmet(u, h, amount, most(u), frozen, solver, outcome.message, outcome.status)

    accounts = {"from_accounts": list(from_accounts or {}), "deposits": list(deposits or {})}
    return run_tool("withdraw", h, o, declare, accounts=accounts, check=check, unmet=unmet, refine=_settle_net(o.time_limit) if net else None, baseline=False)


def _settle_net(time_limit: float):
    """Flat rates: the model prices tax linearly while the reported estimate follows Schedule D;
    exact: the model's tax is the report's, and only share rounding is left. Re-solve with the
    gap added to the amount asked until they meet, keeping each plan with the outcome that made it."""

    def settle(u: TradeUniverse, sc: Scenario, solver: str, outcome: SolveOutcome, plan: Plan) -> tuple[SolveOutcome, Plan, list[str]]:
        return _settle(u, sc, solver, time_limit, outcome, plan)

    return settle


def _settle(u: TradeUniverse, sc: Scenario, solver: str, time_limit: float, outcome: SolveOutcome, plan: Plan) -> tuple[SolveOutcome, Plan, list[str]]:
    w = sc.flows.withdrawal
    assert w is not None
    amount, asked = w.amount, w.amount
    for _ in range(8):
        gains_tax, income_tax = plan_tax(u, plan, w.income_rate)
        gap = amount - (sum(plan.withdrawals.values()) - gains_tax - income_tax)
        if abs(gap) < 0.01 or asked + gap <= 0:
            break
        asked += gap
        again = replace(sc, flows=replace(sc.flows, withdrawal=replace(w, amount=asked)))
        outcome2, plan2 = solve_scenario(u, again, solver, time_limit)
        if plan2 is None:
            break
        outcome, plan = outcome2, plan2
    gains_tax, income_tax = plan_tax(u, plan, w.income_rate)
    short = amount - (sum(plan.withdrawals.values()) - gains_tax - income_tax)
    if abs(short) >= 0.01:
        return outcome, plan, [f"the net amount differs from the request by ${short:,.2f}: the tax estimate did not settle"]
    return outcome, plan, []


def withdraw_extra(run: Run) -> WithdrawExtra:
    u, plan, w = run.u, run.plan, run.scenario.flows.withdrawal
    assert plan is not None and w is not None
    gains_tax, income_tax = plan_tax(u, plan, w.income_rate)
    gross = sum(plan.withdrawals.values())
    lots = {l.key: l for l in u.lots}
    frozen, income = run.scenario.trading.frozen_accounts, dict(w.income_rate)
    baselines = {order: _baseline_summary(u, *rule_plan(u, order, w.amount, w.net, frozen, income), income) for order in ("pro_rata", "taxable_first")}
    cheaper = min(baselines, key=lambda k: baselines[k].estimated_tax)
    return WithdrawExtra(
        withdrawal=WithdrawalSummary(
            gross=cents(gross),
            estimated_tax=cents(gains_tax + income_tax),
            net=cents(gross - gains_tax - income_tax),
            by_account={a: cents(v) for a, v in sorted(plan.withdrawals.items())},
            required_distributions={a: cents(v) for a, v in w.minimum.items()},
        ),
        mislocated_sold=[
            MislocatedSale(account=k[0], lot_id=k[1], ticker=lots[k].ticker, amount=cents(sh * lots[k].price))
            for k, sh in sorted(plan.sells.items())
            if u.location.cost(lots[k].ticker, u.kind[k[0]]) > 1e-9
        ],
        baselines=baselines,
        savings_against=cheaper,
        savings_tax=cents(baselines[cheaper].estimated_tax - (gains_tax + income_tax)),
    )


def _unmet(u: TradeUniverse, h: Household, amount: float, most: float, frozen: frozenset[str], solver: str, why: str = "", status: str = "infeasible") -> Result:
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
    r = error_result("withdraw", h, f"cannot raise ${amount:,.2f}: " + "; ".join(parts), status="error" if status == "error" else "infeasible", solver=solver)
    r.extra = UnmetWithdrawExtra(max_raisable=cents(most))
    return r
