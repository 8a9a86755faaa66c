"""contribute, locate and harvest: scenarios of the one household model, a few lines each
plus what each reports beyond the shared Result."""

from __future__ import annotations

from collections import defaultdict

from .household import Household
from .model import Flows, Scenario, Trading
from .plan import Plan
from .plantax import bracket_headroom, carryforward_rate, exact_tax, loss_value, uses_exact_tax, year_of
from .results import (
    BlockedLot,
    Contribution,
    ContributionExtra,
    Extra,
    GainHarvest,
    GainLot,
    HarvestCandidate,
    HarvestExtra,
    LocationAction,
    LocationExtra,
    LocationSummary,
    Result,
    cents,
)
from .scenarios import Options, Run, error_result, household_scenario, run_tool, unknown_accounts
from .tax import federal_tax
from .taxdata import tax_year
from .universe import TradeUniverse


def contribute(h: Household, amount: float, account: str, options: Options | None = None, allow_sells: bool = False) -> Result:
    """Invest new money in one account, moving the household toward target and best location."""
    o = options or Options()
    bad = unknown_accounts(h, account=[account])
    if bad:
        return error_result("contribute", h, bad[0])
    if amount <= 0:
        return error_result("contribute", h, f"amount: {amount} is not a positive dollar amount")
    # New money goes where the advisor sends it; other accounts are left alone unless sells are allowed.
    others = frozenset(a.id for a in h.accounts if a.id != account) if not allow_sells else frozenset(o.exclude_accounts)
    trading = Trading(allow_sells=allow_sells, frozen_accounts=others, cost_rate=o.transaction_cost)

    def extra(run: Run) -> ContributionExtra:
        return ContributionExtra(contribution=Contribution(account=account, amount=cents(amount)))

    return run_tool("contribute", h, o, lambda u: household_scenario("contribute", u, o, trading=trading, flows=Flows(deposits={account: amount}), extra=extra))


def locate(h: Household, options: Options | None = None) -> Result:
    """How well the assets sit in their accounts, and the moves that improve it, best first."""
    o = options or Options()
    return run_tool("locate", h, o, lambda u: household_scenario("locate", u, o, extra=location_extra))


def location_extra(run: Run) -> Extra:
    r = run.result
    if r.after is None or r.before is None:
        return Extra()
    return LocationExtra(
        location=LocationSummary(
            score_now=r.before.location_score,
            score_after_plan=r.after.location_score,
            score_best=100.0,
            annual_tax_drag_now=r.before.annual_tax_drag,
            annual_tax_drag_after_plan=r.after.annual_tax_drag,
            lost_over_horizon_now=r.before.location_loss,
            gained_over_horizon_by_plan=cents(r.before.location_loss - r.after.location_loss),
            horizon_years=run.o.horizon_years,
        ),
        next_best_actions=next_best_actions(run.u, r),
    )


def next_best_actions(u: TradeUniverse, r: Result) -> list[LocationAction]:
    """The plan's trades grouped into one swap per account, each with the horizon dollars it
    gains and the tax it costs today; tax-free swaps first, then by gain per tax dollar."""
    by_account: dict[str, list] = defaultdict(list)
    for t in r.trades:
        by_account[t.account].append(t)
    actions: list[LocationAction] = []
    year = year_of(u)
    for account, trades in by_account.items():
        kind = u.kind[account]
        gain = 0.0
        for t in trades:
            sign = -1 if t.action == "sell" else 1
            gain -= sign * t.amount * u.location.cost(t.ticker, kind)
        tax = sum(t.realized_gain or 0.0 for t in trades if t.action == "sell")
        if uses_exact_tax(u.household):
            # This swap's sells alone, priced by the year's return (the other swaps not made).
            alone = Plan(sells={(t.account, t.lot_id): t.shares for t in trades if t.action == "sell" and t.lot_id})
            rate_tax = exact_tax(u, alone, year).total
        else:
            rate_tax = sum((t.realized_gain or 0.0) * (u.rates.short_term if t.term == "short" else u.rates.long_term) for t in trades if t.action == "sell")
        sells = [f"sell {t.ticker} {_money(t.amount)}" for t in trades if t.action == "sell"]
        buys = [f"buy {t.ticker} {_money(t.amount)}" for t in trades if t.action == "buy"]
        actions.append(
            LocationAction(
                account=account,
                kind=kind,
                action=f"In {account}: " + ", ".join(sells + buys),
                benefit_over_horizon=cents(gain),
                tax_cost_today=cents(max(rate_tax, 0.0)),
                realized_gain=cents(tax),
            )
        )
    actions.sort(key=lambda a: (a.tax_cost_today > 0, -(a.benefit_over_horizon / max(a.tax_cost_today, 1.0))))
    for i, a in enumerate(actions, 1):
        a.rank = i
    return actions


