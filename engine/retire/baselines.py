"""Rule-based plans on the same assumptions, priced year by year with `federal_tax`:
conventional order (taxable, then traditional, then Roth; no conversions) and pro rata (each
year's draw split by the balances). RMDs are taken first in both; a surplus is bought in the
taxable account at cost. The claiming ages are the plan's."""

# ruff: noqa: B023 -- draws() and priced() are called only inside the year that defines them

from __future__ import annotations

from dataclasses import dataclass

from ..tax.federal import YearIncome, federal_tax
from ..taxdata import IRMAA_LOOKBACK_YEARS, indexed_irmaa_tiers, indexed_tax_year
from .model import PlanInput
from .rmd import rmd_share
from .ss import own_benefit, spousal_top_up


@dataclass(frozen=True)
class Baseline:
    order: str
    legacy: float  # after-tax, today's dollars (0 if the money ran out)
    lifetime_tax: float  # today's dollars, tax + IRMAA
    lasts_through: int | None  # the last year spending is met (None: every year)


def _irmaa(status: str, year: int, inflation: float, magi: float, persons: int) -> float:
    extra = 0.0
    for bound, step, at_bound in indexed_irmaa_tiers(status, year, inflation):
        if magi > bound or (at_bound and magi >= bound):
            extra = step
    return 12 * persons * extra


def simulate(p: PlanInput, order: str, claims: dict[int, int]) -> Baseline:
    n, g = len(p.owners), 1.0 + p.total_return
    price = 1.0 + p.total_return - p.taxable_yield
    trad = [o.traditional for o in p.owners]
    roth = [o.roth for o in p.owners]
    value, basis = sum(x.value for x in p.taxable) + p.cash, sum(x.basis for x in p.taxable) + p.cash
    dividends_before, lifetime = 0.0, 0.0
    magis: list[float] = []
    for t in range(p.years):
        year, idx = p.start_year + t, p.index(t)
        ss = 0.0
        for o, ow in enumerate(p.owners):
            a = claims.get(o, ow.claim_age or 70)
            if p.age(o, t) >= a:
                ss += idx * own_benefit(ow.pia_monthly, ow.birth_year, a)
                w = 1 - o
                if n == 2 and p.age(w, t) >= claims.get(w, p.owners[w].claim_age or 70):
                    ss += idx * spousal_top_up(ow.pia_monthly, p.owners[w].pia_monthly, ow.birth_year, a)
        rmd = [rmd_share(ow.birth_year, year) * trad[o] for o, ow in enumerate(p.owners)]
        persons = sum(1 for o in range(n) if p.age(o, t) >= 65)
        irmaa = _irmaa(p.filing_status, year, p.inflation, magis[t - IRMAA_LOOKBACK_YEARS], persons) if t >= IRMAA_LOOKBACK_YEARS and p.irmaa else 0.0
        facts = indexed_tax_year(year, p.inflation, p.law_expires)
        ratio = 1.0 - basis / value if value > 0 else 0.0
        spend = p.spending * idx

        def draws(gross: float) -> tuple[float, list[float], list[float]]:
            """(from taxable, from each traditional beyond the RMD, from each Roth) for `gross`."""
            left = [trad[o] - rmd[o] for o in range(n)]
            if order == "pro_rata":
                total = value + sum(left) + sum(roth)
                share = min(1.0, gross / total) if total > 0 else 0.0
                return value * share, [x * share for x in left], [x * share for x in roth]
            tx = min(gross, value)
            rest = gross - tx
            tr_all = sum(left)
            tr = [rest * x / tr_all if tr_all > 0 else 0.0 for x in left] if rest <= tr_all else left
            rest -= sum(tr)
            ro_all = sum(roth)
            ro = [min(rest, ro_all) * x / ro_all if ro_all > 0 else 0.0 for x in roth]
            return tx, tr, ro

        def priced(gross: float):
            tx, tr, ro = draws(gross)
            div = p.taxable_yield * (value - tx)
            y = YearIncome(
                p.filing_status,
                seniors=persons,
                ordinary_income=(1 - p.qualified_share) * div,
                ordinary_investment_income=(1 - p.qualified_share) * div,
                traditional_withdrawals=sum(rmd) + sum(tr),
                early_withdrawals=sum(rmd[o] + tr[o] for o in range(n) if p.age(o, t) < 60),
                long_term_gains=tx * ratio,
                qualified_dividends=p.qualified_share * div,
                social_security_benefits=ss,
            )
            f = federal_tax(y, facts)
            tax = f.total + p.state_rate * f.taxable_income
            cash = ss + dividends_before + sum(rmd) + tx + sum(tr) + sum(ro) - tax - irmaa - spend
            return cash, tax, f.magi_irmaa, (tx, tr, ro, div)

        most = value + sum(trad) - sum(rmd) + sum(roth)
        cash, tax, magi, flows = priced(0.0)
        if cash < 0:
            if priced(most)[0] < -0.005:
                return Baseline(order, 0.0, lifetime, year - 1)
            lo, hi = 0.0, most
            for _ in range(60):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if priced(mid)[0] < 0 else (lo, mid)
            cash, tax, magi, flows = priced(hi)
        tx, tr, ro, div = flows
        lifetime += (tax + irmaa) / idx
        magis.append(magi)
        basis = basis * (1 - tx / value) if value > 0 else 0.0
        value -= tx
        value, basis = value + max(cash, 0.0), basis + max(cash, 0.0)  # surplus bought at cost
        value *= price
        trad = [(trad[o] - rmd[o] - tr[o]) * g for o in range(n)]
        roth = [(roth[o] - ro[o]) * g for o in range(n)]
        dividends_before = div  # paid on what was held through the year; a surplus earns from next year
    end = value + dividends_before + sum(roth) + (1 - p.heirs_rate) * sum(trad)
    return Baseline(order, end / p.index(p.years), lifetime, None)
