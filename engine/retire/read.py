"""Read a solved plan: one row per year, and each year's income as the return sees it."""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from ..tax.federal import YearIncome, federal_tax
from ..taxdata import TaxYear, indexed_tax_year
from .model import PlanModel


@dataclass(frozen=True)
class YearRow:
    year: int
    ages: tuple[int, ...]
    traditional_withdrawals: tuple[float, ...]  # per owner, nominal dollars
    conversions: tuple[float, ...]
    roth_withdrawals: tuple[float, ...]
    taxable_sales: float
    realized_gain: float
    dividends: float
    social_security: float
    spending: float
    tax: float  # as the model prices it
    irmaa: float  # premiums above standard paid this year (set two years before)
    deposit: float
    traditional: tuple[float, ...]  # balances at the start of the year
    roth: tuple[float, ...]
    taxable: float
    income: YearIncome

    @property
    def exact_tax(self) -> float:
        """federal_tax on this year's income (the property tests hold the model to it)."""
        assert isinstance(self._facts, TaxYear)
        return federal_tax(self.income, self._facts).total

    _facts: object = None


def _v(x) -> float:
    return float(pyo.value(x)) if not isinstance(x, (int, float)) else float(x)


def year_rows(pm: PlanModel) -> list[YearRow]:
    p, v = pm.p, pm.vars  # type: ignore[attr-defined]
    owners = range(len(p.owners))
    rows = []
    for t in range(p.years):
        wt = tuple(_v(v["wt"][o, t]) for o in owners)
        cv = tuple(_v(v["cv"][o, t]) for o in owners)
        sales = [(g, _v(x)) for (g, tt), x in v["sell"].items() if tt == t]
        gain = sum(v["gain_share"](g, t) * x for g, x in sales)
        div = _v(v["dividends"][t])
        ss = _v(pm.ss[t])
        early = sum(wt[o] for o in owners if p.age(o, t) < 60)
        income = YearIncome(
            filing_status=p.filing_status,
            seniors=sum(1 for o in owners if p.age(o, t) >= 65),
            ordinary_income=(1 - p.qualified_share) * div,
            ordinary_investment_income=(1 - p.qualified_share) * div,
            traditional_withdrawals=sum(wt) + sum(cv),
            early_withdrawals=early,
            long_term_gains=gain,
            qualified_dividends=p.qualified_share * div,
            social_security_benefits=ss,
        )
        held = sum(_v(x) for (g, tt), x in v["hold"].items() if tt == t)
        rows.append(
            YearRow(
                year=p.start_year + t,
                ages=tuple(p.age(o, t) for o in owners),
                traditional_withdrawals=wt,
                conversions=cv,
                roth_withdrawals=tuple(_v(v["wr"][o, t]) for o in owners),
                taxable_sales=sum(x for _, x in sales),
                realized_gain=gain,
                dividends=div,
                social_security=ss,
                spending=_v(pm.spend[t]),
                tax=_v(pm.tax[t].tax),
                irmaa=_v(pm.irmaa[t]),
                deposit=_v(v["deposit"][t]),
                traditional=tuple(_v(v["tr"][o, t]) for o in owners),
                roth=tuple(_v(v["ro"][o, t]) for o in owners),
                taxable=held,
                income=income,
                _facts=indexed_tax_year(p.start_year + t, p.inflation, p.law_expires),
            )
        )
    return rows


def claim_ages(pm: PlanModel) -> dict[int, int]:
    """Owner index -> the claiming age of the plan (fixed or chosen)."""
    out = {o: ow.claim_age for o, ow in enumerate(pm.p.owners) if ow.claim_age is not None}
    for (o, age), z in pm.claim.items():
        if pyo.value(z) > 0.5:
            out[o] = age
    return out