def _money(x: float) -> str:
    return f"${x:,.2f}"


def harvest(h: Household, min_loss: float = 500.0, gains: bool = False, options: Options | None = None) -> Result:
    """Sell taxable lots with losses worth harvesting, buy replacements that keep the allocation."""
    o = (options or Options()).model_copy(update={"location_weight": 0.0})

    def declare(u: TradeUniverse) -> Scenario:
        candidates, blocked = harvest_candidates(u, min_loss, frozenset(o.exclude_accounts))
        keys = frozenset((c["account"], c["lot_id"]) for c in candidates)
        trading = Trading(sell_only=keys, frozen_accounts=frozenset(o.exclude_accounts), cost_rate=o.transaction_cost)
        return household_scenario("harvest", u, o, harvest=True, trading=trading, extra=lambda run: harvest_extra(run, candidates, blocked, gains))

    return run_tool("harvest", h, o, declare)


def harvest_candidates(u: TradeUniverse, min_loss: float, excluded: frozenset[str]) -> tuple[list[dict], list[dict]]:
    """(lots worth harvesting, lots with such a loss that may not be sold and why)."""
    substitutes: dict[str, list[str]] = defaultdict(list)
    for group in u.household.substitutes:
        for t in group:
            substitutes[t] += [x for x in group if x != t]
    candidates, blocked = [], []
    sellable = {l.key for l in u.sellable if l.account not in excluded}
    exact, year = uses_exact_tax(u.household), year_of(u)
    for lot in u.lots:
        loss = -(lot.shares * lot.gain_per_share)
        if not lot.is_loss or loss < min_loss:
            continue
        if exact:
            # The lot sold alone: the tax it saves this year plus, beyond this year's deduction,
            # the carryforward at next years' rate discounted (engine/plantax.py loss_value).
            value = loss_value(u, Plan(sells={lot.key: lot.shares}), year).total
        else:
            value = loss * (u.rates.short_term if lot.term == "short" else u.rates.long_term)
        row = {"account": lot.account, "lot_id": lot.lot_id, "ticker": lot.ticker, "loss": cents(loss), "term": lot.term, "tax_value": cents(value)}
        row["replacement"] = replacement_for(u, lot.ticker, substitutes[lot.ticker])
        if lot.key not in sellable:
            blocked.append({**row, "why": "a restriction or exclusion keeps this lot from being sold"})
        elif lot.key in u.loss_blocked:
            blocked.append({**row, "why": "wash sale: " + u.loss_blocked[lot.key]})
        else:
            candidates.append(row)
    return candidates, blocked


def replacement_for(u: TradeUniverse, ticker: str, substitutes: list[str]) -> str | None:
    """What to buy in place of `ticker` sold at a loss: a security on its class's buy list, not
    identical to it (wash sale), not barred from purchase now, and never a single stock in place
    of a fund; a listed substitute first."""
    h = u.household
    fund = h.security(ticker).kind != "stock"
    listed = h.buy_list(u.asset_class(ticker))
    ok = [x for x in listed if u.wash_group[x] != u.wash_group[ticker] and x not in u.buy_blocked and not (fund and h.security(x).kind == "stock")]
    return next((x for x in substitutes if x in ok), ok[0] if ok else None)


