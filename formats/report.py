"""The text report of a Result, for the terminal, and the money and percent formats every rendering shares."""
from __future__ import annotations


from engine.results import HarvestExtra, LocationExtra, Result, Trade, UnmetWithdrawExtra, WithdrawExtra

def money(x: float | None) -> str:
    if x is None:
        return ""
    return f"-${abs(x):,.2f}" if x < 0 else f"${x:,.2f}"


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


TRADE_COLUMNS = ["account", "action", "ticker", "shares", "amount", "lot", "gain", "term"]


def trade_rows(trades: list[Trade]) -> list[list[str]]:
    """The trades table as data, one row of TRADE_COLUMNS per trade, money in cents: every
    rendering (terminal, chat) lays out these rows."""
    return [[t.account, t.action, t.ticker, f"{t.shares:g}", money(t.amount), t.lot_id or "", money(t.realized_gain), t.term or ""] for t in trades]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def text_report(r: Result, targets: dict[str, float] | None = None) -> str:
    out = [f"{r.tool} — {r.household} (as of {r.as_of})", f"status: {r.status} · solver {r.solver} · {r.solve_seconds:.2f} s" + (f" · gap {100 * r.gap:.2f}%" if r.gap else "")]
    if r.message:
        out.append(r.message)
    if r.before and r.after:
        classes = list(r.before.allocation)
        rows = [[c, percent((targets or {}).get(c, 0.0)) if targets is not None else "", percent(r.before.allocation[c]), percent(r.after.allocation.get(c, 0.0))] for c in classes]
        rows.append(["drift", "", percent(r.before.drift), percent(r.after.drift)])
        rows.append(["location score", "", f"{r.before.location_score:.1f}", f"{r.after.location_score:.1f}"])
        rows.append(["annual tax drag", "", money(r.before.annual_tax_drag), money(r.after.annual_tax_drag)])
        out += ["", _table(rows, ["", "target", "before", "after"])]
    if r.trades:
        out += ["", f"Trades ({len(r.trades)})", _table(trade_rows(r.trades), TRADE_COLUMNS)]
    elif r.status in ("optimal", "feasible") and not r.message:
        out += ["", "No trades: the household is already where it should be."]
    if r.taxes and r.costs:
        t = r.taxes
        out += ["", f"Realized gains: short-term {money(t.short_term_gain)}, long-term {money(t.long_term_gain)}; estimated tax {money(t.estimated_tax)}"
                + (f"; loss carried forward {money(t.loss_carryforward)}" if t.loss_carryforward else ""),
                f"Implementation cost (tax + transaction): {money(r.costs.implementation)}"]
    if r.baseline and r.savings:
        b, s = r.baseline, r.savings
        out += ["", f"Against account-by-account ({len(b.trades)} trades, tax {money(b.estimated_tax)}, drift after {percent(b.after.drift)}, location score {b.after.location_score:.1f}):",
                f"  saves {money(s.tax)} tax today, {money(s.location_value)} after tax over the horizon from location ({money(s.location_value_today)} today); total {money(s.total)}"]
    if r.off_target:
        out += ["", "Off target, and why:"] + [f"  - {n}" for n in r.off_target]
    if r.do_not_buy:
        out += ["", "Do not buy (wash-sale rule, any household account):"] + [f"  {d.ticker} until {d.until}" for d in r.do_not_buy]
    out += _tool_section(r)
    if r.warnings:
        out += ["", "Warnings:"] + [f"  - {w}" for w in r.warnings]
    out += ["", r.disclaimer]
    return "\n".join(out)


def _tool_section(r: Result) -> list[str]:
    """What withdraw, harvest, locate and contribute add to the shared report: one renderer per
    extra type."""
    x = r.extra
    if isinstance(x, WithdrawExtra):
        return _withdrawal_section(x)
    if isinstance(x, UnmetWithdrawExtra):
        return ["", f"Most that can be raised: {money(x.max_raisable)}"]
    if isinstance(x, HarvestExtra):
        return _harvest_section(x)
    if isinstance(x, LocationExtra):
        return _location_section(x)
    return []


def _withdrawal_section(x: WithdrawExtra) -> list[str]:
    w = x.withdrawal
    out = ["", f"Withdrawal: gross {money(w.gross)}, estimated tax {money(w.estimated_tax)}, net {money(w.net)}"]
    out += [f"  from {a}: {money(v)}" for a, v in w.by_account.items()]
    for name, b in x.baselines.items():
        out.append(f"  {name.replace('_', ' ')} would cost {money(b.estimated_tax)} in tax ({b.status})")
    out.append(f"  saves {money(x.savings_tax)} in tax against {x.savings_against.replace('_', ' ')}")
    return out


def _harvest_section(x: HarvestExtra) -> list[str]:
    rows = [[c.account, c.ticker, c.lot_id, money(c.loss), c.term or "", money(c.tax_value), c.replacement or "-", "yes" if c.harvested else "no"] for c in x.candidates]
    out = ["", "Harvest candidates", _table(rows, ["account", "ticker", "lot", "loss", "term", "tax value", "replace with", "harvested"]) if rows else "  none above the threshold"]
    out += [f"  blocked: {b.ticker} {b.lot_id} in {b.account}: {b.why}" for b in x.blocked]
    if x.loss_rules is not None:
        out.append(x.loss_rules)
    if x.gain_harvest is not None:
        g = x.gain_harvest
        out.append(f"0% bracket gain harvest: headroom {money(g.headroom)}, realize {money(g.gain_realized)} in {len(g.lots)} lots (state tax {money(g.state_tax)})")
    return out


def _location_section(x: LocationExtra) -> list[str]:
    loc = x.location
    out = ["", f"Location score {loc.score_now} now, {loc.score_after_plan} after the plan (100 = best reachable); "
           f"tax drag {money(loc.annual_tax_drag_now)}/yr now, {money(loc.annual_tax_drag_after_plan)}/yr after; "
           f"gain over {loc.horizon_years:g} years {money(loc.gained_over_horizon_by_plan)}"]
    out += [f"  {a.rank}. {a.action} — gains {money(a.benefit_over_horizon)} over the horizon, tax today {money(a.tax_cost_today)}" for a in x.next_best_actions]
    return out
