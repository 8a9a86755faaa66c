"""Year 1 of the plan at lot level: the plan's first-year withdrawals and conversions, executed by
the withdraw model (specific lots, wash sales, the household allocation kept).

The multi-year plan works per owner and account kind; the withdraw model per account and lot. One
withdraw call carries the whole year: each account gives exactly its share (`from_accounts`: each
share is the account's minimum and the shares sum to the amount, so none gives more), and a Roth
conversion is a withdrawal from the owner's traditional accounts with a deposit of the same dollars
into the owner's Roth (in cash; the model then buys at target in the Roth). Within one owner and
kind the dollars are split by account value. The taxable accounts give what the plan takes from
taxable money in year 1 (sales plus the cash it spends, less what it reinvests). The return the
withdraw model prices is the plan's year-1 return: the household's tax profile is replaced by the
plan's other income of the year (Social Security, dividends), so the lot-level tax is comparable
with the plan's year-1 tax.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..household import Household
from ..results import Result
from ..scenarios import Options
from ..withdrawal import withdraw
from .rmd import rmd_share
from .tool import RetirePlan

CENT = 0.005


@dataclass(frozen=True)
class YearOneFlows:
    """Dollars of year 1 by account: withdrawn (gross) and deposited (conversions in)."""

    withdrawals: dict[str, float]
    deposits: dict[str, float]
    notes: list[str] = field(default_factory=list)


def _value(h: Household, acct) -> float:
    price = {s.ticker: s.price for s in h.securities}
    return acct.cash + sum(l.shares * price[l.ticker] for l in acct.holdings)


def _split(h: Household, accounts: list, dollars: float, out: dict[str, float]) -> float:
    """Add `dollars` over `accounts` by value; returns what they could not take (no account)."""
    if dollars <= CENT:
        return 0.0
    if not accounts:
        return dollars
    values = [_value(h, a) for a in accounts]
    total = sum(values)
    shares = [v / total if total > 0 else 1.0 / len(accounts) for v in values]
    given = 0.0
    for i, (a, s) in enumerate(zip(accounts, shares, strict=True)):
        d = round(dollars - given, 2) if i == len(accounts) - 1 else round(dollars * s, 2)
        given += d
        if d > 0:
            out[a.id] = round(out.get(a.id, 0.0) + d, 2)
    return 0.0


def year_one_flows(h: Household, r: RetirePlan) -> YearOneFlows:
    """The plan's first year, account by account (the owners as engine/retire/assumptions.py reads them)."""
    row, owners = r.rows[0], [o.name for o in r.input.owners]

    def owned(o: int, kinds: tuple[str, ...]) -> list:
        return [a for a in h.accounts if a.kind in kinds and ((owners.index(a.owner) if a.owner in owners else 0) == o)]

    out: dict[str, float] = {}
    dep: dict[str, float] = {}
    notes: list[str] = []
    for o, name in enumerate(owners):
        trad = owned(o, ("traditional",))
        _split(h, trad, row.traditional_withdrawals[o] + row.conversions[o], out)
        if row.conversions[o] > CENT:
            roth = owned(o, ("roth",))
            if not roth:
                notes.append(f"{name} has no Roth account: open one to receive the ${row.conversions[o]:,.2f} conversion")
            else:
                dep[roth[0].id] = round(dep.get(roth[0].id, 0.0) + row.conversions[o], 2)
        # Roth first, the HSA only when the owner has no Roth (the plan pools them as tax-free money).
        left = _split(h, owned(o, ("roth",)) or owned(o, ("hsa",)), row.roth_withdrawals[o], out)
        if left:
            notes.append(f"{name} has no Roth or HSA account for the ${left:,.2f} the plan takes from tax-free money")
    taxable_cash = sum(a.cash for a in h.accounts if a.kind == "taxable")
    net = row.taxable_sales + taxable_cash - row.deposit  # what taxable money gives to the year
    taxable = [a for a in h.accounts if a.kind == "taxable"]
    if net >= 0:
        _split(h, taxable, net, out)
    else:
        _split(h, taxable, -net, dep)  # the plan reinvests more than the taxable cash it spends
    return YearOneFlows({a: d for a, d in out.items() if d > 0}, {a: d for a, d in dep.items() if d > 0}, notes)


