"""contribute, locate and harvest: scenarios of the one household model, a few lines each
plus what each reports beyond the shared Result."""
from __future__ import annotations

from collections import defaultdict

from .household import Household
from .results import Result, cents
from .scenarios import Options, _error, run_scenario
from .taxdata import tax_year
from .universe import build_universe


def contribute(h: Household, amount: float, account: str, options: Options | None = None, allow_sells: bool = False) -> Result:
    """Invest new money in one account, moving the household toward target and best location."""
    ids = [a.id for a in h.accounts]
    if account not in ids:
        return _error("contribute", h, f"account: no account {account!r}; accounts are {', '.join(ids)}")
    if amount <= 0:
        return _error("contribute", h, f"amount: {amount} is not a positive dollar amount")
    o = options or Options()
    # New money goes where the advisor sends it; other accounts are left alone unless sells are allowed.
    others = frozenset(a for a in ids if a != account) if not allow_sells else frozenset(o.exclude_accounts)
    r = run_scenario("contribute", h, o, deposits={account: amount}, allow_sells=allow_sells, frozen_accounts=others)
    r.extra["contribution"] = {"account": account, "amount": cents(amount)}
    return r


def locate(h: Household, options: Options | None = None) -> Result:
    """How well the assets sit in their accounts, and the moves that improve it, best first."""
    o = (options or Options()).model_copy(update={"tolerance": 0.0})
    r = run_scenario("locate", h, o)
    if r.after is None or r.before is None:
        return r
    u = build_universe(h, o.horizon_years)
    r.extra["location"] = {
        "score_now": r.before.location_score,
        "score_after_plan": r.after.location_score,
        "score_best": 100.0,
        "annual_tax_drag_now": r.before.annual_tax_drag,
        "annual_tax_drag_after_plan": r.after.annual_tax_drag,
        "lost_over_horizon_now": r.before.location_loss,
        "gained_over_horizon_by_plan": cents(r.before.location_loss - r.after.location_loss),
        "horizon_years": o.horizon_years,
    }
    r.extra["next_best_actions"] = next_best_actions(u, r)
    return r


def next_best_actions(u, r: Result) -> list[dict]:
    """The plan's trades grouped into one swap per account, each with the horizon dollars it
    gains and the tax it costs today; tax-free swaps first, then by gain per tax dollar."""
    by_account: dict[str, list] = defaultdict(list)
    for t in r.trades:
        by_account[t.account].append(t)
    actions = []
    for account, trades in by_account.items():
        kind = u.kind[account]
        gain = 0.0
        for t in trades:
            sign = -1 if t.action == "sell" else 1
            gain -= sign * t.amount * u.location.cost(t.ticker, kind)
        tax = sum(t.realized_gain or 0.0 for t in trades if t.action == "sell")
        rate_tax = sum((t.realized_gain or 0.0) * (u.rates.short_term if t.term == "short" else u.rates.long_term) for t in trades if t.action == "sell")
        sells = [f"sell {t.ticker} {_money(t.amount)}" for t in trades if t.action == "sell"]
        buys = [f"buy {t.ticker} {_money(t.amount)}" for t in trades if t.action == "buy"]
        actions.append({
            "account": account, "kind": kind,
            "action": f"In {account}: " + ", ".join(sells + buys),
            "benefit_over_horizon": cents(gain), "tax_cost_today": cents(max(rate_tax, 0.0)),
            "realized_gain": cents(tax),
        })
    actions.sort(key=lambda a: (a["tax_cost_today"] > 0, -(a["benefit_over_horizon"] / max(a["tax_cost_today"], 1.0))))
    for i, a in enumerate(actions, 1):
        a["rank"] = i
    return actions


def _money(x: float) -> str:
    return f"${x:,.2f}"


def harvest(h: Household, min_loss: float = 500.0, gains: bool = False, options: Options | None = None) -> Result:
    """Sell taxable lots with losses worth harvesting, buy replacements that keep the allocation."""
    o = options or Options()
    u = build_universe(h, o.horizon_years)
    substitutes = defaultdict(list)
    for group in h.substitutes:
        for t in group:
            substitutes[t] += [x for x in group if x != t]
    candidates, blocked, keys = [], [], set()
    sellable = {l.key for l in u.sellable if l.account not in o.exclude_accounts}
    for lot in u.lots:
        loss = -(lot.shares * lot.gain_per_share)
        if not lot.is_loss or loss < min_loss:
            continue
        rate = u.rates.short_term if lot.term == "short" else u.rates.long_term
        row = {"account": lot.account, "lot_id": lot.lot_id, "ticker": lot.ticker, "loss": cents(loss), "term": lot.term,
               "tax_value": cents(loss * rate)}
        replacement = next(
            (x for x in substitutes[lot.ticker]
             if u.asset_class(x) == u.asset_class(lot.ticker) and u.wash_group[x] != u.wash_group[lot.ticker] and x not in u.buy_blocked),
            None,
        )
        row["replacement"] = replacement
        if lot.key not in sellable:
            blocked.append({**row, "why": "a restriction or exclusion keeps this lot from being sold"})
        elif lot.key in u.loss_blocked:
            blocked.append({**row, "why": "wash sale: " + u.loss_blocked[lot.key]})
        else:
            candidates.append(row)
            keys.add(lot.key)
    r = run_scenario("harvest", h, o.model_copy(update={"location_weight": 0.0}), harvest=True, sell_only=frozenset(keys))
    harvested = {(t.account, t.lot_id) for t in r.trades if t.action == "sell"}
    for c in candidates:
        c["harvested"] = (c["account"], c["lot_id"]) in harvested
    r.extra["candidates"] = candidates
    r.extra["blocked"] = blocked
    if r.taxes:
        limit = u.rates.loss_deduction_limit
        net = r.taxes.short_term_gain + r.taxes.long_term_gain
        r.extra["loss_rules"] = (
            f"Short-term losses first offset short-term gains (taxed at the ordinary rate), long-term losses long-term gains; "
            f"a net loss of {_money(-net) if net < 0 else '$0.00'} this year lowers ordinary income by at most {_money(limit)} "
            f"and the rest ({_money(r.taxes.loss_carryforward)}) carries forward to later years."
        )
    if gains:
        sold_at_loss = {u.wash_group[d.ticker] for d in r.do_not_buy}
        r.extra["gain_harvest"] = gain_harvest(u, frozenset(o.exclude_accounts), sold_at_loss)
    return r


def gain_harvest(u, excluded: frozenset[str] = frozenset(), sold_at_loss: set[str] | None = None) -> dict:
    """Long-term gains that fit in the 0% bracket: sell and buy back at once to step up basis."""
    status, income = u.household.tax.filing_status, u.household.tax.taxable_income
    zero_top = tax_year(u.household.as_of.year).long_term[status][0]
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
        picks.append({"account": l.account, "lot_id": l.lot_id, "ticker": l.ticker, "shares": round(shares, 6), "gain": cents(gain),
                      "action": "sell and buy back at once (a gain is not a wash sale)"})
        used += gain
    state_tax = used * u.household.tax.state_rate
    return {"headroom": cents(headroom), "gain_realized": cents(used), "federal_tax": 0.0, "state_tax": cents(state_tax), "lots": picks}
