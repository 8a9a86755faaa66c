"""household_summary and compare: what a household holds now, and how two plans differ.

Both return figures computed here, so the assistant only ever shows numbers, never makes them.
"""

from __future__ import annotations

from pydantic import BaseModel

from .household import Household, Restriction
from .plan import Plan, holdings_after, measure
from .results import AccountSummary, Result, SummaryExtra, WithdrawExtra, cents, state_of
from .universe import build_universe


def with_no_sell(h: Household, tickers: list[str]) -> Household:
    """The same household with a no_sell restriction on each ticker in every account."""
    extra = [Restriction(account=a.id, ticker=t, rule="no_sell") for t in tickers for a in h.accounts if any(l.ticker == t for l in a.holdings)]
    return h.model_copy(update={"restrictions": list(h.restrictions) + extra})


def summarize(h: Household, horizon_years: float = 10.0) -> Result:
    """The household as it stands: value, allocation against target, drift, location, tax drag."""
    u = build_universe(h, horizon_years)
    values, cash = holdings_after(u, Plan())
    r = Result(
        tool="household_summary",
        household=h.name,
        as_of=h.as_of.isoformat(),
        status="optimal",
        solver="none",
        solve_seconds=0.0,
        before=(before := state_of(measure(u, values, cash))),
        warnings=list(u.warnings),
    )
    r.extra = SummaryExtra(
        accounts=[AccountSummary(id=a.id, kind=a.kind, owner=a.owner, value=before.account_values[a.id], lots=len(a.holdings)) for a in h.accounts],
        targets=dict(h.targets),
        unrealized_gain=cents(sum(l.shares * l.gain_per_share for l in u.lots if l.taxable)),
    )
    return r


class Comparison(BaseModel):
    """b minus a, for the figures an advisor compares between two plans."""

    tool_a: str
    tool_b: str
    estimated_tax: float
    trades: int
    drift_after: float
    location_score_after: float
    savings_total: float | None
    withdrawal_tax: float | None = None


def compare(a: Result, b: Result) -> Comparison:
    def tax(r: Result) -> float:
        return r.taxes.estimated_tax if r.taxes else 0.0

    w_a = a.extra.withdrawal.estimated_tax if isinstance(a.extra, WithdrawExtra) else None
    w_b = b.extra.withdrawal.estimated_tax if isinstance(b.extra, WithdrawExtra) else None
    return Comparison(
        tool_a=a.tool,
        tool_b=b.tool,
        estimated_tax=cents(tax(b) - tax(a)),
        trades=len(b.trades) - len(a.trades),
        drift_after=round((b.after.drift if b.after else 0.0) - (a.after.drift if a.after else 0.0), 6),
        location_score_after=round((b.after.location_score if b.after else 0.0) - (a.after.location_score if a.after else 0.0), 1),
        savings_total=cents(b.savings.total - a.savings.total) if (a.savings and b.savings) else None,
        withdrawal_tax=cents(w_b - w_a) if (w_a is not None and w_b is not None) else None,
    )