def year_one_household(h: Household, r: RetirePlan) -> Household:
    """The household with its tax profile set to the plan's year-1 income before withdrawals and sales."""
    inc = r.rows[0].income
    tax = h.tax.model_copy(
        update={
            "taxable_income": 0.0,
            "ordinary_income": inc.ordinary_income,
            "ordinary_investment_income": inc.ordinary_investment_income,
            "qualified_dividends": inc.qualified_dividends,
            "social_security_benefits": max(0.0, inc.social_security_benefits),
            "short_term_gains": 0.0,
            "long_term_gains": 0.0,
            "traditional_withdrawals_taken": 0.0,
            "birth_years": [o.birth_year for o in r.input.owners],
        }
    )
    return h.model_copy(update={"tax": tax})


def required_distributions(h: Household, r: RetirePlan) -> dict[str, float]:
    """Each traditional account's RMD of year 1 (its value times the owner's Uniform Lifetime share)."""
    out = {}
    for a in h.accounts:
        if a.kind == "traditional" and a.birth_year is not None:
            share = rmd_share(a.birth_year, r.input.start_year)
            if share > 0:
                out[a.id] = round(share * _value(h, a), 2)
    return out


def execute_year_one(h: Household, r: RetirePlan, options: Options | None = None) -> tuple[Result | None, YearOneFlows]:
    """The lot-level trades of the plan's first year (None when the year moves no money)."""
    if not r.rows:
        return None, YearOneFlows({}, {}, ["no plan"])
    flows = year_one_flows(h, r)
    amount = round(sum(flows.withdrawals.values()), 2)
    if amount <= 0:
        return None, flows
    o = (options or Options()).model_copy(update={"baseline": False})
    result = withdraw(year_one_household(h, r), amount, False, o, from_accounts=flows.withdrawals, deposits=flows.deposits)
    result.tool = "retire"
    result.warnings += flows.notes
    w = getattr(result.extra, "withdrawal", None)
    if w is not None:  # the shares were passed as minimums; the year's real minimums are the RMDs
        w.required_distributions = required_distributions(h, r)
    return result, flows


def year_one_text(res: Result, r: RetirePlan, flows: YearOneFlows | None = None) -> str:
    """Year 1's orders under the plan's table: what each account gives, the trades, the tax."""
    if res.status not in ("optimal", "feasible"):
        return f"Year 1 at lot level: not executed ({res.status}): {res.message}"
    w = getattr(res.extra, "withdrawal", None)
    lines = [f"Year {r.rows[0].year} at lot level (specific lots, wash sales and the allocation kept):"]
    if w is not None:
        lines.append("  out of each account: " + ", ".join(f"{a} ${d:,.2f}" for a, d in w.by_account.items()))
    if flows is not None and flows.deposits:
        lines.append("  into each account (conversions, cash reinvested): " + ", ".join(f"{a} ${d:,.2f}" for a, d in flows.deposits.items()))
    for t in res.trades:
        gain = f"  gain ${t.realized_gain:,.2f}" if t.realized_gain is not None else ""
        lines.append(f"  {t.action:4} {t.shares:12,.4f} {t.ticker:6} in {t.account:12} ${t.amount:12,.2f}{gain}")
    if res.taxes is not None:
        lines.append(f"  tax of the year at these lots: ${res.taxes.estimated_tax:,.2f} (the plan priced ${r.rows[0].tax:,.2f} on its pooled lots)")
    lines += [f"  note: {x}" for x in res.warnings]
    return "\n".join(lines)