def harvest_extra(run: Run, candidates: list[dict], blocked: list[dict], gains: bool) -> HarvestExtra:
    r, u = run.result, run.u
    harvested = {(t.account, t.lot_id) for t in r.trades if t.action == "sell"}
    extra = HarvestExtra(
        candidates=[HarvestCandidate(**c, harvested=(c["account"], c["lot_id"]) in harvested) for c in candidates],
        blocked=[BlockedLot(**b) for b in blocked],
    )
    if r.taxes:
        limit = u.rates.loss_deduction_limit
        net = r.taxes.short_term_gain + r.taxes.long_term_gain
        extra.loss_rules = (
            f"Short-term losses first offset short-term gains (taxed at the ordinary rate), long-term losses long-term gains; "
            f"a net loss of {_money(-net) if net < 0 else '$0.00'} this year lowers ordinary income by at most {_money(limit)} "
            f"and the rest ({_money(r.taxes.loss_carryforward)}) carries forward to later years."
        )
        if uses_exact_tax(u.household) and run.plan is not None:
            v = loss_value(u, run.plan)
            extra.loss_rules += (
                f" This plan saves {_money(v.this_year)} of tax this year; the {_money(v.carried)} it carries beyond this year's deduction "
                f"is valued at next years' long-term rate discounted a year ({100 * carryforward_rate(u):.2f}%): {_money(v.carried_value)} today."
            )
    if gains:
        sold_at_loss = {u.wash_group[d.ticker] for d in r.do_not_buy}
        extra.gain_harvest = gain_harvest(u, run.scenario.trading.frozen_accounts, sold_at_loss)
    return extra


def gain_harvest(u: TradeUniverse, excluded: frozenset[str] = frozenset(), sold_at_loss: set[str] | None = None) -> GainHarvest:
    """Long-term gains that fit in the 0% bracket: sell and buy back at once to step up basis."""
    status, income = u.household.tax.filing_status, u.household.tax.taxable_income
    zero_top = tax_year(u.household.as_of.year).long_term[status][0]
    exact = uses_exact_tax(u.household)
    if exact:
        # Gain that fits at 0%: the year's own income, deductions and Social Security counted.
        headroom = bracket_headroom(u) if federal_tax(year_of(u).base, year_of(u).facts).taxable_income < zero_top else 0.0
    else:
        headroom = max(0.0, zero_top - income)
    picks, used = [], 0.0
    # Buying back a ticker the plan sold at a loss would wash that loss: leave those groups out.
    skip = sold_at_loss or set()
    lots = sorted(
        (l for l in u.sellable if l.taxable and l.term == "long" and l.gain_per_share > 0 and l.account not in excluded and u.wash_group[l.ticker] not in skip),
        key=lambda l: -l.gain_per_share / l.price,
    )
    for l in lots:
        if used >= headroom - 0.01:
            break
        shares = min(l.shares, (headroom - used) / l.gain_per_share)
        gain = shares * l.gain_per_share
        picks.append(
            GainLot(account=l.account, lot_id=l.lot_id, ticker=l.ticker, shares=round(shares, 6), gain=cents(gain), action="sell and buy back at once (a gain is not a wash sale)")
        )
        used += gain
    if exact:
        chosen = Plan(sells={(p.account, p.lot_id): p.shares for p in picks})
        t = exact_tax(u, chosen)
        federal, state_tax = t.federal, t.state
    else:
        federal, state_tax = 0.0, used * u.household.tax.state_rate
    return GainHarvest(headroom=cents(headroom), gain_realized=cents(used), federal_tax=cents(federal), state_tax=cents(state_tax), lots=picks)
